"""Nodes: enroll, show (fields, versions, masking), maintenance, delete.

Listing is in test_nodes_list.py, JSON patch in test_nodes_patch.py.
"""

import json

import pytest

from anvil.api import node_view
from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault, version

DEFAULT_INTERFACES = {
    'bios_interface': 'no-bios', 'boot_interface': 'fake', 'console_interface': 'no-console',
    'deploy_interface': 'fake', 'firmware_interface': 'no-firmware',
    'inspect_interface': 'no-inspect', 'management_interface': 'fake',
    'network_interface': 'noop', 'power_interface': 'fake', 'raid_interface': 'no-raid',
    'rescue_interface': 'no-rescue', 'storage_interface': 'noop', 'vendor_interface': 'fake',
}
# What Ironic's node shows at 1.115 for the fields anvil does not manage.
IRONIC_DEFAULTS = {
    'allocation_uuid': None, 'automated_clean': None, 'boot_mode': None,
    'chassis_uuid': None, 'clean_step': {}, 'console_enabled': False, 'deploy_step': {},
    'description': None, 'disable_power_off': False, 'driver_internal_info': {},
    'fault': None, 'health': None, 'inspection_finished_at': None,
    'inspection_started_at': None, 'instance_info': {}, 'instance_name': None,
    'instance_uuid': None, 'lessee': None, 'maintenance_reason': None, 'network_data': {},
    'owner': None, 'parent_node': None, 'protected': False, 'protected_reason': None,
    'provision_updated_at': None, 'raid_config': {}, 'resource_class': None,
    'retired': False, 'retired_reason': None, 'secure_boot': None, 'service_step': {},
    'shard': None, 'target_power_state': None, 'target_provision_state': None,
    'target_raid_config': {}, 'traits': [],
}


def _create(client, headers=LATEST, **body):
    body.setdefault('driver', 'fake-hardware')
    return client.post('/v1/nodes', json=body, headers=headers)


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
                                  '1be26c0b-03f2-4d2e-ae87-c02d7f33c123', 5, 'detail'])
def test_create_bad_name_400(client, name):
    resp = _create(client, name=name)
    assert resp.status_code == 400
    assert 'node name' in fault(resp) or 'must be' in fault(resp)


@pytest.mark.parametrize('body,message', [
    ({'nosuch': 1}, 'Unknown attribute(s): nosuch'),
    ({'reservation': 'me'}, 'Read-only attribute(s) cannot be set: reservation'),
    ({'conductor': 'me'}, 'Read-only attribute(s) cannot be set: conductor'),
    ({'uuid': 'not-a-uuid'}, 'Expected a UUID but received not-a-uuid'),
    ({'driver_info': 'not an object'}, 'driver_info must be an object'),
    ({'extra': [1]}, 'extra must be an object'),
    ({'conductor_group': 'a b'},
     'Invalid conductor_group "a b": only letters, digits and _ - . : are allowed'),
])
def test_create_invalid_attributes_400(client, body, message):
    resp = _create(client, **body)
    assert resp.status_code == 400
    assert fault(resp) == message


@pytest.mark.parametrize('body', [{'description': 'me'}, {'resource_class': 'gold'},
                                  {'instance_info': {'a': 1}}, {'retired': True}])
def test_create_with_an_unmanaged_field_400_says_so(client, body):
    resp = _create(client, **body)
    assert resp.status_code == 400
    (field, value), = body.items()
    assert fault(resp) == ('anvil does not manage the node field(s) %s: %s is always %s'
                           % (field, field, json.dumps(node_view.UNMANAGED[field])))
    assert db_api.list_nodes() == []


@pytest.mark.parametrize('body', [{'owner': None}, {'retired': False}, {'instance_info': {}},
                                  {'description': None}])
def test_create_with_an_unmanaged_field_at_its_value_is_accepted(client, body):
    resp = _create(client, **body)
    assert resp.status_code == 201, resp.data
    (field, value), = body.items()
    assert resp.get_json()[field] == value


@pytest.mark.parametrize('ver,body', [('1.45', {'conductor_group': 'g'}),
                                      ('1.39', {'bios_interface': 'fake'}),
                                      ('1.30', {'vendor_interface': 'fake'}),
                                      ('1.4', {'name': 'n'})])
def test_create_with_a_field_newer_than_the_request_406(client, ver, body):
    resp = _create(client, headers=version(ver), **body)
    assert resp.status_code == 406
    field = next(iter(body))
    assert fault(resp) == ('The node field "%s" needs API version 1.%d or later; this '
                           'request is %s.' % (field, node_view.VERSIONED_FIELDS[field], ver))


def test_create_without_driver_400(client):
    resp = client.post('/v1/nodes', json={'name': 'n1'}, headers=LATEST)
    assert resp.status_code == 400
    assert fault(resp) == 'Mandatory field missing: driver'


def test_create_body_must_be_an_object(client):
    assert client.post('/v1/nodes', json=['fake-hardware'], headers=LATEST).status_code == 400
    assert client.post('/v1/nodes', data='{', headers=LATEST).status_code == 400


def test_create_duplicate_name_409_without_retry_after(client, node):
    resp = _create(client, name='fake1')
    assert resp.status_code == 409
    assert fault(resp) == 'A node with name fake1 already exists.'
    assert 'Retry-After' not in resp.headers  # retrying cannot help


# -- show: the fields clients read --------------------------------------------

@pytest.mark.parametrize('by', ['uuid', 'name'])
def test_show_by_uuid_and_name(client, node, by):
    resp = client.get('/v1/nodes/%s' % node[by], headers=LATEST)
    assert resp.status_code == 200
    assert resp.get_json() == node


def test_show_has_every_ironic_field(client, node):
    body = client.get('/v1/nodes/fake1', headers=LATEST).get_json()
    assert {k: body[k] for k in IRONIC_DEFAULTS} == IRONIC_DEFAULTS
    assert set(body) == set(IRONIC_DEFAULTS) | set(DEFAULT_INTERFACES) | {
        'uuid', 'name', 'driver', 'driver_info', 'extra', 'properties', 'reservation',
        'conductor', 'conductor_group', 'last_error', 'maintenance', 'provision_state',
        'power_state', 'created_at', 'updated_at', 'links'}
    assert body['created_at'].endswith('+00:00') and body['updated_at'] is None
    assert body['links'] == [
        {'href': 'http://localhost/v1/nodes/%s' % node['uuid'], 'rel': 'self'},
        {'href': 'http://localhost/nodes/%s' % node['uuid'], 'rel': 'bookmark'}]


def test_show_fields(client, node):
    body = client.get('/v1/nodes/fake1?fields=name,conductor,reservation,owner',
                      headers=LATEST).get_json()
    assert body == {'name': 'fake1', 'conductor': 'test-host', 'reservation': None,
                    'owner': None, 'links': node['links']}


@pytest.mark.parametrize('query,status,message', [
    ('fields=uuid,nosuch', 400, 'Field(s) "nosuch" are not valid'),
    ('nosuch=1', 400, 'Unknown query parameter(s): nosuch'),
])
def test_show_bad_query_400(client, node, query, status, message):
    resp = client.get('/v1/nodes/fake1?' + query, headers=LATEST)
    assert (resp.status_code, fault(resp)) == (status, message)


def test_show_unknown_404(client):
    resp = client.get('/v1/nodes/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Node nosuch could not be found.'


@pytest.mark.parametrize('ver,absent,present', [
    ('1.1', {'name', 'vendor_interface', 'conductor', 'conductor_group', 'owner', 'traits',
             'driver_internal_info'}, {'uuid', 'driver', 'driver_info', 'maintenance'}),
    ('1.31', {'bios_interface', 'storage_interface', 'conductor_group', 'conductor'},
     {'name', 'vendor_interface', 'network_interface', 'power_interface'}),
    ('1.46', {'conductor', 'owner'}, {'conductor_group', 'bios_interface', 'traits'}),
    ('1.49', {'owner', 'firmware_interface', 'health'}, {'conductor', 'protected'}),
    ('1.108', {'health'}, {'firmware_interface', 'instance_name'}),
])
def test_fields_follow_the_version(client, node, ver, absent, present):
    body = client.get('/v1/nodes/%s' % node['uuid'], headers=version(ver)).get_json()
    assert not absent & set(body)
    assert present <= set(body)


@pytest.mark.parametrize('ver,query,what', [
    ('1.48', 'fields=conductor', 'The node field "conductor" needs API version 1.49'),
    ('1.45', 'fields=uuid,conductor_group', 'The node field "conductor_group" needs API '
                                            'version 1.46'),
    ('1.7', 'fields=uuid', 'The "fields" query parameter needs API version 1.8'),
])
def test_asking_for_a_field_newer_than_the_request_406(client, node, ver, query, what):
    resp = client.get('/v1/nodes/%s?%s' % (node['uuid'], query), headers=version(ver))
    assert resp.status_code == 406
    assert fault(resp) == '%s or later; this request is %s.' % (what, ver)


def test_driver_info_secrets_are_masked(client):
    info = {'redfish_password': 'pw', 'redfish_username': 'admin', 'api_token': 't',
            'ssh_key_contents': 'k', 'empty_password': '', 'redfish_address': 'http://x',
            'nested': {'snmp_priv_key': 'p', 'port': 161}, 'list': [{'secret': 's'}]}
    body = _create(client, name='m', driver_info=info).get_json()
    assert body['driver_info'] == {
        'redfish_password': '******', 'redfish_username': 'admin', 'api_token': '******',
        'ssh_key_contents': '******', 'empty_password': '', 'redfish_address': 'http://x',
        'nested': {'snmp_priv_key': '******', 'port': 161}, 'list': [{'secret': '******'}]}
    for path in ('/v1/nodes/m', '/v1/nodes/detail', '/v1/nodes?fields=driver_info'):
        body_ = client.get(path, headers=LATEST).get_json()
        shown = body_['nodes'][0] if 'nodes' in body_ else body_
        assert shown['driver_info'] == body['driver_info'], path
    assert db_api.get_node('m')['driver_info'] == info


# -- maintenance (PUT/DELETE /v1/nodes/<n>/maintenance) ------------------------

def test_maintenance_set_and_unset_202(client, node):
    resp = client.put('/v1/nodes/fake1/maintenance', json={}, headers=LATEST)
    assert (resp.status_code, resp.data) == (202, b'')
    assert db_api.get_node('fake1')['maintenance'] is True
    resp = client.delete('/v1/nodes/fake1/maintenance', headers=LATEST)
    assert resp.status_code == 202
    assert db_api.get_node('fake1')['maintenance'] is False


def test_maintenance_with_a_reason_400(client, node):
    resp = client.put('/v1/nodes/fake1/maintenance', json={'reason': 'disk'}, headers=LATEST)
    assert resp.status_code == 400
    assert 'anvil does not keep a maintenance reason' in fault(resp)
    assert db_api.get_node('fake1')['maintenance'] is False


def test_maintenance_unknown_node_404(client):
    assert client.put('/v1/nodes/nosuch/maintenance', json={},
                      headers=LATEST).status_code == 404


# -- delete ------------------------------------------------------------------

def test_delete_204_then_404(client, node):
    resp = client.delete('/v1/nodes/fake1', headers=LATEST)
    assert resp.status_code == 204
    assert resp.data == b''
    assert 'Content-Type' not in resp.headers
    assert client.get('/v1/nodes/fake1', headers=LATEST).status_code == 404
    assert client.delete('/v1/nodes/fake1', headers=LATEST).status_code == 404


def test_delete_reserved_node_409_with_retry_after(client, node):
    db_api.update_node(node['uuid'], {'reservation': 'other-host'})
    resp = client.delete('/v1/nodes/fake1', headers=LATEST)
    assert resp.status_code == 409
    assert fault(resp) == ('Node %s is locked by host other-host, please retry after the '
                           'current operation is completed.' % node['uuid'])
    assert resp.headers['Retry-After'] == '1'  # 3 attempts x 0.1 s in the unit conductor
    assert db_api.get_node('fake1')['reservation'] == 'other-host'
