"""Conductor registration, heartbeats and the metadata conductors publish.

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


@retry_on_deadlock
def register_conductor(hostname, group, hardware_types, vendor_methods):
    """Insert or take over the row of ``hostname`` and publish what it serves.

    ``hardware_types``: {name: interfaces}; ``vendor_methods``: list of dicts
    with hardware_type, vendor_interface, scope, name, details.
    A conductor restarting under the same name replaces its old row.
    """
    now = utcnow()
    with writer() as conn:
        row = conn.execute(sa.select(CONDUCTORS.c.id)
                           .where(CONDUCTORS.c.hostname == hostname)).first()
        values = dict(conductor_group=group, online=True, heartbeat_at=now)
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

    ``online=False`` is the heartbeat of a stopping conductor: still alive (its
    locks must not be taken as stale) but no longer to be routed to.
    ``updated_at`` moves too: as in Ironic, the API's conductor ``updated_at``
    is when the conductor last checked in.
    """
    now = utcnow()
    values = dict(heartbeat_at=now, updated_at=now)
    if online:
        values['online'] = True
    with writer() as conn:
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


def _alive_clause(heartbeat_timeout, now=None):
    cutoff = (now or utcnow()) - datetime.timedelta(seconds=heartbeat_timeout)
    return sa.and_(CONDUCTORS.c.online.is_(True), CONDUCTORS.c.heartbeat_at >= cutoff)


def list_conductors(heartbeat_timeout):
    """Every conductor with ``alive`` computed and its hardware types."""
    alive = _alive_clause(heartbeat_timeout)
    with reader() as conn:
        rows = conn.execute(sa.select(CONDUCTORS, alive.label('alive'))
                            .order_by(CONDUCTORS.c.hostname)).all()
        types = conn.execute(sa.select(HW_TYPES.c.conductor_id, HW_TYPES.c.hardware_type)).all()
    by_id = {}
    for cid, hw in types:
        by_id.setdefault(cid, []).append(hw)
    return [dict(r._mapping, alive=bool(r.alive), drivers=sorted(by_id.get(r.id, [])))
            for r in rows]


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
    'known_types': set of every type ever registered (alive or not)}.
    """
    alive = _alive_clause(heartbeat_timeout)
    with reader() as conn:
        conds = conn.execute(sa.select(CONDUCTORS.c.id, CONDUCTORS.c.hostname,
                                       CONDUCTORS.c.conductor_group, alive.label('alive'))).all()
        types = conn.execute(sa.select(HW_TYPES)).all()
        methods = conn.execute(sa.select(METHODS)).all()
    live = {c.id: c for c in conds if c.alive}
    topology = {'conductors': {c.hostname: c.conductor_group for c in live.values()},
                'hardware_types': {}, 'methods': {},
                'known_types': {t.hardware_type for t in types}}
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
    """Release locks held by conductors whose heartbeat is stale.

    Not those merely offline: a stopping conductor goes offline first (so no
    new work is routed to it), then finishes its running methods under their
    locks and releases them itself. If it dies meanwhile, its heartbeat goes
    stale. One conditional UPDATE; returns how many nodes were released.
    """
    cutoff = utcnow() - datetime.timedelta(seconds=heartbeat_timeout)
    dead = sa.select(CONDUCTORS.c.hostname).where(CONDUCTORS.c.heartbeat_at < cutoff)
    with writer() as conn:
        return conn.execute(sa.update(NODES).where(NODES.c.reservation.in_(dead))
                            .values(reservation=None)).rowcount
