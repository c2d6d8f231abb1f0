"""Client side of the conductor RPC API: the API process's only way to a conductor.

Mirrors ``ConductorManager`` method for method. Routing: node methods go to
the node's owner on the hash ring, driver methods to any live conductor of
the driver. Sync methods are an RPC ``call`` (timeout, bounded retry,
``call_monitor_timeout``), async ones a ``cast`` sent ``at_least_once`` so an
unroutable cast raises. Transport failures become anvil exceptions:

- ``MessageBusUnavailable`` / ``NoFreeConductor`` (503): nothing ran;
- ``ConductorTimeout`` (504): no answer in time, the method may have run.
"""

import time

import kombu.exceptions
import oslo_messaging
from oslo_log import log

from anvil.common import exception, rpc, rpc_version_cap
from anvil.common.config import CONF
from anvil.common.rpc import Send

LOG = log.getLogger(__name__)

_TRANSPORT_ERRORS = (oslo_messaging.MessageDeliveryFailure, kombu.exceptions.OperationalError,
                     ConnectionError, OSError)


class ConductorAPI:
    """RPC client of the conductors. ``client`` overrides oslo.messaging (all-in-one)."""

    def __init__(self, topology_cache, client=None):
        self.topology = topology_cache
        self._bus = rpc.BusClient(client)

    def shutdown(self):
        self._bus.shutdown()

    def _send(self, kind, ctx, host, rpc_method, timeout, **kwargs):
        """Send on the bus; transport failures become anvil exceptions (see above).

        The call goes as the oldest RPC version that knows its arguments, within
        ``[DEFAULT] pin_release_version`` (anvil/common/rpc_version_cap.py).
        """
        version, kwargs = rpc_version_cap.prepare_call(rpc_method, kwargs)
        try:
            return self._bus.send(kind, ctx, host, rpc_method, timeout,
                                  CONF.api.call_monitor_timeout, rpc_version=version, **kwargs)
        except oslo_messaging.MessagingTimeout:
            self.topology.invalidate()
            raise exception.ConductorTimeout(host=host, timeout=timeout,
                                            monitor=CONF.api.call_monitor_timeout) from None
        except oslo_messaging.MessageUndeliverable:
            self.topology.invalidate()
            raise exception.NoFreeConductor(driver=kwargs.get('driver_name') or host) from None
        except (oslo_messaging.RemoteError, oslo_messaging.UnsupportedVersion) as e:
            if rpc_version_cap.is_unsupported_version(e):
                raise rpc_version_cap.unsupported_version_error(host, rpc_method,
                                                                version) from None
            raise
        except _TRANSPORT_ERRORS as e:
            LOG.warning('Message bus unavailable for %s to %s: %s', rpc_method, host, e)
            raise exception.MessageBusUnavailable(reason=str(e) or type(e).__name__) from None

    @staticmethod
    def can_send(rpc_method, argument):
        """True when the conductors of the pinned release accept ``argument``."""
        return rpc_version_cap.can_send(rpc_method, argument)

    def _route(self, kind, ctx, pick_host, rpc_method, **kwargs):
        """Send to the host ``pick_host(topology)`` names.

        A conductor that answers ConductorShuttingDown ran nothing and is already
        offline in the DB: re-read the topology and send once more to the new
        owner. Casts carry no timeout (no broker TTL): a cast that waits in a
        stopped conductor's queue is recorded as expired when it is read. A
        call carries the time its caller gives up if no conductor has started
        it (``call_monitor_timeout``): one read later is not run.
        """
        timeout = CONF.rpc_response_timeout if kind is Send.CALL else None
        try:
            return self._send(kind, ctx, pick_host(self.topology.get()), rpc_method, timeout,
                              **self._stamped(kind, kwargs))
        except exception.ConductorShuttingDown:
            self.topology.invalidate()
            return self._send(kind, ctx, pick_host(self.topology.get()), rpc_method, timeout,
                              **self._stamped(kind, kwargs))

    def _stamped(self, kind, kwargs):
        """``kwargs`` with the send time of a cast or the give-up time of a call's caller."""
        if kind is Send.CAST:
            return dict(kwargs, sent_at=time.time())
        if not self._bus.local:  # unread by then, a call has no caller
            return dict(kwargs, caller_gives_up_at=time.time() + CONF.api.call_monitor_timeout)
        return kwargs

    # -- the API ------------------------------------------------------------

    def vendor_passthru(self, ctx, node, method, http_method, info, *, async_call,
                        expect=None):
        """Run node ``method`` on the node's owner.

        Returns {'return': value, 'attach': bool} for sync methods, None once an
        async one is sent. The node's driver and vendor interface ride along,
        so the conductor need not read the node before locking it; so does
        ``expect`` when ``node`` came from the API's route cache. Raises the
        conductor's exceptions (see the manager) and the transport ones above.
        """
        extra = {'expect': expect} if expect else {}
        return self._route(Send.CAST if async_call else Send.CALL, ctx,
                           lambda topology: topology.owner(node), 'vendor_passthru',
                           node_id=node['id'], driver_method=method, http_method=http_method,
                           info=info, driver=node['driver'],
                           vendor_interface=node['vendor_interface'], **extra)

    def driver_vendor_passthru(self, ctx, driver, method, http_method, info, *, async_call):
        """Run driver ``method`` on any live conductor of ``driver``; as vendor_passthru."""
        return self._route(Send.CAST if async_call else Send.CALL, ctx,
                           lambda topology: topology.any_host(driver), 'driver_vendor_passthru',
                           driver_name=driver, driver_method=method, http_method=http_method,
                           info=info)
