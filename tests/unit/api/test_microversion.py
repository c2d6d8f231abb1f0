"""Microversion negotiation: headers on every response, 406 outside the range."""

import json

import pytest

from tests.unit.api.helpers import LATEST, fault, version

MIN = 'X-OpenStack-Ironic-API-Minimum-Version'
MAX = 'X-OpenStack-Ironic-API-Maximum-Version'
VER = 'X-OpenStack-Ironic-API-Version'

# Byte for byte what Ironic 39 answers (transcript, part 1, exchange 4).
IRONIC_406 = (b'{"error_message": "{\\"code\\": 406, \\"title\\": \\"Not Acceptable\\", '
              b'\\"description\\": \\"Version 1.999 was requested but the minor version is '
              b'not supported by this service. The supported version range is: '
              b'[1.1, 1.115].\\"}"}')


@pytest.mark.parametrize('method,path,status', [
    ('GET', '/', 200),
    ('GET', '/v1', 200),
    ('GET', '/v1/nodes', 200),
    ('GET', '/v1/nodes/nosuch', 404),
    ('GET', '/v1/nosuch', 404),
    ('POST', '/v1/nodes', 400),
    ('GET', '/v1/drivers/nosuch/vendor_passthru/methods', 404),
])
def test_every_response_carries_the_version_headers(client, method, path, status):
    resp = client.open(path, method=method)
    assert resp.status_code == status
    assert (resp.headers[MIN], resp.headers[MAX], resp.headers[VER]) == ('1.1', '1.115', '1.1')


@pytest.mark.parametrize('headers,expected', [
    ({}, '1.1'),
    (version('1.50'), '1.50'),
    (version('latest'), '1.115'),
    ({'OpenStack-API-Version': 'baremetal 1.78'}, '1.78'),
    ({'OpenStack-API-Version': 'baremetal latest'}, '1.115'),
    ({'OpenStack-API-Version': 'compute 1.99'}, '1.1'),
])
def test_requested_version_is_echoed(client, headers, expected):
    assert client.get('/v1/nodes', headers=headers).headers[VER] == expected


def test_406_has_ironic_body_and_range_headers_but_no_version(client, node):
    resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                       json={'bar': 'meow'}, headers=version('1.999'))
    assert resp.status_code == 406
    assert resp.data == IRONIC_406
    assert resp.content_type == 'application/json'
    assert (resp.headers[MIN], resp.headers[MAX]) == ('1.1', '1.115')
    assert VER not in resp.headers


@pytest.mark.parametrize('headers', [
    version('1.0'), version('2.1'), version('0.9'),
    {'OpenStack-API-Version': 'baremetal 1.116'},
])
def test_version_outside_the_range_is_406(client, headers):
    resp = client.get('/v1/nodes', headers=headers)
    assert resp.status_code == 406
    assert 'The supported version range is: [1.1, 1.115].' in _description(resp)


@pytest.mark.parametrize('raw', ['1.a', 'abc', '1', '1.', '1.2.3', ''])
def test_malformed_version_is_406(client, raw):
    resp = client.get('/v1/nodes', headers=version(raw))
    assert resp.status_code == 406, raw
    assert resp.headers[MAX] == '1.115'
    assert VER not in resp.headers


def test_malformed_version_in_new_header_is_406(client):
    resp = client.get('/v1', headers={'OpenStack-API-Version': 'baremetal one'})
    assert resp.status_code == 406


def test_no_header_means_1_1_so_names_are_not_found(client, node):
    resp = client.get('/v1/nodes/fake1/vendor_passthru/methods')
    assert resp.status_code == 404
    assert fault(resp) == 'Node fake1 could not be found.'


@pytest.mark.parametrize('v,status', [('1.4', 404), ('1.5', 200)])
def test_names_need_1_5(client, node, v, status):
    assert client.get('/v1/nodes/fake1', headers=version(v)).status_code == status


def test_uuid_works_without_header(client, node):
    resp = client.get('/v1/nodes/%s/vendor_passthru/methods' % node['uuid'])
    assert resp.status_code == 200
    assert resp.headers[VER] == '1.1'
    assert client.get('/v1/nodes/%s' % node['uuid']).status_code == 200


def test_latest_reaches_version_gated_resources(client):
    assert client.get('/v1/conductors').status_code == 404
    assert client.get('/v1/conductors', headers=LATEST).status_code == 200


def _description(resp):
    return json.loads(resp.get_json()['error_message'])['description']
