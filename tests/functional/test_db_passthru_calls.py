"""Async call records and pruning on PostgreSQL and MariaDB.

The transitions are conditional updates that must pick one winner on servers
that run writers in parallel; pruning's queries (GROUP BY ... HAVING, OFFSET,
DELETE ... IN) must behave the same on every backend.
"""

import datetime
import threading

from anvil.conductor.history_cleanup import Housekeeping
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import history, passthru_calls
from tests.functional.db_fixtures import db_fixture, server_db_fixture  # noqa: F401

THREADS = 8


def _race(target):
    """Run ``target(i)`` on THREADS threads released together; their results."""
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def run(i):
        barrier.wait()
        results[i] = target(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _defaults(node_id):
    return {'node_id': node_id, 'driver': 'fake-hardware', 'method': 'm', 'http_method': 'POST'}


def test_one_claim_wins_a_recorded_call(db):
    node = db_api.create_node({'driver': 'fake-hardware', 'name': 'n1'})
    passthru_calls.accept('req-1', **_defaults(node['id']))
    wins = _race(lambda i: passthru_calls.claim('req-1', 'host-%d' % i, {}))
    assert wins.count(True) == 1
    assert passthru_calls.get('req-1')['conductor'] == 'host-%d' % wins.index(True)


def test_one_claim_wins_an_unrecorded_call(db):
    """No row yet: every claimer tries to insert one; the unique key picks the winner."""
    node = db_api.create_node({'driver': 'fake-hardware', 'name': 'n1'})
    wins = _race(lambda i: passthru_calls.claim('req-2', 'host-%d' % i,
                                                _defaults(node['id'])))
    assert wins.count(True) == 1
    assert passthru_calls.get('req-2')['state'] == passthru_calls.RUNNING


def test_expiry_and_claim_never_both_win(db):
    node = db_api.create_node({'driver': 'fake-hardware', 'name': 'n1'})
    passthru_calls.accept('req-3', **_defaults(node['id']))
    future = datetime.datetime(9999, 1, 1)
    results = _race(lambda i: passthru_calls.claim('req-3', 'h', {}) if i % 2
                    else passthru_calls.expire_overdue(future, 'req-3') == 1)
    assert results.count(True) == 1
    state = passthru_calls.get('req-3')['state']
    assert state == (passthru_calls.RUNNING if results.index(True) % 2
                     else passthru_calls.EXPIRED)


def test_pruning_keeps_the_newest_per_node(db, conf):
    conf.set_override('node_history_max_entries', 2, group='conductor')
    db_conductors.register_conductor('prune-host', '', {}, [])
    nodes = [db_api.create_node({'driver': 'fake-hardware', 'name': 'n%d' % i})['id']
             for i in range(3)]
    for node in nodes:
        for i in range(5):
            history.add_event(node, event='e%d' % i)
        for i in range(4):
            passthru_calls.accept('req-%d-%d' % (node, i), **_defaults(node))
            passthru_calls.finish('req-%d-%d' % (node, i), passthru_calls.SUCCEEDED, 'h', {})
    counts = Housekeeping('prune-host').prune()
    assert counts == {'node history': 9, 'node calls': 6, 'driver calls': 0}
    for node in nodes:
        assert [e['event'] for e in history.list_events(node)] == ['e3', 'e4']
        assert passthru_calls.get('req-%d-1' % node) is None
        assert passthru_calls.get('req-%d-3' % node)['state'] == passthru_calls.SUCCEEDED
