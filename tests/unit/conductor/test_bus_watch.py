"""A conductor cut from the bus goes offline, keeps its lease and locks, and comes back.

``BusWatch`` is fed the link's state by a predicate the test flips; the
heartbeats it steers go to a real SQLite database, where the peers' view
(``list_conductors``) and the lock sweep are checked.
"""

import threading

import pytest

from anvil.conductor import bus_watch, housekeeping
from anvil.conductor.lease import Lease
from anvil.conductor.task_manager import LockManager
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from tests import reservation_race
from tests.polling import wait_for


class Link:
    """The bus link as the watch sees it: up or down, flipped by the test."""

    def __init__(self):
        self.up = True

    def __call__(self, server):
        return self.up


@pytest.fixture
def link(conf):
    conf.set_override('bus_lost_timeout', 0.2, group='conductor')
    return Link()


def test_deaf_only_after_the_link_was_down_bus_lost_timeout(link):
    watch = bus_watch.BusWatch('me', object(), connected=link)
    assert watch.hears()
    link.up = False
    assert watch.hears()            # just lost: a reconnect may be under way
    wait_for(lambda: not watch.hears(), 5, interval=0.02, what='deaf')
    link.up = True
    assert watch.hears()            # back at once
    link.up = False
    assert watch.hears()            # a new loss waits out the timeout again


def test_no_server_or_another_transport_always_hears():
    assert bus_watch.listener_connected(None)
    assert bus_watch.listener_connected(object())


def alive(host):
    return {c['hostname']: c['alive'] for c in db_conductors.list_conductors(1.0)}[host]


def test_a_deaf_conductor_heartbeats_offline_and_keeps_its_locks(db, conf, link, make_node):
    conf.set_override('heartbeat_timeout', 1.0, group='conductor')
    conf.set_override('lease_fence_margin', 0.5, group='conductor')
    for host in ('deaf', 'peer'):
        reservation_race.register(host)
    watch = bus_watch.BusWatch('deaf', object(), connected=link)
    deaf = housekeeping.Housekeeping('deaf', Lease('deaf'), None, None,
                                     online=watch.hears, beat_lock=threading.Lock())
    peer = housekeeping.Housekeeping('peer', Lease('peer'), _Manager('peer'), None,
                                     online=lambda: True, beat_lock=threading.Lock())
    node = make_node('held')
    db_api.reserve_node('deaf', node['id'])

    link.up = False

    def offline():
        deaf.renew()
        return not alive('deaf')
    wait_for(offline, 5, interval=0.05, what='the deaf conductor offline')
    deaf.lease.check()   # not fenced: it may finish what it runs

    def peer_judged():   # a whole lease of the peer's, the deaf one renewing meanwhile
        deaf.renew()
        peer.renew()
        peer.chores(db_conductors.list_conductors(1.0))
        return peer.lease.may_judge_others()
    wait_for(peer_judged, 5, interval=0.1, what='the peer may release stale locks')
    assert db_api.get_node_by_id(node['id'])['reservation'] == 'deaf'

    link.up = True
    deaf.renew()
    assert alive('deaf')


class _Manager:
    def __init__(self, host):
        self.locks = LockManager(host)
