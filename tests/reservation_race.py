"""Reservation races on whatever database ``[database] connection`` points at.

Threads play several conductor hosts (several threads per host, as a real
conductor's worker pool) and fight over the same nodes through
``anvil.db.api``. All threads of a scenario start at one barrier, and the
outcome is checked against the rows in the database. Used by the SQLite unit
tests and the PostgreSQL/MariaDB functional tests alike.
"""

import collections
import datetime
import random
import threading

import sqlalchemy as sa
from oslo_utils.timeutils import utcnow

from anvil.common import exception
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import history as db_history
from anvil.db.engine import writer

HOSTS = ('conductor-a', 'conductor-b', 'conductor-c')


def make_nodes(count, prefix='race'):
    """``count`` unreserved fake-hardware nodes; their ids."""
    return [db_api.create_node({'driver': 'fake-hardware', 'name': '%s-%d' % (prefix, i)})['id']
            for i in range(count)]


def run_threads(workers):
    """Run the callables together, released at once by a barrier; re-raise the first error."""
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(work):
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as e:  # noqa: B036 (re-raised in the test's thread)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [t for t in threads if t.is_alive()], 'a racing thread hung'
    if errors:
        raise errors[0]


def _history(host):
    return {'event': 'reserved by %s' % host, 'conductor': host}


def race_once(node_ids, hosts=HOSTS, threads_per_host=4):
    """Every thread tries every node once, in its own order; nobody releases.

    Returns (winners {node_id: host}, losers [(node_id, host, NodeLocked)]).
    """
    winners, losers, lock = collections.defaultdict(list), [], threading.Lock()

    def attempt(host):
        for node_id in random.sample(node_ids, len(node_ids)):
            try:
                db_api.reserve_node(host, node_id, history=_history(host))
            except exception.NodeLocked as e:
                with lock:
                    losers.append((node_id, host, e))
            else:
                with lock:
                    winners[node_id].append(host)

    run_threads([lambda h=h: attempt(h) for h in hosts for _ in range(threads_per_host)])
    assert {n: len(w) for n, w in winners.items()} == dict.fromkeys(node_ids, 1)
    return {n: w[0] for n, w in winners.items()}, losers


def check_race_outcome(node_ids, winners, losers, threads):
    """Losers name the winner, the rows agree, the winner's event was recorded once."""
    assert len(losers) == len(node_ids) * (threads - 1)
    for node_id, _host, error in losers:
        assert error.kwargs['host'] == winners[node_id]
        assert winners[node_id] in str(error)
    for node_id in node_ids:
        assert db_api.get_node_by_id(node_id)['reservation'] == winners[node_id]
        events = db_history.list_events(node_id)
        assert [e['conductor'] for e in events] == [winners[node_id]]


def release_race(node_ids, winners, hosts=HOSTS, threads_per_host=4):
    """Every thread of every host releases every node at once: one release per node
    succeeds, the holder's, and the locks are free."""
    released, lock = collections.defaultdict(list), threading.Lock()

    def release(host):
        for node_id in random.sample(node_ids, len(node_ids)):
            if db_api.release_node(host, node_id):
                with lock:
                    released[node_id].append(host)

    run_threads([lambda h=h: release(h) for h in hosts for _ in range(threads_per_host)])
    assert dict(released) == {n: [winners[n]] for n in node_ids}
    assert [db_api.get_node_by_id(n)['reservation'] for n in node_ids] == [None] * len(node_ids)


class Churn:
    """Threads that reserve, hold, release, again and again.

    While it holds a node a thread reads the row back (the lock must name it)
    and counts itself in; two threads counted in on one node is a lost lock.
    Its release must succeed: nobody else may have released it meanwhile.
    """

    def __init__(self, node_ids, hosts=HOSTS, threads_per_host=4, rounds=5):
        self.node_ids, self.hosts = node_ids, hosts
        self.threads_per_host, self.rounds = threads_per_host, rounds
        self.holders, self.wins = collections.Counter(), collections.Counter()
        self.overlaps, self._lock = [], threading.Lock()

    def workers(self):
        return [lambda h=h: self._attempt(h)
                for h in self.hosts for _ in range(self.threads_per_host)]

    def _attempt(self, host):
        for _ in range(self.rounds):
            for node_id in random.sample(self.node_ids, len(self.node_ids)):
                try:
                    db_api.reserve_node(host, node_id, history=_history(host))
                except exception.NodeLocked:
                    continue
                self._hold(host, node_id)

    def _hold(self, host, node_id):
        with self._lock:
            self.holders[node_id] += 1
            self.wins[node_id] += 1
            if self.holders[node_id] != 1:
                self.overlaps.append((node_id, host))
        assert db_api.get_node_by_id(node_id)['reservation'] == host
        with self._lock:
            self.holders[node_id] -= 1
        assert db_api.release_node(host, node_id) is True

    def check(self):
        """No overlap; every lock free again; one event per successful reservation."""
        assert self.overlaps == []
        for node_id in self.node_ids:
            assert self.wins[node_id] >= 1
            assert db_api.get_node_by_id(node_id)['reservation'] is None
            assert len(db_history.list_events(node_id)) == self.wins[node_id]


def register(hostname):
    db_conductors.register_conductor(hostname, '', {'fake-hardware': {}}, [])


def age_conductor(hostname, seconds):
    """Move a conductor's last heartbeat ``seconds`` into the past (what silence does)."""
    table = db_conductors.CONDUCTORS
    with writer() as conn:
        conn.execute(sa.update(table).where(table.c.hostname == hostname)
                     .values(heartbeat_at=utcnow() - datetime.timedelta(seconds=seconds)))


class StaleCleanup:
    """Conductors that live, stop, fall silent, or fall silent and come back.

    Each holds the locks of its own nodes; the live one keeps churning on
    other nodes while several cleaners run at once. Only a stale heartbeat
    frees locks: a stopping conductor (offline, still heartbeating) finishes
    its running methods and releases their locks itself.
    """

    TIMEOUT = 60
    KINDS = ('alive', 'stopping', 'silent', 'stopped_silent', 'revived')
    STALE = ('silent', 'stopped_silent')

    def __init__(self, nodes_per_host=3, cleaners=6):
        self.cleaners = cleaners
        self.hosts = {kind: 'cond-%s' % kind for kind in self.KINDS}
        for host in self.hosts.values():
            register(host)
        self.held = {kind: make_nodes(nodes_per_host, prefix=kind) for kind in self.KINDS}
        for kind, node_ids in self.held.items():
            for node_id in node_ids:
                db_api.reserve_node(self.hosts[kind], node_id)
        self.churn = Churn(make_nodes(2, prefix='busy'), hosts=(self.hosts['alive'],),
                           threads_per_host=3)
        self.released, self._lock = [], threading.Lock()

    def kill(self):
        for kind in ('stopping', 'stopped_silent'):
            db_conductors.unregister_conductor(self.hosts[kind])
        for kind in ('silent', 'stopped_silent', 'revived'):
            age_conductor(self.hosts[kind], 2 * self.TIMEOUT)
        db_conductors.heartbeat(self.hosts['revived'])

    def run(self):
        def clean():
            count = len(db_conductors.release_stale_reservations(self.TIMEOUT))
            with self._lock:
                self.released.append(count)

        run_threads(self.churn.workers() + [clean] * self.cleaners)

    def check(self):
        """Exactly the stale conductors' locks went, each released by one cleaner."""
        self.churn.check()
        assert sum(self.released) == sum(len(self.held[kind]) for kind in self.STALE)
        for kind, node_ids in self.held.items():
            expected = None if kind in self.STALE else self.hosts[kind]
            assert [db_api.get_node_by_id(n)['reservation'] for n in node_ids] == (
                [expected] * len(node_ids)), kind

