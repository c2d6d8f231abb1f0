"""Conductors: list and show, behind API 1.49."""

import pytest

from tests.unit.api.helpers import LATEST, fault, version

LINKS = [{'href': 'http://localhost/v1/conductors/test-host', 'rel': 'self'},
         {'href': 'http://localhost/conductors/test-host', 'rel': 'bookmark'}]


@pytest.mark.parametrize('path', ['/v1/conductors', '/v1/conductors/test-host'])
def test_needs_1_49(client, path):
    assert client.get(path, headers=version('1.48')).status_code == 404
    assert client.get(path, headers=version('1.49')).status_code == 200


def test_list(client):
    body = client.get('/v1/conductors', headers=LATEST).get_json()
    assert body == {'conductors': [{'hostname': 'test-host', 'conductor_group': '',
                                    'alive': True, 'links': LINKS}]}


def test_list_fields(client):
    body = client.get('/v1/conductors?fields=hostname,alive', headers=LATEST).get_json()
    assert body['conductors'] == [{'hostname': 'test-host', 'alive': True, 'links': LINKS}]


def test_list_bad_field_400(client):
    resp = client.get('/v1/conductors?fields=nosuch', headers=LATEST)
    assert resp.status_code == 400
    assert 'nosuch' in fault(resp)


def test_list_detail(client):
    cond = client.get('/v1/conductors?detail=True', headers=LATEST).get_json()['conductors'][0]
    assert cond['drivers'] == ['fake-hardware']
    assert cond['created_at'].endswith('+00:00')


def test_show(client):
    cond = client.get('/v1/conductors/test-host', headers=LATEST).get_json()
    assert (cond['hostname'], cond['alive'], cond['drivers'], cond['links']) == \
        ('test-host', True, ['fake-hardware'], LINKS)
    assert set(cond) == {'hostname', 'conductor_group', 'alive', 'drivers', 'created_at',
                         'updated_at', 'links'}


def test_show_unknown_404(client):
    resp = client.get('/v1/conductors/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Conductor nosuch could not be found.'


def test_stopped_conductor_is_listed_dead(client, conductor):
    conductor.stop()
    cond = client.get('/v1/conductors/test-host', headers=LATEST).get_json()
    assert cond['alive'] is False
