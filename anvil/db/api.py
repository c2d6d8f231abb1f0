"""Queries on nodes and node locks: one transaction per function, plain dicts out.

Nothing here lazy-loads: callers get dicts they can send over RPC or JSON.
Conductor registration and metadata live in ``db/conductors.py``, node
history in ``db/history.py``.

Raises (besides oslo.db's DBError family): ``NodeNotFound``, ``NodeLocked``,
``DuplicateName``, ``NodeAlreadyExists``.
"""

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils import uuidutils
from oslo_utils.timeutils import utcnow

from anvil.common import exception
from anvil.db import history as db_history
from anvil.db import models
from anvil.db.engine import autocommit, reader, retry_on_deadlock, writer

NODES = models.Node.__table__
NODE_COLUMNS = tuple(c.name for c in NODES.columns)

# The statements of every passthru call, built once with bound parameters: a
# statement built per call costs more than running it (SQLAlchemy constructs
# it and derives its cache key each time; a reused one has both memoized).
_BY_UUID = sa.select(NODES).where(NODES.c.uuid == sa.bindparam('ident'))
_BY_NAME = sa.select(NODES).where(NODES.c.name == sa.bindparam('ident'))
_BY_ID = sa.select(NODES).where(NODES.c.id == sa.bindparam('node_id'))
_HOLDER = sa.select(NODES.c.uuid, NODES.c.reservation).where(
    NODES.c.id == sa.bindparam('node_id'))
_RESERVE = (sa.update(NODES)
            .where(NODES.c.id == sa.bindparam('node_id'), NODES.c.reservation.is_(None))
            .values(reservation=sa.bindparam('host')))
_RESERVE_RETURNING = _RESERVE.returning(*NODES.c)
_RELEASE = (sa.update(NODES)
            .where(NODES.c.id == sa.bindparam('node_id'),
                   NODES.c.reservation == sa.bindparam('host'))
            .values(reservation=None))


#: The fields a passthru call is routed by (see api/node_routes.py).
ROUTE_FIELDS = ('id', 'uuid', 'name', 'driver', 'vendor_interface', 'conductor_group', 'owner',
                'lessee')
_ROUTES = (sa.select(*(NODES.c[f] for f in ROUTE_FIELDS)).order_by(NODES.c.id)
           .limit(sa.bindparam('limit')))


def _row(row):
    return dict(row._mapping) if row is not None else None


def get_node(ident, allow_name=True):
    """One node by UUID or (if allowed) name. Raises NodeNotFound."""
    if uuidutils.is_uuid_like(ident):
        query = _BY_UUID
    elif allow_name:
        query = _BY_NAME
    else:
        raise exception.NodeNotFound(node=ident)
    with autocommit(readonly=True) as conn:  # one statement: no BEGIN/COMMIT
        row = conn.execute(query, {'ident': ident}).first()
    if row is None:
        raise exception.NodeNotFound(node=ident)
    return _row(row)


def list_routes(limit):
    """The routing fields (``ROUTE_FIELDS``) of the first ``limit`` nodes, as dicts.

    Every API process loads every node this way, again and again: the dicts are
    built from plain tuples, as ``Row._mapping`` costs several times more per row.
    """
    with autocommit(readonly=True) as conn:
        rows = conn.execute(_ROUTES, {'limit': limit}).tuples().all()
    return [dict(zip(ROUTE_FIELDS, row, strict=True)) for row in rows]


def get_node_by_id(node_id):
    """One node by its integer id. Raises NodeNotFound."""
    with autocommit(readonly=True) as conn:
        row = conn.execute(_BY_ID, {'node_id': node_id}).first()
    if row is None:
        raise exception.NodeNotFound(node=node_id)
    return _row(row)


def _order(sort_col, desc):
    """ORDER BY terms, ties broken by id; NULL sorts lowest on every backend
    (PostgreSQL's default is the opposite, and paging needs one rule)."""
    terms = [sort_col.desc(), NODES.c.id.desc()] if desc else [sort_col.asc(), NODES.c.id.asc()]
    if sort_col.nullable:
        terms.insert(0, sort_col.is_(None).asc() if desc else sort_col.is_(None).desc())
    return terms


def _after_marker(sort_col, value, marker_id, desc):
    """Rows that come after the marker row (``value``, ``marker_id``) in ``_order``."""
    later_id = NODES.c.id < marker_id if desc else NODES.c.id > marker_id
    if value is None:
        same = sa.and_(sort_col.is_(None), later_id)
        return same if desc else sa.or_(sort_col.isnot(None), same)
    beyond = sort_col < value if desc else sort_col > value
    clause = sa.or_(beyond, sa.and_(sort_col == value, later_id))
    return sa.or_(clause, sort_col.is_(None)) if desc and sort_col.nullable else clause


def list_nodes(filters=None, sort_key='id', sort_dir='asc', limit=None, marker=None):
    """Nodes matching ``filters``, paged by marker.

    ``filters``: column → value; ``reserved`` → bool; ``project`` or
    ``visible_to`` → a project that owns or leases the node.
    """
    query = sa.select(NODES)
    for key, value in (filters or {}).items():
        if key == 'reserved':
            column = NODES.c.reservation
            query = query.where(column.isnot(None) if value else column.is_(None))
        elif key in ('project', 'visible_to'):  # owned or leased by the project
            query = query.where(sa.or_(NODES.c.owner == value, NODES.c.lessee == value))
        elif key == 'driver' and isinstance(value, (list, tuple, set)):
            query = query.where(NODES.c.driver.in_(list(value)))
        else:
            query = query.where(NODES.c[key] == value)
    sort_col, desc = NODES.c[sort_key], sort_dir == 'desc'
    with reader() as conn:
        if marker is not None:
            mrow = conn.execute(sa.select(NODES).where(NODES.c.uuid == marker)).first()
            if mrow is None:
                raise exception.NodeNotFound(node=marker)
            query = query.where(_after_marker(sort_col, mrow._mapping[sort_key],
                                              mrow._mapping['id'], desc))
        query = query.order_by(*_order(sort_col, desc))
        if limit:
            query = query.limit(limit)
        return [_row(r) for r in conn.execute(query)]


def create_node(values):
    """Insert a node; returns it. Raises DuplicateName / NodeAlreadyExists."""
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    values.setdefault('conductor_group', '')
    values['created_at'] = utcnow()
    try:
        with writer() as conn:
            conn.execute(sa.insert(NODES).values(**values))
            return _row(conn.execute(sa.select(NODES).where(
                NODES.c.uuid == values['uuid'])).first())
    except db_exc.DBDuplicateEntry as e:
        if 'name' in (e.columns or []) or 'uniq_nodes0name' in str(e.inner_exception):
            raise exception.DuplicateName(name=values.get('name')) from None
        raise exception.NodeAlreadyExists(uuid=values['uuid']) from None


@retry_on_deadlock
def update_node(node_uuid, values):
    """Update fields of a node; returns the new row. Raises NodeNotFound, DuplicateName."""
    values = dict(values, updated_at=utcnow())
    try:
        with writer() as conn:
            count = conn.execute(sa.update(NODES).where(NODES.c.uuid == node_uuid)
                                 .values(**values)).rowcount
            if not count:
                raise exception.NodeNotFound(node=node_uuid)
            return _row(conn.execute(sa.select(NODES).where(NODES.c.uuid == node_uuid)).first())
    except db_exc.DBDuplicateEntry:
        raise exception.DuplicateName(name=values.get('name')) from None


@retry_on_deadlock
def destroy_node(node_uuid):
    """Delete an unreserved node (its history goes with it).

    Raises NodeNotFound, or NodeLocked while someone holds the node's lock.
    """
    with writer() as conn:
        # FOR UPDATE: a reservation committing between this check and the
        # DELETE would otherwise be deleted with the node (PostgreSQL, MariaDB).
        row = conn.execute(sa.select(NODES.c.id, NODES.c.reservation)
                           .where(NODES.c.uuid == node_uuid).with_for_update()).first()
        if row is None:
            raise exception.NodeNotFound(node=node_uuid)
        if row.reservation is not None:
            raise exception.NodeLocked(node=node_uuid, host=row.reservation)
        conn.execute(sa.delete(models.NodeHistory.__table__)
                     .where(models.NodeHistory.__table__.c.node_id == row.id))
        conn.execute(sa.delete(NODES).where(NODES.c.id == row.id))


def _take(conn, host, node_id):
    """The conditional UPDATE; the reserved row, or None when nothing matched.

    Where the dialect supports UPDATE … RETURNING (PostgreSQL, SQLite) this is
    one statement; elsewhere (MariaDB) the row is read back after the UPDATE.
    """
    params = {'node_id': node_id, 'host': host}
    if conn.dialect.update_returning:
        return conn.execute(_RESERVE_RETURNING, params).first()
    if conn.execute(_RESERVE, params).rowcount != 1:
        return None
    return conn.execute(_BY_ID, params).first()


@retry_on_deadlock
def reserve_node(host, node_id, history=None, also=None):
    """Take the node's exclusive lock for ``host``: one conditional UPDATE.

    On zero rows one read tells "not found" from "locked by X".
    ``history`` (values for ``history.insert_event``) is recorded in the same
    transaction when the lock is taken. ``also(conn)`` runs first in it and
    may raise, so the lock is not taken (``CallRecord.starter``:
    CallSettled); first, so that this transaction locks the call's record
    before the node, in the order of the sweep that settles calls
    (``passthru_calls.fail_abandoned``: record, then the node's
    ``last_error``), and the two cannot deadlock.
    Returns the node as it is after reserving.
    Raises NodeNotFound, NodeLocked, and what ``also`` raises.
    """
    # Without history the lock is one statement: no transaction around it.
    with writer() if history or also else autocommit() as conn:
        if also is not None:
            also(conn)
        row = _take(conn, host, node_id)
        if row is not None:
            if history:
                db_history.insert_event(conn, node_id, history)
            return _row(row)
        row = conn.execute(_HOLDER, {'node_id': node_id}).first()
    if row is None:
        raise exception.NodeNotFound(node=node_id)
    raise exception.NodeLocked(node=row.uuid, host=row.reservation)


@retry_on_deadlock
def release_node(host, node_id, history=None, also=None):
    """Release ``host``'s lock on the node; False when ``host`` did not hold it.

    Each async call has one outcome. ``also(conn)`` (the call's record:
    ``CallRecord.finisher``) runs first in the same transaction (the lock
    order of ``reserve_node``), and decides: ``history`` is recorded when it
    moved the record to its outcome, not when it returns False (the call
    already had one: the sweep settled it while ``host`` was frozen).
    Without ``also``, ``history`` is recorded even when ``host`` no longer
    held the lock, unless the node already has an outcome for the same
    request (``history.outcome_of``: a survivor recorded it when it broke
    the lock).
    """
    with writer() if history or also else autocommit() as conn:
        write_event = also(conn) is not False if also is not None else None
        released = conn.execute(_RELEASE, {'node_id': node_id, 'host': host}).rowcount == 1
        if write_event is None:
            write_event = released or (history and db_history.outcome_of(
                conn, node_id, history.get('request_id')) is None)
        if history and write_event:
            db_history.insert_event(conn, node_id, history)
        return released


def reserved_by(host):
    """Ids of the nodes whose lock ``host`` holds in the database."""
    with reader() as conn:
        return [row.id for row in conn.execute(
            sa.select(NODES.c.id).where(NODES.c.reservation == host))]


@retry_on_deadlock
def release_all_reservations(host):
    """Drop every lock ``host`` holds (clean stop, or a restart after a crash)."""
    with writer() as conn:
        return conn.execute(sa.update(NODES).where(NODES.c.reservation == host)
                            .values(reservation=None)).rowcount
