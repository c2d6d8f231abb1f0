"""Reservation races on PostgreSQL and MariaDB: see tests/reservation_race.py.

One migrated database per server for the module; every test starts from
empty tables. More threads than on SQLite: these servers run them in parallel.
"""

from anvil.common import exception
from anvil.db import api as db_api
from tests import reservation_race as race
from tests.functional import lock_waits
from tests.functional.db_fixtures import db_fixture, server_db_fixture  # noqa: F401

THREADS_PER_HOST = 6


def test_one_winner_per_node_and_losers_name_it(db):
    node_ids = race.make_nodes(8)
    winners, losers = race.race_once(node_ids, threads_per_host=THREADS_PER_HOST)
    race.check_race_outcome(node_ids, winners, losers, len(race.HOSTS) * THREADS_PER_HOST)
    race.release_race(node_ids, winners, threads_per_host=THREADS_PER_HOST)


def test_churn_never_has_two_holders(db):
    churn = race.Churn(race.make_nodes(4), threads_per_host=THREADS_PER_HOST, rounds=5)
    race.run_threads(churn.workers())
    churn.check()


def test_stale_cleanup_releases_only_silent_conductors_locks(db):
    scenario = race.StaleCleanup()
    scenario.kill()
    scenario.run()
    scenario.check()


def test_destroy_never_deletes_a_node_reserved_meanwhile(db):
    """The reservation commits while destroy_node is between its check and its delete."""
    node = db_api.create_node({'driver': 'fake-hardware', 'name': 'doomed'})
    error = lock_waits.destroy_during_reservation(db.url, node, host='other-host')
    assert isinstance(error, exception.NodeLocked)
    assert error.kwargs['host'] == 'other-host'
    assert db_api.get_node(node['uuid'])['reservation'] == 'other-host'
