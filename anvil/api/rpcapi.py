"""Client side of the conductor RPC API: the API process's only way to a conductor.

Mirrors ``ConductorManager`` method for method. Routing: node methods go to
the node's owner on the hash ring, driver methods to any live conductor of
the driver. Sync methods are an RPC ``call`` (timeout, bounded retry,
``call_monitor_timeout``), async ones a ``cast`` sent ``at_least_once`` so an
unroutable cast raises. Transport failures become anvil exceptions:

- ``MessageBusUnavailable`` / ``NoFreeConductor`` (503): nothing ran;
- ``ConductorTimeout`` (504): no answer in time, the method may have run.
"""

import functools
import os
import threading
import time

import futurist
import kombu.exceptions
import oslo_messaging
from oslo_log import log

from anvil.common import exception, rpc
from anvil.common.config import CONF

LOG = log.getLogger(__name__)

#: Extra seconds the API waits beyond the RPC timeout before it gives up itself.
_DEADLINE_SLACK = 2.0
#: Seconds a cast may take to be handed to the broker (bounded retry included).
_CAST_DEADLINE = 5.0
_TRANSPORT_ERRORS = (oslo_messaging.MessageDeliveryFailure, kombu.exceptions.OperationalError,
                     ConnectionError, OSError)


class ConductorAPI:
    """RPC client of the conductors. ``client`` overrides oslo.messaging (all-in-one)."""

    def __init__(self, topology_cache, client=None):
        self.topology = topology_cache
        self._local_client = client
        self._client = None
        self._pid = None
        self._pool = None
        self._lock = threading.Lock()
        self._bus_reached = False

    # -- plumbing --------------------------------------------------------

    def _ensure(self):
        """Client and deadline pool of this process, made after any fork."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._client = self._local_client or rpc.get_client()
                    self._pool = futurist.ThreadPoolExecutor(
                        max_workers=CONF.executor_thread_pool_size)
                    self._bus_reached = self._local_client is not None
                    self._pid = os.getpid()
        return self._client

    def _send(self, kind, ctx, host, rpc_method, timeout, **kwargs):
        client = self._ensure()
        cctxt = client.prepare(
            server=host, timeout=timeout, retry=CONF.api.rpc_retry,
            call_monitor_timeout=CONF.api.call_monitor_timeout if kind == 'call' else None,
            transport_options=oslo_messaging.TransportOptions(at_least_once=True))
        send = getattr(cctxt, kind)
        if kind == 'call' and not self._bus_reached:
            send = functools.partial(self._first_call, client, cctxt)
        try:
            if self._bus_reached:
                # Past the first call the reply queue exists: the call's own timeout
                # and call_monitor_timeout bound the wait, the bounded retry a lost
                # broker (for casts too), so it runs on this thread (the pool's
                # hand-off cost about 8 % of a sync call's time under load).
                return send(ctx, rpc_method, **kwargs)
            return self._in_pool(kind, host, timeout, send, ctx, rpc_method, kwargs)
        except oslo_messaging.MessagingTimeout:
            self.topology.invalidate()
            raise exception.ConductorTimeout(host=host, timeout=timeout,
                                            monitor=CONF.api.call_monitor_timeout) from None
        except oslo_messaging.MessageUndeliverable:
            self.topology.invalidate()
            raise exception.NoFreeConductor(driver=kwargs.get('driver_name') or host) from None
        except _TRANSPORT_ERRORS as e:
            LOG.warning('Message bus unavailable for %s to %s: %s', rpc_method, host, e)
            raise exception.MessageBusUnavailable(reason=str(e) or type(e).__name__) from None

    def _in_pool(self, kind, host, timeout, send, ctx, rpc_method, kwargs):
        """Send on the deadline pool: a hard deadline where the library has none."""
        try:
            future = self._pool.submit(send, ctx, rpc_method, **kwargs)
        except futurist.RejectedSubmission:
            raise exception.MessageBusUnavailable(reason='too many calls in flight') from None
        try:
            return future.result(timeout=timeout + _DEADLINE_SLACK if timeout else _CAST_DEADLINE)
        except futurist.TimeoutError:
            future.cancel()
            if kind == 'cast':
                raise exception.MessageBusUnavailable(reason='send timed out') from None
            raise exception.ConductorTimeout(host=host, timeout=timeout,
                                            monitor=CONF.api.call_monitor_timeout) from None

    def _first_call(self, client, cctxt, ctx, rpc_method, **kwargs):
        """A call made before this process ever reached the bus: probe it first.

        oslo.messaging opens the reply queue of a process's first call with
        unbounded retries, so while the broker is unreachable that call would
        hang until the deadline (504) although nothing was sent. A cast that no
        one receives, with the bounded retry, fails fast instead (503).
        """
        client.prepare(topic='%s.bus_probe' % rpc.conductor_topic(),
                       retry=CONF.api.rpc_retry).cast(ctx, 'bus_probe')
        try:
            return cctxt.call(ctx, rpc_method, **kwargs)
        finally:  # past the probe, the reply queue is made: later calls need no probe
            self._bus_reached = True

    def shutdown(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _route(self, kind, ctx, pick_host, rpc_method, **kwargs):
        """Send to the host ``pick_host(topology)`` names.

        A conductor that answers ConductorShuttingDown ran nothing and is already
        offline in the DB: re-read the topology and send once more to the new
        owner. Casts carry no timeout (no broker TTL): a cast that waits in a
        stopped conductor's queue is recorded as expired when it is read. A
        call carries the time its caller gives up if no conductor has started
        it (``call_monitor_timeout``): one read later is not run.
        """
        timeout = CONF.rpc_response_timeout if kind == 'call' else None
        try:
            return self._send(kind, ctx, pick_host(self.topology.get()), rpc_method, timeout,
                              **self._stamped(kind, kwargs))
        except exception.ConductorShuttingDown:
            self.topology.invalidate()
            return self._send(kind, ctx, pick_host(self.topology.get()), rpc_method, timeout,
                              **self._stamped(kind, kwargs))

    def _stamped(self, kind, kwargs):
        """``kwargs`` with the send time of a cast or the give-up time of a call's caller."""
        if kind == 'cast':
            return dict(kwargs, sent_at=time.time())
        if self._local_client is None:  # unread by then, a call has no caller
            return dict(kwargs, caller_gives_up_at=time.time() + CONF.api.call_monitor_timeout)
        return kwargs

    # -- the API ------------------------------------------------------------

    def vendor_passthru(self, ctx, node, method, http_method, info, async_call, expect=None):
        """Run node ``method`` on the node's owner.

        Returns {'return': value, 'attach': bool} for sync methods, None once an
        async one is sent. The node's driver and vendor interface ride along,
        so the conductor need not read the node before locking it; so does
        ``expect`` when ``node`` came from the API's route cache. Raises the
        conductor's exceptions (see the manager) and the transport ones above.
        """
        extra = {'expect': expect} if expect else {}
        return self._route('cast' if async_call else 'call', ctx,
                           lambda topology: topology.owner(node), 'vendor_passthru',
                           node_id=node['id'], driver_method=method, http_method=http_method,
                           info=info, driver=node['driver'],
                           vendor_interface=node['vendor_interface'], **extra)

    def driver_vendor_passthru(self, ctx, driver, method, http_method, info, async_call):
        """Run driver ``method`` on any live conductor of ``driver``; as vendor_passthru."""
        return self._route('cast' if async_call else 'call', ctx,
                           lambda topology: topology.any_host(driver), 'driver_vendor_passthru',
                           driver_name=driver, driver_method=method, http_method=http_method,
                           info=info)
