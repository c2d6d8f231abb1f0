"""A conductor's lease on its nodes, seen from the conductor itself: renew it or fence.

Each heartbeat renews the lease in the database (``db.conductors``); the
others count it over ``heartbeat_timeout`` seconds after the heartbeat was
written, on the database clock. This side measures the same lease on its own
monotonic clock, from the moment the last successful heartbeat *began* (the
write happened later, so the lease the others see ends later still):

- ``check()`` refuses new work (``ConductorFenced``, 503) once that moment is
  ``heartbeat_timeout - lease_fence_margin`` seconds old. A conductor that is
  frozen, cut from the database, or too slow to renew stops starting methods
  at least ``lease_fence_margin`` seconds before anyone may take its nodes.
  Methods already running go on under their locks, which nobody breaks
  while the lease lasts.
- ``may_judge_others()``: a conductor takes over others' nodes (releases their
  locks) only after a full lease of its own without a gap. When the database
  was out for everyone, each conductor's lease looks over once it is back; the
  first to renew would otherwise free the locks of those renewing a moment
  later, whose methods still run.
"""

import threading
import time

from oslo_log import log

from anvil.common import exception
from anvil.common.config import CONF

LOG = log.getLogger(__name__)


class Lease:
    """The monotonic-clock view of one conductor's lease."""

    def __init__(self, host):
        self.host = host
        self._lock = threading.Lock()
        self._renewed_at = None     # when the last successful renewal began
        self._unbroken_since = None  # first renewal of the current gap-free run

    @staticmethod
    def _fence_after():
        return CONF.conductor.heartbeat_timeout - CONF.conductor.lease_fence_margin

    def renew(self, write):
        """Run ``write()`` (the heartbeat) and, if it succeeds, extend the lease.

        Whatever ``write`` raises is raised again, and the current run of
        renewals is broken.
        """
        began = time.monotonic()
        try:
            write()
        except BaseException:
            with self._lock:
                self._unbroken_since = None
            raise
        with self._lock:
            previous = self._renewed_at
            if previous is not None and began - previous > CONF.conductor.heartbeat_timeout:
                LOG.error('%s renewed its lease %.1f s after the previous renewal, longer '
                          'than heartbeat_timeout: its nodes may have been taken over and '
                          'its locks released meanwhile', self.host, began - previous)
                self._unbroken_since = None
            elif previous is not None and began - previous > self._fence_after():
                self._unbroken_since = None
            self._renewed_at = began
            if self._unbroken_since is None:
                self._unbroken_since = began

    def age(self):
        """Seconds since the last successful renewal began (inf before the first)."""
        renewed_at = self._renewed_at
        return float('inf') if renewed_at is None else time.monotonic() - renewed_at

    def valid(self):
        return self.age() < self._fence_after()

    def check(self):
        """Raise ConductorFenced (503) unless the lease is safely held."""
        age = self.age()
        if age >= self._fence_after():
            LOG.warning('%s is fenced: its last lease renewal began %.1f s ago', self.host,
                        age)
            raise exception.ConductorFenced(host=self.host,
                                            age=age if age != float('inf') else 0.0)

    def may_judge_others(self):
        """True after a whole lease of renewals without a gap, still valid now."""
        with self._lock:
            since = self._unbroken_since
        return (since is not None and self.valid()
                and time.monotonic() - since >= CONF.conductor.heartbeat_timeout)
