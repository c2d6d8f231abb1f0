"""Node history, behind API 1.78; async outcomes carry the request id."""

import pytest

from tests.unit.api.helpers import LATEST, fault, version
from tests.unit.history_events import wait_for_event

LIST_KEYS = {'uuid', 'created_at', 'severity', 'event', 'request_id', 'links'}


@pytest.fixture
def ran(client, node):
    """second_method ran on fake1; returns the request id of the 202."""
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method',
                       json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 202
    wait_for_event(node['uuid'], 'second_method succeeded')
    return resp.headers['x-openstack-request-id']


def _history(client, query=''):
    resp = client.get('/v1/nodes/fake1/history' + query, headers=LATEST)
    assert resp.status_code == 200, resp.data
    return resp.get_json()['history']


@pytest.mark.parametrize('path', ['/v1/nodes/%s/history',
                                  '/v1/nodes/%s/history/7ab5e7ad-0000-4000-8000-000000000000'])
def test_needs_1_78(client, node, path):
    assert client.get(path % node['uuid'], headers=version('1.77')).status_code == 404


def test_list_records_the_async_outcome_with_the_request_id(client, ran):
    events = _history(client)
    assert [e['event'] for e in events] == ['Vendor passthru second_method started',
                                            'Vendor passthru second_method succeeded: '
                                            'returned True']
    assert {e['request_id'] for e in events} == {ran}
    assert all(set(e) == LIST_KEYS for e in events)
    assert events[0]['severity'] == 'INFO'


def test_list_limit(client, ran):
    assert len(_history(client, '?limit=1')) == 1


def test_detail(client, ran):
    event = _history(client, '?detail=True')[0]
    assert set(event) == LIST_KEYS | {'event_type', 'conductor', 'user'}
    assert (event['event_type'], event['conductor']) == ('passthru', 'test-host')


def test_show(client, node, ran):
    first = _history(client)[0]
    resp = client.get('/v1/nodes/fake1/history/%s' % first['uuid'], headers=LATEST)
    assert resp.status_code == 200
    event = resp.get_json()
    assert event['request_id'] == ran
    assert event['links'][0]['href'] == \
        'http://localhost/v1/nodes/%s/history/%s' % (node['uuid'], first['uuid'])


def test_show_unknown_event_404(client, node):
    resp = client.get('/v1/nodes/fake1/history/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Node history record nosuch could not be found.'


def test_unknown_node_404(client):
    assert client.get('/v1/nodes/nosuch/history', headers=LATEST).status_code == 404


def test_failed_async_call_is_recorded_as_an_error(client, node, conf):
    conf.set_override('vendor_delay', 'soon', group='fake')
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method',
                       json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 202
    event = wait_for_event(node['uuid'], 'second_method failed')
    assert event['severity'] == 'ERROR'
    assert event['request_id'] == resp.headers['x-openstack-request-id']
    body = client.get('/v1/nodes/fake1', headers=LATEST).get_json()
    assert body['last_error'] == event['event']
    assert 'vendor_delay' in body['last_error']
