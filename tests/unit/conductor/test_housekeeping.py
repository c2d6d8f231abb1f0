"""Housekeeping: the lease round and the chores round, on a real SQLite database."""

import threading

import pytest

from anvil.conductor import housekeeping
from anvil.conductor.lease import Lease
from anvil.conductor.task_manager import LockManager
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db.engine import writer
from tests import reservation_race
from tests.polling import wait_for
from tests.unit.history_events import event_texts


class _Manager:
    """What the chores need of a conductor manager: its lock manager."""

    def __init__(self, host):
        self.locks = LockManager(host)


@pytest.fixture
def keeper(db, conf):
    conf.set_override('heartbeat_timeout', 1.0, group='conductor')
    conf.set_override('lease_fence_margin', 0.5, group='conductor')
    reservation_race.register('me')
    keeper = housekeeping.Housekeeping('me', Lease('me'), _Manager('me'), None,
                                       online=lambda: True, beat_lock=threading.Lock())
    return keeper


def test_renew_extends_the_lease_and_says_when_a_peer_lease_ends(keeper):
    reservation_race.register('peer')
    assert keeper.renew() == pytest.approx(1.0, abs=0.2)
    keeper.lease.check()
    reservation_race.age_conductor('peer', 10)
    assert keeper.renew() is None   # no live peer


def test_a_failed_heartbeat_is_logged_and_extends_nothing(keeper):
    with writer() as conn:   # the row is gone: the heartbeat fails
        conn.execute(db_conductors.CONDUCTORS.delete())
    assert keeper.renew() is None
    assert not keeper.lease.valid()


def test_chores_free_dead_peers_locks_only_after_a_whole_lease(keeper, make_node):
    node = make_node('held')
    reservation_race.register('dead')
    db_api.reserve_node('dead', node['id'], history={
        'event': 'Vendor passthru second_method started', 'conductor': 'dead',
        'request_id': 'req-1'})
    reservation_race.age_conductor('dead', 10)
    keeper.renew()
    keeper.chores(db_conductors.list_conductors(1.0))
    assert db_api.get_node_by_id(node['id'])['reservation'] == 'dead'   # too early to judge

    def freed():
        keeper.renew()
        keeper.chores(db_conductors.list_conductors(1.0))
        return db_api.get_node_by_id(node['id'])['reservation'] is None
    wait_for(freed, 5, interval=0.1, what='dead peer lock freed')
    assert event_texts(node['id'])[-1].startswith(
        'Vendor passthru second_method failed: conductor dead stopped renewing its lease')


def test_chores_free_own_locks_no_call_holds(keeper, make_node):
    node = make_node('forgotten')
    db_api.reserve_node('me', node['id'])
    keeper.chores(db_conductors.list_conductors(1.0))
    assert db_api.get_node_by_id(node['id'])['reservation'] is None


def test_the_threads_start_and_stop(keeper, conf):
    conf.set_override('heartbeat_interval', 0.1, group='conductor')
    before = db_conductors.get_conductor('me', 1.0)['heartbeat_at']
    keeper.start()
    try:
        wait_for(lambda: db_conductors.get_conductor('me', 1.0)['heartbeat_at'] > before, 5,
                 what='a heartbeat from the lease thread')
    finally:
        keeper.stop()
    assert not any(t.is_alive() for t in keeper._threads)
