"""Reservation races on SQLite, PostgreSQL and MariaDB: see tests/reservation_race.py.

One migrated database per backend for the module; every test starts from
empty tables. Fewer threads on SQLite (WAL file, BEGIN IMMEDIATE): it runs one
writer at a time, where the servers run them in parallel.
"""

import pytest

from anvil.common import exception
from anvil.db import api as db_api
from tests import reservation_race as race
from tests.functional import lock_waits
from tests.functional.db_fixtures import db_fixture, server_db_fixture  # noqa: F401

#: (threads per host, nodes raced for, nodes churned, churn rounds)
SIZES = {'sqlite': (4, 5, 3, 4), 'postgresql': (6, 8, 4, 5), 'mysql': (6, 8, 4, 5)}


def test_one_winner_per_node_and_losers_name_it(db):
    threads, nodes, _churned, _rounds = SIZES[db.kind]
    node_ids = race.make_nodes(nodes)
    winners, losers = race.race_once(node_ids, threads_per_host=threads)
    race.check_race_outcome(node_ids, winners, losers, len(race.HOSTS) * threads)
    race.release_race(node_ids, winners, threads_per_host=threads)


def test_churn_never_has_two_holders(db):
    threads, _nodes, churned, rounds = SIZES[db.kind]
    churn = race.Churn(race.make_nodes(churned), threads_per_host=threads, rounds=rounds)
    race.run_threads(churn.workers())
    churn.check()


def test_stale_cleanup_releases_only_silent_conductors_locks(db):
    scenario = race.StaleCleanup()
    scenario.kill()
    scenario.run()
    scenario.check()


def test_destroy_never_deletes_a_node_reserved_meanwhile(db):
    """The reservation commits while destroy_node is between its check and its delete."""
    if db.kind == 'sqlite':
        pytest.skip('SQLite takes the whole file for a writer (BEGIN IMMEDIATE): the '
                    'reservation and the delete cannot interleave')
    node = db_api.create_node({'driver': 'fake-hardware', 'name': 'doomed'})
    error = lock_waits.destroy_during_reservation(db.url, node, host='other-host')
    assert isinstance(error, exception.NodeLocked)
    assert error.kwargs['host'] == 'other-host'
    assert db_api.get_node(node['uuid'])['reservation'] == 'other-host'
