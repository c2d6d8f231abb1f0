"""Conductor registration, heartbeats (leases) and the metadata conductors publish.

A heartbeat is a lease renewal: ``heartbeat_at`` is written, and compared,
on the database server's clock, so the clocks of conductor and API hosts
never decide who is alive. A conductor is alive while it is online and
``heartbeat_at + heartbeat_timeout`` (+ the column's rounding) is not past.
SQLite (the all-in-one: one process) uses this process's clock.

Raises ``ConductorNotFound``; everything else is oslo.db's DBError family.
"""

import datetime

import sqlalchemy as sa
from oslo_utils.timeutils import utcnow

from anvil.common import exception
from anvil.db import models
from anvil.db.api import NODES
from anvil.db.engine import reader, retry_on_deadlock, writer

CONDUCTORS = models.Conductor.__table__
HW_TYPES = models.ConductorHardwareType.__table__
METHODS = models.VendorMethod.__table__
HISTORY = models.NodeHistory.__table__


def _clock(conn):
    """"Now" in naive UTC on the database server's clock, as a SQL expression.

    ``clock_timestamp()``, not ``now()``: the time of the statement itself,
    not of the start of its transaction.
    """
    name = conn.dialect.name
    if name == 'postgresql':
        return sa.func.timezone(sa.literal_column("'UTC'"), sa.func.clock_timestamp())
    if name == 'mysql':
        return sa.func.utc_timestamp(6)
    return sa.literal(utcnow(), sa.DateTime)


def _rounding(conn):
    """Seconds by which a stored ``heartbeat_at`` may be earlier than the write.

    MySQL/MariaDB DATETIME columns keep whole seconds (MariaDB truncates), so
    a lease is counted one second longer there; safe, never shorter.
    """
    return 1.0 if conn.dialect.name == 'mysql' else 0.0


def _lease(conn, heartbeat_timeout):
    return datetime.timedelta(seconds=heartbeat_timeout + _rounding(conn))


def lease_cutoff(conn, heartbeat_timeout):
    """A ``heartbeat_at`` older than this (database clock) is a lease that is over."""
    return database_now(conn) - _lease(conn, heartbeat_timeout)


def database_now(conn):
    """The database server's "now" (naive UTC)."""
    return conn.execute(sa.select(_clock(conn))).scalar_one()


def holds_lease(hostname, heartbeat_timeout):
    """True while ``hostname``'s lease runs, online or not (database clock).

    Such a conductor may be running what it took from its queue: one that
    went offline because it lost the message bus, or one draining as it stops.
    """
    with reader() as conn:
        return conn.execute(sa.select(CONDUCTORS.c.id).where(
            CONDUCTORS.c.hostname == hostname,
            CONDUCTORS.c.heartbeat_at >= lease_cutoff(conn, heartbeat_timeout))
        ).first() is not None


@retry_on_deadlock
def register_conductor(hostname, group, hardware_types, vendor_methods, rpc_version=None):
    """Insert or take over the row of ``hostname`` and publish what it serves.

    ``hardware_types``: {name: interfaces}; ``vendor_methods``: list of dicts
    with hardware_type, vendor_interface, scope, name, details;
    ``rpc_version``: the conductor RPC API version it serves.
    A conductor restarting under the same name replaces its old row.
    """
    now = utcnow()
    with writer() as conn:
        row = conn.execute(sa.select(CONDUCTORS.c.id)
                           .where(CONDUCTORS.c.hostname == hostname)).first()
        values = dict(conductor_group=group, online=True, heartbeat_at=_clock(conn),
                      rpc_version=rpc_version)
        if row is None:
            cid = conn.execute(sa.insert(CONDUCTORS).values(
                hostname=hostname, created_at=now, **values)).inserted_primary_key[0]
        else:
            cid = row.id
            conn.execute(sa.update(CONDUCTORS).where(CONDUCTORS.c.id == cid)
                         .values(updated_at=now, **values))
            conn.execute(sa.delete(HW_TYPES).where(HW_TYPES.c.conductor_id == cid))
            conn.execute(sa.delete(METHODS).where(METHODS.c.conductor_id == cid))
        if hardware_types:
            conn.execute(sa.insert(HW_TYPES), [
                dict(conductor_id=cid, hardware_type=name, interfaces=ifaces)
                for name, ifaces in hardware_types.items()])
        if vendor_methods:
            conn.execute(sa.insert(METHODS), [dict(m, conductor_id=cid) for m in vendor_methods])
    return cid


@retry_on_deadlock
def heartbeat(hostname, online=True):
    """Record that ``hostname`` is alive now; raises ConductorNotFound if it has no row.

    ``online=False`` is the heartbeat of a stopping conductor, or of one cut
    from the message bus: its lease goes on (its locks must not be taken as
    stale) but it is not to be routed to; ``online=True`` routes to it again.
    ``updated_at`` moves too: as in Ironic, the API's conductor ``updated_at``
    is when the conductor last checked in.
    """
    values = dict(updated_at=utcnow(), online=bool(online))
    with writer() as conn:
        values['heartbeat_at'] = _clock(conn)
        count = conn.execute(sa.update(CONDUCTORS).where(CONDUCTORS.c.hostname == hostname)
                             .values(**values)).rowcount
    if not count:
        raise exception.ConductorNotFound(conductor=hostname)


@retry_on_deadlock
def unregister_conductor(hostname):
    """Mark ``hostname`` offline (its row and history stay for the operator)."""
    with writer() as conn:
        conn.execute(sa.update(CONDUCTORS).where(CONDUCTORS.c.hostname == hostname)
                     .values(online=False, updated_at=utcnow()))


def _lease_left(row, lease):
    """Seconds of ``row``'s lease still to run on the database clock (<= 0: over)."""
    if not row.online:
        return 0.0
    return (row.heartbeat_at + lease - row.db_now).total_seconds()


def list_conductors(heartbeat_timeout):
    """Every conductor with ``alive`` computed and its hardware types.

    ``lease_left``: seconds until its lease is over, on the database clock
    (0 for an offline one, negative for one already dead).
    """
    with reader() as conn:
        lease = _lease(conn, heartbeat_timeout)
        rows = conn.execute(sa.select(CONDUCTORS, _clock(conn).label('db_now'))
                            .order_by(CONDUCTORS.c.hostname)).all()
        types = conn.execute(sa.select(HW_TYPES.c.conductor_id, HW_TYPES.c.hardware_type)).all()
    by_id = {}
    for cid, hw in types:
        by_id.setdefault(cid, []).append(hw)
    result = []
    for r in rows:
        left = _lease_left(r, lease)
        cond = {k: v for k, v in r._mapping.items() if k != 'db_now'}
        result.append(dict(cond, alive=left > 0, lease_left=left,
                           drivers=sorted(by_id.get(r.id, []))))
    return result


def get_conductor(hostname, heartbeat_timeout):
    """One conductor as in ``list_conductors``; raises ConductorNotFound."""
    for cond in list_conductors(heartbeat_timeout):
        if cond['hostname'] == hostname:
            return cond
    raise exception.ConductorNotFound(conductor=hostname)


def get_topology(heartbeat_timeout):
    """What routing needs, in three queries: live conductors, their types, methods.

    Returns {'conductors': {hostname: group}, 'hardware_types': {type: {hostname:
    interfaces}}, 'methods': {(type, vendor_interface, scope): {name: details}},
    'known_types': set of every type ever registered (alive or not),
    'valid_for': seconds until the first live conductor's lease runs out
    (None when none is alive): the snapshot says nothing true past that}.
    """
    with reader() as conn:
        lease = _lease(conn, heartbeat_timeout)
        conds = conn.execute(sa.select(CONDUCTORS.c.id, CONDUCTORS.c.hostname,
                                       CONDUCTORS.c.conductor_group, CONDUCTORS.c.online,
                                       CONDUCTORS.c.heartbeat_at,
                                       _clock(conn).label('db_now'))).all()
        types = conn.execute(sa.select(HW_TYPES)).all()
        methods = conn.execute(sa.select(METHODS)).all()
    left = {c.id: _lease_left(c, lease) for c in conds}
    live = {c.id: c for c in conds if left[c.id] > 0}
    topology = {'conductors': {c.hostname: c.conductor_group for c in live.values()},
                'hardware_types': {}, 'methods': {},
                'known_types': {t.hardware_type for t in types},
                'valid_for': min((left[cid] for cid in live), default=None)}
    for t in types:
        if t.conductor_id in live:
            topology['hardware_types'].setdefault(t.hardware_type, {})[
                live[t.conductor_id].hostname] = t.interfaces
    for m in methods:
        if m.conductor_id in live:
            key = (m.hardware_type, m.vendor_interface, m.scope)
            topology['methods'].setdefault(key, {})[m.name] = m.details
    return topology


@retry_on_deadlock
def release_stale_reservations(heartbeat_timeout):
    """Release locks held by conductors whose lease is over (database clock).

    Not those merely offline: a stopping conductor goes offline first (so no
    new work is routed to it), then finishes its running methods under their
    locks and releases them itself. If it dies meanwhile, its lease runs out.
    A conductor fences itself ``lease_fence_margin`` before its lease ends,
    so by now it starts nothing under these locks. The rows are locked
    (``FOR UPDATE``) so that of several conductors sweeping at once, one
    releases each node.

    Returns [(node_id, host, last_event)] for each node released:
    ``last_event`` is the node's newest history event (a dict, or None), read
    in the same transaction, so the caller can tell an async call that was
    interrupted by the death of ``host``.
    """
    with writer() as conn:
        cutoff = database_now(conn) - _lease(conn, heartbeat_timeout)
        dead = sa.select(CONDUCTORS.c.hostname).where(CONDUCTORS.c.heartbeat_at < cutoff)
        return _release(conn, NODES.c.reservation.in_(dead))


@retry_on_deadlock
def release_left_reservations(host):
    """Release the locks an earlier run of ``host`` left (it starts again after a crash).

    Returns [(node_id, host, last_event)] as ``release_stale_reservations``
    does: restarted before any peer judged it dead, the conductor is the one
    that must give its interrupted async calls their outcome.
    """
    with writer() as conn:
        return _release(conn, NODES.c.reservation == host)


def _release(conn, reserved):
    """Free the nodes matching ``reserved``; [(node_id, holder, newest history event)]."""
    rows = conn.execute(sa.select(NODES.c.id, NODES.c.reservation).where(reserved)
                        .order_by(NODES.c.id).with_for_update()).all()
    if not rows:
        return []
    conn.execute(sa.update(NODES).where(NODES.c.id.in_([r.id for r in rows]))
                 .values(reservation=None))
    return [(r.id, r.reservation, _last_event(conn, r.id)) for r in rows]


def _last_event(conn, node_id):
    row = conn.execute(sa.select(HISTORY).where(HISTORY.c.node_id == node_id)
                       .order_by(HISTORY.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row is not None else None
