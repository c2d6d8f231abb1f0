"""Topology: who owns a node, which conductors count, DriverNotFound vs NoFreeConductor."""

import datetime

import pytest
import sqlalchemy as sa
from oslo_utils import uuidutils
from oslo_utils.timeutils import utcnow

from anvil.api import hash_ring
from anvil.common import exception
from anvil.db import conductors as db_conductors
from anvil.db.engine import writer
from anvil.drivers.fake.hardware import FakeHardware

UUIDS = [uuidutils.generate_uuid() for _ in range(64)]
FAKE = 'fake-hardware'


def _node(uuid, group=''):
    return {'uuid': uuid, 'driver': FAKE, 'conductor_group': group}


def _topology(hosts, groups=None, known=(FAKE,)):
    """A Topology straight from data: hosts (all alive) serving fake-hardware."""
    groups = groups or {}
    data = {'conductors': {h: groups.get(h, '') for h in hosts},
            'hardware_types': {FAKE: {h: {} for h in hosts}} if hosts else {},
            'known_types': set(known), 'methods': {}}
    return hash_ring.Topology(data, 32)


def _owners(topology, group=''):
    return {u: topology.owner(_node(u, group)) for u in UUIDS}


def test_owner_is_stable_whatever_the_order_of_hosts():
    first = _owners(_topology(['c1', 'c2', 'c3']))
    assert first == _owners(_topology(['c3', 'c1', 'c2']))
    assert set(first.values()) == {'c1', 'c2', 'c3'}


def test_a_new_conductor_only_takes_nodes_for_itself():
    before = _owners(_topology(['c1', 'c2']))
    after = _owners(_topology(['c1', 'c2', 'c3']))
    moved = {u for u in UUIDS if before[u] != after[u]}
    assert moved
    assert {after[u] for u in moved} == {'c3'}


def test_conductor_group_is_respected():
    topology = _topology(['c1', 'g1a', 'g1b'], groups={'g1a': 'g1', 'g1b': 'g1'})
    assert set(_owners(topology, 'g1').values()) == {'g1a', 'g1b'}
    assert set(_owners(topology, '').values()) == {'c1'}
    with pytest.raises(exception.NoFreeConductor):
        topology.owner(_node(UUIDS[0], 'g2'))


def test_any_host_rotates():
    topology = _topology(['c1', 'c2'])
    assert sorted(topology.any_host(FAKE) for _ in range(4)) == ['c1', 'c1', 'c2', 'c2']


@pytest.mark.parametrize('call', [
    lambda t: t.owner({'uuid': UUIDS[0], 'driver': 'nosuch', 'conductor_group': ''}),
    lambda t: t.any_host('nosuch'),
    lambda t: t.methods('nosuch', None, 'node'),
])
def test_driver_never_registered_is_not_found(call):
    with pytest.raises(exception.DriverNotFound):
        call(_topology(['c1']))


@pytest.mark.parametrize('call', [
    lambda t: t.owner(_node(UUIDS[0])),
    lambda t: t.any_host(FAKE),
    lambda t: t.methods(FAKE, None, 'node'),
])
def test_registered_driver_without_live_conductor_is_unavailable(call):
    with pytest.raises(exception.NoFreeConductor):
        call(_topology([]))


# -- from the database ----------------------------------------------------------

def _register(host, group=''):
    hw = FakeHardware(FAKE)
    db_conductors.register_conductor(host, group, {FAKE: hw.interfaces()},
                                     hw.published_methods())


def _heartbeat_long_ago(host):
    table = db_conductors.CONDUCTORS
    with writer() as conn:
        conn.execute(sa.update(table).where(table.c.hostname == host)
                     .values(heartbeat_at=utcnow() - datetime.timedelta(seconds=600)))


def _load():
    return hash_ring.TopologyCache(ttl=0).get()


@pytest.mark.parametrize('kill', [_heartbeat_long_ago, db_conductors.unregister_conductor])
def test_dead_conductors_are_ignored(db, kill):
    _register('c1')
    _register('c2')
    kill('c2')
    topology = _load()
    assert topology.hosts_for(FAKE) == ['c1']
    assert set(_owners(topology).values()) == {'c1'}


def test_all_dead_means_no_free_conductor_but_driver_still_known(db):
    _register('c1')
    db_conductors.unregister_conductor('c1')
    topology = _load()
    with pytest.raises(exception.NoFreeConductor):
        topology.owner(_node(UUIDS[0]))
    with pytest.raises(exception.DriverNotFound):
        topology.owner({'uuid': UUIDS[0], 'driver': 'redfish', 'conductor_group': ''})


def test_methods_come_from_the_published_metadata(db):
    _register('c1')
    methods = _load().methods(FAKE, None, 'node')
    assert methods['third_method_sync']['async'] is False
    assert 'driver_echo' in _load().methods(FAKE, None, 'driver')
    assert _load().methods(FAKE, 'no-vendor', 'node') == {}


def test_cache_keeps_a_snapshot_until_invalidated(db):
    _register('c1')
    cache = hash_ring.TopologyCache(ttl=3600)
    first = cache.get()
    _register('c2')
    assert cache.get() is first
    cache.invalidate()
    assert cache.get().hosts_for(FAKE) == ['c1', 'c2']
