"""Bad input against real processes: unknown things, malformed calls, locked nodes,
oversized bodies and methods that raise.

Every case checks the status, Ironic's error body and that the node is left
unreserved; the refusals also check that nothing reached the driver (no new
history event).
"""

import json
import time

import pytest

from tests.functional.deployment import fault, running_deployment, wait_for

BODY_LIMIT = 4096
NODE = '/v1/nodes/%s/vendor_passthru'
DRIVER = '/v1/drivers/fake-hardware/vendor_passthru'


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    """anvil-api (small body limit) + two conductors on RabbitMQ and PostgreSQL."""
    with running_deployment(tmp_path_factory.mktemp('faults-input'),
                            extra={'api': {'max_request_body_size': BODY_LIMIT}}) as d:
        yield d


@pytest.fixture(scope='module')
def broken(tmp_path_factory):
    """A deployment whose fake methods all raise: ``[fake] vendor_delay`` is not a number."""
    with running_deployment(tmp_path_factory.mktemp('faults-broken'),
                            extra={'fake': {'vendor_delay': 'abc'}}) as d:
        yield d


_counter = iter(range(10 ** 6))


@pytest.fixture
def node(dep):
    return dep.create_node('in%d' % next(_counter))


def assert_untouched(dep, node, events_before=0):
    """Not reserved, and nothing ran: no history event was added."""
    current = dep.node(node['uuid'])
    assert current['reservation'] is None, current
    assert len(dep.history(node['uuid'])) == events_before


def outcome(dep, node, request_id):
    """The final history event (succeeded/failed/refused) of one async request, or None."""
    for event in dep.history(node['uuid']):
        if event['request_id'] == request_id and not event['event'].endswith(' started'):
            return event
    return None


# -- 1. unknown node, unknown driver ---------------------------------------------


@pytest.mark.parametrize('verb,path,body', [
    ('POST', NODE % 'nosuch' + '/third_method_sync', {'bar': 'meow'}),
    ('POST', NODE % 'nosuch' + '?method=second_method', {'bar': 'kazoo'}),
    ('GET', NODE % 'nosuch' + '/methods', None),
    ('POST', NODE % '9b4ee3c4-1ce4-4bf4-8ab9-4f6f1f3f00aa' + '/third_method_sync',
     {'bar': 'meow'}),
])
def test_unknown_node_is_404(dep, verb, path, body):
    resp = dep.request(verb, path, body)
    assert resp.status_code == 404, resp.text
    ident = path.split('/')[3]
    assert fault(resp)['faultstring'] == 'Node %s could not be found.' % ident


@pytest.mark.parametrize('verb,path', [
    ('GET', '/v1/drivers/nosuch'),
    ('GET', '/v1/drivers/nosuch/vendor_passthru/methods'),
    ('POST', '/v1/drivers/nosuch/vendor_passthru/driver_echo'),
    ('POST', '/v1/drivers/nosuch/vendor_passthru?method=driver_echo'),
    ('POST', '/v1/drivers/nosuch/vendor_passthru/driver_noop'),
])
def test_unknown_driver_is_404(dep, verb, path):
    resp = dep.request(verb, path, {} if verb == 'POST' else None)
    assert resp.status_code == 404, resp.text
    assert fault(resp)['faultstring'] == "The driver 'nosuch' is unknown."


# -- 2. malformed calls: 400 with a reason, before anything runs ------------------

BAD_NODE_CALLS = [
    ('unknown method', 'POST', '/nosuch', {'bar': 'meow'}, None,
     'No handler for method nosuch'),
    ('no method', 'POST', '', {'bar': 'meow'}, None, 'Missing mandatory parameter: method'),
    ('no method, GET', 'GET', '', None, None, 'Missing mandatory parameter: method'),
    ('no method, empty ?method=', 'POST', '?method=', {'bar': 'meow'}, None,
     'Missing mandatory parameter: method'),
    ('path and query differ', 'POST', '/third_method_sync?method=second_method',
     {'bar': 'meow'}, None,
     'Method named twice: third_method_sync in the path and second_method in the query'),
    ('GET on a POST method', 'GET', '/third_method_sync', {'bar': 'meow'}, None,
     'The method third_method_sync does not support HTTP GET'),
    ('PUT on a POST method', 'PUT', '/third_method_sync', {'bar': 'meow'}, None,
     'The method third_method_sync does not support HTTP PUT'),
    ('DELETE on an async POST method', 'DELETE', '/second_method', {'bar': 'kazoo'}, None,
     'The method second_method does not support HTTP DELETE'),
    ('body not JSON', 'POST', '/third_method_sync', None, 'notjson',
     'Request body is not valid JSON: Expecting value: line 1 column 1 (char 0)'),
    ('body not JSON, async', 'POST', '/second_method', None, '{"bar": ',
     'Request body is not valid JSON: Expecting value: line 1 column 9 (char 8)'),
    ('body a JSON list', 'POST', '/third_method_sync', [1, 2], None,
     'Request body must be a JSON object, not list'),
    ('body a JSON list, method without schema', 'POST', '/log_passthrough', ['x'], None,
     'Request body must be a JSON object, not list'),
    ('body a JSON string', 'POST', '/second_method', 'kazoo', None,
     'Request body must be a JSON object, not str'),
    ('missing argument, sync', 'POST', '/third_method_sync', {}, None,
     "Parameter 'bar' not passed to method 'third_method_sync'."),
    ('missing argument, sync, no body', 'POST', '/third_method_sync', None, None,
     "Parameter 'bar' not passed to method 'third_method_sync'."),
    ('missing argument, async', 'POST', '/second_method', {}, None,
     "Parameter 'bar' not passed to method 'second_method'."),
    ('missing argument, shared lock', 'POST', '/fourth_method_shared_lock', {}, None,
     "Parameter 'bar' not passed to method 'fourth_method_shared_lock'."),
    ('extra argument, sync', 'POST', '/third_method_sync', {'bar': 'meow', 'extra': 1}, None,
     "Invalid argument for method third_method_sync: Additional properties are not allowed "
     "('extra' was unexpected)"),
    ('extra argument, async', 'POST', '/second_method', {'bar': 'kazoo', 'extra': 1}, None,
     "Invalid argument for method second_method: Additional properties are not allowed "
     "('extra' was unexpected)"),
    ('argument of the wrong shape', 'POST', '/third_method_sync', {'bar': ''}, None,
     "Invalid argument 'bar' for method third_method_sync: '' should be non-empty"),
    ('query-string argument', 'POST', '/third_method_sync?id=1', {'bar': 'meow'}, None,
     'Unexpected arguments: id'),
    ('query-string arguments, ?method= form', 'POST',
     '?method=third_method_sync&id=1&a=2', {'bar': 'meow'}, None, 'Unexpected arguments: a, id'),
    ('query-string argument, async', 'POST', '/second_method?bar=kazoo', {'bar': 'kazoo'},
     None, 'Unexpected arguments: bar'),
]


@pytest.mark.parametrize('verb,suffix,body,raw,message',
                         [case[1:] for case in BAD_NODE_CALLS],
                         ids=[case[0] for case in BAD_NODE_CALLS])
def test_bad_node_call_is_400(dep, node, verb, suffix, body, raw, message):
    resp = dep.request(verb, NODE % node['uuid'] + suffix, body, raw=raw)
    assert resp.status_code == 400, resp.text
    assert fault(resp)['faultstring'] == message
    assert_untouched(dep, node)


BAD_DRIVER_CALLS = [
    ('unknown method', 'POST', '/nosuch', {}, None, 'No handler for method nosuch'),
    ('no method', 'POST', '', {}, None, 'Missing mandatory parameter: method'),
    ('path and query differ', 'POST', '/driver_echo?method=driver_noop', {}, None,
     'Method named twice: driver_echo in the path and driver_noop in the query'),
    ('GET on a POST method', 'GET', '/driver_echo', {}, None,
     'The method driver_echo does not support HTTP GET'),
    ('body not JSON', 'POST', '/driver_echo', None, '[', 'Request body is not valid JSON: '
     'Expecting value: line 1 column 2 (char 1)'),
    ('body a JSON list', 'POST', '/driver_noop', [], None,
     'Request body must be a JSON object, not list'),
    ('extra argument, async', 'POST', '/driver_noop', {'x': 1}, None,
     "Invalid argument for method driver_noop: Additional properties are not allowed "
     "('x' was unexpected)"),
    ('query-string argument', 'POST', '/driver_echo?x=1', {}, None, 'Unexpected arguments: x'),
]


@pytest.mark.parametrize('verb,suffix,body,raw,message',
                         [case[1:] for case in BAD_DRIVER_CALLS],
                         ids=[case[0] for case in BAD_DRIVER_CALLS])
def test_bad_driver_call_is_400(dep, verb, suffix, body, raw, message):
    resp = dep.request(verb, DRIVER + suffix, body, raw=raw)
    assert resp.status_code == 400, resp.text
    assert fault(resp)['faultstring'] == message


def test_same_method_in_path_and_query_is_fine(dep, node):
    """The control for "named twice": the same name in both places is one method."""
    resp = dep.post(NODE % node['uuid'] + '/third_method_sync?method=third_method_sync',
                    {'bar': 'meow'})
    assert resp.status_code == 200, resp.text
    assert resp.json() is True
    assert_untouched(dep, node)


# -- 3a. node locked by another host -------------------------------------------


def test_node_locked_by_another_host(dep, node):
    dep.set_reservation(node['uuid'], 'other-host')
    try:
        locked = ('Node %s is locked by host other-host, please retry after the current '
                  'operation is completed.' % node['uuid'])
        # sync: the conductor retries (attempts - 1) x interval = 2 s, then 409
        start = time.monotonic()
        resp = dep.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
        elapsed = time.monotonic() - start
        assert resp.status_code == 409, resp.text
        assert fault(resp)['faultstring'] == locked
        assert 1.8 <= elapsed < 5, elapsed

        # async exclusive: the API refuses at once
        start = time.monotonic()
        resp = dep.post(NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'})
        assert resp.status_code == 409, resp.text
        assert time.monotonic() - start < 1
        assert fault(resp)['faultstring'] == locked
        assert dep.history(node['uuid']) == []

        # shared lock: accepted and run in spite of the reservation
        resp = dep.post(NODE % node['uuid'] + '/fourth_method_shared_lock', {'bar': 'woof'})
        assert resp.status_code == 202, resp.text
        request_id = resp.headers['x-openstack-request-id']
        event = wait_for(lambda: outcome(dep, node, request_id), 20,
                         what='shared-lock method outcome')
        assert event['event'] == 'Vendor passthru fourth_method_shared_lock succeeded: ' \
                                 'returned True'
        # nobody took or dropped the other host's lock
        assert dep.node(node['uuid'])['reservation'] == 'other-host'
    finally:
        dep.set_reservation(node['uuid'], None)
    assert dep.node(node['uuid'])['reservation'] is None
    resp = dep.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 200, resp.text


# -- 4. body too large -------------------------------------------------------------


def _body(size):
    """A JSON object body of exactly ``size`` bytes."""
    head, tail = b'{"bar": "', b'"}'
    return head + b'x' * (size - len(head) - len(tail)) + tail


def _chunked(data, size=1000):
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.mark.parametrize('size', [BODY_LIMIT + 1, 10 * BODY_LIMIT, 3 * 1024 * 1024])
@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_body_over_the_limit_is_413(dep, node, size, chunked):
    data = _body(size)
    resp = dep.request('POST', NODE % node['uuid'] + '/third_method_sync',
                       raw=_chunked(data) if chunked else data)
    assert resp.status_code == 413, resp.text
    assert fault(resp)['faultstring'] == 'Request body is larger than %d bytes.' % BODY_LIMIT
    assert_untouched(dep, node)


@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_body_at_the_limit_is_read(dep, node, chunked):
    """The control: a body of exactly the limit reaches the method."""
    data = _body(BODY_LIMIT)
    resp = dep.request('POST', NODE % node['uuid'] + '/third_method_sync',
                       raw=_chunked(data) if chunked else data)
    assert resp.status_code == 200, resp.text
    assert resp.json() is False
    assert_untouched(dep, node)


def test_async_body_over_the_limit_is_413(dep, node):
    resp = dep.request('POST', NODE % node['uuid'] + '/second_method',
                       raw=_body(BODY_LIMIT + 100))
    assert resp.status_code == 413, resp.text
    assert_untouched(dep, node)


# -- 8. a method that raises ---------------------------------------------------------

DELAY_ERROR = '[fake] vendor_delay must be "x" or "a,b" seconds, not \'abc\''


def test_raising_sync_method_is_400(broken):
    node = broken.create_node('raise-sync')
    resp = broken.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 400, resp.text
    assert fault(resp)['faultstring'] == DELAY_ERROR
    assert broken.node(node['uuid'])['reservation'] is None
    # the lock was released: a second call meets the same error, not a 409
    resp = broken.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 400, resp.text


def test_raising_driver_method_is_400(broken):
    resp = broken.post(DRIVER + '/driver_echo', {'a': 1})
    assert resp.status_code == 400, resp.text
    assert fault(resp)['faultstring'] == DELAY_ERROR


@pytest.mark.parametrize('method,bar', [('second_method', 'kazoo'),
                                        ('fourth_method_shared_lock', 'woof')])
def test_raising_async_method_recorded_as_failed(broken, method, bar):
    node = broken.create_node('raise-%s' % method.replace('_', '-'))
    resp = broken.post(NODE % node['uuid'] + '/' + method, {'bar': bar})
    assert resp.status_code == 202, resp.text
    assert resp.content == b''
    request_id = resp.headers['x-openstack-request-id']
    event = wait_for(lambda: outcome(broken, node, request_id), 20, what='async outcome')
    expected = 'Vendor passthru %s failed: %s' % (method, DELAY_ERROR)
    assert event['event'] == expected
    assert event['severity'] == 'ERROR'
    assert event['conductor'] == broken.owner(node['uuid'])
    current = broken.node(node['uuid'])
    assert current['last_error'] == expected
    assert current['reservation'] is None


def test_fault_bodies_are_json_strings(dep):
    """Ironic double-encodes: error_message is a JSON string, not an object."""
    resp = dep.post(NODE % 'nosuch' + '/third_method_sync', {'bar': 'meow'})
    assert isinstance(resp.json()['error_message'], str)
    assert json.loads(resp.json()['error_message'])['faultcode'] == 'Client'
