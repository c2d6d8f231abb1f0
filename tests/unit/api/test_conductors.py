"""Conductors: list and show behind API 1.49, fields, detail, sorting and paging."""

import urllib.parse

import pytest

from anvil.db import conductors as db_conductors
from tests.unit.api.helpers import LATEST, fault, version

LINKS = [{'href': 'http://localhost/v1/conductors/test-host', 'rel': 'self'},
         {'href': 'http://localhost/conductors/test-host', 'rel': 'bookmark'}]


@pytest.fixture
def four(conductor):
    """test-host plus c-1, c-2 (group g2), c-3 registered after it, in that order."""
    for name, group in (('c-1', ''), ('c-2', 'g2'), ('c-3', '')):
        db_conductors.register_conductor(name, group, {'fake-hardware': {}}, [])
    return ['test-host', 'c-1', 'c-2', 'c-3']


def _hosts(resp):
    assert resp.status_code == 200, resp.data
    return [c['hostname'] for c in resp.get_json()['conductors']]


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


@pytest.mark.parametrize('query,message', [
    ('fields=nosuch', 'Field(s) "nosuch" are not valid'),
    ('detail=True&fields=hostname', 'Can not specify ?detail=True and fields in the same '
                                    'request.'),
    ('sort_key=alive', 'The sort_key value alive is an invalid field for sorting'),
    ('sort_dir=up', "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'"),
    ('limit=0', 'Limit must be positive'),
    ('limit=x', 'Invalid limit: x (an integer is expected)'),
    ('nosuch=1', 'Unknown query parameter(s): nosuch'),
])
def test_list_bad_query_400(client, query, message):
    resp = client.get('/v1/conductors?' + query, headers=LATEST)
    assert resp.status_code == 400
    assert fault(resp).startswith(message)


def test_list_detail(client):
    cond = client.get('/v1/conductors?detail=True', headers=LATEST).get_json()['conductors'][0]
    assert cond['drivers'] == ['fake-hardware']
    assert cond['created_at'].endswith('+00:00')
    assert set(cond) == {'hostname', 'conductor_group', 'alive', 'drivers', 'created_at',
                         'updated_at', 'links'}


@pytest.mark.parametrize('query,expected', [
    ('', ['test-host', 'c-1', 'c-2', 'c-3']),
    ('sort_key=hostname', ['c-1', 'c-2', 'c-3', 'test-host']),
    ('sort_key=hostname&sort_dir=desc', ['test-host', 'c-3', 'c-2', 'c-1']),
    ('sort_key=conductor_group', ['test-host', 'c-1', 'c-3', 'c-2']),
])
def test_list_sorted(client, four, query, expected):
    assert _hosts(client.get('/v1/conductors?' + query, headers=LATEST)) == expected


def test_list_pages_by_hostname(client, four):
    body = client.get('/v1/conductors?limit=3&sort_key=hostname', headers=LATEST).get_json()
    assert [c['hostname'] for c in body['conductors']] == ['c-1', 'c-2', 'c-3']
    query = urllib.parse.parse_qs(urllib.parse.urlparse(body['next']).query)
    assert query == {'sort_key': ['hostname'], 'limit': ['3'], 'marker': ['c-3']}
    last = client.get(body['next'], headers=LATEST).get_json()
    assert [c['hostname'] for c in last['conductors']] == ['test-host']
    assert 'next' not in last


def test_list_unknown_marker_404(client):
    resp = client.get('/v1/conductors?marker=nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Conductor nosuch could not be found.'


def test_show(client):
    cond = client.get('/v1/conductors/test-host', headers=LATEST).get_json()
    assert (cond['hostname'], cond['alive'], cond['drivers'], cond['links']) == \
        ('test-host', True, ['fake-hardware'], LINKS)
    assert set(cond) == {'hostname', 'conductor_group', 'alive', 'drivers', 'created_at',
                         'updated_at', 'links'}


def test_show_fields(client):
    cond = client.get('/v1/conductors/test-host?fields=drivers', headers=LATEST).get_json()
    assert cond == {'drivers': ['fake-hardware'], 'links': LINKS}
    resp = client.get('/v1/conductors/test-host?fields=nosuch', headers=LATEST)
    assert resp.status_code == 400


def test_show_unknown_404(client):
    resp = client.get('/v1/conductors/nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Conductor nosuch could not be found.'


def test_stopped_conductor_is_listed_dead(client, conductor):
    conductor.stop()
    cond = client.get('/v1/conductors/test-host', headers=LATEST).get_json()
    assert cond['alive'] is False
