"""Pruning node history and async call records; settling calls nobody will finish."""

import datetime

import pytest
import sqlalchemy as sa
from oslo_utils.timeutils import utcnow

from anvil.common.context import RequestContext
from anvil.conductor.history_cleanup import Housekeeping
from anvil.db import conductors as db_conductors
from anvil.db import history, models, passthru_calls
from anvil.db.engine import writer
from tests.polling import wait_for

HISTORY = models.NodeHistory.__table__
CALLS = models.PassthruCall.__table__


@pytest.fixture(autouse=True)
def no_periodic_pruning(conf):
    """Conductors of these tests prune only when told (the periodic test turns it on)."""
    conf.set_override('node_history_cleanup_interval', 0, group='conductor')


@pytest.fixture
def keep(conf):
    def set_bounds(entries, days=0, batch=1000):
        conf.set_override('node_history_max_entries', entries, group='conductor')
        conf.set_override('node_history_minimum_days', days, group='conductor')
        conf.set_override('node_history_cleanup_batch_count', batch, group='conductor')
    return set_bounds


def _add_events(node_id, count, prefix='e'):
    for i in range(count):
        history.add_event(node_id, event='%s%d' % (prefix, i))


def _texts(node_id):
    return [e['event'] for e in history.list_events(node_id)]


def _age(table, column, ids, days):
    with writer() as conn:
        conn.execute(sa.update(table).where(table.c.id.in_(ids)).values(
            {column: utcnow() - datetime.timedelta(days=days)}))


def _call(node_id=None, state=passthru_calls.SUCCEEDED, driver='fake-hardware'):
    ctx = RequestContext()
    passthru_calls.accept(ctx.request_id, node_id=node_id, driver=driver, method='m',
                          http_method='POST')
    if state != passthru_calls.QUEUED:
        passthru_calls.claim(ctx.request_id, 'test-host', {})
    if state in passthru_calls.FINISHED:
        passthru_calls.finish(ctx.request_id, state, 'test-host', {})
    return ctx.request_id


def _call_ids(**where):
    query = sa.select(CALLS.c.request_id).order_by(CALLS.c.id)
    for column, value in where.items():
        query = query.where(CALLS.c[column] == value)
    with writer() as conn:
        return list(conn.execute(query).scalars())


def test_keeps_the_newest_entries_of_each_node(conductor, make_node, keep):
    keep(3)
    a, b = make_node('a')['id'], make_node('b')['id']
    _add_events(a, 10)
    _add_events(b, 2)
    counts = Housekeeping('test-host').prune()
    assert counts['node history'] == 7
    assert _texts(a) == ['e7', 'e8', 'e9']
    assert _texts(b) == ['e0', 'e1']


def test_entries_younger_than_minimum_days_are_kept(conductor, make_node, keep):
    keep(2, days=5)
    node = make_node('a')['id']
    _add_events(node, 6)
    ids = [e['id'] for e in history.list_events(node)]
    _age(HISTORY, 'created_at', ids[:2], days=10)  # e0, e1 are old; e2..e5 recent
    Housekeeping('test-host').prune()
    assert _texts(node) == ['e2', 'e3', 'e4', 'e5']


def test_one_run_deletes_at_most_the_batch_count(conductor, make_node, keep):
    keep(0, batch=150)
    node = make_node('a')['id']
    _add_events(node, 200)
    housekeeping = Housekeeping('test-host')
    assert housekeeping.prune()['node history'] == 150
    assert _texts(node)[0] == 'e150'  # oldest first
    assert housekeeping.prune()['node history'] == 50
    assert _texts(node) == []


def test_finished_calls_are_pruned_per_node_and_per_driver(conductor, make_node, keep):
    keep(2)
    node = make_node('a')['id']
    old_node_calls = [_call(node) for _ in range(3)]
    running = _call(node, passthru_calls.RUNNING)
    new_node_calls = [_call(node, passthru_calls.FAILED) for _ in range(2)]
    driver_calls = [_call(driver='fake-hardware') for _ in range(4)]
    other_driver = [_call(driver='redfish')]
    counts = Housekeeping('test-host').prune()
    assert (counts['node calls'], counts['driver calls']) == (3, 2)
    assert _call_ids(node_id=node) == [running] + new_node_calls
    assert _call_ids(driver='fake-hardware', node_id=None) == driver_calls[2:]
    assert _call_ids(driver='redfish') == other_driver
    assert not set(old_node_calls) & set(_call_ids())


def test_history_off_records_no_event_but_sets_last_error(conductor, make_node, conf):
    conf.set_override('node_history', False, group='conductor')
    node = make_node('a')
    history.add_event(node['id'], event='boom', last_error='boom')
    assert _texts(node['id']) == []
    from anvil.db import api as db_api
    assert db_api.get_node_by_id(node['id'])['last_error'] == 'boom'


def test_live_conductors_share_the_groups_out(make_conductor, make_node):
    make_conductor('host-a')
    make_conductor('host-b')
    groups = [make_node('n%d' % i)['id'] for i in range(8)] + ['fake-hardware', 'redfish']
    share_a = Housekeeping('host-a')._my_share(groups)
    share_b = Housekeeping('host-b')._my_share(groups)
    assert sorted(share_a + share_b, key=str) == sorted(groups, key=str)
    assert not set(share_a) & set(share_b)
    assert share_a and share_b
    assert Housekeeping('not-alive')._my_share(groups) == []


def test_the_periodic_task_prunes(make_conductor, make_node, keep, conf):
    keep(1)
    conf.set_override('node_history_cleanup_interval', 1, group='conductor')
    node = make_node('a')['id']
    _add_events(node, 5)
    make_conductor()
    wait_for(lambda: _texts(node) == ['e4'], 10, 0.05, 'history pruned by the periodic task')


def test_settle_expires_overdue_queued_calls(conductor, make_node, conf):
    conf.set_override('async_cast_ttl', 5, group='conductor')
    conf.set_override('max_clock_skew', 0, group='conductor')
    node = make_node('a')['id']
    overdue = _call(node, passthru_calls.QUEUED)
    recent = _call(node, passthru_calls.QUEUED)
    with writer() as conn:
        conn.execute(sa.update(CALLS).where(CALLS.c.request_id == overdue).values(
            accepted_at=utcnow() - datetime.timedelta(seconds=6)))
    assert Housekeeping('test-host').settle_calls() == (1, 0)
    assert passthru_calls.get(overdue)['state'] == passthru_calls.EXPIRED
    assert passthru_calls.get(recent)['state'] == passthru_calls.QUEUED
    assert not passthru_calls.claim(overdue, 'test-host', {})
    assert passthru_calls.claim(recent, 'test-host', {})


def _outcomes(node_id, request_id):
    return [e for e in history.list_events(node_id)
            if e['request_id'] == request_id and not e['event'].endswith(' started')]


def test_a_cast_whose_conductor_died_before_claiming_it_expires_on_its_node(
        conductor, make_node, conf):
    """The cast left the queue (the API recorded it queued) and nobody ever claimed it."""
    conf.set_override('async_cast_ttl', 5, group='conductor')
    conf.set_override('max_clock_skew', 0, group='conductor')
    node = make_node('a')['id']
    ctx = RequestContext(user_id='alice')
    passthru_calls.accept(ctx.request_id, node_id=node, driver='fake-hardware',
                          method='second_method', http_method='POST', user_id='alice',
                          conductor='dead-host',
                          accepted_at=utcnow() - datetime.timedelta(seconds=6))
    driver_call = _call(None, passthru_calls.QUEUED)
    with writer() as conn:
        conn.execute(sa.update(CALLS).where(CALLS.c.request_id == driver_call).values(
            accepted_at=utcnow() - datetime.timedelta(seconds=6)))
    assert Housekeeping('test-host').settle_calls() == (2, 0)
    event, = _outcomes(node, ctx.request_id)
    assert event['event'] == ('Vendor passthru second_method expired: no conductor took it '
                              'up within async_cast_ttl; it did not run')
    assert (event['severity'], event['conductor'], event['user']) == (
        'ERROR', 'dead-host', 'alice')
    assert _node_row(node)['last_error'] == event['event']
    assert Housekeeping('test-host').settle_calls() == (0, 0)   # once
    assert len(_outcomes(node, ctx.request_id)) == 1


def _node_row(node_id):
    nodes = models.Node.__table__
    with writer() as conn:
        return dict(conn.execute(sa.select(nodes).where(nodes.c.id == node_id)).one()._mapping)


def test_settle_fails_running_calls_of_dead_conductors(conductor, make_node, conf):
    conf.set_override('heartbeat_timeout', 60, group='conductor')  # 'dead-host' is 120 s silent
    node = make_node('a')['id']
    db_conductors.register_conductor('dead-host', '', {}, [])
    mine = _call(node, passthru_calls.RUNNING)
    theirs = _call(node, passthru_calls.QUEUED)
    passthru_calls.claim(theirs, 'dead-host', {})
    conductors = models.Conductor.__table__
    with writer() as conn:
        conn.execute(sa.update(conductors).where(conductors.c.hostname == 'dead-host')
                     .values(heartbeat_at=utcnow() - datetime.timedelta(seconds=120)))
    assert Housekeeping('test-host').settle_calls() == (0, 1)
    assert passthru_calls.get(theirs)['state'] == passthru_calls.FAILED
    assert passthru_calls.get(theirs)['error'] == (
        'conductor dead-host stopped renewing its lease before it started the method; '
        'it did not run')
    assert passthru_calls.get(mine)['state'] == passthru_calls.RUNNING


def test_a_dead_conductors_started_call_gets_one_outcome_from_the_sweep(conductor, make_node,
                                                                       conf):
    """A call that started gets its outcome from the sweep, even before its lock is
    released (tests/unit/conductor/test_abandoned_calls.py: in any order, one)."""
    conf.set_override('heartbeat_timeout', 60, group='conductor')  # 'dead-host' is 120 s silent
    node = make_node('a')['id']
    db_conductors.register_conductor('dead-host', '', {}, [])
    started = _call(node, passthru_calls.QUEUED)
    passthru_calls.claim(started, 'dead-host', {})
    history.add_event(node, event='Vendor passthru m started', conductor='dead-host',
                      request_id=started)
    conductors = models.Conductor.__table__
    with writer() as conn:
        conn.execute(sa.update(conductors).where(conductors.c.hostname == 'dead-host')
                     .values(heartbeat_at=utcnow() - datetime.timedelta(seconds=120)))
    assert Housekeeping('test-host').settle_calls() == (0, 1)
    assert [e['event'] for e in _outcomes(node, started)] == [
        'Vendor passthru m failed: conductor dead-host stopped renewing its lease while it '
        'ran; it may have run in part']
    assert Housekeeping('test-host').settle_calls() == (0, 0)
    assert len(_outcomes(node, started)) == 1


def test_a_restarted_conductor_fails_its_own_running_calls(make_conductor, make_node):
    first = make_conductor()
    node = make_node('a')['id']
    call = _call(node, passthru_calls.RUNNING)
    first.stop()
    make_conductor()
    assert passthru_calls.get(call)['state'] == passthru_calls.FAILED
