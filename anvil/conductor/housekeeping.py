"""A conductor's two background threads: one renews the lease, one looks after the rest.

The lease thread does nothing but heartbeat and read the conductor list, so
no slow chore can make a live conductor look dead: stopping an RPC server on
a revived peer's queue, for one, takes seconds (oslo.messaging waits for the
listener to stop). It runs every ``heartbeat_interval``, and sooner when a
peer's lease runs out first, so that peer's nodes are taken over at once.

The chores thread takes each fresh conductor list and then reads the queues
of peers that are not alive (``OrphanQueues``), frees this conductor's own
locks that no call holds, and — once this conductor has held its lease for a
whole lease without a gap (``Lease.may_judge_others``) — frees the locks of
peers whose lease is over, recording an outcome for any async call they
were running (``async_outcome.record_interrupted``).
"""

import threading
import time

from oslo_log import log

from anvil.common.config import CONF
from anvil.conductor import async_outcome, health
from anvil.db import conductors as db_conductors

LOG = log.getLogger(__name__)

#: Seconds after a peer's lease runs out at which the next heartbeat looks again.
AFTER_PEER_LEASE = 0.05


class Housekeeping:
    """The lease and chores threads of one conductor.

    ``online()`` says whether heartbeats should keep the conductor routable
    (False once it stops, and while it has lost its message bus: then it
    also leaves dead peers' queues alone, which it could not read);
    ``orphans`` is an ``OrphanQueues`` or None (no
    RPC server: the all-in-one). ``beat_lock`` is held around each heartbeat,
    so that once the service's stop() has taken it and marked itself
    stopping, no heartbeat marks the conductor online again.
    """

    def __init__(self, host, lease, manager, orphans, online, beat_lock):
        self.host = host
        self.lease = lease
        self.manager = manager
        self.orphans = orphans
        self._online = online
        self._beat_lock = beat_lock
        self._stop = threading.Event()
        self._news = threading.Condition()
        self._conductors = None
        self._threads = []

    def start(self):
        for target, name in ((self._lease_loop, 'anvil-conductor-lease'),
                             (self._chores_loop, 'anvil-conductor-chores')):
            thread = threading.Thread(target=target, daemon=True, name=name)
            thread.start()
            self._threads.append(thread)

    def stop(self):
        self._stop.set()
        with self._news:
            self._news.notify_all()
        for thread in self._threads:
            thread.join()

    # -- the lease thread ----------------------------------------------------

    def _lease_loop(self):
        wait = CONF.conductor.heartbeat_interval
        while not self._stop.wait(wait):
            began = time.monotonic()
            peer_lease_left = self.renew()
            wait = CONF.conductor.heartbeat_interval - (time.monotonic() - began)
            if peer_lease_left is not None:
                wait = min(wait, peer_lease_left + AFTER_PEER_LEASE)
            wait = max(0.0, wait)

    def renew(self):
        """Heartbeat, read the conductor list and hand it to the chores thread.

        Returns the seconds until the first live peer's lease runs out (None:
        no live peer, or the heartbeat failed).
        """
        try:
            with self._beat_lock:
                online = self._online()
                self.lease.renew(lambda: db_conductors.heartbeat(self.host, online=online))
                if online:
                    health.heartbeat_succeeded()
            conductors = db_conductors.list_conductors(CONF.conductor.heartbeat_timeout)
        except Exception:
            LOG.exception('Heartbeat of %s failed; retrying (it fences itself in %.1f s '
                          'without one)', self.host,
                          max(0.0, CONF.conductor.heartbeat_timeout
                              - CONF.conductor.lease_fence_margin - self.lease.age()))
            return None
        with self._news:
            self._conductors = conductors
            self._news.notify()
        return min((c['lease_left'] for c in conductors
                    if c['alive'] and c['hostname'] != self.host), default=None)

    # -- the chores thread ---------------------------------------------------

    def _chores_loop(self):
        while True:
            with self._news:
                while self._conductors is None and not self._stop.is_set():
                    self._news.wait()
                if self._stop.is_set():
                    return
                conductors, self._conductors = self._conductors, None
            self.chores(conductors)

    def chores(self, conductors):
        """Dead peers' queues, forgotten locks, dead peers' locks; never raises."""
        try:
            if self.orphans is not None and self._online():
                self.orphans.refresh(conductors)
        except Exception:
            LOG.exception('%s could not update the dead peers\' queues it reads', self.host)
        try:
            self.manager.locks.release_forgotten()
            if self.lease.may_judge_others():
                released = db_conductors.release_stale_reservations(
                    CONF.conductor.heartbeat_timeout)
                if released:
                    LOG.warning('Released %d locks held by dead conductors', len(released))
                    async_outcome.record_interrupted(released)
        except Exception:
            LOG.exception('Lock clean-up of %s failed; retrying next heartbeat', self.host)
