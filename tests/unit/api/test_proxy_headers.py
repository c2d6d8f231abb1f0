"""``[oslo_middleware] enable_proxy_headers_parsing``: links follow the proxy's headers."""

from anvil.api import app as api_app

FORWARDED = {'Forwarded': 'for=192.0.2.60;proto=https;host=bm.example.com',
             'X-Forwarded-Prefix': '/baremetal'}


def _links(conductor_api, headers):
    client = api_app.create_app(conductor_api).test_client()
    return client.get('/v1', headers=headers).get_json()['links'][0]['href']


def test_headers_ignored_by_default(conductor_api):
    assert _links(conductor_api, FORWARDED) == 'http://localhost/v1/'


def test_rfc7239_forwarded_and_prefix(conductor_api, conf):
    conf.set_override('enable_proxy_headers_parsing', True, group='oslo_middleware')
    assert _links(conductor_api, FORWARDED) == 'https://bm.example.com/baremetal/v1/'
    assert _links(conductor_api, {'X-Forwarded-Proto': 'https'}) == 'https://localhost/v1/'
    assert _links(conductor_api, {}) == 'http://localhost/v1/'


def test_public_endpoint_wins(conductor_api, conf):
    conf.set_override('enable_proxy_headers_parsing', True, group='oslo_middleware')
    conf.set_override('public_endpoint', 'https://api.example.com:6385', group='api')
    assert _links(conductor_api, FORWARDED) == 'https://api.example.com:6385/v1/'
