"""LocalQueue and LockManager: FIFO waiters, release on every path, NodeLocked."""

import threading
import time

import pytest
from oslo_db import exception as db_exc

from anvil.common import exception
from anvil.conductor.task_manager import LocalQueue, LockManager
from anvil.db import api as db_api
from anvil.db import history
from tests.polling import wait_for


def _in_thread(target):
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


# -- LocalQueue ----------------------------------------------------------------

def test_local_queue_serves_waiters_in_arrival_order():
    queue, order = LocalQueue(), []
    assert queue.acquire('k', 0)

    def waiter(i):
        assert queue.acquire('k', 5)
        order.append(i)
        queue.release('k')
    threads = []
    for i in range(4):
        threads.append(_in_thread(lambda i=i: waiter(i)))
        wait_for(lambda i=i: queue.waiting('k') == i + 2)
    queue.release('k')
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3]
    assert queue.waiting('k') == 0


def test_local_queue_times_out_and_leaves_the_queue():
    queue = LocalQueue()
    assert queue.acquire('k', 0)
    start = time.monotonic()
    assert queue.acquire('k', 0.05) is False
    assert time.monotonic() - start >= 0.05
    assert queue.waiting('k') == 1
    queue.release('k')
    assert queue.acquire('k', 0)


def test_local_queue_keys_are_independent():
    queue = LocalQueue()
    assert queue.acquire('a', 0)
    assert queue.acquire('b', 0)
    assert (queue.waiting('a'), queue.waiting('b')) == (1, 1)


# -- LockManager ----------------------------------------------------------------

@pytest.fixture
def locks(db, conf):
    conf.set_override('node_locked_retry_attempts', 3, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.1, group='conductor')
    return LockManager('test-host')


def _reservation(node_id):
    return db_api.get_node_by_id(node_id)['reservation']


def test_acquire_reserves_and_releases(locks, ctx, node_id):
    with locks.acquire(ctx, node_id, purpose='test') as task:
        assert _reservation(node_id) == 'test-host'
        assert (task.shared, task.purpose, task.context) == (False, 'test', ctx)
        assert task.node['reservation'] == 'test-host'
    assert _reservation(node_id) is None


def test_waiters_on_the_same_node_are_served_in_arrival_order(locks, conf, ctx, node_id):
    conf.set_override('node_locked_retry_interval', 5, group='conductor')
    order = []

    def waiter(i):
        with locks.acquire(ctx, node_id):
            order.append(i)
    locks.reserve(node_id)
    threads = []
    for i in range(3):
        threads.append(_in_thread(lambda i=i: waiter(i)))
        wait_for(lambda i=i: locks._local.waiting(node_id) == i + 2)
    start = time.monotonic()
    locks.release(node_id)
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2]
    assert time.monotonic() - start < 2  # woken on release, not after a 5 s retry
    assert _reservation(node_id) is None


def test_lock_released_when_the_body_raises(locks, ctx, node_id):
    with pytest.raises(RuntimeError):
        with locks.acquire(ctx, node_id):
            raise RuntimeError('driver broke')
    assert _reservation(node_id) is None
    assert locks._local.waiting(node_id) == 0


def test_unknown_node_leaves_no_local_ticket(locks, ctx, db):
    with pytest.raises(exception.NodeNotFound):
        with locks.acquire(ctx, 999):
            pass
    assert locks._local.waiting(999) == 0


def test_node_locked_by_another_host_after_the_retry_window(locks, ctx, node_id):
    db_api.update_node(db_api.get_node_by_id(node_id)['uuid'], {'reservation': 'other-host'})
    start = time.monotonic()
    with pytest.raises(exception.NodeLocked) as e:
        with locks.acquire(ctx, node_id):
            pass
    assert time.monotonic() - start >= 0.2  # (3 attempts - 1) × 0.1 s
    assert e.value.kwargs['host'] == 'other-host'
    assert _reservation(node_id) == 'other-host'
    assert locks._local.waiting(node_id) == 0


def test_local_holder_past_the_window_gives_node_locked(locks, ctx, node_id):
    locks.reserve(node_id)
    with pytest.raises(exception.NodeLocked) as e:
        locks.reserve(node_id)
    assert e.value.kwargs['host'] == 'test-host'
    assert locks._local.waiting(node_id) == 1
    locks.release(node_id)
    assert _reservation(node_id) is None


def test_shared_lock_takes_no_reservation(locks, ctx, node_id):
    db_api.update_node(db_api.get_node_by_id(node_id)['uuid'], {'reservation': 'other-host'})
    with locks.acquire(ctx, node_id, shared=True) as task:
        assert task.shared is True
        assert task.node['reservation'] == 'other-host'
        assert locks._local.waiting(node_id) == 0
    assert _reservation(node_id) == 'other-host'


def test_release_records_history_in_the_same_call(locks, node_id):
    locks.reserve(node_id, history={'event': 'took it'})
    locks.release(node_id, history={'event': 'gave it back'})
    assert [e['event'] for e in history.list_events(node_id)] == ['took it', 'gave it back']


def test_release_forgotten_frees_only_locks_no_call_holds(locks, ctx, make_node):
    held, forgotten, others = make_node('held'), make_node('forgotten'), make_node('others')
    # The DB took these for us but no thread knows (a lost reply, a failed release).
    db_api.reserve_node(locks.host, forgotten['id'])
    db_api.reserve_node('another-host', others['id'])
    with locks.acquire(ctx, held['id']):
        assert locks.release_forgotten() == [forgotten['id']]
        assert db_api.get_node_by_id(held['id'])['reservation'] == locks.host
    assert db_api.get_node_by_id(forgotten['id'])['reservation'] is None
    assert db_api.get_node_by_id(others['id'])['reservation'] == 'another-host'
    assert locks.release_forgotten() == []



def _lost_connection(*args, **kwargs):
    raise db_exc.DBConnectionError('server closed the connection unexpectedly')


def test_database_lost_before_the_lock_is_503(locks, ctx, node_id, monkeypatch):
    """Nothing ran: the caller gets DatabaseUnavailable (503), not the driver's error."""
    monkeypatch.setattr(db_api, 'reserve_node', _lost_connection)
    with pytest.raises(exception.DatabaseUnavailable):
        with locks.acquire(ctx, node_id):
            raise AssertionError('the body must not run')
    assert not locks._local.waiting(node_id)


def test_database_lost_at_release_keeps_the_outcome(locks, ctx, node_id, monkeypatch):
    """The method ran: its outcome stands; the lock is freed once the database is back."""
    with locks.acquire(ctx, node_id):
        monkeypatch.setattr(db_api, 'release_node', _lost_connection)
        outcome = 'ran'
    assert outcome == 'ran'
    monkeypatch.undo()
    assert db_api.get_node_by_id(node_id)['reservation'] == locks.host
    assert locks.release_forgotten() == [node_id]
    assert db_api.get_node_by_id(node_id)['reservation'] is None
