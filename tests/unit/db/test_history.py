"""Node history, and the events reserve/release write in their own transaction."""

import pytest
from oslo_utils import uuidutils

from anvil.common import exception
from anvil.db import api as db_api
from anvil.db import history as db_history


@pytest.fixture
def node(db):
    return db_api.create_node({'driver': 'fake-hardware', 'name': 'n1'})


def test_add_and_list_in_order(node):
    db_history.add_event(node['id'], event='first', request_id='req-1', user='u1')
    db_history.add_event(node['id'], event='second', severity='ERROR', event_type='custom')
    events = db_history.list_events(node['id'])
    assert [e['event'] for e in events] == ['first', 'second']
    first, second = events
    assert (first['event_type'], first['severity']) == (db_history.PASSTHRU, 'INFO')
    assert (first['request_id'], first['user']) == ('req-1', 'u1')
    assert (second['event_type'], second['severity']) == ('custom', 'ERROR')
    assert uuidutils.is_uuid_like(first['uuid']) and first['created_at'] is not None
    assert db_history.list_events(node['id'], limit=1) == [first]


def test_get_event(node):
    db_history.add_event(node['id'], event='x')
    [event] = db_history.list_events(node['id'])
    assert db_history.get_event(node['id'], event['uuid']) == event
    assert db_history.get_event(node['id'], uuidutils.generate_uuid()) is None


def test_events_belong_to_their_node(node):
    other = db_api.create_node({'driver': 'fake-hardware'})
    db_history.add_event(node['id'], event='mine')
    [event] = db_history.list_events(node['id'])
    assert db_history.list_events(other['id']) == []
    assert db_history.get_event(other['id'], event['uuid']) is None


def test_event_can_set_last_error(node):
    db_history.add_event(node['id'], event='failed', severity='ERROR', last_error='boom')
    assert db_api.get_node_by_id(node['id'])['last_error'] == 'boom'
    assert 'last_error' not in db_history.list_events(node['id'])[0]


def test_reserve_records_its_event(node):
    db_api.reserve_node('host-a', node['id'], history={'event': 'locked', 'conductor': 'host-a'})
    assert [(e['event'], e['conductor']) for e in db_history.list_events(node['id'])] == [
        ('locked', 'host-a')]


def test_failed_reserve_records_nothing(node):
    db_api.reserve_node('host-a', node['id'])
    with pytest.raises(exception.NodeLocked):
        db_api.reserve_node('host-b', node['id'], history={'event': 'locked'})
    assert db_history.list_events(node['id']) == []


def test_reserve_and_its_event_are_one_transaction(node):
    """An event that cannot be written takes the reservation down with it."""
    with pytest.raises(Exception):  # noqa: B017 (any DB error will do)
        db_api.reserve_node('host-a', node['id'], history={'no_such_column': 'x'})
    assert db_api.get_node_by_id(node['id'])['reservation'] is None
    assert db_history.list_events(node['id']) == []


def test_release_and_its_event_are_one_transaction(node):
    db_api.reserve_node('host-a', node['id'])
    with pytest.raises(Exception):  # noqa: B017 (any DB error will do)
        db_api.release_node('host-a', node['id'], history={'no_such_column': 'x'})
    assert db_api.get_node_by_id(node['id'])['reservation'] == 'host-a'
    assert db_api.release_node('host-a', node['id'], history={'event': 'done'}) is True
    assert [e['event'] for e in db_history.list_events(node['id'])] == ['done']
