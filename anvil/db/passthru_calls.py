"""Async passthru call records: what became of each 202, one row per request id.

The API writes a call ``queued`` before it sends the cast (``accept``), so a
call whose conductor never reads it is still on record. From there each
transition is one conditional UPDATE, so two writers (a conductor and the
expiry sweep, or a redelivered cast) cannot both move a call on:

    queued ──claim──▶ running ──finish──▶ succeeded | failed | refused
       │                                        ▲
       └──finish (refused, expired) / expire_overdue┘

``claim`` is what makes a call run at most once: a conductor runs a call
only when its claim moved it from ``queued``. A conductor that finds no row
(a cast sent by an API that does not record calls) inserts one.
"""

import datetime

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils.timeutils import utcnow

from anvil.common.config import CONF
from anvil.db import conductors as db_conductors
from anvil.db import history, models
from anvil.db.engine import reader, retry_on_deadlock, writer

CALLS = models.PassthruCall.__table__
_NODES = models.Node.__table__
_CONDUCTORS = models.Conductor.__table__

QUEUED = 'queued'
RUNNING = 'running'
SUCCEEDED = 'succeeded'
FAILED = 'failed'
REFUSED = 'refused'
EXPIRED = 'expired'
#: States a call never leaves.
FINISHED = (SUCCEEDED, FAILED, REFUSED, EXPIRED)
_OPEN = (QUEUED, RUNNING)

#: What identifies a call besides its request id (``defaults`` of the writers below).
CALL_FIELDS = ('node_id', 'driver', 'method', 'http_method', 'user_id', 'project_id')


@retry_on_deadlock
def accept(request_id, accepted_at=None, **fields):
    """Record a call ``queued`` (the API, just before it sends the cast).

    ``fields``: those of ``CALL_FIELDS`` and, optionally, ``conductor`` (the
    host the cast is sent to). Raises oslo.db's DBDuplicateEntry for a
    request id already on record.
    """
    values = dict(fields, request_id=request_id, state=QUEUED,
                  accepted_at=accepted_at or utcnow())
    with writer() as conn:
        conn.execute(sa.insert(CALLS), values)
    # METRICS HOOK: a call was "queued" here.


@retry_on_deadlock
def forget(request_id):
    """Drop a call still ``queued`` whose cast could not be sent (the client got no 202)."""
    with writer() as conn:
        conn.execute(sa.delete(CALLS).where(CALLS.c.request_id == request_id,
                                            CALLS.c.state == QUEUED))


def _insert_missing(conn, request_id, defaults, values):
    """Insert a call the API did not record; False when a row appeared meanwhile."""
    row = dict({f: defaults.get(f) for f in CALL_FIELDS}, request_id=request_id,
               accepted_at=defaults.get('accepted_at') or values.get('started_at') or utcnow())
    row.update(values)
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(CALLS), row)
    except db_exc.DBDuplicateEntry:
        return False
    return True


@retry_on_deadlock
def claim(request_id, conductor, defaults):
    """Move a call from ``queued`` to ``running``; True when this caller may run it.

    False when the call is already running or finished (a redelivered cast,
    or one the expiry sweep marked expired first): it must not run. A call
    not on record is inserted ``running`` from ``defaults`` (``CALL_FIELDS``).
    """
    now = utcnow()
    values = {'state': RUNNING, 'conductor': conductor, 'started_at': now}
    with writer() as conn:
        moved = conn.execute(sa.update(CALLS).where(CALLS.c.request_id == request_id,
                                                    CALLS.c.state == QUEUED)
                             .values(**values)).rowcount
        if moved:
            return True  # METRICS HOOK: a call became "running" here.
        exists = conn.execute(sa.select(CALLS.c.id).where(
            CALLS.c.request_id == request_id)).first()
        if exists is not None:
            return False
        return _insert_missing(conn, request_id, defaults, values)


@retry_on_deadlock
def finish(request_id, state, conductor, defaults, result=None, result_truncated=False,
           error=None):
    """Record a call's outcome; False when it already had one (it is kept).

    ``state``: one of ``FINISHED``. A call not on record is inserted from
    ``defaults``.
    """
    with writer() as conn:
        return finish_in(conn, request_id, state, conductor, defaults, result=result,
                         result_truncated=result_truncated, error=error)


def finish_in(conn, request_id, state, conductor, defaults, result=None,
              result_truncated=False, error=None):
    """``finish`` inside the caller's transaction (e.g. the one releasing the node lock)."""
    values = {'state': state, 'conductor': conductor, 'finished_at': utcnow(),
              'result': result, 'result_truncated': result_truncated, 'error': error}
    moved = conn.execute(sa.update(CALLS).where(CALLS.c.request_id == request_id,
                                                CALLS.c.state.in_(_OPEN))
                         .values(**values)).rowcount
    if moved:
        return True  # METRICS HOOK: a call finished here, in ``state``.
    exists = conn.execute(sa.select(CALLS.c.id).where(
        CALLS.c.request_id == request_id)).first()
    if exists is not None:
        return False
    return _insert_missing(conn, request_id, defaults, values)


def expiry_cutoff(now=None):
    """Calls accepted before this (naive UTC) and still queued are expired.

    ``async_cast_ttl`` (plus ``max_clock_skew``: the API's clock stamped the
    acceptance) after its acceptance, no conductor would run a call any more.
    """
    bound = CONF.conductor.async_cast_ttl + CONF.conductor.max_clock_skew
    return (now or utcnow()) - datetime.timedelta(seconds=bound)


#: Why a swept call ended, as its record's error and in its node's history.
_EXPIRED_WHY = 'Not started by any conductor before it expired (async_cast_ttl).'
_ABANDONED_WHY = ('The conductor running it stopped before it finished; whether the method '
                  'completed is unknown.')


def _settle(conn, row, state, why, event):
    """Move one call from ``row['state']`` to ``state``; True when this caller moved it.

    A node call also gets ``event`` ("Vendor passthru <method> <event>") in
    its node's history, in the same transaction, unless ``event`` is None or
    the node already has an outcome for it. The client's handle and the
    operator's account of the node then agree, as for calls a conductor
    settles itself (``conductor/async_outcome.py``).
    """
    moved = conn.execute(sa.update(CALLS).where(
        CALLS.c.request_id == row['request_id'], CALLS.c.state == row['state'])
        .values(state=state, finished_at=utcnow(), error=why)).rowcount
    if not moved or row['node_id'] is None or event is None:
        return bool(moved)
    if history.outcome_of(conn, row['node_id'], row['request_id']) is None:
        text = 'Vendor passthru %s %s' % (row['method'], event)
        history.insert_event(conn, row['node_id'], {
            'event': text, 'severity': 'ERROR', 'conductor': row['conductor'],
            'user': row['user_id'], 'request_id': row['request_id'], 'last_error': text})
    return True


_SWEPT = (CALLS.c.request_id, CALLS.c.state, CALLS.c.node_id, CALLS.c.method,
          CALLS.c.conductor, CALLS.c.user_id)


@retry_on_deadlock
def expire_overdue(accepted_before, request_id=None):
    """Mark ``expired`` every call still ``queued`` that was accepted before the cutoff.

    No conductor runs such a call any more (it refuses a cast older than
    ``async_cast_ttl``, and the conditional claim loses to this update).
    Its node, for a node call, gets an "expired" event with the request id:
    the cast never reached a conductor that started it, e.g. its conductor
    was killed after taking it from the queue. ``request_id`` limits it to
    one call. Returns how many were marked.
    """
    query = sa.select(*_SWEPT).where(CALLS.c.state == QUEUED,
                                     CALLS.c.accepted_at < accepted_before)
    if request_id is not None:
        query = query.where(CALLS.c.request_id == request_id)
    event = 'expired: no conductor took it up within async_cast_ttl; it did not run'
    with writer() as conn:
        return sum(_settle(conn, dict(row._mapping), EXPIRED, _EXPIRED_WHY, event)
                   for row in conn.execute(query).all())


@retry_on_deadlock
def fail_abandoned(heartbeat_timeout=None, conductor=None):
    """Mark ``failed`` the running calls of dead conductors, or of ``conductor``.

    With ``heartbeat_timeout``: calls of conductors whose lease is over, on
    the database's clock as the lease itself (they died while running them;
    their node locks are released by the others at the same age). With
    ``conductor``: that conductor's, as it starts again (they were running
    when its earlier run ended). Whether the method completed is unknown.
    No history event here: a conductor only frozen may yet run the method
    (its outcome event is then the node's one); one that started it gets its
    event when its lock is released (``async_outcome.record_interrupted``).
    Returns how many were marked.
    """
    with writer() as conn:
        if conductor is not None:
            whose = CALLS.c.conductor == conductor
        else:
            whose = CALLS.c.conductor.in_(sa.select(_CONDUCTORS.c.hostname).where(
                _CONDUCTORS.c.heartbeat_at < db_conductors.lease_cutoff(
                    conn, heartbeat_timeout)))
        return sum(_settle(conn, dict(row._mapping), FAILED, _ABANDONED_WHY, None)
                   for row in conn.execute(sa.select(*_SWEPT).where(
                       CALLS.c.state == RUNNING, whose)).all())


_GET = (sa.select(CALLS, _NODES.c.uuid.label('node_uuid'), _NODES.c.owner.label('node_owner'),
                  _NODES.c.lessee.label('node_lessee'))
        .select_from(CALLS.outerjoin(_NODES, CALLS.c.node_id == _NODES.c.id))
        .where(CALLS.c.request_id == sa.bindparam('request_id')))


def get(request_id):
    """The call (a dict, with ``node_uuid``, ``node_owner``, ``node_lessee``) or None."""
    with reader() as conn:
        row = conn.execute(_GET, {'request_id': request_id}).first()
    return dict(row._mapping) if row is not None else None
