"""The thin thread in one process: API -> local dispatcher -> conductor -> lock -> driver."""


from anvil.db import api as db_api
from anvil.db import history
from tests.polling import wait_for
from tests.unit.conftest import LATEST


def test_sync_method_returns_value_and_releases_lock(client, node):
    resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                       json={'bar': 'meow'}, headers=LATEST)
    assert resp.status_code == 200
    assert resp.data == b'true'
    assert db_api.get_node('fake1')['reservation'] is None


def test_async_method_202_and_outcome_in_history(client, node):
    resp = client.post('/v1/nodes/fake1/vendor_passthru?method=second_method',
                       json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 202
    assert resp.data == b''
    assert 'Content-Type' not in resp.headers
    request_id = resp.headers['x-openstack-request-id']
    events = wait_for(lambda: [e for e in history.list_events(node_id(node))
                                if 'succeeded' in e['event']])
    assert events[0]['request_id'] == request_id
    assert db_api.get_node('fake1')['reservation'] is None


def node_id(node):
    return db_api.get_node(node['uuid'])['id']
