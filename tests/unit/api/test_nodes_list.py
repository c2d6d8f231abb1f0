"""Node list: fields, detail, paging with limit/marker/next, sorting, filters, versions."""

import urllib.parse

import pytest

from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault, version

OTHER_UUID = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'


def _create(client, **body):
    body.setdefault('driver', 'fake-hardware')
    resp = client.post('/v1/nodes', json=body, headers=LATEST)
    assert resp.status_code == 201, resp.data
    return resp.get_json()


def _get(client, query, headers=LATEST, path='/v1/nodes'):
    return client.get(path + ('?' + query if query else ''), headers=headers)


def _names(resp):
    assert resp.status_code == 200, resp.data
    return [n['name'] for n in resp.get_json()['nodes']]


@pytest.fixture
def three(client):
    """Nodes a, b, c: b in maintenance, c in conductor group g1. Their UUIDs."""
    return [_create(client, name='a')['uuid'],
            _create(client, name='b', maintenance=True)['uuid'],
            _create(client, name='c', conductor_group='g1')['uuid']]


# -- fields and detail ---------------------------------------------------------

def test_list_default_fields(client, node):
    nodes = _get(client, '').get_json()['nodes']
    assert sorted(nodes[0]) == sorted(['uuid', 'name', 'instance_uuid', 'power_state',
                                       'provision_state', 'maintenance', 'links'])


def test_list_fields(client, node):
    body = _get(client, 'fields=uuid,driver,conductor,owner').get_json()
    assert body['nodes'] == [{'uuid': node['uuid'], 'driver': 'fake-hardware',
                              'conductor': 'test-host', 'owner': None,
                              'links': node['links']}]


@pytest.mark.parametrize('path', ['/v1/nodes?detail=True', '/v1/nodes/detail'])
def test_detail_lists_every_field(client, node, path):
    nodes = client.get(path, headers=LATEST).get_json()['nodes']
    assert nodes[0] == node


@pytest.mark.parametrize('query,message', [
    ('detail=True&fields=uuid', 'Can not specify ?detail=True and fields in the same '
                                'request.'),
    ('fields=uuid,nosuch', 'Field(s) "nosuch" are not valid'),
    ('detail=maybe', 'Invalid boolean value for detail: maybe'),
    ('drvier=fake-hardware', 'Unknown query parameter(s) for the node list: drvier'),
])
def test_bad_list_query_400(client, query, message):
    resp = _get(client, query)
    assert (resp.status_code, fault(resp)) == (400, message)


def test_detail_query_needs_1_43(client, node):
    resp = _get(client, 'detail=True', headers=version('1.42'))
    assert (resp.status_code, fault(resp)) == (400, 'Invalid query parameter ?detail=True '
                                                    'received.')
    assert _get(client, 'detail=True', headers=version('1.43')).status_code == 200


def test_detail_path_takes_no_detail_parameter(client):
    resp = _get(client, 'detail=True', path='/v1/nodes/detail')
    assert resp.status_code == 400


# -- paging --------------------------------------------------------------------

def test_list_pages_with_limit_marker_and_next(client, three):
    body = _get(client, 'limit=2').get_json()
    assert [n['uuid'] for n in body['nodes']] == three[:2]
    assert body['next'] == 'http://localhost/v1/nodes?limit=2&marker=%s' % three[1]
    last = client.get(body['next'], headers=LATEST).get_json()
    assert [n['uuid'] for n in last['nodes']] == three[2:]
    assert 'next' not in last


def test_next_keeps_filters_fields_and_sort(client, three):
    body = _get(client, 'fields=uuid,name&maintenance=false&sort_key=name&sort_dir=desc'
                        '&limit=1').get_json()
    assert [n['name'] for n in body['nodes']] == ['c']
    query = urllib.parse.parse_qs(urllib.parse.urlparse(body['next']).query)
    assert query == {'fields': ['uuid,name'], 'maintenance': ['false'], 'sort_key': ['name'],
                     'sort_dir': ['desc'], 'limit': ['1'], 'marker': [three[2]]}
    second = client.get(body['next'], headers=LATEST).get_json()
    assert second['nodes'] == [{'uuid': three[0], 'name': 'a',
                                'links': second['nodes'][0]['links']}]


def test_next_encodes_values(client, node):
    _create(client, name='n2', conductor_group='x:y')
    _create(client, name='n3', conductor_group='x:y')
    body = _get(client, 'conductor_group=x:y&limit=1').get_json()
    assert body['next'].startswith('http://localhost/v1/nodes?conductor_group=x%3Ay&limit=1')
    assert _names(client.get(body['next'], headers=LATEST)) == ['n3']


def test_detail_next_stays_on_the_detail_path(client, three):
    body = _get(client, 'limit=1', path='/v1/nodes/detail').get_json()
    assert body['next'].startswith('http://localhost/v1/nodes/detail?limit=1&marker=')
    assert 'driver_info' in body['nodes'][0]


def test_limit_is_capped_at_1000(client, node):
    body = _get(client, 'limit=5000').get_json()
    assert len(body['nodes']) == 1 and 'next' not in body


@pytest.mark.parametrize('query,status,message', [
    ('limit=-1', 400, 'Limit must be positive'),
    ('limit=0', 400, 'Limit must be positive'),
    ('limit=x', 400, 'Invalid limit: x (an integer is expected)'),
    ('marker=nosuch', 400, 'Expected a UUID for marker but received nosuch.'),
    ('marker=' + OTHER_UUID, 404, 'Node %s could not be found.' % OTHER_UUID),
])
def test_bad_paging_parameters(client, three, query, status, message):
    resp = _get(client, query)
    assert (resp.status_code, fault(resp)) == (status, message)


# -- sorting -------------------------------------------------------------------

@pytest.mark.parametrize('query,expected', [
    ('sort_key=name&sort_dir=desc', ['c', 'b', 'a']),
    ('sort_key=name&sort_dir=asc', ['a', 'b', 'c']),
    ('sort_key=maintenance&sort_dir=desc', ['b', 'c', 'a']),
    ('sort_key=conductor_group', ['a', 'b', 'c']),
    ('sort_key=reservation&sort_dir=desc', ['b', 'c', 'a']),
])
def test_list_sorted(client, three, query, expected):
    db_api.update_node(three[1], {'reservation': 'z'})
    db_api.update_node(three[2], {'reservation': 'y'})
    assert _names(_get(client, query)) == expected


def test_marker_keeps_the_sort_order(client, three):
    assert _names(_get(client, 'sort_key=name&sort_dir=desc&limit=1&marker=' + three[1])) \
        == ['a']


@pytest.mark.parametrize('query,message', [
    ('sort_key=owner', 'The sort_key value owner is an invalid field for sorting'),
    ('sort_key=driver_info', 'The sort_key value driver_info is an invalid field for '
                             'sorting'),
    ('sort_dir=up', "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'"),
])
def test_list_bad_sort_400(client, query, message):
    resp = _get(client, query)
    assert resp.status_code == 400
    assert fault(resp).startswith(message)


def test_sort_key_newer_than_the_request_406(client):
    assert _get(client, 'sort_key=conductor_group', headers=version('1.45')).status_code \
        == 406


# -- filters -------------------------------------------------------------------

@pytest.mark.parametrize('query,expected', [
    ('driver=fake-hardware', ['a', 'b', 'c']),
    ('driver=redfish', []),
    ('conductor_group=g1', ['c']),
    ('conductor_group=', ['a', 'b']),
    ('maintenance=true', ['b']),
    ('maintenance=False', ['a', 'c']),
    ('provision_state=enroll', ['a', 'b', 'c']),
    ('provision_state=active', []),
    ('reserved=true', ['b']),
    ('reserved=false', ['a', 'c']),
    ('conductor=test-host', ['a', 'b']),  # no conductor serves group g1: c has no owner
    ('conductor=other-host', []),
    ('driver=fake-hardware&maintenance=false&conductor=test-host', ['a']),
])
def test_list_filters(client, three, query, expected):
    db_api.update_node(three[1], {'reservation': 'test-host'})
    assert _names(_get(client, query)) == expected


@pytest.mark.parametrize('query,expected', [
    ('associated=False', ['a', 'b', 'c']),
    ('associated=True', []),
    ('retired=false', ['a', 'b', 'c']),
    ('retired=true', []),
    ('sharded=false', ['a', 'b', 'c']),
    ('include_children=True', ['a', 'b', 'c']),
    ('owner=me', []),
    ('lessee=me', []),
    ('resource_class=gold', []),
    ('fault=power failure', []),
    ('instance_uuid=' + OTHER_UUID, []),
    ('description_contains=x', []),
    ('instance_name=vm', []),
])
def test_filters_on_fields_anvil_does_not_manage(client, three, query, expected):
    assert _names(_get(client, query)) == expected


@pytest.mark.parametrize('query,message', [
    ('maintenance=perhaps', 'Invalid boolean value for maintenance: perhaps'),
    ('associated=perhaps', 'Invalid boolean value for associated: perhaps'),
    ('provision_state=nosuch', 'Provision state "nosuch" is not valid'),
    ('fault=nosuch', 'Unrecognized fault "nosuch" is specified, allowed faults are power '
                     'failure, clean failure, rescue abort failure, service failure'),
])
def test_bad_filter_values_400(client, query, message):
    resp = _get(client, query)
    assert (resp.status_code, fault(resp)) == (400, message)


@pytest.mark.parametrize('query,ver', [
    ('driver=fake-hardware', '1.15'), ('conductor_group=g1', '1.45'),
    ('conductor=test-host', '1.48'), ('provision_state=enroll', '1.8'),
    ('owner=me', '1.49'), ('retired=false', '1.60'),
])
def test_filter_newer_than_the_request_406(client, query, ver):
    resp = _get(client, query, headers=version(ver))
    assert resp.status_code == 406
    assert 'needs API version' in fault(resp)


def test_conductor_filter_fills_pages_across_reads(client, three):
    """Nodes owned by a dead conductor are skipped; pages still hold ``limit`` nodes."""
    more = [_create(client, name='d%d' % i)['uuid'] for i in range(4)]
    ordered = three + more
    # c is in conductor group g1, which no conductor serves: it has no owner.
    body = _get(client, 'conductor=test-host&limit=3&fields=name').get_json()
    assert [n['name'] for n in body['nodes']] == ['a', 'b', 'd0']
    assert body['next'].endswith('marker=%s' % ordered[3])
    second = client.get(body['next'], headers=LATEST).get_json()
    assert [n['name'] for n in second['nodes']] == ['d1', 'd2', 'd3']
    third = client.get(second['next'], headers=LATEST).get_json()
    assert third == {'nodes': []}
