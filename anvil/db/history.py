"""Node history: what happened to a node, including every async passthru outcome."""

import sqlalchemy as sa
from oslo_utils import uuidutils
from oslo_utils.timeutils import utcnow

from anvil.common.config import CONF
from anvil.db import models
from anvil.db.engine import reader, retry_on_deadlock, writer

HISTORY = models.NodeHistory.__table__

#: Event types written by the conductor for vendor passthru calls.
PASSTHRU = 'passthru'

# Built once: every async call writes two events (see db/api.py on why).
_INSERT = sa.insert(HISTORY)
_COLUMNS = frozenset(HISTORY.c.keys())
_NODES = models.Node.__table__
_SET_LAST_ERROR = (sa.update(_NODES).where(_NODES.c.id == sa.bindparam('node_id'))
                   .values(last_error=sa.bindparam('last_error'),
                           updated_at=sa.bindparam('updated_at')))


def insert_event(conn, node_id, values):
    """Insert one event inside the caller's transaction.

    ``values``: event, severity, event_type, conductor, user, request_id and,
    optionally, ``last_error`` to set on the node in the same transaction.
    With ``[conductor] node_history`` off only ``last_error`` is written.
    :raises: ValueError for a key that is not a history column.
    """
    values = dict(values)
    last_error = values.pop('last_error', None)
    now = utcnow()
    values.setdefault('event_type', PASSTHRU)
    values.setdefault('severity', 'INFO')
    values.update(uuid=uuidutils.generate_uuid(), node_id=node_id, created_at=now)
    unknown = set(values) - _COLUMNS
    if unknown:  # a prepared INSERT would drop them silently
        raise ValueError('Not node history columns: %s' % ', '.join(sorted(unknown)))
    if CONF.conductor.node_history:
        conn.execute(_INSERT, values)
    if last_error is not None:
        conn.execute(_SET_LAST_ERROR, {'node_id': node_id, 'last_error': last_error,
                                       'updated_at': now})


def outcome_of(conn, node_id, request_id):
    """The outcome event (not "… started") of ``request_id`` on the node, or None."""
    if not request_id:
        return None
    row = conn.execute(sa.select(HISTORY).where(
        HISTORY.c.node_id == node_id, HISTORY.c.request_id == request_id,
        HISTORY.c.event_type == PASSTHRU, HISTORY.c.event.notlike('% started'))
        .limit(1)).first()
    return dict(row._mapping) if row is not None else None


def has_started(conn, node_id, request_id):
    """Whether the node has the "… started" event of ``request_id``."""
    return conn.execute(sa.select(HISTORY.c.id).where(
        HISTORY.c.node_id == node_id, HISTORY.c.request_id == request_id,
        HISTORY.c.event_type == PASSTHRU, HISTORY.c.event.like('% started'))
        .limit(1)).first() is not None


@retry_on_deadlock
def add_event(node_id, also=None, **values):
    """Record one event in its own transaction (see ``insert_event``).

    ``also(conn)``, when given, runs first in the same transaction, and the
    event is not written when it returns False (the async call whose
    outcome this is already had one: ``CallRecord.finisher``). Whatever it
    raises rolls the transaction back (``CallRecord.starter``).
    """
    with writer() as conn:
        if also is None or also(conn) is not False:
            insert_event(conn, node_id, values)


def list_events(node_id, limit=None):
    """A node's events, oldest first."""
    query = sa.select(HISTORY).where(HISTORY.c.node_id == node_id).order_by(HISTORY.c.id)
    if limit:
        query = query.limit(limit)
    with reader() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def get_event(node_id, event_uuid):
    """One event of a node, or None."""
    with reader() as conn:
        row = conn.execute(sa.select(HISTORY).where(
            HISTORY.c.node_id == node_id, HISTORY.c.uuid == event_uuid)).first()
    return dict(row._mapping) if row is not None else None
