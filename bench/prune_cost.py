"""What pruning node history costs the calls running meanwhile.

Fills a database with ``--nodes`` nodes of ``--rows`` history events each,
then times the database work of an async call's lock path (reserve the
node with its "started" event, release it with its outcome: the writes every
async call makes) in a loop: first alone, then while one pruning run
(``Housekeeping.prune``, the conductor's periodic task) deletes everything
past ``--keep`` events per node. Prints p50/p99/max of the lock path in ms
for both, and the pruning's rows per second.

    .venv/bin/python bench/prune_cost.py                      # SQLite file (all-in-one)
    .venv/bin/python bench/prune_cost.py --db postgresql      # a scratch PostgreSQL database

A report, not a test.
"""

import argparse
import os
import sys
import tempfile
import threading
import time

import sqlalchemy as sa
from oslo_utils import timeutils

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from anvil.common.config import CONF  # noqa: E402
from anvil.conductor.history_cleanup import Housekeeping  # noqa: E402
from anvil.db import api as db_api  # noqa: E402
from anvil.db import conductors as db_conductors  # noqa: E402
from anvil.db import engine, migration, models  # noqa: E402

HOST = 'bench-host'


def percentiles(samples):
    samples = sorted(s * 1000 for s in samples)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return 'p50 %.2f ms  p99 %.2f ms  max %.2f ms  (n=%d)' % (
        pick(0.5), pick(0.99), samples[-1], len(samples))


def fill(nodes, rows):
    node_ids = [db_api.create_node({'driver': 'fake-hardware', 'name': 'b%d' % i})['id']
                for i in range(nodes)]
    table = models.NodeHistory.__table__
    now = timeutils.utcnow()
    for node_id in node_ids:
        with engine.writer() as conn:
            conn.execute(sa.insert(table), [
                {'uuid': '%08d-0000-4000-8000-%012d' % (node_id, i), 'node_id': node_id,
                 'event': 'filler %d' % i, 'severity': 'INFO', 'created_at': now}
                for i in range(rows)])
    return node_ids


def lock_path(node_id):
    started = {'event': 'Vendor passthru m started', 'conductor': HOST}
    db_api.reserve_node(HOST, node_id, history=started)
    db_api.release_node(HOST, node_id, history={'event': 'Vendor passthru m succeeded'})


def time_loop(node_id, until):
    samples = []
    while not until():
        start = time.perf_counter()
        lock_path(node_id)
        samples.append(time.perf_counter() - start)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--db', choices=['sqlite', 'postgresql'], default='sqlite')
    parser.add_argument('--nodes', type=int, default=100)
    parser.add_argument('--rows', type=int, default=2000)
    parser.add_argument('--keep', type=int, default=300)
    parser.add_argument('--baseline-seconds', type=float, default=3.0)
    args = parser.parse_args()
    CONF([], project='anvil')
    database = None
    if args.db == 'postgresql':
        from tests.functional import services
        database = services.postgres_database()
        url = database.url
    else:
        url = 'sqlite:///%s' % os.path.join(tempfile.mkdtemp(), 'prune.sqlite')
    CONF.set_override('connection', url, group='database')
    CONF.set_override('node_history_max_entries', args.keep, group='conductor')
    CONF.set_override('node_history_cleanup_batch_count', 10 ** 9, group='conductor')
    try:
        migration.upgrade()
        db_conductors.register_conductor(HOST, '', {}, [])
        node_ids = fill(args.nodes, args.rows)
        probe = db_api.create_node({'driver': 'fake-hardware', 'name': 'probe'})['id']
        deadline = time.monotonic() + args.baseline_seconds
        alone = time_loop(probe, lambda: time.monotonic() > deadline)
        done = threading.Event()
        result = {}

        def prune():
            start = time.perf_counter()
            result['counts'] = Housekeeping(HOST).prune()
            result['seconds'] = time.perf_counter() - start
            done.set()
        thread = threading.Thread(target=prune)
        thread.start()
        during = time_loop(probe, done.is_set)
        thread.join()
        deleted = result['counts']['node history']
        print('%s, %d nodes x %d events, keep %d' % (args.db, len(node_ids), args.rows,
                                                     args.keep))
        print('lock path alone:         %s' % percentiles(alone))
        print('lock path while pruning: %s' % percentiles(during))
        print('pruned %d events in %.1f s (%.0f rows/s)' % (
            deleted, result['seconds'], deleted / result['seconds']))
    finally:
        engine.dispose()
        if database is not None:
            database.drop()


if __name__ == '__main__':
    main()
