"""anvil.db.conductors: registration, heartbeats, liveness, topology (a real SQLite file)."""

import pytest

from anvil.common import exception
from anvil.db import conductors as db_conductors
from tests import reservation_race

TIMEOUT = 60


def _method(name, hw='fake-hardware', scope='node', **details):
    return {'hardware_type': hw, 'vendor_interface': 'fake', 'scope': scope, 'name': name,
            'details': dict({'http_methods': ['POST'], 'async': False}, **details)}


def _register(host, types=('fake-hardware',), methods=(), group=''):
    return db_conductors.register_conductor(
        host, group, {t: {'vendor': {'default': 'fake', 'supported': ['fake']}} for t in types},
        list(methods))


def test_register_and_list(db):
    _register('c1', types=('fake-hardware', 'redfish'), group='g1')
    [cond] = db_conductors.list_conductors(TIMEOUT)
    assert cond['hostname'] == 'c1'
    assert cond['conductor_group'] == 'g1'
    assert cond['alive'] is True and cond['online'] is True
    assert cond['drivers'] == ['fake-hardware', 'redfish']


def test_reregister_replaces_types_and_methods(db):
    first = _register('c1', types=('fake-hardware', 'redfish'),
                      methods=[_method('old'), _method('gone', hw='redfish')])
    db_conductors.unregister_conductor('c1')
    second = _register('c1', types=('fake-hardware',), methods=[_method('new')], group='g2')
    assert second == first
    topology = db_conductors.get_topology(TIMEOUT)
    assert topology['conductors'] == {'c1': 'g2'}
    assert set(topology['hardware_types']) == {'fake-hardware'}
    assert topology['methods'] == {('fake-hardware', 'fake', 'node'): {
        'new': {'http_methods': ['POST'], 'async': False}}}
    assert db_conductors.get_conductor('c1', TIMEOUT)['drivers'] == ['fake-hardware']


def test_heartbeat_of_unknown_conductor(db):
    with pytest.raises(exception.ConductorNotFound):
        db_conductors.heartbeat('nobody')


def test_get_unknown_conductor(db):
    _register('c1')
    with pytest.raises(exception.ConductorNotFound):
        db_conductors.get_conductor('nobody', TIMEOUT)


@pytest.mark.parametrize('age, alive', [(0, True), (TIMEOUT // 2, True), (TIMEOUT + 5, False),
                                        (10 * TIMEOUT, False)])
def test_alive_follows_heartbeat_age(db, age, alive):
    _register('c1')
    reservation_race.age_conductor('c1', age)
    assert db_conductors.get_conductor('c1', TIMEOUT)['alive'] is alive


def test_heartbeat_revives(db):
    _register('c1')
    reservation_race.age_conductor('c1', 2 * TIMEOUT)
    before = db_conductors.get_conductor('c1', TIMEOUT)
    db_conductors.heartbeat('c1')
    after = db_conductors.get_conductor('c1', TIMEOUT)
    assert (before['alive'], after['alive']) == (False, True)
    assert after['heartbeat_at'] > before['heartbeat_at']


def test_unregister_marks_offline_and_keeps_the_row(db):
    _register('c1')
    db_conductors.unregister_conductor('c1')
    cond = db_conductors.get_conductor('c1', TIMEOUT)
    assert (cond['online'], cond['alive'], cond['drivers']) == (False, False, ['fake-hardware'])
    db_conductors.heartbeat('c1')
    assert db_conductors.get_conductor('c1', TIMEOUT)['alive'] is True


def test_list_is_sorted_by_hostname(db):
    for host in ('c3', 'c1', 'c2'):
        _register(host)
    assert [c['hostname'] for c in db_conductors.list_conductors(TIMEOUT)] == ['c1', 'c2', 'c3']


def test_topology_counts_only_live_conductors(db):
    _register('live1', methods=[_method('m1'), _method('d1', scope='driver')])
    _register('live2', group='g2', methods=[_method('m1')])
    _register('dead', types=('redfish',), methods=[_method('r1', hw='redfish')])
    reservation_race.age_conductor('dead', 2 * TIMEOUT)
    topology = db_conductors.get_topology(TIMEOUT)
    assert topology['conductors'] == {'live1': '', 'live2': 'g2'}
    assert set(topology['hardware_types']) == {'fake-hardware'}
    assert set(topology['hardware_types']['fake-hardware']) == {'live1', 'live2'}
    assert topology['known_types'] == {'fake-hardware', 'redfish'}
    assert set(topology['methods']) == {('fake-hardware', 'fake', 'node'),
                                        ('fake-hardware', 'fake', 'driver')}
    assert set(topology['methods'][('fake-hardware', 'fake', 'node')]) == {'m1'}


def test_offline_conductor_leaves_the_topology(db):
    _register('c1')
    db_conductors.unregister_conductor('c1')
    topology = db_conductors.get_topology(TIMEOUT)
    assert topology['conductors'] == {} and topology['hardware_types'] == {}
    assert topology['known_types'] == {'fake-hardware'}


def test_an_offline_conductor_holds_its_lease_until_it_stops_renewing(db):
    _register('c1')
    assert db_conductors.holds_lease('c1', 5)
    db_conductors.heartbeat('c1', online=False)   # cut from the bus: offline, renewing
    assert not db_conductors.get_conductor('c1', 5)['alive']
    assert db_conductors.holds_lease('c1', 5)
    reservation_race.age_conductor('c1', 10)
    assert not db_conductors.holds_lease('c1', 5)
    assert not db_conductors.holds_lease('nobody', 5)
    db_conductors.heartbeat('c1', online=True)    # the bus is back
    assert db_conductors.get_conductor('c1', 5)['alive']
