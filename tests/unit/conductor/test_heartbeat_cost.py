"""A conductor's heartbeat cycle costs the database the same at any number of nodes.

The lease, the chores and the settling of async calls run every
``heartbeat_interval`` on every conductor: whatever they send per node would
grow with the fleet (bench/heartbeat_writes.py counts them on PostgreSQL up to
100,000 nodes). Here, on SQLite, one cycle is recorded statement by statement
at a handful of nodes and again at hundreds more, and must not change.
"""

import threading

import pytest
import sqlalchemy as sa
from oslo_utils.timeutils import utcnow

from anvil.conductor import history_cleanup, housekeeping
from anvil.conductor.lease import Lease
from anvil.conductor.task_manager import LockManager
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import engine as db_engine
from tests import reservation_race
from tests.polling import wait_for


class _Manager:
    """What the chores need of a conductor manager: its lock manager."""

    def __init__(self, host):
        self.locks = LockManager(host)


@pytest.fixture
def keeper(db, conf):
    conf.set_override('heartbeat_timeout', 2.0, group='conductor')
    conf.set_override('lease_fence_margin', 0.5, group='conductor')
    reservation_race.register('me')
    return housekeeping.Housekeeping('me', Lease('me'), _Manager('me'), None,
                                     online=lambda: True, beat_lock=threading.Lock())


def _enroll(start, count):
    with db_engine.writer() as conn:
        conn.execute(sa.insert(db_api.NODES), [
            {'uuid': '00000000-0000-4000-8000-%012d' % i, 'name': 'n%d' % i,
             'driver': 'fake-hardware', 'conductor_group': '', 'created_at': utcnow()}
            for i in range(start, start + count)])


def _cycle(keeper):
    """One heartbeat interval: [(statement, rows)] the database was sent."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, cursor.rowcount if statement.startswith(
            ('INSERT', 'UPDATE', 'DELETE')) else None))

    engine = db_engine.get_engine()
    sa.event.listen(engine, 'after_cursor_execute', record)
    try:
        keeper.renew()
        keeper.chores(db_conductors.list_conductors(2.0))
        history_cleanup.Housekeeping('me').settle_calls()
    finally:
        sa.event.remove(engine, 'after_cursor_execute', record)
    return seen


def _steady_cycle(keeper):
    """A cycle run while the lease is held unbroken (the chores then sweep dead
    peers' locks too): a machine too loaded to renew in time only delays it."""
    def steady():
        seen = _cycle(keeper)
        return seen if keeper.lease.may_judge_others() else None
    return wait_for(steady, 20, interval=0.1, what='a cycle under an unbroken lease')


def test_a_heartbeat_cycle_sends_the_same_statements_at_5_and_505_nodes(keeper):
    _enroll(0, 5)
    few = _steady_cycle(keeper)
    _enroll(5, 500)
    many = _steady_cycle(keeper)
    assert any(s.startswith('UPDATE conductors') for s, _ in few)  # the lease was renewed
    assert any('FROM nodes' in s for s, _ in few)  # the node locks were looked at
    assert many == few
