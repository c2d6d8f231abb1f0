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

The record also decides a node call's one outcome in its node's history:
whoever moves it to a final state writes the outcome event in the same
transaction — its conductor, the sweeps (``expire_overdue``,
``fail_abandoned``) or the release of a dead conductor's lock
(``fail_interrupted``) — and nobody else does. A claimed call starts
(its "started" event) only while its record is still ``running`` on its
conductor (``confirm_start``).
"""

import datetime

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils.timeutils import utcnow

from anvil.common import exception
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


#: Why a queued call was expired, on its record.
_EXPIRED_WHY = 'Not started by any conductor before it expired (async_cast_ttl).'


def interrupted_text(conductor, started, lease=True):
    """Why a call failed with its conductor: its record's error, its node's event detail.

    ``started``: whether its method had started (its node has the "started"
    event), None when that is not known (a driver call, or node history
    off). ``lease``: the conductor's lease ran out (else it restarted).
    """
    stopped = 'conductor %s %s' % (conductor, 'stopped renewing its lease' if lease
                                   else 'stopped')
    if started is None:
        return stopped + ' before it finished; whether the method ran is unknown'
    if started:
        return stopped + ' while it ran; it may have run in part'
    return stopped + ' before it started the method; it did not run'


# Built once: every async node call sends it (as db/api.py builds the lock's statements).
_CONFIRM = (sa.update(CALLS).where(CALLS.c.request_id == sa.bindparam('call'),
                                   CALLS.c.state == RUNNING,
                                   CALLS.c.conductor == sa.bindparam('host'))
            .values(conductor=sa.bindparam('host')))


def confirm_start(conn, request_id, conductor):
    """Let a call start only while it is ``running`` on ``conductor`` (in the transaction
    that takes its node and writes its "started" event).

    A conductor frozen while it waited for the node may find, once it
    thaws, its call failed by the sweep (``fail_abandoned``), which told the
    node the method did not run: it must not. A conditional UPDATE that
    changes nothing, not a read: it waits for a sweep that holds the row,
    and holds the row until "started" is committed, so the sweep judges
    on what is committed (``history.has_started``). MySQL's rowcount counts
    matched rows (SQLAlchemy sets FOUND_ROWS). A call without a record (its
    claim could not write one) starts, as before calls had records.

    :raises: CallSettled.
    """
    if conn.execute(_CONFIRM, {'call': request_id, 'host': conductor}).rowcount:
        return
    if conn.execute(sa.select(CALLS.c.id).where(CALLS.c.request_id == request_id)).first():
        raise exception.CallSettled(request_id=request_id)


def _tell_node(conn, row, event):
    """Write a settled call's ERROR event "Vendor passthru <method> <event>" on its node,
    unless it is a driver call or its node already has an outcome for it; True if written."""
    if row['node_id'] is None or history.outcome_of(conn, row['node_id'],
                                                    row['request_id']) is not None:
        return False
    text = 'Vendor passthru %s %s' % (row['method'], event)
    history.insert_event(conn, row['node_id'], {
        'event': text, 'severity': 'ERROR', 'conductor': row['conductor'],
        'user': row['user_id'], 'request_id': row['request_id'], 'last_error': text})
    return True


def _settle(conn, row, state, why, event):
    """Move one call from ``row['state']`` to ``state``; True when this caller moved it.

    The one that moves it writes ``event`` on its node in the same
    transaction (``_tell_node``): every writer of an outcome moves the
    record first, conditionally, so the node gets one, and the client's
    handle and the operator's account of the node agree.
    """
    moved = conn.execute(sa.update(CALLS).where(
        CALLS.c.request_id == row['request_id'], CALLS.c.state == row['state'])
        .values(state=state, finished_at=utcnow(), error=why)).rowcount
    if moved:
        _tell_node(conn, row, event)
    return bool(moved)


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


def fail_abandoned(heartbeat_timeout=None, conductor=None):
    """Mark ``failed`` the running calls of dead conductors, or of ``conductor``.

    With ``heartbeat_timeout``: calls of conductors whose lease is over, on
    the database's clock as the lease itself (they died while running them;
    their node locks are released by the others at the same age). With
    ``conductor``: that conductor's, as it starts again (they were running
    when its earlier run ended). Each gets its node's one outcome event
    (``_abandon``), whether or not its node is still locked: the lock's
    release (``fail_interrupted``) then finds the record settled and writes
    none. Returns how many were marked.
    """
    with reader() as conn:
        if conductor is not None:
            whose = CALLS.c.conductor == conductor
        else:
            whose = CALLS.c.conductor.in_(sa.select(_CONDUCTORS.c.hostname).where(
                _CONDUCTORS.c.heartbeat_at < db_conductors.lease_cutoff(
                    conn, heartbeat_timeout)))
        rows = conn.execute(sa.select(*_SWEPT).where(CALLS.c.state == RUNNING, whose)).all()
    return sum(_abandon(dict(row._mapping), lease=conductor is None) for row in rows)


@retry_on_deadlock
def _abandon(row, lease):
    """Fail one running call whose conductor is gone; True when this caller did.

    A transaction of its own that locks the record first (``FOR UPDATE``),
    then reads the node's history: a conductor writing "started" holds the
    record until it commits (``confirm_start``), so the call is judged on a
    committed "started" (a read after the lock: under MariaDB's repeatable
    read the transaction's snapshot is taken at its first plain read), and
    one judged not started will not start. "Did not run", "may have run in
    part" (it started), or "unknown" (a driver call, or node history off).
    """
    with writer() as conn:
        if conn.execute(sa.select(CALLS.c.id).where(
                CALLS.c.request_id == row['request_id'], CALLS.c.state == RUNNING)
                .with_for_update()).first() is None:
            return False   # its conductor (thawed) or the lock's release settled it meanwhile
        started = None
        if row['node_id'] is not None and CONF.conductor.node_history:
            started = history.has_started(conn, row['node_id'], row['request_id'])
        why = interrupted_text(row['conductor'], started, lease)
        return _settle(conn, row, FAILED, why, 'failed: ' + why)


@retry_on_deadlock
def fail_interrupted(call, why):
    """Fail a call whose dead conductor's lock on its node was just released; True when
    its node got the outcome (the event "Vendor passthru <method> failed: <why>").

    ``call``: its request_id, node_id, method, conductor and user_id. Its
    record decides, as for the sweep (``fail_abandoned``), which may come
    first: the event is written when this moves the record from
    ``running``, or when the call has no record and its node no outcome.
    """
    row = dict(call, state=RUNNING)
    event = 'failed: ' + why
    with writer() as conn:
        if not row['request_id']:   # a "started" event without a request id: no record
            return _tell_node(conn, row, event)
        if _settle(conn, row, FAILED, why, event):
            return True
        if conn.execute(sa.select(CALLS.c.id).where(
                CALLS.c.request_id == row['request_id'])).first() is not None:
            return False
        return _tell_node(conn, row, event)


_GET = (sa.select(CALLS, _NODES.c.uuid.label('node_uuid'), _NODES.c.owner.label('node_owner'),
                  _NODES.c.lessee.label('node_lessee'))
        .select_from(CALLS.outerjoin(_NODES, CALLS.c.node_id == _NODES.c.id))
        .where(CALLS.c.request_id == sa.bindparam('request_id')))


def get(request_id):
    """The call (a dict, with ``node_uuid``, ``node_owner``, ``node_lessee``) or None."""
    with reader() as conn:
        row = conn.execute(_GET, {'request_id': request_id}).first()
    return dict(row._mapping) if row is not None else None
