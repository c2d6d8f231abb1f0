"""The conductor's Prometheus metrics: node locks, the worker pool, async calls, history.

Recorded through the functions below, which do nothing when ``[metrics]
enabled`` is off. Served on ``[conductor] metrics_port`` (anvil-conductor)
or by the API's ``/metrics`` (all-in-one: one process, one registry).
Labels are bounded: lock outcomes, async outcomes and scopes are fixed sets;
vendor methods are labelled once the conductor found them in its drivers.

The passthru latency histogram keeps, per bucket, the request id of the
last call it counted as an exemplar: an OpenMetrics scrape (``Accept:
application/openmetrics-text``) shows it, so a slow bucket on a dashboard
leads to that call's log lines, history and record.
"""

import functools

import prometheus_client

from anvil.common import metrics

#: Seconds: a free lock is one UPDATE (ms); a busy one waits up to attempts x interval.
LOCK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0,
                10.0)

#: Seconds: a fake method takes microseconds, a BMC call up to the RPC timeout.
RUN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
               30.0, 60.0)

PASSTHRU_SECONDS = prometheus_client.Histogram(
    'anvil_conductor_passthru_duration_seconds', 'Time vendor methods ran on this conductor '
    '(the driver alone: no lock wait, no queueing), by scope (node or driver) and method. '
    'Exemplars (OpenMetrics): the request id of a call each bucket counted.',
    ['scope', 'method'], buckets=RUN_BUCKETS)
LOCK_WAIT_SECONDS = prometheus_client.Histogram(
    'anvil_conductor_lock_wait_seconds', 'Time to take a node\'s exclusive lock, by outcome: '
    '"acquired", or "locked" (gave up: 409 or an async call refused).', ['outcome'],
    buckets=LOCK_BUCKETS)
WORKER_POOL_SIZE = prometheus_client.Gauge(
    'anvil_conductor_worker_pool_size', 'Workers of the pool running async vendor methods '
    '([conductor] workers_pool_size).', multiprocess_mode='livemax')
ASYNC_QUEUED = prometheus_client.Gauge(
    'anvil_conductor_async_calls_queued', 'Async calls accepted into the worker pool, '
    'waiting for a worker.', multiprocess_mode='livesum')
ASYNC_RUNNING = prometheus_client.Gauge(
    'anvil_conductor_async_calls_running', 'Async calls running on a worker (busy workers; '
    'divided by the pool size: its occupancy).', multiprocess_mode='livesum')
ASYNC_FINISHED = prometheus_client.Counter(
    'anvil_conductor_async_calls_finished', 'Async calls done with, by scope (node or '
    'driver) and outcome: succeeded, failed, refused or expired.', ['scope', 'outcome'])
POOL_REJECTED = prometheus_client.Counter(
    'anvil_conductor_worker_pool_rejected', 'Async calls refused because the worker pool '
    'was full (503 or history "refused").')
HISTORY_PRUNED = prometheus_client.Counter(
    'anvil_conductor_history_rows_pruned', 'Node history rows deleted by pruning '
    '([conductor] node_history_* limits).')


def lock_waited(seconds, acquired):
    if metrics.enabled():
        metrics.child(LOCK_WAIT_SECONDS, 'acquired' if acquired else 'locked').observe(seconds)


def vendor_method_ran(method, seconds, task_or_context):
    """A vendor method ran: ``task_or_context`` is a node method's Task or a
    driver method's context (whose request id becomes the exemplar)."""
    if metrics.enabled():
        context = getattr(task_or_context, 'context', task_or_context)
        scope = 'node' if context is not task_or_context else 'driver'
        metrics.child(PASSTHRU_SECONDS, scope, method).observe(
            seconds, metrics.exemplar(getattr(context, 'request_id', None)))


def pool_started(size):
    if metrics.enabled():
        WORKER_POOL_SIZE.set(size)


def async_finished(scope, outcome, count=1):
    """Async calls' ends: ``scope`` 'node', 'driver' or 'swept' (ended by the
    housekeeping sweep), ``outcome`` as in history."""
    if metrics.enabled() and count:
        metrics.child(ASYNC_FINISHED, scope, outcome).inc(count)


def history_pruned(rows):
    if metrics.enabled() and rows:
        HISTORY_PRUNED.inc(rows)


def queued(fn):
    """``fn`` counted as queued now, as running while it runs.

    Call ``not_queued()`` if the pool then refuses it.
    """
    if not metrics.enabled():
        return fn
    ASYNC_QUEUED.inc()

    @functools.wraps(fn)
    def counted(*args, **kwargs):
        ASYNC_QUEUED.dec()
        ASYNC_RUNNING.inc()
        try:
            return fn(*args, **kwargs)
        finally:
            ASYNC_RUNNING.dec()
    return counted


def not_queued():
    """The pool refused what ``queued`` counted."""
    if metrics.enabled():
        ASYNC_QUEUED.dec()
        POOL_REJECTED.inc()
