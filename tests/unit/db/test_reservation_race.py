"""Reservation races on SQLite (WAL file, BEGIN IMMEDIATE): see tests/reservation_race.py."""

from tests import reservation_race as race

THREADS_PER_HOST = 4


def test_one_winner_per_node_and_losers_name_it(db):
    node_ids = race.make_nodes(5)
    winners, losers = race.race_once(node_ids, threads_per_host=THREADS_PER_HOST)
    race.check_race_outcome(node_ids, winners, losers, len(race.HOSTS) * THREADS_PER_HOST)
    race.release_race(node_ids, winners, threads_per_host=THREADS_PER_HOST)


def test_churn_never_has_two_holders(db):
    churn = race.Churn(race.make_nodes(3), threads_per_host=THREADS_PER_HOST, rounds=4)
    race.run_threads(churn.workers())
    churn.check()


def test_stale_cleanup_releases_only_silent_conductors_locks(db):
    scenario = race.StaleCleanup()
    scenario.kill()
    scenario.run()
    scenario.check()
