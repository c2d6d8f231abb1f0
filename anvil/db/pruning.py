"""Keep node history and async call records bounded: the newest N per group.

A group is a node (history events, node calls) or a hardware type (driver
calls). Rows beyond the newest ``keep`` of their group and older than a
cutoff time may go. Each function is one short transaction: the caller
deletes in small chunks, so a pruning never holds SQLite's single writer
lock, or row locks elsewhere, for long.
"""

import sqlalchemy as sa

from anvil.db import models, passthru_calls
from anvil.db.engine import reader, retry_on_deadlock, writer

_HISTORY = models.NodeHistory.__table__
_CALLS = models.PassthruCall.__table__


class Kind:
    """Where rows of one kind live: their table, group column, time column, filter."""

    def __init__(self, name, table, group, time, where=None):
        self.name = name
        self.table = table
        self.group = group
        self.time = time
        self.where = where if where is not None else sa.true()


HISTORY = Kind('node history', _HISTORY, _HISTORY.c.node_id, _HISTORY.c.created_at)
#: Only finished calls are pruned: a queued or running one has an outcome to come.
_FINISHED = _CALLS.c.state.in_(passthru_calls.FINISHED)
NODE_CALLS = Kind('node calls', _CALLS, _CALLS.c.node_id, _CALLS.c.accepted_at,
                  sa.and_(_FINISHED, _CALLS.c.node_id.isnot(None)))
DRIVER_CALLS = Kind('driver calls', _CALLS, _CALLS.c.driver, _CALLS.c.accepted_at,
                    sa.and_(_FINISHED, _CALLS.c.node_id.is_(None)))


def groups_over(kind, keep):
    """The groups (node ids or driver names) with more than ``keep`` prunable rows."""
    query = (sa.select(kind.group).where(kind.where).group_by(kind.group)
             .having(sa.func.count() > keep))
    with reader() as conn:
        return [row[0] for row in conn.execute(query)]


def ids_beyond(kind, group, keep, before, limit):
    """Ids (oldest first, at most ``limit``) of ``group``'s rows past its newest
    ``keep`` and older than ``before`` (a naive UTC datetime)."""
    in_group = sa.and_(kind.where, kind.group == group)
    id_col = kind.table.c.id
    with reader() as conn:
        newest_dropped = conn.execute(sa.select(id_col).where(in_group)
                                      .order_by(id_col.desc()).offset(keep).limit(1)).scalar()
        if newest_dropped is None:
            return []
        return list(conn.execute(
            sa.select(id_col).where(in_group, id_col <= newest_dropped, kind.time < before)
            .order_by(id_col).limit(limit)).scalars())


@retry_on_deadlock
def delete_ids(kind, ids):
    """Delete rows by id in one transaction; returns how many went."""
    if not ids:
        return 0
    with writer() as conn:
        return conn.execute(sa.delete(kind.table).where(
            kind.table.c.id.in_(ids))).rowcount
