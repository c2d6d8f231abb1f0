"""The conductor service: register, heartbeat, serve RPC, stop cleanly.

Everything (DB engine, transport, RPC server, threads) is created in
``start()``, which oslo.service's launcher runs in the forked child. Each
heartbeat renews the conductor's lease (``conductor/lease.py``): a conductor
that cannot renew it in time fences itself (starts nothing); one whose peer's
lease ran out reads that peer's RPC queue and frees its locks; one that has
lost its message bus heartbeats as offline until it hears it again
(``conductor/bus_watch.py``). A clean stop refuses new work (503 / history
"refused"), marks the conductor offline so APIs stop routing to it, waits
for running methods up to ``[conductor] graceful_shutdown_timeout``, then
releases every lock it holds.
"""

import threading
import time

from oslo_log import log
from oslo_service import service

from anvil.common import metrics, rpc, server_stop
from anvil.common.config import CONF
from anvil.conductor import (
    async_outcome,
    bus_watch,
    departed_queues,
    health,
    history_cleanup,
    housekeeping,
    orphan_queues,
    status_server,
)
from anvil.conductor import lease as conductor_lease
from anvil.conductor import manager as conductor_manager
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import engine as db_engine
from anvil.db import passthru_calls
from anvil.drivers import loader

LOG = log.getLogger(__name__)


class ConductorService(service.Service):
    """One conductor. ``rpc_server=False`` serves only in-process (all-in-one).

    ``status_server``: serve ``[conductor] metrics_port`` if set (not in the
    all-in-one, whose API serves /metrics and /healthcheck).
    """

    def __init__(self, host=None, rpc_server=True, status_server=True):
        super().__init__()
        self.host = host or CONF.host
        self._with_rpc_server = rpc_server
        self._with_status_server = status_server
        self._status = None
        self.manager = None
        self.lease = conductor_lease.Lease(self.host)
        self._server = None
        self._beat_lock = threading.Lock()
        self._housekeeping = None
        self._history_cleanup = None
        self._orphans = None
        self._bus = None
        self._stopped = False
        #: False when stop() had to give up on running methods (their locks freed)
        self.stopped_cleanly = True

    def start(self):
        super().start()
        metrics.configure(CONF)
        hardware_types = loader.load_hardware_types(CONF.enabled_hardware_types)
        self.manager = conductor_manager.ConductorManager(self.host, hardware_types)
        self._check_lease_options()
        if self._with_rpc_server:
            # The all-in-one is the only conductor of its database: nobody
            # could take its nodes, so it never fences itself.
            self.manager.lease = self.lease
        released = db_conductors.release_left_reservations(self.host)
        if released:
            LOG.warning('Released %d node locks left by an earlier run of %s',
                        len(released), self.host)
            async_outcome.record_interrupted(released, lease=False)
        failed = passthru_calls.fail_abandoned(conductor=self.host)
        if failed:
            LOG.warning('%d async calls were running when %s stopped: marked failed',
                        failed, self.host)
        self.lease.renew(lambda: self._register(hardware_types))
        health.heartbeat_succeeded()
        self.manager.start()
        if self._with_rpc_server:
            self._server = rpc.get_server(self.host, [self.manager])
            self._server.start()
            self._orphans = orphan_queues.OrphanQueues(self.host, self.manager)
        self._bus = bus_watch.BusWatch(self.host, self._server)
        self._housekeeping = housekeeping.Housekeeping(
            self.host, self.lease, self.manager, self._orphans,
            online=lambda: not self._stopped and self._bus.hears(),
            beat_lock=self._beat_lock)
        self._housekeeping.start()
        departed = (departed_queues.DepartedQueues(self.host)
                    if self._with_rpc_server else None)
        self._history_cleanup = history_cleanup.Housekeeping(self.host, departed)
        self._history_cleanup.start()
        if self._with_status_server:
            self._status = status_server.start_if_configured()
        LOG.info('Conductor %s started, serving %s', self.host, ', '.join(hardware_types))

    def _register(self, hardware_types):
        methods = [row for hw in hardware_types.values() for row in hw.published_methods()]
        db_conductors.register_conductor(
            self.host, CONF.conductor.conductor_group,
            {name: hw.interfaces() for name, hw in hardware_types.items()}, methods,
            rpc_version=self.manager.target.version)

    @staticmethod
    def _check_lease_options():
        opts = CONF.conductor
        if opts.heartbeat_interval >= opts.heartbeat_timeout - opts.lease_fence_margin:
            LOG.warning('[conductor] heartbeat_interval (%s) is not shorter than '
                        'heartbeat_timeout - lease_fence_margin (%s): this conductor '
                        'will fence itself between heartbeats', opts.heartbeat_interval,
                        opts.heartbeat_timeout - opts.lease_fence_margin)

    def stop(self, graceful=True):
        """Refuse new work, go offline, drain, finish (bounded), release all locks.

        The RPC server keeps answering for a short drain time after the
        conductor is marked offline, so calls routed by an API whose topology
        is not yet refreshed get a quick 503 (which the API re-routes) rather
        than waiting in a queue nobody reads.
        """
        if self._stopped or self.manager is None:
            return super().stop(graceful)
        with self._beat_lock:  # no heartbeat marks us online again after this
            self._stopped = True
        health.stopping()
        LOG.info('Conductor %s stopping', self.host)
        self.manager.stop_accepting()
        try:
            db_conductors.unregister_conductor(self.host)
        except Exception:
            LOG.exception('Could not mark %s offline', self.host)
        timeout = CONF.conductor.graceful_shutdown_timeout
        # An API re-reads the topology once its cache is metadata_cache_ttl old, or
        # once the first lease in it may be over (heartbeat_timeout at most).
        drain = min(CONF.api.metadata_cache_ttl, CONF.conductor.heartbeat_timeout) + 1
        drain_until = time.monotonic() + min(drain, timeout)
        if not self.manager.wait_for_workers(timeout):
            self.stopped_cleanly = False
            LOG.error('Methods still running after %s s: releasing their locks; the '
                      'process must exit now so they cannot go on unlocked', timeout)
        if self._server is not None:
            time.sleep(max(0.0, drain_until - time.monotonic()))
            self._orphans.stop()
            server_stop.stop(self._server)
        for hardware_type in self.manager.hardware_types.values():
            try:
                hardware_type.stop()  # e.g. log out of BMC sessions
            except Exception:  # nothing may keep the locks below from being released
                LOG.exception('Stopping hardware type %s failed', hardware_type.name)
        self._history_cleanup.stop()
        self._housekeeping.stop()
        released = db_api.release_all_reservations(self.host)
        LOG.info('Conductor %s stopped; released %d locks', self.host, released)
        if self._server is not None:
            rpc.cleanup()
        db_engine.dispose()
        if self._status is not None:
            self._status.stop()
        super().stop(graceful)
