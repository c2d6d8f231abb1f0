"""Conductor housekeeping: bound node history and async call records, settle calls.

Two futurist periodic tasks on one thread of their own (never the heartbeat's):

- ``prune`` at start and every ``[conductor] node_history_cleanup_interval`` s: per node,
  history events beyond the newest ``node_history_max_entries`` and older
  than ``node_history_minimum_days`` are deleted, and so are finished async
  call records (per hardware type for driver calls), at most
  ``node_history_cleanup_batch_count`` of each per run, in transactions of
  ``CHUNK`` rows. Each live conductor prunes its share of the groups (node
  id, or a hash of the hardware type, modulo the sorted live conductors),
  so conductors do not repeat each other's work.
- ``settle_calls`` every ``heartbeat_interval`` s: a call still queued
  ``async_cast_ttl + max_clock_skew`` s after its acceptance is marked
  expired (no conductor would run it any more), a call running on a
  conductor whose heartbeat stopped ``heartbeat_timeout`` s ago is marked
  failed. Conditional updates: every conductor may run it.
- ``delete_departed_queues`` every ``min(60, orphan_queue_window)`` s, on a
  conductor with an RPC server: ``departed_queues``.
"""

import datetime
import threading
import zlib

from futurist import periodics
from oslo_log import log
from oslo_utils.timeutils import utcnow

from anvil.common.config import CONF
from anvil.conductor import metrics as conductor_metrics
from anvil.db import conductors as db_conductors
from anvil.db import passthru_calls, pruning

LOG = log.getLogger(__name__)

#: Rows deleted per transaction.
CHUNK = 100


def _group_index(group):
    if isinstance(group, int):
        return group
    return zlib.crc32(str(group).encode())


class Housekeeping:
    """The periodic tasks of one conductor ``host``.

    ``departed`` is a ``departed_queues.DepartedQueues``, or None where there
    are no RPC queues (the all-in-one).
    """

    def __init__(self, host, departed=None):
        self.host = host
        self._departed = departed
        self._stopping = threading.Event()
        self._worker = None
        self._thread = None

    # -- the tasks ---------------------------------------------------------

    def _my_share(self, groups):
        live = sorted(c['hostname'] for c in
                      db_conductors.list_conductors(CONF.conductor.heartbeat_timeout)
                      if c['alive'])
        if self.host not in live:
            return []
        index = live.index(self.host)
        return [g for g in groups if _group_index(g) % len(live) == index]

    def _prune_kind(self, kind, keep, before, budget):
        deleted = 0
        for group in self._my_share(pruning.groups_over(kind, keep)):
            while deleted < budget and not self._stopping.is_set():
                ids = pruning.ids_beyond(kind, group, keep, before,
                                         min(CHUNK, budget - deleted))
                if not ids:
                    break
                deleted += pruning.delete_ids(kind, ids)
            if deleted >= budget or self._stopping.is_set():
                break
        return deleted

    def prune(self):
        """One pruning run; returns {kind name: rows deleted}."""
        keep = CONF.conductor.node_history_max_entries
        before = utcnow() - datetime.timedelta(days=CONF.conductor.node_history_minimum_days)
        budget = CONF.conductor.node_history_cleanup_batch_count
        counts = {pruning.HISTORY.name: self._prune_kind(pruning.HISTORY, keep, before,
                                                         budget)}
        calls_budget = budget
        for kind in (pruning.NODE_CALLS, pruning.DRIVER_CALLS):
            counts[kind.name] = self._prune_kind(kind, keep, before, calls_budget)
            calls_budget -= counts[kind.name]
        conductor_metrics.history_pruned(counts[pruning.HISTORY.name])
        if any(counts.values()):
            LOG.info('Pruned %s', ', '.join('%d %s' % (n, k) for k, n in counts.items()))
        return counts

    def settle_calls(self):
        """Mark overdue queued calls expired and dead conductors' running calls failed."""
        expired = passthru_calls.expire_overdue(passthru_calls.expiry_cutoff())
        failed = passthru_calls.fail_abandoned(
            heartbeat_timeout=CONF.conductor.heartbeat_timeout)
        conductor_metrics.async_finished('swept', 'expired', expired)
        conductor_metrics.async_finished('swept', 'failed', failed)
        if expired or failed:
            LOG.warning('Async calls: %d expired unstarted, %d failed with their conductor',
                        expired, failed)
        return expired, failed

    def delete_departed_queues(self):
        """Delete the RPC queues of conductors gone for good; returns their hostnames."""
        return self._departed.sweep(
            db_conductors.list_conductors(CONF.conductor.heartbeat_timeout))

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        """Start the periodic worker on a thread of its own."""
        callables = [(self._periodic(self.settle_calls, CONF.conductor.heartbeat_interval),
                      None, None)]
        if CONF.conductor.node_history_cleanup_interval:
            # at start too: conductors restarted more often than the interval would
            # otherwise never prune
            callables.append((self._periodic(self.prune,
                                             CONF.conductor.node_history_cleanup_interval,
                                             run_immediately=True),
                              None, None))
        if self._departed is not None:
            callables.append((self._periodic(self.delete_departed_queues,
                                             min(60.0, CONF.conductor.orphan_queue_window)),
                              None, None))
        self._worker = periodics.PeriodicWorker(callables, on_failure=self._failed)
        self._thread = threading.Thread(target=self._worker.start, daemon=True,
                                        name='anvil-conductor-housekeeping')
        self._thread.start()

    @staticmethod
    def _periodic(task, spacing, run_immediately=False):
        @periodics.periodic(spacing=spacing, run_immediately=run_immediately)
        def run():
            task()
        run.__name__ = task.__name__
        return run

    def _failed(self, task, kind, spacing, exc_info, traceback=None):
        LOG.error('Periodic %s of %s failed; retried next time: %s', task.__name__,
                  self.host, exc_info[1])

    def stop(self):
        """Stop the tasks; a pruning in progress ends after its current chunk."""
        self._stopping.set()
        if self._worker is not None:
            self._worker.stop()
            self._worker.wait()
            self._thread.join()
