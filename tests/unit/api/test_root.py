"""Version discovery: ``/``, ``/v1`` and ``/v1/``."""

import pytest

VERSION_DOC = {'id': 'v1', 'links': [{'href': 'http://localhost/v1/', 'rel': 'self'}],
               'status': 'CURRENT', 'min_version': '1.1', 'version': '1.115'}


def test_root_lists_v1_as_default_and_only_version(client):
    resp = client.get('/')
    assert resp.status_code == 200
    assert resp.content_type == 'application/json'
    body = resp.get_json()
    assert list(body) == ['name', 'description', 'default_version', 'versions']
    assert body['default_version'] == VERSION_DOC
    assert body['versions'] == [VERSION_DOC]


@pytest.mark.parametrize('path', ['/v1', '/v1/'])
def test_v1_answers_with_and_without_slash_without_redirect(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert 'Location' not in resp.headers
    body = resp.get_json()
    assert body['id'] == 'v1'
    assert body['version'] == VERSION_DOC
    assert body['media_types'] == [{'base': 'application/json',
                                    'type': 'application/vnd.openstack.ironic.v1+json'}]
    assert body['links'] == [{'href': 'http://localhost/v1/', 'rel': 'self'}]
    assert body['nodes'][0] == {'href': 'http://localhost/v1/nodes/', 'rel': 'self'}
    assert {'drivers', 'conductors'} <= set(body)


def test_public_endpoint_is_used_in_links(client, conf):
    conf.set_override('public_endpoint', 'https://bm.example.com/', group='api')
    body = client.get('/').get_json()
    assert body['default_version']['links'][0]['href'] == 'https://bm.example.com/v1/'
