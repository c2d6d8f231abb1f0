"""What a conductor's heartbeat cycle costs the database, counted statement by statement.

    .venv/bin/python -m bench.heartbeat_writes [postgresql|sqlite]

In this process, on a scratch database migrated by anvil, with K conductors
registered and N nodes enrolled (K x N over a grid), one conductor runs the
real code of one heartbeat interval: ``conductor.housekeeping.Housekeeping``'s
``renew`` (the lease: heartbeat + conductor list) and ``chores`` (forgotten
locks, dead peers' locks — once the lease is unbroken for a whole lease, as
in steady state), and ``conductor.history_cleanup.Housekeeping.settle_calls``
(run every ``heartbeat_interval``). SQLAlchemy's cursor events count every
statement it sends, writes (INSERT/UPDATE/DELETE) apart from reads, and the
rows each touched. An API process's topology load (every few seconds) and
route-table load (every ``node_route_cache_ttl``) are counted the same way.
Prints one row per (K, N) and the writes per second they make for a fleet.
Reports only.
"""

import collections
import sys
import threading
import time

import sqlalchemy as sa

from anvil.api import hash_ring, node_routes
from anvil.common.config import CONF
from anvil.conductor import history_cleanup, housekeeping
from anvil.conductor import lease as conductor_lease
from anvil.conductor import manager as conductor_manager
from anvil.db import conductors as db_conductors
from anvil.db import engine as db_engine
from anvil.db import migration
from bench import targets

GRID_CONDUCTORS = (1, 4, 10, 100)
GRID_NODES = (100, 10000, 100000)
PREFIX = 'sim-'


class StatementCounter:
    """Statements and rows seen by an engine's cursor events while ``counting``."""

    def __init__(self, engine):
        self.counting = False
        self.stats = collections.Counter()
        sa.event.listen(engine, 'after_cursor_execute', self._after)

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if not self.counting:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        kind = 'write' if verb in ('INSERT', 'UPDATE', 'DELETE') else 'read'
        rows = max(0, cursor.rowcount or 0)
        self.stats[kind] += 1
        self.stats['%s_rows' % kind] += rows

    def count(self, work):
        """Run ``work()``; returns (stats of its statements, seconds)."""
        self.stats = collections.Counter()
        self.counting = True
        started = time.perf_counter()
        try:
            work()
        finally:
            self.counting = False
        return dict(self.stats), time.perf_counter() - started


class Fleet:
    """K registered conductors, ``host`` the one that is measured."""

    def __init__(self, conductors):
        self.hosts = ['sim-conductor-%03d' % i for i in range(conductors)]
        self.host = self.hosts[0]
        for h in self.hosts:
            db_conductors.register_conductor(h, '', {'fake-hardware': {}}, [])
        self.lease = conductor_lease.Lease(self.host)
        manager = conductor_manager.ConductorManager(self.host, {})
        self.chores = housekeeping.Housekeeping(self.host, self.lease, manager, None,
                                                online=lambda: True,
                                                beat_lock=threading.Lock())
        self.periodic = history_cleanup.Housekeeping(self.host)

    def peers_beat(self):
        for h in self.hosts[1:]:
            db_conductors.heartbeat(h)

    def settle(self, deadline=30.0):
        """Renew until the lease was unbroken for a whole lease (steady state)."""
        until = time.monotonic() + deadline
        while not self.lease.may_judge_others():
            if time.monotonic() > until:
                raise RuntimeError('the lease never became unbroken for a whole lease')
            self.peers_beat()
            self.chores.renew()
            time.sleep(CONF.conductor.heartbeat_interval / 4)

    def cycle(self):
        """One heartbeat interval of the measured conductor."""
        self.chores.renew()
        # the list renew() handed to the chores thread (not started here)
        self.chores.chores(self.chores._conductors)
        self.periodic.settle_calls()


def _measure(counter, fleet):
    fleet.peers_beat()
    cycle, cycle_s = counter.count(fleet.cycle)
    topo, _ = counter.count(lambda: hash_ring.TopologyCache._load())
    node_routes.clear()
    routes, _ = counter.count(lambda: node_routes.get(PREFIX + '00000'))
    return cycle, cycle_s, topo, routes


def _row(conductors, nodes, cycle, cycle_s, topo, routes):
    w, r = cycle.get('write', 0), cycle.get('read', 0)
    wr, rr = cycle.get('write_rows', 0), cycle.get('read_rows', 0)
    print('| %d | %d | %d | %d | %d | %d | %.1f | %d st / %d rows | %d st / %d rows |' % (
        conductors, nodes, w, wr, r, rr,
        cycle_s * 1000, topo.get('read', 0), topo.get('read_rows', 0),
        routes.get('read', 0), routes.get('read_rows', 0)))
    return w, wr, r, rr


def grid(counter, add_nodes):
    """Measure every (K, N); returns {K: {(writes, rows written, reads, rows read)}}
    per cycle, one member per distinct answer over the node counts."""
    print('\n## One conductor\'s heartbeat cycle on %s (statements sent; rows they touched)\n'
          % db_engine.get_engine().dialect.name)
    print('| conductors | nodes | writes/cycle | rows written | reads/cycle | rows read | '
          'cycle ms | API topology load | API route table load |')
    print('|---|---|---|---|---|---|---|---|---|')
    per_cycle = {}
    enrolled = 0
    for nodes in GRID_NODES:
        add_nodes(enrolled, nodes - enrolled)
        enrolled = nodes
        for conductors in GRID_CONDUCTORS:
            with db_engine.writer() as conn:
                conn.execute(sa.delete(db_conductors.HW_TYPES))
                conn.execute(sa.delete(db_conductors.CONDUCTORS))
            fleet = Fleet(conductors)
            fleet.settle()
            per_cycle.setdefault(conductors, set()).add(
                _row(conductors, nodes, *_measure(counter, fleet)))
    return per_cycle


def print_rates(per_cycle):
    interval = CONF.conductor.heartbeat_interval
    print('\n## The fleet\'s lease statements per second (heartbeat_interval %.0f s)\n'
          % interval)
    nodes = ', '.join(f'{n:,}' for n in GRID_NODES)
    if all(len(counts) == 1 for counts in per_cycle.values()):
        print('Each conductor runs one cycle per heartbeat_interval. Its counts were the '
              'same at every node count above (%s): they do not grow with nodes.\n' % nodes)
    else:
        print('**The counts per cycle changed with the node count (%s)**; the largest is '
              'used below.\n' % nodes)
    print('| conductors | writes/s | rows written/s | reads/s | rows read/s |')
    print('|---|---|---|---|---|')
    for conductors, counts in sorted(per_cycle.items()):
        w, wr, r, rr = max(counts)
        print('| %d | %.0f | %.0f | %.0f | %.0f |' % (
            conductors, conductors * w / interval, conductors * wr / interval,
            conductors * r / interval, conductors * rr / interval))


def main(kind='postgresql'):
    from tests.functional import services
    database = (services.TemporaryDatabase(services.PG_URL, 'anvil_heartbeat').create()
                if kind == 'postgresql' else services.sqlite_database())
    CONF.set_override('connection', database.url, group='database')
    db_engine.dispose()
    try:
        migration.upgrade()
        counter = StatementCounter(db_engine.get_engine())
        template = {'driver': 'fake-hardware', 'conductor_group': ''}
        per_cycle = grid(counter, lambda start, count: targets.add_nodes(
            database.url, template, PREFIX, start, count))
        for conductors, counts in sorted(per_cycle.items()):
            print('%d conductors: (writes, rows, reads, rows) per cycle over the node counts: %s'
                  % (conductors, sorted(counts)), file=sys.stderr)
        print_rates(per_cycle)
    finally:
        node_routes.clear()
        db_engine.dispose()
        CONF.clear_override('connection', group='database')
        database.drop()


if __name__ == '__main__':
    CONF([], project='anvil')
    main(sys.argv[1] if len(sys.argv) > 1 else 'postgresql')
