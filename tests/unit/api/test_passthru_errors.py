"""Vendor passthru: every 400/404/413 the API or the conductor answers."""

import pytest

from anvil.api import app as api_app
from tests.unit.api.helpers import LATEST, fault
from tests.unit.history_events import events

NODE_URL = '/v1/nodes/fake1/vendor_passthru'
DRIVER_URL = '/v1/drivers/fake-hardware/vendor_passthru'


def _post(client, url, **kwargs):
    kwargs.setdefault('headers', LATEST)
    return client.post(url, **kwargs)


def _400(resp):
    assert resp.status_code == 400, resp.data
    return fault(resp)


@pytest.mark.parametrize('url', [NODE_URL + '/nosuch', NODE_URL + '?method=nosuch',
                                 NODE_URL + '/first_method', DRIVER_URL + '/nosuch',
                                 DRIVER_URL + '?method=nosuch'])
def test_unknown_method(client, node, url):
    name = url.replace('?method=', '/').rsplit('/', 1)[1]
    assert _400(_post(client, url, json={'bar': 'meow'})) == 'No handler for method %s' % name


@pytest.mark.parametrize('verb', ['GET', 'PUT', 'PATCH', 'DELETE'])
@pytest.mark.parametrize('url', [NODE_URL + '/third_method_sync',
                                 NODE_URL + '?method=third_method_sync'])
def test_wrong_verb(client, node, verb, url):
    resp = client.open(url, method=verb, json={'bar': 'meow'}, headers=LATEST)
    assert _400(resp) == 'The method third_method_sync does not support HTTP %s' % verb


@pytest.mark.parametrize('verb', ['GET', 'PUT', 'DELETE'])
def test_wrong_verb_driver_method(client, verb):
    resp = client.open(DRIVER_URL + '/driver_echo', method=verb)
    assert _400(resp) == 'The method driver_echo does not support HTTP %s' % verb


@pytest.mark.parametrize('url', [NODE_URL, NODE_URL + '/', DRIVER_URL])
def test_missing_method(client, node, url):
    assert _400(_post(client, url, json={})) == 'Missing mandatory parameter: method'


@pytest.mark.parametrize('base', [NODE_URL, DRIVER_URL])
def test_method_named_twice(client, node, base):
    message = _400(_post(client, base + '/third_method_sync?method=second_method', json={}))
    assert 'third_method_sync' in message and 'second_method' in message


@pytest.mark.parametrize('data', [b'notjson', b'{"bar":', b'\xff\xfe'])
def test_body_not_json(client, node, data):
    resp = _post(client, NODE_URL + '/third_method_sync', data=data,
                 content_type='application/json')
    assert _400(resp).startswith('Request body is not valid JSON')


@pytest.mark.parametrize('body,kind', [([1, 2], 'list'), ('meow', 'str'), (3, 'int')])
def test_body_not_an_object(client, node, body, kind):
    resp = _post(client, NODE_URL + '/third_method_sync', json=body)
    assert _400(resp) == 'Request body must be a JSON object, not %s' % kind


@pytest.mark.parametrize('method', ['third_method_sync', 'second_method',
                                    'fourth_method_shared_lock'])
@pytest.mark.parametrize('body', [{}, None])
def test_missing_argument_is_400_even_for_async(client, node, method, body):
    resp = _post(client, '%s/%s' % (NODE_URL, method), json=body)
    assert _400(resp) == "Parameter 'bar' not passed to method '%s'." % method
    assert events(node['uuid']) == []


@pytest.mark.parametrize('method', ['third_method_sync', 'second_method'])
def test_extra_argument_is_400(client, node, method):
    resp = _post(client, '%s/%s' % (NODE_URL, method), json={'bar': 'meow', 'extra': 1})
    assert "'extra'" in _400(resp)


@pytest.mark.parametrize('body,where', [({'size': 'big'}, "'size'"), ({'size': -1}, "'size'"),
                                        ({'bar': 1}, "'bar'")])
def test_argument_failing_the_schema(client, node, body, where):
    resp = client.get(NODE_URL + '/download_log', json=body, headers=LATEST)
    assert where in _400(resp)


def test_empty_bar_is_refused(client, node):
    message = _400(_post(client, NODE_URL + '/third_method_sync', json={'bar': ''}))
    assert message.startswith("Invalid argument 'bar' for method third_method_sync")


def test_driver_method_extra_argument(client):
    assert "'x'" in _400(_post(client, DRIVER_URL + '/driver_noop', json={'x': 1}))


@pytest.mark.parametrize('url,unexpected', [
    (NODE_URL + '/download_log?size=1', 'size'),
    (NODE_URL + '?method=download_log&size=1', 'size'),
    (NODE_URL + '/download_log?b=1&a=2', 'a, b'),
    (DRIVER_URL + '/driver_echo?x=1', 'x'),
])
def test_query_arguments_are_refused(client, node, url, unexpected):
    resp = client.get(url, headers=LATEST) if 'driver_echo' not in url else client.post(url)
    assert _400(resp) == 'Unexpected arguments: %s' % unexpected


def test_query_arguments_on_methods_listing(client, node):
    resp = client.get(NODE_URL + '/methods?x=1', headers=LATEST)
    assert _400(resp) == 'Unexpected arguments: x'


@pytest.mark.parametrize('url', ['/v1/nodes/nosuch/vendor_passthru/third_method_sync',
                                 '/v1/nodes/nosuch/vendor_passthru/methods'])
def test_unknown_node_404(client, url):
    resp = client.open(url, method='POST' if 'sync' in url else 'GET', json={'bar': 'meow'},
                       headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Node nosuch could not be found.'


@pytest.mark.parametrize('method,url', [
    ('GET', '/v1/drivers/nosuch/vendor_passthru/methods'),
    ('POST', '/v1/drivers/nosuch/vendor_passthru/foo'),
    ('POST', '/v1/drivers/nosuch/vendor_passthru?method=foo'),
])
def test_unknown_driver_404(client, method, url):
    resp = client.open(url, method=method, json={}, headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == "The driver 'nosuch' is unknown."


@pytest.mark.parametrize('deny', ['fake-hardware:third_method_sync', '*:third_method_sync'])
def test_passthru_deny_blocks_a_node_method(client, node, conf, deny):
    conf.set_override('passthru_deny', [deny], group='api')
    resp = _post(client, NODE_URL + '/third_method_sync', json={'bar': 'meow'})
    assert _400(resp) == ('The method third_method_sync of driver fake-hardware is '
                          'disabled by the operator.')
    assert _post(client, NODE_URL + '/second_method', json={'bar': 'x'}).status_code == 202


def test_passthru_deny_blocks_a_driver_method(client, conf):
    conf.set_override('passthru_deny', ['fake-hardware:driver_echo'], group='api')
    assert 'disabled by the operator' in _400(client.post(DRIVER_URL + '/driver_echo'))


def test_passthru_deny_of_another_driver_does_not_block(client, node, conf):
    conf.set_override('passthru_deny', ['redfish:third_method_sync'], group='api')
    resp = _post(client, NODE_URL + '/third_method_sync', json={'bar': 'meow'})
    assert resp.status_code == 200


def test_body_over_the_limit_is_413(conductor_api, node, conf):
    conf.set_override('max_request_body_size', 64, group='api')
    client = api_app.create_app(conductor_api).test_client()
    body = {'bar': 'x' * 100}
    resp = _post(client, NODE_URL + '/third_method_sync', json=body)
    assert resp.status_code == 413
    assert fault(resp) == 'Request body is larger than 64 bytes.'
    assert resp.headers['X-OpenStack-Ironic-API-Version'] == '1.115'
    assert _post(client, NODE_URL + '/third_method_sync', json={'bar': 'meow'}).data == b'true'


def test_conductor_side_error_keeps_its_code_and_releases_the_lock(client, node, conf):
    conf.set_override('vendor_delay', 'soon', group='fake')
    resp = _post(client, NODE_URL + '/third_method_sync', json={'bar': 'meow'})
    assert _400(resp).startswith('[fake] vendor_delay must be')
    conf.set_override('vendor_delay', '0', group='fake')
    assert _post(client, NODE_URL + '/third_method_sync', json={'bar': 'meow'}).data == b'true'
