"""anvil.db.api on nodes: create, get, list, update, destroy (a real SQLite file)."""

import pytest
from oslo_utils import uuidutils

from anvil.common import exception
from anvil.db import api as db_api
from anvil.db import history as db_history
from anvil.db import passthru_calls


def _node(**values):
    values.setdefault('driver', 'fake-hardware')
    return db_api.create_node(values)


def test_create_fills_defaults(db):
    node = _node(name='n1', driver_info={'user': 'x'})
    assert uuidutils.is_uuid_like(node['uuid'])
    assert node['name'] == 'n1'
    assert node['conductor_group'] == ''
    assert node['maintenance'] is False
    assert node['reservation'] is None
    assert node['created_at'] is not None and node['updated_at'] is None
    assert node['driver_info'] == {'user': 'x'}
    assert node['extra'] == {} and node['properties'] == {}


def test_create_keeps_a_given_uuid(db):
    uuid = uuidutils.generate_uuid()
    assert _node(uuid=uuid)['uuid'] == uuid


def test_duplicate_name(db):
    _node(name='same')
    with pytest.raises(exception.DuplicateName) as info:
        _node(name='same')
    assert info.value.kwargs['name'] == 'same'
    assert len(db_api.list_nodes()) == 1


def test_duplicate_uuid(db):
    node = _node()
    with pytest.raises(exception.NodeAlreadyExists):
        _node(uuid=node['uuid'])


def test_nameless_nodes_do_not_collide(db):
    _node()
    _node()
    assert len(db_api.list_nodes()) == 2


def test_get_by_uuid_name_and_id(db):
    node = _node(name='n1')
    assert db_api.get_node(node['uuid']) == node
    assert db_api.get_node('n1') == node
    assert db_api.get_node_by_id(node['id']) == node


def test_get_by_name_can_be_refused(db):
    _node(name='n1')
    with pytest.raises(exception.NodeNotFound):
        db_api.get_node('n1', allow_name=False)


@pytest.mark.parametrize('ident', ['missing', '3d5a4e5f-0e3e-4c47-9bf7-6b6f1b1e8c11'])
def test_get_missing(db, ident):
    _node(name='n1')
    with pytest.raises(exception.NodeNotFound) as info:
        db_api.get_node(ident)
    assert ident in str(info.value)


def test_get_by_id_missing(db):
    with pytest.raises(exception.NodeNotFound):
        db_api.get_node_by_id(12345)


def test_update(db):
    node = _node(name='n1')
    updated = db_api.update_node(node['uuid'], {'name': 'n2', 'extra': {'a': 1},
                                                'maintenance': True})
    assert (updated['name'], updated['extra'], updated['maintenance']) == ('n2', {'a': 1}, True)
    assert updated['updated_at'] is not None
    assert db_api.get_node('n2') == updated


def test_update_to_a_taken_name(db):
    _node(name='n1')
    node = _node(name='n2')
    with pytest.raises(exception.DuplicateName):
        db_api.update_node(node['uuid'], {'name': 'n1'})
    assert db_api.get_node(node['uuid'])['name'] == 'n2'


def test_update_missing(db):
    with pytest.raises(exception.NodeNotFound):
        db_api.update_node(uuidutils.generate_uuid(), {'name': 'x'})


def test_destroy_takes_history_along(db):
    node = _node()
    db_history.add_event(node['id'], event='hello')
    db_api.destroy_node(node['uuid'])
    with pytest.raises(exception.NodeNotFound):
        db_api.get_node(node['uuid'])
    assert db_history.list_events(node['id']) == []


def test_destroy_refused_while_reserved(db):
    node = _node()
    db_api.reserve_node('host-a', node['id'])
    with pytest.raises(exception.NodeLocked) as info:
        db_api.destroy_node(node['uuid'])
    assert info.value.kwargs['host'] == 'host-a'
    assert db_api.get_node(node['uuid'])['reservation'] == 'host-a'
    db_api.release_node('host-a', node['id'])
    db_api.destroy_node(node['uuid'])
    assert db_api.list_nodes() == []


def test_destroy_missing(db):
    with pytest.raises(exception.NodeNotFound):
        db_api.destroy_node(uuidutils.generate_uuid())


def test_list_routes_gives_each_nodes_routing_fields_in_id_order(db):
    first = _node(name='r1', conductor_group='rack-1', owner='p1', lessee='p2',
                  vendor_interface='fake')
    second = _node()
    _node(name='r3')
    routes = db_api.list_routes(2)
    assert routes == [{field: node[field] for field in db_api.ROUTE_FIELDS}
                      for node in (first, second)]
    assert routes[0]['conductor_group'] == 'rack-1' and routes[1]['name'] is None
    assert len(db_api.list_routes(10)) == 3


def test_release_history_and_the_call_record_are_one_transaction(db):
    """Kill the transaction after the history event and the record: none of it stays."""
    node = _node()
    db_api.reserve_node('host-a', node['id'])
    passthru_calls.claim('req-1', 'host-a', {'node_id': node['id'], 'driver': 'fake-hardware',
                                            'method': 'm', 'http_method': 'POST'})
    outcome = {'event': 'Vendor passthru m succeeded', 'request_id': 'req-1'}

    def record_then_die(conn):
        assert passthru_calls.finish_in(conn, 'req-1', passthru_calls.SUCCEEDED, 'host-a', {})
        raise ConnectionError('the conductor died here')
    with pytest.raises(ConnectionError):
        db_api.release_node('host-a', node['id'], history=outcome, also=record_then_die)
    assert db_api.get_node(node['uuid'])['reservation'] == 'host-a'
    assert db_history.list_events(node['id']) == []
    assert passthru_calls.get('req-1')['state'] == passthru_calls.RUNNING

    db_api.release_node('host-a', node['id'], history=outcome, also=lambda conn: (
        passthru_calls.finish_in(conn, 'req-1', passthru_calls.SUCCEEDED, 'host-a', {})))
    assert db_api.get_node(node['uuid'])['reservation'] is None
    assert [e['event'] for e in db_history.list_events(node['id'])] == [outcome['event']]
    assert passthru_calls.get('req-1')['state'] == passthru_calls.SUCCEEDED
