"""Async vendor calls after the 202: run them in the pool and account for each one.

A cast has no reply, so the conductor records what became of it in the
node's history, with the request id: ``started`` (with the lock, in the same
transaction), ``succeeded``, ``failed``, ``refused`` (shutting down, fenced,
pool full, node locked, invalid) or ``expired`` (sent more than
``[conductor] async_cast_ttl`` seconds ago, e.g. queued across a restart).
Failures also set the node's ``last_error``. Results and error messages are
masked (``anvil.common.masking``) with the secrets of the call's body. The
call's own record (``call_records``; node and driver calls alike) follows the
same steps: it is claimed before the method runs, so a cast delivered twice
runs once, and it receives the same outcome.

It works through the manager's public face only: ``check_accepting`` and
``resolve`` before a cast is accepted, ``submit`` to the worker pool,
``locks``, ``check_lease`` and ``run_driver`` in the worker, ``host`` for
the records.
"""

import time

from oslo_log import log

from anvil.common import exception, masking, vendor_metadata
from anvil.common.config import CONF
from anvil.conductor import metrics as conductor_metrics
from anvil.conductor import route_checks
from anvil.conductor.call_records import CallRecord
from anvil.conductor.task_manager import Task
from anvil.db import api as db_api
from anvil.db import history
from anvil.db import passthru_calls as calls

LOG = log.getLogger(__name__)

_MAX_RESULT = 1000


def _event(manager, context, method, outcome, detail='', severity='INFO', error=False):
    """History values of an event; every outcome but 'started' ends a call (counted)."""
    if outcome != 'started':
        conductor_metrics.async_finished('node', outcome)
    text = 'Vendor passthru %s %s' % (method, outcome)
    if detail:
        text += ': %s' % masking.mask_text(detail)  # callers add the body's secrets
    values = {'event': text, 'severity': severity, 'conductor': manager.host,
              'user': getattr(context, 'user_id', None),
              'request_id': getattr(context, 'request_id', None)}
    if error:
        values['last_error'] = text
    return values


def _record(manager, context, node_id, method, outcome, detail='', error=False):
    severity = 'ERROR' if error else 'INFO'
    LOG.log(40 if error else 20, 'Node %s: vendor passthru %s %s %s (request %s)', node_id,
            method, outcome, detail, getattr(context, 'request_id', None))
    try:
        history.add_event(node_id, **_event(manager, context, method, outcome, detail,
                                            severity, error))
    except Exception:
        LOG.exception('Could not record %s of %s on node %s', outcome, method, node_id)


def accept_node_cast(manager, context, node_id, method, http_method, info, sent_at,
                     routing=None):
    """Check a node cast and hand it to the pool; every refusal is recorded.

    ``routing`` (the node's driver and vendor interface as the API read them)
    spares a node read here; the node locked later is checked against it.
    """
    record = CallRecord(manager.host, context, method, http_method,
                        routing and routing['driver'], node_id)
    secrets = masking.secret_values(info)
    age = time.time() - sent_at
    if age > CONF.conductor.async_cast_ttl:
        detail = 'sent %.0f s ago, more than async_cast_ttl' % age
        if record.finish(calls.EXPIRED, error=detail):  # else the sweep recorded it
            _record(manager, context, node_id, method, 'expired', detail, error=True)
        return None
    try:
        manager.check_accepting()
        if routing is None:
            node = db_api.get_node_by_id(node_id)
            routing = {'driver': node['driver'], 'vendor_interface': node['vendor_interface']}
        vendor, func, meta = manager.resolve(vendor_metadata.NODE, routing['driver'],
                                             routing['vendor_interface'], method, http_method,
                                             info)
        manager.submit(_run_node_method, manager, context, record, node_id, routing, vendor,
                       func, meta, http_method, info)
    except exception.NodeNotFound:
        LOG.warning('Async %s for node %s refused: node gone', method, node_id)
    except exception.AnvilException as e:
        if record.finish(calls.REFUSED, error=e, secrets=secrets):
            _record(manager, context, node_id, method, 'refused',
                    masking.mask_text(e, secrets), error=True)


def _run_node_method(manager, context, record, node_id, routing, vendor, func, meta,
                     http_method, info):
    """Worker-pool job: claim, lock, run, release; the outcome is always recorded."""
    if not record.claim():
        LOG.warning('Async %s on node %s not run: call %s already claimed', meta.name,
                    node_id, record.request_id)
        return
    try:
        _lock_and_run(manager, context, record, node_id, routing, vendor, func, meta,
                      http_method, info)
    except Exception as e:  # the last line of defence: never lose an outcome silently
        secrets = masking.secret_values(info)
        LOG.error('Async %s on node %s broke down: %s', meta.name, node_id,
                  masking.traceback_text(e, secrets))
        if record.finish(calls.FAILED, error=e, secrets=secrets):  # else it has one already
            _record(manager, context, node_id, meta.name, 'failed',
                    masking.mask_text(e, secrets), error=True)


def _lock_and_run(manager, context, record, node_id, routing, vendor, func, meta,
                  http_method, info):
    method = meta.name
    exclusive = meta.require_exclusive_lock
    secrets = masking.secret_values(info)
    started = _event(manager, context, method, 'started')
    try:
        if exclusive:
            node = manager.locks.reserve(node_id, history=started, also=record.starter())
        else:
            node = db_api.get_node_by_id(node_id)
            history.add_event(node_id, also=record.starter(), **started)
    except exception.CallSettled:
        LOG.warning('Async %s on node %s not started: call %s was settled meanwhile (its '
                    'conductor was taken for dead)', method, node_id, record.request_id)
        return None
    except exception.AnvilException as e:
        if record.finish(calls.REFUSED, error=e, secrets=secrets):  # else swept meanwhile
            _record(manager, context, node_id, method, 'refused',
                    masking.mask_text(e, secrets), error=True)
        return None
    task = Task(context, node, not exclusive, 'vendor passthru %s' % method)
    try:
        if not route_checks.same_vendor(routing, node):
            raise exception.NodeChanged(node=node['uuid'],
                                        what='its driver or vendor interface changed after '
                                             'the call was accepted')
        manager.check_lease()  # the lock wait may have outlasted the lease
        vendor.validate(task, method, **info)
        result = manager.run_driver(func, method, task, http_method, info)
        outcome = _event(manager, context, method, 'succeeded',
                         'returned %s' % masking.describe(result, secrets, _MAX_RESULT))
        finish = {'state': calls.SUCCEEDED, 'result': result}
    except (exception.NodeChanged, exception.ConductorFenced) as e:
        outcome = _event(manager, context, method, 'refused', masking.mask_text(e, secrets),
                         'ERROR', error=True)
        finish = {'state': calls.REFUSED, 'error': e}
    except Exception as e:
        outcome = _event(manager, context, method, 'failed', masking.mask_text(e, secrets),
                         'ERROR', error=True)
        finish = {'state': calls.FAILED, 'error': e}
    # one transaction: the release, the history event and the record's outcome, so a
    # conductor that dies in between leaves none of them (the sweep settles the call);
    # the record decides: settled by the sweep meanwhile, no second outcome event
    also = record.finisher(secrets=secrets, **finish)
    try:
        if exclusive:
            manager.locks.release(node_id, history=outcome, also=also)
        else:
            history.add_event(node_id, also=also, **outcome)
    except Exception:  # the record is the client's handle: written on its own if it can be
        record.finish(secrets=secrets, **finish)
        raise


def record_interrupted(released, lease=True):
    """Give an outcome to async calls whose conductor died while they ran.

    ``released``: what ``db.conductors.release_stale_reservations`` (or
    ``release_left_reservations``) returns. A node whose newest event is its
    dead holder's "started" was running an async method when the holder's
    lease ran out (``lease``) or the holder crashed and started again: it is
    recorded as failed (it may have run in part, it will not run again),
    unless the sweep (``passthru_calls.fail_abandoned``) settled its record
    first and wrote the node's outcome then (``passthru_calls.fail_interrupted``).
    Should the holder only have been frozen and finish the method later, it
    records no second outcome (``db.api.release_node``).
    """
    prefix, suffix = 'Vendor passthru ', ' started'
    for node_id, host, event in released:
        if (event is None or event['conductor'] != host or event['event_type'] != history.PASSTHRU
                or not event['event'].startswith(prefix) or not event['event'].endswith(suffix)):
            continue
        method = event['event'][len(prefix):-len(suffix)]
        why = calls.interrupted_text(host, True, lease)
        call = {'request_id': event['request_id'], 'node_id': node_id, 'method': method,
                'conductor': host, 'user_id': event['user']}
        try:
            if calls.fail_interrupted(call, why):
                conductor_metrics.async_finished('swept', 'failed')   # as the sweep counts it
                LOG.error('Node %s: vendor passthru %s failed: %s (request %s)', node_id,
                          method, why, event['request_id'])
        except Exception:
            LOG.exception('Could not record the interrupted %s on node %s', method, node_id)


def accept_driver_cast(manager, context, driver_name, method, http_method, info, sent_at):
    """Check a driver cast and hand it to the pool; every refusal is recorded.

    Driver methods have no node: the call's record (and the log) is where
    their outcome goes.
    """
    record = CallRecord(manager.host, context, method, http_method, driver_name)
    request_id = getattr(context, 'request_id', None)
    secrets = masking.secret_values(info)
    age = time.time() - sent_at
    if age > CONF.conductor.async_cast_ttl:
        LOG.error('Driver %s async %s expired (sent %.0f s ago, request %s)', driver_name,
                  method, age, request_id)
        record.finish(calls.EXPIRED, error='sent %.0f s ago, more than async_cast_ttl' % age)
        conductor_metrics.async_finished('driver', 'expired')
        return None
    try:
        manager.check_accepting()
        _vendor, func, _meta = manager.resolve(vendor_metadata.DRIVER, driver_name, None, method,
                                               http_method, info)
        manager.submit(_run_driver_method, manager, context, record, driver_name, func,
                       method, http_method, info)
    except exception.AnvilException as e:
        LOG.warning('Driver %s async %s refused: %s (request %s)', driver_name, method,
                    masking.mask_text(e, secrets), request_id)
        record.finish(calls.REFUSED, error=e, secrets=secrets)
        conductor_metrics.async_finished('driver', 'refused')
    return None


def _run_driver_method(manager, context, record, driver_name, func, method, http_method,
                       info):
    request_id = getattr(context, 'request_id', None)
    if not record.claim():
        LOG.warning('Driver %s async %s not run: call %s already claimed', driver_name,
                    method, request_id)
        return
    secrets = masking.secret_values(info)
    try:
        manager.check_lease()
        result = manager.run_driver(func, method, context, http_method, info)
    except Exception as e:
        conductor_metrics.async_finished('driver', 'failed')
        LOG.error('Driver %s async %s failed: %s (request %s)', driver_name, method,
                  masking.mask_text(e, secrets), request_id)
        record.finish(calls.FAILED, error=e, secrets=secrets)
        return
    LOG.info('Driver %s async %s succeeded: %s (request %s)', driver_name, method,
             masking.describe(result, secrets, _MAX_RESULT), request_id)
    conductor_metrics.async_finished('driver', 'succeeded')
    record.finish(calls.SUCCEEDED, result=result, secrets=secrets)
