"""reserve_node / release_node semantics, one thread.

Races: tests/functional/test_db_reservations.py, on every backend.
"""

import pytest

from anvil.common import exception
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from tests import reservation_race


@pytest.fixture
def node(db):
    return db_api.create_node({'driver': 'fake-hardware', 'name': 'n1'})


def test_reserve_returns_the_reserved_node(node):
    reserved = db_api.reserve_node('host-a', node['id'])
    assert reserved['reservation'] == 'host-a'
    assert reserved['uuid'] == node['uuid']


def test_reserve_is_not_reentrant(node):
    db_api.reserve_node('host-a', node['id'])
    with pytest.raises(exception.NodeLocked) as info:
        db_api.reserve_node('host-a', node['id'])
    assert info.value.kwargs == {'node': node['uuid'], 'host': 'host-a'}


def test_reserve_missing_node(db):
    with pytest.raises(exception.NodeNotFound):
        db_api.reserve_node('host-a', 4242)


def test_only_the_holder_releases(node):
    db_api.reserve_node('host-a', node['id'])
    assert db_api.release_node('host-b', node['id']) is False
    assert db_api.get_node_by_id(node['id'])['reservation'] == 'host-a'
    assert db_api.release_node('host-a', node['id']) is True
    assert db_api.get_node_by_id(node['id'])['reservation'] is None
    assert db_api.release_node('host-a', node['id']) is False


def test_release_all_reservations_of_a_host(db):
    ids = reservation_race.make_nodes(4)
    for node_id, host in zip(ids, ('a', 'a', 'b', 'a'), strict=True):
        db_api.reserve_node(host, node_id)
    assert db_api.release_all_reservations('a') == 3
    assert [db_api.get_node_by_id(n)['reservation'] for n in ids] == [None, None, 'b', None]


def test_reserved_filter_sees_the_lock(node):
    db_api.reserve_node('host-a', node['id'])
    assert [n['id'] for n in db_api.list_nodes({'reserved': True})] == [node['id']]


def test_stale_release_spares_live_hosts(db):
    reservation_race.register('live')
    reservation_race.register('stale')
    reservation_race.age_conductor('stale', 120)
    ids = reservation_race.make_nodes(3)
    for node_id, host in zip(ids, ('live', 'stale', 'stale'), strict=True):
        db_api.reserve_node(host, node_id)
    assert [(n, h) for n, h, _ in db_conductors.release_stale_reservations(60)] == [
        (ids[1], 'stale'), (ids[2], 'stale')]
    assert [db_api.get_node_by_id(n)['reservation'] for n in ids] == ['live', None, None]
    assert db_conductors.release_stale_reservations(60) == []
