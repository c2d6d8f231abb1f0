"""Conductor RPC endpoints: find the method, check it, lock the node, run it.

The docstrings here are the API↔conductor contract. Every anvil exception is
"expected" (no traceback logged); anything else a driver raises becomes
``DriverOperationError`` (500) with the driver's message.
"""

import base64
import inspect
import threading
import time

import futurist
import oslo_messaging
from futurist import rejection, waiters
from oslo_log import log

from anvil.common import exception, masking, passthru_deny, release_versions, vendor_metadata
from anvil.common.config import CONF
from anvil.common.context import carried
from anvil.conductor import async_outcome, route_checks
from anvil.conductor import metrics as conductor_metrics
from anvil.conductor.task_manager import LockManager
from anvil.db import api as db_api
from anvil.db import engine as db_engine

LOG = log.getLogger(__name__)


def _bind_args(func, method, http_method, info):
    """Refuse arguments the method cannot take (400, not Ironic's TypeError 500)."""
    try:
        inspect.signature(func).bind(None, http_method, **info)
    except TypeError as e:
        raise exception.InvalidParameterValue(
            err='Invalid arguments for method %s: %s'
                % (method, masking.mask_text(e, masking.secret_values(info)))) from None


def _encode_return(value, attach):
    if attach and isinstance(value, (bytes, bytearray)):
        return {'return': base64.b64encode(bytes(value)).decode(), 'attach': True,
                'encoding': 'base64'}
    return {'return': value, 'attach': attach}


class ConductorManager:
    """Endpoints served on ``<topic>.<host>``.

    It serves this release's RPC version and every older minor version
    (anvil/common/release_versions.py): an argument added since is optional.
    Async calls go on in conductor/async_outcome.py, which uses the public
    methods below (``check_accepting``, ``resolve``, ``submit``, ``check_lease``,
    ``run_driver``) and ``locks``.
    """

    target = oslo_messaging.Target(version=release_versions.RPC_VERSION)

    def __init__(self, host, hardware_types):
        self.host = host
        self.hardware_types = hardware_types
        self.locks = LockManager(host)
        self._pool = None
        self._futures = set()
        self._futures_lock = threading.Lock()
        self.accepting = False
        #: conductor.lease.Lease once the service runs; None (unit tests) never fences
        self.lease = None

    # -- lifecycle -------------------------------------------------------

    def start(self):
        size = CONF.conductor.workers_pool_size
        self._pool = futurist.ThreadPoolExecutor(
            max_workers=size, check_and_reject=rejection.reject_when_reached(size))
        conductor_metrics.pool_started(size)
        self.accepting = True

    def stop_accepting(self):
        """New calls are refused from now on (503 / history 'refused')."""
        self.accepting = False

    def wait_for_workers(self, timeout):
        """Wait up to ``timeout`` s for running async methods; True if all finished."""
        with self._futures_lock:
            pending = list(self._futures)
        done, not_done = waiters.wait_for_all(pending, timeout=timeout)
        self._pool.shutdown(wait=False)
        return not not_done

    # -- what a call needs before it runs (async_outcome uses these too) --

    def resolve(self, scope, driver_name, vendor_interface, method, http_method, info):
        """The vendor interface, bound function and MethodInfo that serve ``method``.

        ``scope`` is ``vendor_metadata.NODE`` or ``DRIVER``; ``vendor_interface``
        None means the hardware type's default. Checks, in order: the
        operator's deny list, the driver, the method, its verb and its
        arguments. Nothing is locked or run.
        :raises: MethodDenied, DriverNotFound, NoHandlerForMethod,
            UnsupportedHTTPMethod, InvalidParameterValue.
        """
        passthru_deny.refuse_if_denied(driver_name, method)
        try:
            hw = self.hardware_types[driver_name]
        except KeyError:
            raise exception.DriverNotFound(driver_name=driver_name) from None
        vendor = hw.vendor(vendor_interface)
        meta = vendor.methods(scope).get(method)
        if meta is None:
            raise exception.NoHandlerForMethod(method=method)
        if http_method.upper() not in meta.http_methods:
            raise exception.UnsupportedHTTPMethod(method=method, http_method=http_method)
        if not isinstance(info, dict):
            raise exception.InvalidParameterValue(err='Arguments must be a JSON object.')
        vendor_metadata.check_args(method, meta.args_schema, info)
        func = getattr(vendor, method)
        _bind_args(func, method, http_method, info)
        return vendor, func, meta

    def check_accepting(self):
        """Refuse to start a call while stopping or without a safely held lease.

        :raises: ConductorShuttingDown (the conductor is going offline: the
            API sends the call again to the new owner), ConductorFenced.
        """
        if not self.accepting:
            raise exception.ConductorShuttingDown(host=self.host)
        self.check_lease()

    def check_lease(self):
        """Start nothing without a safely held lease (see conductor/lease.py).

        Called when a call arrives and again just before the driver runs (a
        lock wait may have outlasted the lease). :raises: ConductorFenced.
        """
        if self.lease is not None:
            self.lease.check()

    def _refuse_abandoned(self, context, method, caller_gives_up_at):
        """Do not run a sync call whose caller has already given up (and got 504).

        Such a call waited in a queue: a frozen conductor's, or a dead one's
        that a survivor reads (conductor/orphan_queues.py). Running it would
        take the node's lock for nobody, and hold off the calls that followed.
        :raises: CallAbandoned.
        """
        if caller_gives_up_at is None:
            return
        late = time.time() - caller_gives_up_at
        if late > CONF.conductor.max_clock_skew:
            LOG.warning('Call of %s not run: read %.1f s after its caller gave up (request %s)',
                        method, late, getattr(context, 'request_id', None))
            raise exception.CallAbandoned(method=method, late=late)

    # -- endpoints -------------------------------------------------------

    @oslo_messaging.expected_exceptions(exception.AnvilException)
    def vendor_passthru(self, context, node_id, driver_method, http_method, info,
                        sent_at=None, driver=None, vendor_interface=None, expect=None,
                        caller_gives_up_at=None):
        """Run node vendor ``method`` under the node's lock.

        Sync (call): returns {'return', 'attach'[, 'encoding']}. Async (cast):
        hands the method to the worker pool and records its outcome in the
        node's history. ``driver`` and ``vendor_interface`` are the node's as
        the API read them: with them a sync call resolves the method without
        reading the node first, and checks them against the node it locked (a
        node whose driver or interface changed meanwhile is resolved again).
        The method's name travels as ``driver_method`` (as in Ironic): the
        RPC client's own ``call(ctxt, method, **kwargs)`` takes ``method``.
        :raises: NodeNotFound, DriverNotFound, NoHandlerForMethod,
            UnsupportedHTTPMethod, InvalidParameterValue, NodeLocked,
            ConductorShuttingDown, DriverOperationError (or the driver's own
            anvil exception).
        """
        method = driver_method
        if sent_at is not None:
            routing = {'driver': driver, 'vendor_interface': vendor_interface}
            return async_outcome.accept_node_cast(self, context, node_id, method, http_method,
                                                  info, sent_at, routing if driver else None)
        self.check_accepting()
        self._refuse_abandoned(context, method, caller_gives_up_at)
        if driver is not None:
            routing = {'driver': driver, 'vendor_interface': vendor_interface}
        else:  # a caller that sends no routing fields
            with db_engine.unavailable_as_503():
                routing = db_api.get_node_by_id(node_id)
        for _attempt in range(3):
            vendor, func, meta = self.resolve(vendor_metadata.NODE, routing['driver'],
                                              routing['vendor_interface'], method,
                                              http_method, info)
            with self.locks.acquire(context, node_id, shared=not meta.require_exclusive_lock,
                                    purpose='vendor passthru %s' % method) as task:
                route_checks.check_expected(expect, task.node)
                if route_checks.same_vendor(routing, task.node):
                    self.check_lease()
                    vendor.validate(task, method, **info)
                    return _encode_return(self.run_driver(func, method, task, http_method,
                                                          info), meta.attach)
            routing = task.node  # changed since the API read it: resolve again, unlocked
        raise exception.NodeLocked(node=task.node['uuid'], host=self.host)

    @oslo_messaging.expected_exceptions(exception.AnvilException)
    def driver_vendor_passthru(self, context, driver_name, driver_method, http_method, info,
                               sent_at=None, caller_gives_up_at=None):
        """Run driver-level vendor ``method`` (no node, no lock).

        Sync (call): returns as vendor_passthru. Async (cast): hands the
        method to the worker pool; its outcome, refusals included, goes to
        the call's record (``/v1/passthru_calls/<request id>``).
        :raises: DriverNotFound, NoHandlerForMethod, UnsupportedHTTPMethod,
            InvalidParameterValue, ConductorShuttingDown, CallAbandoned,
            DriverOperationError.
        """
        method = driver_method
        if sent_at is not None:  # a cast: refusals are recorded, not raised
            return async_outcome.accept_driver_cast(self, context, driver_name, method,
                                                    http_method, info, sent_at)
        self.check_accepting()
        self._refuse_abandoned(context, method, caller_gives_up_at)
        _vendor, func, meta = self.resolve(vendor_metadata.DRIVER, driver_name, None, method,
                                           http_method, info)
        self.check_lease()
        return _encode_return(self.run_driver(func, method, context, http_method, info),
                              meta.attach)

    # -- running, shared with async_outcome --------------------------------

    @staticmethod
    def run_driver(func, method, task_or_context, http_method, info):
        """Call the driver; a non-anvil exception becomes DriverOperationError (500).

        Messages are masked with the secrets of ``info`` before they are
        logged or travel back (oslo.messaging logs expected exceptions too).
        """
        start = time.monotonic()
        try:
            return func(task_or_context, http_method, **info)
        except exception.AnvilException as e:
            secrets = masking.secret_values(info)
            masked = masking.mask_text(e, secrets)
            if masked != e.message:
                e.message = masked
                e.args = (masked,)
                e.kwargs = {k: masking.mask_text(v, secrets) if isinstance(v, str) else v
                            for k, v in e.kwargs.items()}
            raise
        except Exception as e:
            secrets = masking.secret_values(info)
            LOG.error('Vendor method %s failed: %s', method,
                      masking.traceback_text(e, secrets))
            raise exception.DriverOperationError(
                method=method,
                reason=masking.mask_text(e, secrets) or type(e).__name__) from None
        finally:
            ran = time.monotonic() - start
            LOG.debug('Vendor method %s ran %.3f s', method, ran)
            conductor_metrics.vendor_method_ran(method, ran, task_or_context)

    def submit(self, fn, *args):
        """Run ``fn`` on the worker pool. Raises NoFreeConductorWorker when it is full."""
        try:
            future = self._pool.submit(conductor_metrics.queued(carried(fn)), *args)
        except (futurist.RejectedSubmission, RuntimeError):
            conductor_metrics.not_queued()
            raise exception.NoFreeConductorWorker() from None
        with self._futures_lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future):
        with self._futures_lock:
            self._futures.discard(future)
