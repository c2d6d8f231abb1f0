"""Drivers (hardware types): list, show, properties, fields, versions."""

import pytest

from anvil.api import drivers
from tests.unit.api.helpers import LATEST, fault, version

LINKS = [{'href': 'http://localhost/v1/drivers/fake-hardware', 'rel': 'self'},
         {'href': 'http://localhost/drivers/fake-hardware', 'rel': 'bookmark'}]
PROPERTIES = [{'href': 'http://localhost/v1/drivers/fake-hardware/properties', 'rel': 'self'},
              {'href': 'http://localhost/drivers/fake-hardware/properties', 'rel': 'bookmark'}]
# Every interface kind Ironic's driver shows in detail, as the CLI's --long reads them.
IRONIC_DETAIL_KEYS = {
    'default_%s_interface' % k for k in (
        'bios', 'boot', 'console', 'deploy', 'firmware', 'inspect', 'management', 'network',
        'power', 'raid', 'rescue', 'storage', 'vendor')} | {
    'enabled_%s_interfaces' % k for k in (
        'bios', 'boot', 'console', 'deploy', 'firmware', 'inspect', 'management', 'network',
        'power', 'raid', 'rescue', 'storage', 'vendor')}


def test_list(client):
    body = client.get('/v1/drivers', headers=LATEST).get_json()
    assert body == {'drivers': [{'name': 'fake-hardware', 'hosts': ['test-host'],
                                 'type': 'dynamic', 'links': LINKS,
                                 'properties': PROPERTIES}]}


def test_list_detail_has_every_interface_kind(client):
    driver = client.get('/v1/drivers?detail=True', headers=LATEST).get_json()['drivers'][0]
    assert set(driver) == IRONIC_DETAIL_KEYS | {'name', 'hosts', 'type', 'links',
                                                'properties'}
    assert driver['default_vendor_interface'] == 'fake'
    assert driver['enabled_vendor_interfaces'] == ['fake', 'no-vendor']
    assert driver['default_bios_interface'] == 'no-bios'


def test_list_fields(client):
    body = client.get('/v1/drivers?fields=name,enabled_vendor_interfaces',
                      headers=LATEST).get_json()
    assert body == {'drivers': [{'name': 'fake-hardware',
                                 'enabled_vendor_interfaces': ['fake', 'no-vendor'],
                                 'links': LINKS}]}


@pytest.mark.parametrize('query,message', [
    ('fields=name,nosuch', 'Field(s) "nosuch" are not valid'),
    ('detail=True&fields=name', 'Can not specify ?detail=True and fields in the same '
                                'request.'),
    ('type=modern', '"type" filter must be one of "classic" or "dynamic", if specified.'),
    ('detail=maybe', 'Invalid boolean value for detail: maybe'),
    ('nosuch=1', 'Unknown query parameter(s): nosuch'),
])
def test_list_bad_query_400(client, query, message):
    resp = client.get('/v1/drivers?' + query, headers=LATEST)
    assert (resp.status_code, fault(resp)) == (400, message)


@pytest.mark.parametrize('kind,names', [('classic', []), ('dynamic', ['fake-hardware'])])
def test_list_by_type(client, kind, names):
    body = client.get('/v1/drivers?type=' + kind, headers=LATEST).get_json()
    assert [d['name'] for d in body['drivers']] == names


@pytest.mark.parametrize('ver,query,status', [
    ('1.29', 'type=dynamic', 406), ('1.29', 'detail=True', 406), ('1.30', 'detail=True', 200),
    ('1.76', 'fields=name', 406), ('1.77', 'fields=name', 200),
])
def test_list_query_versions(client, ver, query, status):
    assert client.get('/v1/drivers?' + query, headers=version(ver)).status_code == status


@pytest.mark.parametrize('ver,absent,present', [
    ('1.1', {'type', 'properties', 'default_vendor_interface'}, {'name', 'hosts', 'links'}),
    ('1.14', {'type', 'default_vendor_interface'}, {'properties'}),
    ('1.32', {'default_storage_interface', 'enabled_bios_interfaces'},
     {'type', 'default_vendor_interface', 'enabled_power_interfaces'}),
    ('1.85', {'default_firmware_interface'}, {'default_bios_interface',
                                               'enabled_rescue_interfaces'}),
    ('1.86', set(), {'default_firmware_interface'}),
])
def test_show_fields_follow_the_version(client, ver, absent, present):
    driver = client.get('/v1/drivers/fake-hardware', headers=version(ver)).get_json()
    assert not absent & set(driver)
    assert present <= set(driver)


def test_show(client):
    driver = client.get('/v1/drivers/fake-hardware', headers=LATEST).get_json()
    assert (driver['name'], driver['hosts'], driver['links']) == \
        ('fake-hardware', ['test-host'], LINKS)
    assert driver['enabled_power_interfaces'] == ['fake']
    assert set(driver) == IRONIC_DETAIL_KEYS | {'name', 'hosts', 'type', 'links',
                                                'properties'}


def test_show_fields(client):
    driver = client.get('/v1/drivers/fake-hardware?fields=hosts,default_vendor_interface',
                        headers=LATEST).get_json()
    assert driver == {'hosts': ['test-host'], 'default_vendor_interface': 'fake',
                      'links': LINKS}


def test_show_unknown_404(client):
    resp = client.get('/v1/drivers/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == "The driver 'nosuch' is unknown."


def test_properties_of_a_driver_without_a_schema(client):
    assert client.get('/v1/drivers/fake-hardware/properties', headers=LATEST).get_json() \
        == {}
    assert client.get('/v1/drivers/nosuch/properties', headers=LATEST).status_code == 404


def test_properties_describe_the_schema():
    schema = {'properties': {'a_url': {'type': 'string', 'description': 'the URL'},
                             'mode': {'enum': ['x', 'y']}, 'flag': {'type': ['boolean',
                                                                             'string']}},
              'required': ['a_url']}
    described = {k: drivers._describe(v, k in schema['required'])
                 for k, v in schema['properties'].items()}
    assert described == {'a_url': 'The URL. Required.', 'mode': 'One of: x, y. Optional.',
                         'flag': 'A boolean or string. Optional.'}


def test_driver_without_live_conductor_is_not_listed(client, conductor):
    conductor.stop()
    assert client.get('/v1/drivers', headers=LATEST).get_json() == {'drivers': []}
    assert client.get('/v1/drivers/fake-hardware', headers=LATEST).status_code == 404
