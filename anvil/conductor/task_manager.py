"""Node locks: a context manager over the reservation column, released on every path.

``acquire`` takes the node's exclusive lock (``reserve_node``, one conditional
UPDATE) or, for ``shared=True``, only reads the node. Threads of this
conductor wanting the same node queue in FIFO order on a local ticket queue,
so a release wakes the next waiter at once instead of letting it poll; a lock
held by another host is retried every ``node_locked_retry_interval`` seconds.
The whole wait is bounded by (attempts - 1) × interval, as in Ironic, then
``NodeLocked`` (409).
"""

import collections
import contextlib
import dataclasses
import threading
import time

from oslo_log import log

from anvil.common import exception
from anvil.common.config import CONF
from anvil.conductor import metrics as conductor_metrics
from anvil.db import api as db_api
from anvil.db import engine as db_engine

LOG = log.getLogger(__name__)


class LocalQueue:
    """FIFO tickets per key: the head of a key's queue holds it."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._queues = {}

    def acquire(self, key, timeout):
        """True once this thread is at the head of ``key``'s queue; False after ``timeout``."""
        ticket = threading.Event()
        with self._mutex:
            queue = self._queues.setdefault(key, collections.deque())
            queue.append(ticket)
            if queue[0] is ticket:
                return True
        if ticket.wait(timeout):
            return True
        with self._mutex:
            if ticket.is_set():
                return True
            self._queues[key].remove(ticket)
            return False

    def release(self, key):
        with self._mutex:
            queue = self._queues[key]
            queue.popleft()
            if queue:
                queue[0].set()
            else:
                del self._queues[key]

    def waiting(self, key):
        with self._mutex:
            return len(self._queues.get(key, ()))


@dataclasses.dataclass
class Task:
    """What a vendor method gets: the node (a dict), the context and the lock kind."""

    context: object
    node: dict
    shared: bool
    purpose: str


class LockManager:
    """Takes and releases node locks for one conductor host."""

    def __init__(self, host):
        self.host = host
        self._local = LocalQueue()

    def _deadline(self):
        attempts = CONF.conductor.node_locked_retry_attempts
        return time.monotonic() + (attempts - 1) * CONF.conductor.node_locked_retry_interval

    def _reserve(self, node_id, deadline, history, also):
        """Reserve in the DB, retrying while another host holds the node."""
        while True:
            try:
                return db_api.reserve_node(self.host, node_id, history=history, also=also)
            except exception.NodeLocked:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(CONF.conductor.node_locked_retry_interval, remaining))

    def reserve(self, node_id, history=None, also=None):
        """Take the exclusive lock; returns the node. Raises NodeLocked, NodeNotFound.

        ``history`` and ``also(conn)`` as for ``db.api.reserve_node`` (what
        ``also`` raises is raised, and the lock is not taken). The wait is
        measured (``anvil_conductor_lock_wait_seconds``).
        """
        start = time.monotonic()
        try:
            node = self._take(node_id, history, also)
        except exception.NodeLocked:
            conductor_metrics.lock_waited(time.monotonic() - start, acquired=False)
            raise
        conductor_metrics.lock_waited(time.monotonic() - start, acquired=True)
        return node

    def _take(self, node_id, history, also):
        deadline = self._deadline()
        if not self._local.acquire(node_id, max(0.0, deadline - time.monotonic())):
            node = db_api.get_node_by_id(node_id)
            raise exception.NodeLocked(node=node['uuid'], host=node['reservation'] or self.host)
        try:
            return self._reserve(node_id, deadline, history, also)
        except BaseException:
            self._local.release(node_id)
            raise

    def release(self, node_id, history=None, also=None):
        """Release our lock (and record ``history``, and run ``also(conn)``, in the same
        transaction)."""
        try:
            if not db_api.release_node(self.host, node_id, history=history, also=also):
                LOG.warning('Lock on node %s was not held by %s at release', node_id, self.host)
        finally:
            self._local.release(node_id)

    def _release_after_run(self, node_id):
        """Release once the method ran: a database lost meanwhile must not turn the
        method's outcome into an error; ``release_forgotten`` frees the lock later."""
        try:
            self.release(node_id)
        except db_engine.UNAVAILABLE_ERRORS as e:
            LOG.warning('Could not release node %s (database unavailable: %s); it is freed '
                        'once the database is back', node_id, type(e).__name__)

    def release_forgotten(self):
        """Free this host's DB locks that none of its threads holds or waits for.

        Such a lock is left when the database took it but its answer was lost
        (the connection broke on the reply) or a release failed; it would
        otherwise last until this conductor restarts. Each candidate is taken
        on the local queue first (without waiting), so no thread of this
        conductor can be reserving it meanwhile. Returns the ids freed.
        """
        freed = []
        for node_id in db_api.reserved_by(self.host):
            if not self._local.acquire(node_id, 0):
                continue  # in use here: a live lock
            try:
                if db_api.release_node(self.host, node_id):
                    freed.append(node_id)
            finally:
                self._local.release(node_id)
        if freed:
            LOG.warning('Released locks of %s on nodes %s that no call held', self.host, freed)
        return freed

    @contextlib.contextmanager
    def acquire(self, context, node_id, shared=False, purpose='', started=None):
        """Yield a ``Task`` holding the node's lock; release on every exit path."""
        if shared:
            with db_engine.unavailable_as_503():
                node = db_api.get_node_by_id(node_id)
            yield Task(context, node, True, purpose)
            return
        start = time.monotonic()
        with db_engine.unavailable_as_503():
            node = self.reserve(node_id, history=started)
        try:
            yield Task(context, node, False, purpose)
        finally:
            self._release_after_run(node_id)
            LOG.debug('Released node %s (%s) held by %s for %.3f s', node['uuid'], purpose,
                      self.host, time.monotonic() - start)
