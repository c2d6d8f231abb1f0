"""Nodes: enroll, list, show, JSON patch, delete."""

import pytest

from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault

DEFAULT_INTERFACES = {
    'bios_interface': 'no-bios', 'boot_interface': 'fake', 'console_interface': 'no-console',
    'deploy_interface': 'fake', 'firmware_interface': 'no-firmware',
    'inspect_interface': 'no-inspect', 'management_interface': 'fake',
    'network_interface': 'noop', 'power_interface': 'fake', 'raid_interface': 'no-raid',
    'rescue_interface': 'no-rescue', 'storage_interface': 'noop', 'vendor_interface': 'fake',
}


def _create(client, **body):
    body.setdefault('driver', 'fake-hardware')
    return client.post('/v1/nodes', json=body, headers=LATEST)


def _patch(client, ident, ops):
    return client.patch('/v1/nodes/%s' % ident, json=ops, headers=LATEST)


# -- create ------------------------------------------------------------------

def test_create_answers_201_with_location(client):
    resp = _create(client, name='n1')
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers['Location'] == 'http://localhost/v1/nodes/%s' % body['uuid']
    assert body['links'][0] == {'href': resp.headers['Location'], 'rel': 'self'}


def test_create_fills_interfaces_from_the_hardware_type(client):
    body = _create(client, name='n1').get_json()
    assert {k: body[k] for k in DEFAULT_INTERFACES} == DEFAULT_INTERFACES
    assert (body['provision_state'], body['maintenance'], body['reservation']) == \
        ('enroll', False, None)
    assert (body['driver_info'], body['extra'], body['conductor']) == ({}, {}, 'test-host')


def test_create_keeps_a_supported_interface(client):
    body = _create(client, vendor_interface='no-vendor', bios_interface='fake').get_json()
    assert (body['vendor_interface'], body['bios_interface']) == ('no-vendor', 'fake')


def test_create_with_given_uuid(client):
    uuid = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'
    assert _create(client, uuid=uuid).get_json()['uuid'] == uuid
    assert _create(client, uuid=uuid).status_code == 409


def test_create_unknown_driver_400(client):
    resp = _create(client, driver='nosuch')
    assert resp.status_code == 400
    assert fault(resp) == "The driver 'nosuch' is unknown."


@pytest.mark.parametrize('body', [
    {'vendor_interface': 'nosuch'},
    {'power_interface': 'ipmitool'},
    {'vendor_interface': 5},
])
def test_create_bad_interface_400(client, body):
    assert _create(client, **body).status_code == 400


@pytest.mark.parametrize('name', ['has space', 'a/b', '', 'x' * 256,
                                  '1be26c0b-03f2-4d2e-ae87-c02d7f33c123', 5])
def test_create_bad_name_400(client, name):
    resp = _create(client, name=name)
    assert resp.status_code == 400
    assert 'node name' in fault(resp) or 'must be' in fault(resp)


@pytest.mark.parametrize('body', [
    {'nosuch': 1}, {'reservation': 'me'}, {'uuid': 'not-a-uuid'},
    {'driver_info': 'not an object'}, {'extra': [1]},
])
def test_create_invalid_attributes_400(client, body):
    assert _create(client, **body).status_code == 400


def test_create_without_driver_400(client):
    resp = client.post('/v1/nodes', json={'name': 'n1'}, headers=LATEST)
    assert resp.status_code == 400
    assert fault(resp) == 'Mandatory field missing: driver'


def test_create_body_must_be_an_object(client):
    assert client.post('/v1/nodes', json=['fake-hardware'], headers=LATEST).status_code == 400
    assert client.post('/v1/nodes', data='{', headers=LATEST).status_code == 400


def test_create_duplicate_name_409(client, node):
    resp = _create(client, name='fake1')
    assert resp.status_code == 409
    assert fault(resp) == 'A node with name fake1 already exists.'


# -- list --------------------------------------------------------------------

@pytest.fixture
def three(client):
    """Nodes a, b, c: b in maintenance, c in conductor group g1."""
    uuids = [_create(client, name='a').get_json()['uuid'],
             _create(client, name='b', maintenance=True).get_json()['uuid'],
             _create(client, name='c', conductor_group='g1').get_json()['uuid']]
    return uuids


def _names(resp):
    assert resp.status_code == 200, resp.data
    return [n['name'] for n in resp.get_json()['nodes']]


def test_list_default_fields(client, node):
    nodes = client.get('/v1/nodes', headers=LATEST).get_json()['nodes']
    assert sorted(nodes[0]) == sorted(['uuid', 'name', 'instance_uuid', 'power_state',
                                       'provision_state', 'maintenance', 'links'])


def test_list_fields(client, node):
    body = client.get('/v1/nodes?fields=uuid,driver', headers=LATEST).get_json()
    assert body['nodes'] == [{'uuid': node['uuid'], 'driver': 'fake-hardware',
                              'links': node['links']}]


def test_list_unknown_field_400(client, node):
    assert client.get('/v1/nodes?fields=uuid,nosuch', headers=LATEST).status_code == 400


@pytest.mark.parametrize('path', ['/v1/nodes?detail=True', '/v1/nodes/detail'])
def test_detail_lists_every_field(client, node, path):
    nodes = client.get(path, headers=LATEST).get_json()['nodes']
    assert nodes[0] == node


def test_detail_with_fields_400(client):
    assert client.get('/v1/nodes?detail=True&fields=uuid', headers=LATEST).status_code == 400


def test_list_pages_with_limit_marker_and_next(client, three):
    body = client.get('/v1/nodes?limit=2', headers=LATEST).get_json()
    assert [n['uuid'] for n in body['nodes']] == three[:2]
    assert body['next'] == 'http://localhost/v1/nodes?limit=2&marker=%s' % three[1]
    last = client.get(body['next'], headers=LATEST).get_json()
    assert [n['uuid'] for n in last['nodes']] == three[2:]
    assert 'next' not in last


def test_list_unknown_marker_404(client, three):
    resp = client.get('/v1/nodes?marker=1be26c0b-03f2-4d2e-ae87-c02d7f33c123', headers=LATEST)
    assert resp.status_code == 404


def test_list_negative_limit_400(client):
    assert client.get('/v1/nodes?limit=-1', headers=LATEST).status_code == 400


@pytest.mark.parametrize('query,expected', [
    ('sort_key=name&sort_dir=desc', ['c', 'b', 'a']),
    ('sort_key=name&sort_dir=asc', ['a', 'b', 'c']),
    ('sort_key=name&sort_dir=desc&limit=1&marker=', None),
])
def test_list_sorted(client, three, query, expected):
    if expected is None:  # a marker keeps the sort order
        query += three[1]
        expected = ['a']
    assert _names(client.get('/v1/nodes?' + query, headers=LATEST)) == expected


@pytest.mark.parametrize('query', ['sort_key=reservation', 'sort_dir=up'])
def test_list_bad_sort_400(client, query):
    assert client.get('/v1/nodes?' + query, headers=LATEST).status_code == 400


@pytest.mark.parametrize('query,expected', [
    ('driver=fake-hardware', ['a', 'b', 'c']),
    ('driver=redfish', []),
    ('conductor_group=g1', ['c']),
    ('maintenance=true', ['b']),
    ('maintenance=false', ['a', 'c']),
])
def test_list_filters(client, three, query, expected):
    assert _names(client.get('/v1/nodes?' + query, headers=LATEST)) == expected


# -- show --------------------------------------------------------------------

@pytest.mark.parametrize('by', ['uuid', 'name'])
def test_show_by_uuid_and_name(client, node, by):
    resp = client.get('/v1/nodes/%s' % node[by], headers=LATEST)
    assert resp.status_code == 200
    assert resp.get_json() == node


def test_show_fields(client, node):
    body = client.get('/v1/nodes/fake1?fields=name,conductor,reservation',
                      headers=LATEST).get_json()
    assert body == {'name': 'fake1', 'conductor': 'test-host', 'reservation': None,
                    'links': node['links']}


def test_show_unknown_404(client):
    resp = client.get('/v1/nodes/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Node nosuch could not be found.'


def test_conductor_fields_follow_the_version(client, node):
    old = client.get('/v1/nodes/%s' % node['uuid'],
                     headers={'X-OpenStack-Ironic-API-Version': '1.36'}).get_json()
    assert 'conductor' not in old and 'conductor_group' not in old


def test_driver_info_secrets_are_masked(client):
    info = {'redfish_password': 'pw', 'redfish_username': 'admin', 'api_token': 't',
            'ssh_key_contents': 'k', 'empty_password': '', 'redfish_address': 'http://x'}
    body = _create(client, name='m', driver_info=info).get_json()
    assert body['driver_info'] == {
        'redfish_password': '******', 'redfish_username': 'admin', 'api_token': '******',
        'ssh_key_contents': '******', 'empty_password': '', 'redfish_address': 'http://x'}
    assert client.get('/v1/nodes/m', headers=LATEST).get_json()['driver_info'] == \
        body['driver_info']
    assert db_api.get_node('m')['driver_info'] == info


# -- patch -------------------------------------------------------------------

def test_patch_name(client, node):
    resp = _patch(client, 'fake1', [{'op': 'replace', 'path': '/name', 'value': 'renamed'}])
    assert resp.status_code == 200
    assert resp.get_json()['name'] == 'renamed'
    assert db_api.get_node(node['uuid'])['name'] == 'renamed'


def test_patch_remove_name(client, node):
    resp = _patch(client, 'fake1', [{'op': 'remove', 'path': '/name'}])
    assert resp.get_json()['name'] is None


def test_patch_extra_add_replace_remove(client, node):
    ops = [{'op': 'add', 'path': '/extra/a', 'value': 1},
           {'op': 'add', 'path': '/extra/b', 'value': {'c': 2}}]
    assert _patch(client, 'fake1', ops).get_json()['extra'] == {'a': 1, 'b': {'c': 2}}
    ops = [{'op': 'replace', 'path': '/extra/a', 'value': 'x'},
           {'op': 'remove', 'path': '/extra/b'}]
    assert _patch(client, 'fake1', ops).get_json()['extra'] == {'a': 'x'}


def test_patch_driver_info_masks_and_stores(client, node):
    ops = [{'op': 'add', 'path': '/driver_info/redfish_password', 'value': 'pw'},
           {'op': 'add', 'path': '/driver_info/redfish_username', 'value': 'u'}]
    body = _patch(client, 'fake1', ops).get_json()
    assert body['driver_info'] == {'redfish_password': '******', 'redfish_username': 'u'}
    assert db_api.get_node('fake1')['driver_info']['redfish_password'] == 'pw'
    resp = _patch(client, 'fake1', [{'op': 'remove', 'path': '/driver_info/redfish_password'}])
    assert resp.get_json()['driver_info'] == {'redfish_username': 'u'}


@pytest.mark.parametrize('field,default', [('extra', {}), ('maintenance', False),
                                           ('conductor_group', '')])
def test_patch_remove_resets_to_the_default(client, node, field, default):
    resp = _patch(client, 'fake1', [{'op': 'remove', 'path': '/%s' % field}])
    assert resp.status_code == 200
    assert resp.get_json()[field] == default


def test_patch_vendor_interface(client, node):
    ops = [{'op': 'replace', 'path': '/vendor_interface', 'value': 'no-vendor'}]
    assert _patch(client, 'fake1', ops).get_json()['vendor_interface'] == 'no-vendor'
    ops = [{'op': 'replace', 'path': '/vendor_interface', 'value': 'nosuch'}]
    assert _patch(client, 'fake1', ops).status_code == 400


@pytest.mark.parametrize('ops', [
    [{'op': 'add', 'path': '/nosuch', 'value': 1}],
    [{'op': 'replace', 'path': '/uuid', 'value': '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'}],
    [{'op': 'replace', 'path': '/reservation', 'value': 'me'}],
    [{'op': 'replace', 'path': '/conductor', 'value': 'me'}],
    [{'op': 'remove', 'path': '/extra/nosuch'}],
    [{'op': 'replace', 'path': '/driver', 'value': 'nosuch'}],
    [{'op': 'remove', 'path': '/driver'}],
    [{'op': 'replace', 'path': '/name', 'value': 'has space'}],
    [{'op': 'frobnicate', 'path': '/name', 'value': 'x'}],
    [{'path': '/name', 'value': 'x'}],
    [{'op': 'replace', 'path': '/driver_info', 'value': [1]}],
    [{'op': 'replace', 'path': '/extra', 'value': 'x'}],
    [{'op': 'replace', 'path': '/maintenance', 'value': 'yes'}],
])
def test_patch_bad_path_or_read_only_400(client, node, ops):
    resp = _patch(client, 'fake1', ops)
    assert resp.status_code == 400, resp.data
    assert db_api.get_node(node['uuid'])['name'] == 'fake1'


@pytest.mark.parametrize('body', [{'op': 'replace', 'path': '/name', 'value': 'x'}, 'x', None])
def test_patch_body_must_be_a_list(client, node, body):
    assert _patch(client, 'fake1', body).status_code == 400


def test_patch_duplicate_name_409(client, node):
    _create(client, name='other')
    resp = _patch(client, 'fake1', [{'op': 'replace', 'path': '/name', 'value': 'other'}])
    assert resp.status_code == 409


def test_patch_unknown_node_404(client):
    resp = _patch(client, 'nosuch', [{'op': 'remove', 'path': '/name'}])
    assert resp.status_code == 404


# -- delete ------------------------------------------------------------------

def test_delete_204_then_404(client, node):
    resp = client.delete('/v1/nodes/fake1', headers=LATEST)
    assert resp.status_code == 204
    assert resp.data == b''
    assert 'Content-Type' not in resp.headers
    assert client.get('/v1/nodes/fake1', headers=LATEST).status_code == 404
    assert client.delete('/v1/nodes/fake1', headers=LATEST).status_code == 404


def test_delete_reserved_node_409(client, node):
    db_api.update_node(node['uuid'], {'reservation': 'other-host'})
    resp = client.delete('/v1/nodes/fake1', headers=LATEST)
    assert resp.status_code == 409
    assert fault(resp) == ('Node %s is locked by host other-host, please retry after the '
                           'current operation is completed.' % node['uuid'])
    assert db_api.get_node('fake1')['reservation'] == 'other-host'
