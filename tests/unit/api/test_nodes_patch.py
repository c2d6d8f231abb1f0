"""Node JSON patch: what ``baremetal node set/unset`` and the SDK send, and the 400s/406s."""

import json

import pytest

from anvil.api import node_view
from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault, version


def _patch(client, ident, ops, query='', headers=LATEST):
    return client.patch('/v1/nodes/%s%s' % (ident, query), json=ops, headers=headers)


def _add(path, value):
    return {'op': 'add', 'path': path, 'value': value}


def _remove(path):
    return {'op': 'remove', 'path': path}


# -- node set: every "add" the CLI sends ---------------------------------------

@pytest.mark.parametrize('op,field,expected', [
    (_add('/name', 'renamed'), 'name', 'renamed'),
    (_add('/conductor_group', 'g1'), 'conductor_group', 'g1'),
    (_add('/vendor_interface', 'no-vendor'), 'vendor_interface', 'no-vendor'),
    (_add('/bios_interface', 'fake'), 'bios_interface', 'fake'),
    (_add('/extra/a', 1), 'extra', {'a': 1}),
    (_add('/properties/cpus', 8), 'properties', {'cpus': 8}),
    (_add('/driver_info/redfish_username', 'u'), 'driver_info', {'redfish_username': 'u'}),
    (_add('/maintenance', True), 'maintenance', True),
    (_add('/driver', 'fake-hardware'), 'driver', 'fake-hardware'),
])
def test_set_one_field(client, node, op, field, expected):
    resp = _patch(client, 'fake1', [op])
    assert resp.status_code == 200, resp.data
    assert resp.get_json()[field] == expected
    assert db_api.get_node(node['uuid'])[field] == expected


def test_patch_answers_the_whole_node(client, node):
    body = _patch(client, 'fake1', [_add('/extra/a', 1)]).get_json()
    assert set(body) == set(node)
    assert body['updated_at'] is not None


def test_patch_extra_add_replace_remove(client, node):
    ops = [_add('/extra/a', 1), _add('/extra/b', {'c': 2})]
    assert _patch(client, 'fake1', ops).get_json()['extra'] == {'a': 1, 'b': {'c': 2}}
    ops = [{'op': 'replace', 'path': '/extra/a', 'value': 'x'}, _remove('/extra/b')]
    assert _patch(client, 'fake1', ops).get_json()['extra'] == {'a': 'x'}


def test_patch_driver_info_masks_and_stores(client, node):
    ops = [_add('/driver_info/redfish_password', 'pw'), _add('/driver_info/redfish_username',
                                                             'u')]
    body = _patch(client, 'fake1', ops).get_json()
    assert body['driver_info'] == {'redfish_password': '******', 'redfish_username': 'u'}
    assert db_api.get_node('fake1')['driver_info']['redfish_password'] == 'pw'
    resp = _patch(client, 'fake1', [_remove('/driver_info/redfish_password')])
    assert resp.get_json()['driver_info'] == {'redfish_username': 'u'}


def test_patch_by_name_renaming_the_node(client, node):
    resp = _patch(client, 'fake1', [_add('/name', 'renamed'), _add('/extra/k', 'v')])
    assert resp.status_code == 200
    assert client.get('/v1/nodes/renamed', headers=LATEST).get_json()['extra'] == {'k': 'v'}


# -- node unset: every "remove" the CLI sends -----------------------------------

@pytest.mark.parametrize('field,default', [
    ('name', None), ('extra', {}), ('maintenance', False), ('conductor_group', ''),
    ('driver_info', {}), ('properties', {}),
    ('vendor_interface', 'fake'), ('power_interface', 'fake'), ('bios_interface', 'no-bios'),
])
def test_unset_resets_to_the_default(client, node, field, default):
    ops = [_add('/bios_interface', 'fake'), _add('/vendor_interface', 'no-vendor'),
           _add('/conductor_group', 'g'), _add('/extra/a', 1), _add('/maintenance', True)]
    assert _patch(client, 'fake1', ops).status_code == 200
    resp = _patch(client, 'fake1', [_remove('/%s' % field)])
    assert resp.status_code == 200, resp.data
    assert resp.get_json()[field] == default


@pytest.mark.parametrize('field', ['owner', 'lessee', 'description', 'resource_class',
                                   'instance_uuid', 'retired', 'protected', 'shard',
                                   'automated_clean', 'chassis_uuid', 'parent_node'])
def test_unset_an_unmanaged_field_changes_nothing(client, node, field):
    resp = _patch(client, 'fake1', [_remove('/%s' % field)])
    assert resp.status_code == 200, resp.data
    assert resp.get_json() == client.get('/v1/nodes/fake1', headers=LATEST).get_json()
    assert resp.get_json()['updated_at'] is None


@pytest.mark.parametrize('op', [_add('/shard', 'me'), _add('/resource_class', 'gold'),
                                _add('/instance_info/image', 'x'), _add('/retired', True),
                                _add('/description', 'rack 4')])
def test_set_an_unmanaged_field_400_says_so(client, node, op):
    resp = _patch(client, 'fake1', [op])
    assert resp.status_code == 400
    field = op['path'].split('/')[1]
    assert fault(resp) == ('anvil does not manage the node field(s) %s: %s is always %s'
                           % (field, field, json.dumps(node_view.UNMANAGED[field])))


@pytest.mark.parametrize('op', [_add('/owner', None), _add('/retired', False),
                                _add('/instance_info', {})])
def test_set_an_unmanaged_field_to_its_value_is_a_no_op(client, node, op):
    assert _patch(client, 'fake1', [op]).status_code == 200


# -- the driver and its interfaces ----------------------------------------------

def test_reset_interfaces_needs_a_driver_change(client, node):
    resp = _patch(client, 'fake1', [_add('/extra/a', 1)], '?reset_interfaces=True')
    assert resp.status_code == 400
    assert fault(resp) == ("The reset_interfaces parameter can only be used when changing "
                           "the node's driver.")


def test_reset_interfaces_resets_those_not_given(client, node):
    ops = [_add('/bios_interface', 'fake'), _add('/vendor_interface', 'no-vendor')]
    assert _patch(client, 'fake1', ops).status_code == 200
    ops = [_add('/driver', 'fake-hardware'), _add('/vendor_interface', 'no-vendor')]
    body = _patch(client, 'fake1', ops, '?reset_interfaces=True').get_json()
    assert (body['bios_interface'], body['vendor_interface']) == ('no-bios', 'no-vendor')


@pytest.mark.parametrize('query,status', [('?reset_interfaces=maybe', 400),
                                          ('?nosuch=1', 400)])
def test_bad_patch_query_400(client, node, query, status):
    assert _patch(client, 'fake1', [_add('/driver', 'fake-hardware')], query).status_code \
        == status


def test_reset_interfaces_needs_1_45(client, node):
    resp = _patch(client, 'fake1', [_add('/driver', 'fake-hardware')],
                  '?reset_interfaces=True', headers=version('1.44'))
    assert resp.status_code == 406


def test_unsupported_interface_400_names_the_supported(client, node):
    resp = _patch(client, 'fake1', [_add('/vendor_interface', 'nosuch')])
    assert resp.status_code == 400
    assert fault(resp) == ('Hardware type fake-hardware does not support vendor interface '
                           'nosuch; supported: fake, no-vendor')


# -- bad paths and values --------------------------------------------------------

@pytest.mark.parametrize('ops,message', [
    ([_add('/nosuch', 1)], 'Cannot patch /nosuch. Only the following can be updated: '),
    ([{'op': 'replace', 'path': '/uuid', 'value': '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'}],
     'Cannot patch /uuid.'),
    ([{'op': 'replace', 'path': '/reservation', 'value': 'me'}], 'Cannot patch /reservation.'),
    ([{'op': 'replace', 'path': '/conductor', 'value': 'me'}], 'Cannot patch /conductor.'),
    ([{'op': 'replace', 'path': '/last_error', 'value': 'x'}], 'Cannot patch /last_error.'),
    ([{'op': 'replace', 'path': '/provision_state', 'value': 'active'}],
     'Cannot patch /provision_state.'),
    ([_remove('/extra/nosuch')], "Couldn't apply patch "),
    ([{'op': 'replace', 'path': '/driver', 'value': 'nosuch'}],
     "The driver 'nosuch' is unknown."),
    ([_remove('/driver')], 'Mandatory field missing: driver'),
    ([{'op': 'replace', 'path': '/name', 'value': 'has space'}],
     'Cannot use "has space" as a node name'),
    ([{'op': 'frobnicate', 'path': '/name', 'value': 'x'}], 'Invalid patch operation '),
    ([{'path': '/name', 'value': 'x'}], 'Invalid patch operation '),
    ([{'op': 'add', 'path': 'name', 'value': 'x'}], 'Invalid patch operation '),
    ([{'op': 'add', 'path': '/name'}], 'Invalid patch operation '),
    (['x'], 'Invalid patch operation '),
    ([{'op': 'replace', 'path': '/driver_info', 'value': [1]}],
     'driver_info must be an object'),
    ([{'op': 'replace', 'path': '/extra', 'value': 'x'}], 'extra must be an object'),
    ([{'op': 'replace', 'path': '/maintenance', 'value': 'yes'}],
     'maintenance must be a boolean'),
    ([{'op': 'add', 'path': '/conductor_group', 'value': 'a b'}],
     'Invalid conductor_group "a b"'),
    ([{'op': 'move', 'from': '/uuid', 'path': '/name'}], 'Cannot patch /uuid.'),
])
def test_bad_path_or_value_400(client, node, ops, message):
    resp = _patch(client, 'fake1', ops)
    assert resp.status_code == 400, resp.data
    assert fault(resp).startswith(message), fault(resp)
    assert db_api.get_node(node['uuid'])['name'] == 'fake1'
    assert db_api.get_node(node['uuid'])['updated_at'] is None


@pytest.mark.parametrize('body', [{'op': 'replace', 'path': '/name', 'value': 'x'}, 'x', None])
def test_patch_body_must_be_a_list(client, node, body):
    resp = _patch(client, 'fake1', body)
    assert resp.status_code == 400
    assert fault(resp) == 'A JSON patch (a list of operations) is required'


def test_one_bad_operation_changes_nothing(client, node):
    resp = _patch(client, 'fake1', [_add('/extra/a', 1), _add('/nosuch', 2)])
    assert resp.status_code == 400
    assert db_api.get_node('fake1')['extra'] == {}


@pytest.mark.parametrize('ver,op', [('1.45', _add('/conductor_group', 'g')),
                                    ('1.39', _add('/bios_interface', 'fake')),
                                    ('1.4', _add('/name', 'x'))])
def test_patch_field_newer_than_the_request_406(client, node, ver, op):
    resp = _patch(client, node['uuid'], [op], headers=version(ver))
    assert resp.status_code == 406


def test_patch_duplicate_name_409(client, node):
    client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'other'}, headers=LATEST)
    resp = _patch(client, 'fake1', [{'op': 'replace', 'path': '/name', 'value': 'other'}])
    assert resp.status_code == 409


def test_patch_unknown_node_404(client):
    resp = _patch(client, 'nosuch', [_remove('/name')])
    assert resp.status_code == 404
