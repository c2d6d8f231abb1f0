"""BusClient: the first call probes the bus on the deadline pool, later ones go direct."""

import threading

import pytest

from anvil.common import exception, rpc
from anvil.common.context import RequestContext
from anvil.common.rpc import Send


class RecordingClient:
    """An oslo.messaging RPC client's interface that records what was sent, and from where."""

    def __init__(self, block=None):
        self.sent = []
        self.block = block

    def prepare(self, **options):
        return _Prepared(self, options)


class _Prepared:
    def __init__(self, client, options):
        self._client, self._options = client, options

    def _record(self, kind, method, kwargs):
        self._client.sent.append((kind, method, self._options.get('topic'),
                                  self._options.get('server'), kwargs,
                                  threading.current_thread() is threading.main_thread()))

    def call(self, ctxt, method, **kwargs):
        self._record('call', method, kwargs)
        if self._client.block is not None:
            self._client.block.wait(30)
        return {'return': method}

    def cast(self, ctxt, method, **kwargs):
        self._record('cast', method, kwargs)


@pytest.fixture
def ctx():
    return RequestContext(request_id='req-11111111-2222-3333-4444-555555555555')


def _bus(monkeypatch, client):
    monkeypatch.setattr(rpc, 'get_client', lambda: client)
    return rpc.BusClient()


def test_first_call_probes_then_calls_from_the_pool(monkeypatch, ctx, conf):
    client = RecordingClient()
    bus = _bus(monkeypatch, client)
    try:
        assert bus.send(Send.CALL, ctx, 'c1', 'vendor_passthru', 10, 5, a=1) == \
            {'return': 'vendor_passthru'}
        assert bus.send(Send.CALL, ctx, 'c1', 'vendor_passthru', 10, 5, a=2) == \
            {'return': 'vendor_passthru'}
    finally:
        bus.shutdown()
    topic = '%s.bus_probe' % conf.conductor.topic
    assert client.sent == [
        ('cast', 'bus_probe', topic, None, {}, False),        # on the deadline pool
        ('call', 'vendor_passthru', None, 'c1', {'a': 1}, False),
        ('call', 'vendor_passthru', None, 'c1', {'a': 2}, True),  # bus reached: direct
    ]


def test_a_cast_before_any_call_goes_through_the_pool_without_probe(monkeypatch, ctx):
    client = RecordingClient()
    bus = _bus(monkeypatch, client)
    try:
        assert bus.send(Send.CAST, ctx, 'c1', 'vendor_passthru', None, 5, a=1) is None
    finally:
        bus.shutdown()
    assert client.sent == [('cast', 'vendor_passthru', None, 'c1', {'a': 1}, False)]


def test_a_first_call_past_its_deadline_is_a_timeout(monkeypatch, ctx):
    """The pool's deadline (timeout + slack) holds where the library would wait on."""
    release = threading.Event()
    bus = _bus(monkeypatch, RecordingClient(block=release))
    try:
        with pytest.raises(exception.ConductorTimeout) as e:
            bus.send(Send.CALL, ctx, 'c1', 'vendor_passthru', 0.1, 5)
        assert e.value.kwargs == {'host': 'c1', 'timeout': 0.1, 'monitor': 5}
    finally:
        release.set()
        bus.shutdown()


def test_a_local_client_never_probes(ctx):
    client = RecordingClient()
    bus = rpc.BusClient(client)
    assert bus.local
    bus.send(Send.CALL, ctx, 'c1', 'vendor_passthru', 10, 5)
    bus.shutdown()
    assert [s[:2] for s in client.sent] == [('call', 'vendor_passthru')]
