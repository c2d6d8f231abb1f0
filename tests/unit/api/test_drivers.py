"""Drivers (hardware types): list and show."""

from tests.unit.api.helpers import LATEST, fault

LINKS = [{'href': 'http://localhost/v1/drivers/fake-hardware', 'rel': 'self'},
         {'href': 'http://localhost/drivers/fake-hardware', 'rel': 'bookmark'}]


def test_list(client):
    body = client.get('/v1/drivers', headers=LATEST).get_json()
    assert body == {'drivers': [{
        'name': 'fake-hardware', 'hosts': ['test-host'], 'type': 'dynamic', 'links': LINKS,
        'properties': [
            {'href': 'http://localhost/v1/drivers/fake-hardware/properties', 'rel': 'self'},
            {'href': 'http://localhost/drivers/fake-hardware/properties',
             'rel': 'bookmark'}]}]}


def test_list_detail_has_interfaces(client):
    driver = client.get('/v1/drivers?detail=True', headers=LATEST).get_json()['drivers'][0]
    assert driver['default_vendor_interface'] == 'fake'
    assert driver['enabled_vendor_interfaces'] == ['fake', 'no-vendor']
    assert driver['default_bios_interface'] == 'no-bios'


def test_list_classic_is_empty(client):
    assert client.get('/v1/drivers?type=classic').get_json() == {'drivers': []}


def test_show(client):
    driver = client.get('/v1/drivers/fake-hardware', headers=LATEST).get_json()
    assert (driver['name'], driver['hosts'], driver['links']) == \
        ('fake-hardware', ['test-host'], LINKS)
    assert driver['enabled_power_interfaces'] == ['fake']


def test_show_unknown_404(client):
    resp = client.get('/v1/drivers/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == "The driver 'nosuch' is unknown."


def test_driver_without_live_conductor_is_not_listed(client, conductor):
    conductor.stop()
    assert client.get('/v1/drivers', headers=LATEST).get_json() == {'drivers': []}
    assert client.get('/v1/drivers/fake-hardware', headers=LATEST).status_code == 404
