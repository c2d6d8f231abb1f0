"""Whether a conductor still hears the message bus, so a deaf one steps out of the ring.

A conductor cut from RabbitMQ but not from the database keeps renewing its
lease: the APIs go on routing its nodes to its queue, where calls wait for
a listener that is not there (504 after ``call_monitor_timeout``) and casts
wait until the link comes back. Its peers could serve those nodes, and read
its queue (``conductor/orphan_queues.py``), if it were not alive.

So the lease thread asks ``BusWatch.hears()`` before each heartbeat. Once
the RPC server's broker connection has been down for ``[conductor]
bus_lost_timeout`` seconds, the conductor heartbeats as *offline*: its lease
goes on (its locks stay, the methods it runs finish and record their
outcomes through the database), but it leaves the hash ring, and its peers
read its queue on their next heartbeat, as for a dead conductor. When the
connection is back, the next heartbeat puts it online again and the peers
stop reading its queue. Nothing is restarted either way.

The connection's state is read from oslo.messaging's RabbitMQ driver (the
listener's kombu connection, which the driver re-opens by itself with
backoff): it turns false as soon as the driver sees the socket closed. A
link that dies silently (no FIN, no RST) is only seen when the driver's
AMQP heartbeats time out (``[oslo_messaging_rabbit]
heartbeat_timeout_threshold``). A server on another transport (the
in-process one of the all-in-one and the unit tests) always hears.
"""

import time

from oslo_log import log

from anvil.common.config import CONF

LOG = log.getLogger(__name__)


def _kombu_connection(server):
    """The kombu connection the RPC server's listener consumes on, or None."""
    adapter = getattr(server, 'listener', None)
    listener = getattr(adapter, '_poll_style_listener', None)
    context = getattr(listener, 'conn', None)          # the driver's ConnectionContext
    rabbit = getattr(context, 'connection', None)      # impl_rabbit.Connection
    kombu = getattr(rabbit, 'connection', None)
    return kombu if hasattr(kombu, 'connected') else None


def listener_connected(server):
    """True unless ``server`` is a RabbitMQ RPC server whose connection is down."""
    kombu = _kombu_connection(server) if server is not None else None
    if kombu is None:   # not started, or another transport: nothing to watch
        return True
    try:
        return bool(kombu.connected)
    except Exception:   # the driver is tearing the connection down
        return False


class BusWatch:
    """``hears()``: False once the server's bus link has been down ``bus_lost_timeout`` s."""

    def __init__(self, host, server, connected=listener_connected):
        self.host = host
        self.server = server
        self._connected = connected
        self._lost_since = None   # time.monotonic() the link was first seen down
        self._deaf = False

    def hears(self):
        """Sample the link; log when the conductor goes deaf or hears again."""
        now = time.monotonic()
        if self._connected(self.server):
            if self._deaf:
                LOG.warning('%s hears the message bus again after %.1f s: back online',
                            self.host, now - self._lost_since)
            self._lost_since, self._deaf = None, False
            return True
        if self._lost_since is None:
            self._lost_since = now
        if not self._deaf and now - self._lost_since >= CONF.conductor.bus_lost_timeout:
            self._deaf = True
            LOG.error('%s lost its message bus connection %.1f s ago: it goes offline '
                      '(keeping its lease and locks) so its peers serve its nodes and '
                      'read its queue until the bus is back', self.host,
                      now - self._lost_since)
        return not self._deaf
