"""Read the RPC queues of conductors that are not alive, so no message waits forever.

RabbitMQ keeps a conductor's queue when the conductor dies or stops. Until
the APIs notice (its heartbeat goes stale, or they re-read the topology), a
cast routed to it gets its 202 and then waits in that queue: lost, unless the
conductor comes back. So every live conductor also consumes the queues of
conductors that are not alive and were seen in the last
``[conductor] orphan_queue_window`` seconds (``departed_queues`` deletes the
queue once that is over). What it
reads goes to its own manager, the same path as its own messages: a cast older
than ``[conductor] async_cast_ttl`` is recorded as expired, a fresh one runs
under the node's lock, and a call whose caller is still waiting is answered.
Several survivors may read the same queue; each message goes to one of them.
A conductor that is not alive only because it lost the message bus still
holds its lease and may be running a sync call the broker now delivers
again: such a call is answered 504, not run twice (``call_monitor``).
"""

import datetime
import functools
import threading

from oslo_config import cfg
from oslo_log import log
from oslo_utils.timeutils import utcnow

from anvil.common import rpc, server_stop
from anvil.db import conductors as db_conductors

CONF = cfg.CONF
LOG = log.getLogger(__name__)


def _leased(hostname):
    """Whether ``hostname`` still holds its lease (cut from the bus, not dead)."""
    try:
        return db_conductors.holds_lease(hostname, CONF.conductor.heartbeat_timeout)
    except Exception:   # unknown: better a 504 than a method run twice
        LOG.exception('Could not read the lease of %s', hostname)
        return True


class OrphanQueues:
    """Extra RPC servers, one per dead conductor, all feeding ``manager``."""

    def __init__(self, host, manager):
        self.host = host
        self.manager = manager
        self._servers = {}
        self._lock = threading.Lock()
        self._closed = False

    def refresh(self, conductors):
        """Start reading newly dead conductors' queues, stop for revived ones.

        ``conductors`` is ``db.conductors.list_conductors()``'s answer. After
        ``stop()`` it does nothing.
        """
        with self._lock:
            if not self._closed:
                self._refresh(conductors)

    def _refresh(self, conductors):
        cutoff = utcnow() - datetime.timedelta(seconds=CONF.conductor.orphan_queue_window)
        dead = {c['hostname'] for c in conductors
                if not c['alive'] and c['hostname'] != self.host
                and c['heartbeat_at'] >= cutoff}
        for hostname in sorted(dead - set(self._servers)):
            server = rpc.get_server(hostname, [self.manager],
                                    first_receiver_lives=functools.partial(_leased, hostname))
            server.start()
            self._servers[hostname] = server
            LOG.info('%s now reads the RPC queue of %s, which is not alive',
                     self.host, hostname)
        for hostname in sorted(set(self._servers) - dead):
            self._stop(hostname)
            LOG.info('%s stopped reading the RPC queue of %s', self.host, hostname)

    def _stop(self, hostname):
        server_stop.stop(self._servers.pop(hostname))

    def stop(self):
        with self._lock:
            self._closed = True
            for hostname in list(self._servers):
                self._stop(hostname)

    @property
    def hosts(self):
        return sorted(self._servers)
