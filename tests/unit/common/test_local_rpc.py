"""The in-process dispatcher delivers like a real transport: JSON, typed errors, timeouts."""

import datetime
import threading

import oslo_messaging
import pytest

from anvil.common import exception, local_rpc
from anvil.common.context import RequestContext


class Endpoint:
    """A stand-in conductor: the dispatcher, not the endpoint, is under test."""

    def __init__(self):
        self.received = []
        self.raised = None
        self.gate = threading.Event()

    def echo(self, context, **kwargs):
        self.received.append((context, kwargs))
        return {'kwargs': kwargs, 'pair': (1, 2), 'when': datetime.datetime(2026, 1, 2, 3, 4)}

    @oslo_messaging.expected_exceptions(exception.AnvilException)
    def locked(self, context):
        self.raised = exception.NodeLocked(node='n1', host='other-host')
        raise self.raised

    @oslo_messaging.expected_exceptions(exception.AnvilException)
    def driver_failed(self, context):
        raise exception.DriverOperationError(method='m', reason='BMC said no', code=404)

    def undecorated(self, context):
        raise exception.NoHandlerForMethod(method='m')

    def broken(self, context):
        raise ValueError('boom')

    def slow(self, context):
        self.gate.wait(5)
        return 'late'


@pytest.fixture
def endpoint():
    endpoint = Endpoint()
    yield endpoint
    endpoint.gate.set()


@pytest.fixture
def client(endpoint):
    client = local_rpc.LocalClient(endpoint)
    yield client
    client.shutdown()


@pytest.fixture
def ctx():
    return RequestContext(request_id='req-1', user_id='alice')


def test_call_goes_through_a_json_round_trip(client, endpoint, ctx):
    reply = client.prepare(timeout=5).call(ctx, 'echo', args=('a', 'b'), info={'k': None})
    assert reply == {'kwargs': {'args': ['a', 'b'], 'info': {'k': None}}, 'pair': [1, 2],
                     'when': '2026-01-02T03:04:00.000000'}
    assert endpoint.received[0][1] == {'args': ['a', 'b'], 'info': {'k': None}}


def test_context_arrives_rebuilt(client, endpoint, ctx):
    client.prepare(timeout=5).call(ctx, 'echo')
    received = endpoint.received[0][0]
    assert received is not ctx
    assert isinstance(received, RequestContext)
    assert (received.request_id, received.user_id) == ('req-1', 'alice')


def test_expected_anvil_exception_comes_back_as_its_class(client, endpoint, ctx):
    with pytest.raises(exception.NodeLocked) as e:
        client.prepare(timeout=5).call(ctx, 'locked')
    assert e.value is not endpoint.raised
    assert e.value.kwargs == {'node': 'n1', 'host': 'other-host'}
    assert str(e.value) == str(endpoint.raised)


def test_driver_error_keeps_its_code(client, ctx):
    with pytest.raises(exception.DriverOperationError) as e:
        client.prepare(timeout=5).call(ctx, 'driver_failed')
    assert e.value.code == 404
    assert str(e.value) == 'Vendor method m failed: BMC said no'


def test_undecorated_anvil_exception_is_rebuilt_too(client, ctx):
    with pytest.raises(exception.NoHandlerForMethod, match='No handler for method m'):
        client.prepare(timeout=5).call(ctx, 'undecorated')


def test_other_exceptions_become_remote_errors(client, ctx):
    with pytest.raises(oslo_messaging.RemoteError) as e:
        client.prepare(timeout=5).call(ctx, 'broken')
    assert (e.value.exc_type, e.value.value) == ('ValueError', 'boom')


def test_call_times_out_with_messaging_timeout(client, endpoint, ctx):
    with pytest.raises(oslo_messaging.MessagingTimeout):
        client.prepare(timeout=0.05).call(ctx, 'slow')
    assert not endpoint.gate.is_set()


def test_cast_delivers_and_returns_nothing(client, endpoint, ctx):
    assert client.prepare().cast(ctx, 'echo', x=(1,)) is None
    assert endpoint.received[0][1] == {'x': [1]}


@pytest.mark.parametrize('method', ['locked', 'broken'])
def test_cast_errors_stay_on_the_conductor_side(client, ctx, method):
    assert client.prepare().cast(ctx, method) is None
