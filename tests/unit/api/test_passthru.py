"""Vendor passthru calls that succeed: node and driver methods, both URL forms."""

import json

import pytest

from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST
from tests.unit.history_events import wait_for_event

NODE_URL = '/v1/nodes/fake1/vendor_passthru'
DRIVER_URL = '/v1/drivers/fake-hardware/vendor_passthru'


def _forms(base, method):
    return ['%s/%s' % (base, method), '%s?method=%s' % (base, method)]


# Ironic 39's answer for FakeVendorB (transcript, part 1, exchange 3), plus download_log.
IRONIC_METHODS = {
    'fourth_method_shared_lock': {'http_methods': ['POST'], 'async': True,
                                  'description': 'Test if the value of bar is woof',
                                  'attach': False, 'require_exclusive_lock': False},
    'log_passthrough': {'http_methods': ['POST'], 'async': True,
                        'description': 'Test pass-through to wait.', 'attach': False,
                        'require_exclusive_lock': True},
    'second_method': {'http_methods': ['POST'], 'async': True,
                      'description': 'Test if the value of bar is kazoo', 'attach': False,
                      'require_exclusive_lock': True},
    'third_method_sync': {'http_methods': ['POST'], 'async': False,
                          'description': 'Test if the value of bar is meow', 'attach': False,
                          'require_exclusive_lock': True},
}


@pytest.mark.parametrize('url', _forms(NODE_URL, 'third_method_sync'))
@pytest.mark.parametrize('bar,answer', [('meow', b'true'), ('woof', b'false')])
def test_sync_method_returns_its_value_unwrapped(client, node, url, bar, answer):
    resp = client.post(url, json={'bar': bar}, headers=LATEST)
    assert resp.status_code == 200
    assert resp.data == answer
    assert resp.content_type == 'application/json'
    assert db_api.get_node('fake1')['reservation'] is None


@pytest.mark.parametrize('method,body', [
    ('second_method', {'bar': 'kazoo'}),
    ('fourth_method_shared_lock', {'bar': 'woof'}),
    ('log_passthrough', {'anything': [1, 2]}),
    ('log_passthrough', None),
])
@pytest.mark.parametrize('form', [0, 1])
def test_async_method_202_empty_body_no_content_type(client, node, method, body, form):
    resp = client.post(_forms(NODE_URL, method)[form], json=body, headers=LATEST)
    assert resp.status_code == 202
    assert resp.data == b''
    assert 'Content-Type' not in resp.headers
    assert resp.headers['Content-Length'] == '0'
    wait_for_event(node['uuid'], '%s succeeded' % method)


@pytest.mark.parametrize('verb', ['GET', 'POST'])
def test_download_log_is_an_attachment(client, node, verb):
    resp = client.open(NODE_URL + '/download_log', method=verb, json={'size': 10},
                       headers=LATEST)
    assert resp.status_code == 200
    assert resp.data == b'anvil fake'
    assert resp.content_type == 'application/octet-stream'
    assert resp.headers['Content-Disposition'] == 'attachment'


def test_download_log_default_size_and_query_form(client, node):
    resp = client.get(NODE_URL + '?method=download_log', headers=LATEST)
    assert resp.status_code == 200
    assert len(resp.data) == 1024
    assert resp.data.startswith(b'anvil fake console line\n')


def test_node_methods_listed_like_ironic(client, node):
    resp = client.get(NODE_URL + '/methods', headers=LATEST)
    assert resp.status_code == 200
    expected = dict(IRONIC_METHODS, download_log={
        'http_methods': ['GET', 'POST'], 'async': False,
        'description': 'Return a fake console log of "size" bytes (default 1024) '
                       'as an attachment.',
        'attach': True, 'require_exclusive_lock': False})
    assert resp.data == json.dumps({k: expected[k] for k in sorted(expected)}).encode()


def test_no_vendor_node_lists_nothing(client):
    client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'nv',
                                   'vendor_interface': 'no-vendor'}, headers=LATEST)
    resp = client.get('/v1/nodes/nv/vendor_passthru/methods', headers=LATEST)
    assert (resp.status_code, resp.data) == (200, b'{}')


def test_driver_methods_listed(client):
    body = client.get(DRIVER_URL + '/methods', headers=LATEST).get_json()
    assert list(body) == ['driver_echo', 'driver_noop']
    assert body['driver_noop'] == {'http_methods': ['POST'], 'async': True,
                                   'description': 'Do nothing, in the background.',
                                   'attach': False, 'require_exclusive_lock': False}


@pytest.mark.parametrize('url', _forms(DRIVER_URL, 'driver_echo'))
def test_driver_sync_method(client, conductor, url):
    resp = client.post(url, json={'a': [1, {'b': None}]})
    assert resp.status_code == 200
    assert resp.get_json() == {'echo': {'a': [1, {'b': None}]}, 'conductor': 'test-host'}


@pytest.mark.parametrize('url', _forms(DRIVER_URL, 'driver_noop'))
def test_driver_async_method(client, url):
    resp = client.post(url)
    assert (resp.status_code, resp.data) == (202, b'')
    assert 'Content-Type' not in resp.headers


@pytest.mark.parametrize('verb', ['GET', 'PUT', 'PATCH', 'DELETE'])
def test_every_verb_reads_the_body_like_post(client, node, verb):
    resp = client.open(NODE_URL + '/third_method_sync', method=verb, data=b'[',
                       content_type='application/json', headers=LATEST)
    assert resp.status_code == 400
    assert b'Request body is not valid JSON' in resp.data


def test_same_method_in_path_and_query_is_accepted(client, node):
    resp = client.post(NODE_URL + '/third_method_sync?method=third_method_sync',
                       json={'bar': 'meow'}, headers=LATEST)
    assert (resp.status_code, resp.data) == (200, b'true')


def test_trailing_slash_query_form(client, node):
    resp = client.post(NODE_URL + '/?method=third_method_sync', json={'bar': 'meow'},
                       headers=LATEST)
    assert (resp.status_code, resp.data) == (200, b'true')
