"""Request ids: both of Ironic's headers, equal, fresh per request."""

import re

import pytest

from tests.unit.api.helpers import LATEST

REQ_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


@pytest.mark.parametrize('method,path,status', [
    ('GET', '/', 200), ('GET', '/v1/nodes', 200), ('GET', '/v1/nodes/nosuch', 404),
    ('POST', '/v1/nodes', 400),
])
def test_both_headers_equal(client, method, path, status):
    resp = client.open(path, method=method, headers=LATEST)
    assert resp.status_code == status
    assert REQ_ID.match(resp.headers['x-openstack-request-id'])
    assert resp.headers['openstack-request-id'] == resp.headers['x-openstack-request-id']


def test_406_carries_request_id(client):
    resp = client.get('/v1', headers={'X-OpenStack-Ironic-API-Version': '9.9'})
    assert resp.status_code == 406
    assert REQ_ID.match(resp.headers['openstack-request-id'])


def test_each_request_gets_its_own_id(client):
    ids = {client.get('/').headers['x-openstack-request-id'] for _ in range(3)}
    assert len(ids) == 3
