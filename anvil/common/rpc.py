"""oslo.messaging setup: transport, RPC client, RPC server, context serializer.

The transport is created lazily per process (never before a fork) with
``allowed_remote_exmods`` so conductor exceptions arrive as their own classes.
``BusClient`` is how a process sends: a client and deadline pool per process,
and a probe of the bus before the first call.
"""

import enum
import functools

import futurist
import oslo_messaging
from oslo_messaging import serializer as om_serializer
from oslo_messaging.rpc import server as rpc_server

from anvil.common import call_monitor, exception, release_versions
from anvil.common.config import CONF
from anvil.common.context import RequestContext
from anvil.common.per_process import PerProcess

EXMODS = ['anvil.common.exception']
RPC_API_VERSION = release_versions.RPC_VERSION

#: Extra seconds a caller waits beyond the RPC timeout before it gives up itself.
_DEADLINE_SLACK = 2.0
#: Seconds a cast may take to be handed to the broker (bounded retry included).
_CAST_DEADLINE = 5.0


class Send(enum.Enum):
    """How a message goes: ``CALL`` waits for the reply, ``CAST`` does not."""

    CALL = 'call'
    CAST = 'cast'



class RequestContextSerializer(om_serializer.Serializer):
    """Sends the context as a dict; rebuilds an anvil RequestContext on arrival."""

    def serialize_entity(self, ctxt, entity):
        return entity

    def deserialize_entity(self, ctxt, entity):
        return entity

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        ctxt = dict(ctxt)
        ctxt.pop('client_timeout', None)
        return RequestContext.from_dict(ctxt)


_transport = PerProcess(
    lambda: oslo_messaging.get_rpc_transport(CONF, allowed_remote_exmods=EXMODS))


def get_transport():
    """This process's RPC transport (re-created after a fork)."""
    return _transport.get()


def cleanup():
    """Close this process's transport (shutdown, tests)."""
    _transport.reset(close=lambda transport: transport.cleanup())


def conductor_topic():
    return CONF.conductor.topic


def get_client():
    """A client that sends no call newer than ``[DEFAULT] pin_release_version`` serves.

    oslo.messaging refuses (RPCVersionCapError) a call prepared above the cap.
    """
    version_cap = release_versions.rpc_version_cap(CONF.pin_release_version)
    target = oslo_messaging.Target(topic=conductor_topic(), version=version_cap)
    return oslo_messaging.get_rpc_client(get_transport(), target, version_cap=version_cap,
                                         serializer=RequestContextSerializer())


def get_server(host, endpoints, first_receiver_lives=None):
    """An RPC server for ``host`` on the conductor topic (threading executor).

    Built as ``oslo_messaging.get_rpc_server`` builds it, but with the
    dispatcher of ``call_monitor`` (no thread per call for heartbeats).
    ``first_receiver_lives``: see ``call_monitor.CallMonitorDispatcher``.
    """
    target = oslo_messaging.Target(topic=conductor_topic(), server=host,
                                   version=RPC_API_VERSION)
    dispatcher = call_monitor.CallMonitorDispatcher(
        endpoints, RequestContextSerializer(), None,
        first_receiver_lives=first_receiver_lives)
    return rpc_server.RPCServer(get_transport(), target, dispatcher)


class _ProcessBus:
    """What one process sends with: its client, its deadline pool, whether it reached the bus."""

    def __init__(self, local_client):
        self.client = local_client or get_client()
        self.pool = futurist.ThreadPoolExecutor(max_workers=CONF.executor_thread_pool_size)
        self.reached = local_client is not None


class BusClient:
    """Sends calls and casts to a conductor host; ``local_client`` replaces the bus.

    Raises oslo.messaging's exceptions, and MessageBusUnavailable (503) or
    ConductorTimeout (504) when the deadline pool is full or its deadline passes.
    """

    def __init__(self, local_client=None):
        self.local = local_client is not None
        self._process_bus = PerProcess(lambda: _ProcessBus(local_client))

    def send(self, kind, ctx, host, rpc_method, timeout, call_monitor_timeout, *,
             rpc_version=None, **kwargs):
        """``kind`` (a ``Send``) ``rpc_method`` to ``host``; the reply of a call.

        ``rpc_version``: the version the call goes as (None: the client's cap).
        """
        bus = self._process_bus.get()
        versioned = {'version': rpc_version} if rpc_version else {}
        cctxt = bus.client.prepare(
            server=host, timeout=timeout, retry=CONF.api.rpc_retry, **versioned,
            call_monitor_timeout=call_monitor_timeout if kind is Send.CALL else None,
            transport_options=oslo_messaging.TransportOptions(at_least_once=True))
        send = getattr(cctxt, kind.value)
        if bus.reached:
            # Past the first call the reply queue exists: the call's own timeout
            # and call_monitor_timeout bound the wait, the bounded retry a lost
            # broker (for casts too), so it runs on this thread (the pool's
            # hand-off was a measurable share of a sync call: bench/PROFILE.md).
            return send(ctx, rpc_method, **kwargs)
        if kind is Send.CALL:
            send = functools.partial(self._first_call, bus, cctxt)
        return self._in_pool(bus, kind, host, timeout, call_monitor_timeout,
                             functools.partial(send, ctx, rpc_method, **kwargs))

    @staticmethod
    def _in_pool(bus, kind, host, timeout, call_monitor_timeout, send):
        """Send on the deadline pool: a hard deadline where the library has none."""
        try:
            future = bus.pool.submit(send)
        except futurist.RejectedSubmission:
            raise exception.MessageBusUnavailable(reason='too many calls in flight') from None
        try:
            return future.result(timeout=timeout + _DEADLINE_SLACK if timeout else _CAST_DEADLINE)
        except futurist.TimeoutError:
            future.cancel()
            if kind is Send.CAST:
                raise exception.MessageBusUnavailable(reason='send timed out') from None
            raise exception.ConductorTimeout(host=host, timeout=timeout,
                                            monitor=call_monitor_timeout) from None

    @staticmethod
    def _first_call(bus, cctxt, ctx, rpc_method, **kwargs):
        """A call made before this process ever reached the bus: probe it first.

        oslo.messaging opens the reply queue of a process's first call with
        unbounded retries, so while the broker is unreachable that call would
        hang until the deadline (504) although nothing was sent. A cast that no
        one receives, with the bounded retry, fails fast instead (503).
        """
        bus.client.prepare(topic='%s.bus_probe' % conductor_topic(),
                           retry=CONF.api.rpc_retry).cast(ctx, 'bus_probe')
        try:
            return cctxt.call(ctx, rpc_method, **kwargs)
        finally:  # past the probe, the reply queue is made: later calls need no probe
            bus.reached = True

    def shutdown(self):
        bus = self._process_bus.current()
        if bus is not None:
            bus.pool.shutdown(wait=False)
