"""Async calls whose conductor died: each ends with one outcome in its node's history.

The survivors' sweep (``passthru_calls.fail_abandoned``), the release of the
dead holder's lock (``async_outcome.record_interrupted``) and a conductor
restarting under the same name may each settle such a call, in any order;
whichever moves its record from ``running`` writes the node's one outcome.
A conductor that was only frozen and thaws afterwards adds none, and does
not start a call the sweep recorded as not run.
"""

import datetime
import threading
import time

import pytest
from oslo_utils.timeutils import utcnow

from anvil.common import exception
from anvil.common.context import RequestContext
from anvil.conductor import async_outcome
from anvil.conductor.call_records import CallRecord
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import history, passthru_calls
from anvil.drivers.fake import vendor as fake_vendor
from tests import reservation_race
from tests.polling import wait_for
from tests.unit.history_events import wait_for_event

LEASE = 60   # the sweep's heartbeat_timeout; a dead conductor is 2 × LEASE silent
OK = {'bar': 'kazoo'}


def _claimed(node_id, host, method='second_method'):
    """A call the API accepted and ``host`` claimed (running); its request id."""
    ctx = RequestContext(user_id='alice')
    passthru_calls.accept(ctx.request_id, node_id=node_id, driver='fake-hardware',
                          method=method, http_method='POST', user_id='alice', conductor=host)
    assert passthru_calls.claim(ctx.request_id, host, {})
    return ctx.request_id


def _started(request_id, host, method='second_method'):
    """History values of the "started" event ``host`` writes as the method begins."""
    return {'event': 'Vendor passthru %s started' % method, 'conductor': host,
            'user': 'alice', 'request_id': request_id}


def _dead(host):
    reservation_race.register(host)
    reservation_race.age_conductor(host, 2 * LEASE)


def _events(node_id, request_id):
    return [e for e in history.list_events(node_id) if e['request_id'] == request_id]


def _outcomes(node_id, request_id):
    return [e['event'] for e in _events(node_id, request_id)
            if not e['event'].endswith(' started')]


def _release_stale():
    """What a survivor's heartbeat does with the dead conductors' locks."""
    async_outcome.record_interrupted(db_conductors.release_stale_reservations(LEASE))


STARTED_NOT = ('Vendor passthru second_method failed: conductor dead stopped renewing its '
               'lease before it started the method; it did not run')
RAN = ('Vendor passthru %s failed: conductor dead stopped renewing its lease while it ran; '
       'it may have run in part')


def test_a_claimed_call_that_never_started_gets_one_did_not_run_outcome(db, make_node):
    """It died waiting for the node's lock: the sweep knows it did not run, and says so."""
    node = make_node('n')['id']
    call = _claimed(node, 'dead')
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    assert _outcomes(node, call) == [STARTED_NOT]
    event, = _events(node, call)
    assert (event['severity'], event['conductor'], event['user']) == ('ERROR', 'dead', 'alice')
    assert db_api.get_node_by_id(node)['last_error'] == STARTED_NOT
    record = passthru_calls.get(call)
    assert record['state'] == passthru_calls.FAILED
    assert record['error'] == ('conductor dead stopped renewing its lease before it started '
                               'the method; it did not run')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 0
    assert len(_outcomes(node, call)) == 1


def test_a_started_shared_call_gets_one_may_have_run_outcome(db, make_node):
    """A shared-lock method holds no reservation, so no lock release settles it."""
    node = make_node('n')['id']
    call = _claimed(node, 'dead', 'fourth_method_shared_lock')
    history.add_event(node, **_started(call, 'dead', 'fourth_method_shared_lock'))
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    _release_stale()
    assert _outcomes(node, call) == [RAN % 'fourth_method_shared_lock']
    assert 'while it ran; it may have run in part' in passthru_calls.get(call)['error']


def test_an_exclusive_call_swept_then_its_lock_released_gets_one_outcome(db, make_node):
    node = make_node('n')['id']
    call = _claimed(node, 'dead')
    db_api.reserve_node('dead', node, history=_started(call, 'dead'))
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    assert _outcomes(node, call) == [RAN % 'second_method']
    _release_stale()
    assert db_api.get_node_by_id(node)['reservation'] is None
    assert _outcomes(node, call) == [RAN % 'second_method']


def test_an_exclusive_call_whose_lock_is_released_first_gets_one_outcome(db, make_node):
    node = make_node('n')['id']
    call = _claimed(node, 'dead')
    db_api.reserve_node('dead', node, history=_started(call, 'dead'))
    _dead('dead')
    _release_stale()
    assert _outcomes(node, call) == [RAN % 'second_method']
    record = passthru_calls.get(call)   # the release settled the record too, with the same words
    assert record['state'] == passthru_calls.FAILED
    assert 'stopped renewing its lease while it ran' in record['error']
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 0
    assert _outcomes(node, call) == [RAN % 'second_method']


def test_a_restarted_conductor_gives_each_of_its_running_calls_one_outcome(make_conductor,
                                                                          make_node):
    """Restarted before any survivor judged it dead: it settles its calls itself."""
    locked, shared, waiting = (make_node(n)['id'] for n in ('locked', 'shared', 'waiting'))
    exclusive_call = _claimed(locked, 'test-host')
    db_api.reserve_node('test-host', locked, history=_started(exclusive_call, 'test-host'))
    shared_call = _claimed(shared, 'test-host', 'fourth_method_shared_lock')
    history.add_event(shared, **_started(shared_call, 'test-host', 'fourth_method_shared_lock'))
    waiting_call = _claimed(waiting, 'test-host')
    make_conductor()
    ran = 'failed: conductor test-host stopped while it ran; it may have run in part'
    assert _outcomes(locked, exclusive_call) == ['Vendor passthru second_method ' + ran]
    assert _outcomes(shared, shared_call) == ['Vendor passthru fourth_method_shared_lock ' + ran]
    assert _outcomes(waiting, waiting_call) == [
        'Vendor passthru second_method failed: conductor test-host stopped before it started '
        'the method; it did not run']
    for call in (exclusive_call, shared_call, waiting_call):
        assert passthru_calls.get(call)['state'] == passthru_calls.FAILED
    assert passthru_calls.fail_abandoned(conductor='test-host') == 0


@pytest.fixture
def frozen_method(monkeypatch):
    """The fake driver's methods block until the event is set (a conductor frozen mid-run)."""
    thaw = threading.Event()
    monkeypatch.setattr(fake_vendor, 'vendor_delay', lambda: thaw.wait(30))
    yield thaw
    thaw.set()


def test_a_thawed_conductor_finishing_a_swept_call_adds_no_outcome(conductor, ctx, node_id,
                                                                   frozen_method):
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time())
    wait_for_event(node_id, 'second_method started')
    reservation_race.age_conductor('test-host', 2 * LEASE)   # its lease ran out, frozen
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    frozen_method.set()                                      # it thaws and finishes
    wait_for(lambda: db_api.get_node_by_id(node_id)['reservation'] is None, 10,
             what='the thawed conductor releases the node')
    assert [e['event'] for e in _events(node_id, ctx.request_id)] == [
        'Vendor passthru second_method started',
        'Vendor passthru second_method failed: conductor test-host stopped renewing its '
        'lease while it ran; it may have run in part']
    assert passthru_calls.get(ctx.request_id)['state'] == passthru_calls.FAILED


def test_a_thawed_conductor_does_not_start_a_call_swept_as_not_run(conductor, conf, node_id,
                                                                  tmp_path):
    """Swept while it waited for the node's lock: once it gets the lock it does not run
    the method (the sweep told the node it did not run) and records nothing more."""
    ledger = tmp_path / 'ledger'
    conf.set_override('execution_ledger', str(ledger), group='fake')
    conf.set_override('node_locked_retry_attempts', 100000, group='conductor')
    db_api.reserve_node('other-host', node_id)
    swept, later = RequestContext(user_id='alice'), RequestContext(user_id='alice')
    passthru_calls.accept(swept.request_id, node_id=node_id, driver='fake-hardware',
                          method='second_method', http_method='POST', conductor='test-host')
    conductor.manager.vendor_passthru(swept, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time())
    try:
        wait_for(lambda: passthru_calls.get(swept.request_id)['state'] == 'running',
                 what='the call claimed, waiting for the lock')
        reservation_race.age_conductor('test-host', 2 * LEASE)
        assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    finally:
        db_api.release_node('other-host', node_id)
    # the next call on the node waits behind the swept one on this conductor's queue
    conductor.manager.vendor_passthru(later, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time())
    wait_for_event(node_id, 'second_method succeeded', timeout=10)
    assert [e['event'] for e in _events(node_id, swept.request_id)] == [
        'Vendor passthru second_method failed: conductor test-host stopped renewing its '
        'lease before it started the method; it did not run']
    assert swept.request_id not in fake_vendor.read_ledger(str(ledger))
    assert later.request_id in fake_vendor.read_ledger(str(ledger))


def test_an_expired_call_keeps_its_one_outcome(conductor, conf, ctx, node_id):
    """Expired by the sweep, then its cast reaches a conductor."""
    conf.set_override('async_cast_ttl', 5, group='conductor')
    conf.set_override('max_clock_skew', 0, group='conductor')
    passthru_calls.accept(ctx.request_id, node_id=node_id, driver='fake-hardware',
                          method='second_method', http_method='POST', user_id='alice',
                          conductor='test-host')
    later = utcnow() + datetime.timedelta(seconds=10)   # the sweep runs once it is overdue
    assert passthru_calls.expire_overdue(passthru_calls.expiry_cutoff(later)) == 1
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time() - 30)   # its cast, read late
    assert not passthru_calls.claim(ctx.request_id, 'test-host', {})   # or in time
    assert passthru_calls.fail_abandoned(conductor='test-host') == 0
    assert [e['event'] for e in _events(node_id, ctx.request_id)] == [
        'Vendor passthru second_method expired: no conductor took it up within '
        'async_cast_ttl; it did not run']
    assert passthru_calls.get(ctx.request_id)['state'] == passthru_calls.EXPIRED


def test_a_driver_call_of_a_dead_conductor_is_failed_as_unknown(db):
    """No node, no "started" event: whether it ran is not known."""
    ctx = RequestContext(user_id='alice')
    passthru_calls.accept(ctx.request_id, driver='fake-hardware', method='driver_echo',
                          http_method='POST', conductor='dead')
    assert passthru_calls.claim(ctx.request_id, 'dead', {})
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    assert passthru_calls.get(ctx.request_id)['error'] == (
        'conductor dead stopped renewing its lease before it finished; whether the method '
        'ran is unknown')


def test_without_node_history_the_sweep_does_not_claim_a_call_did_not_run(db, conf, make_node):
    conf.set_override('node_history', False, group='conductor')
    node = make_node('n')['id']
    call = _claimed(node, 'dead')
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    assert 'whether the method ran is unknown' in passthru_calls.get(call)['error']
    assert 'whether the method ran is unknown' in db_api.get_node_by_id(node)['last_error']


def test_a_shared_call_swept_before_it_started_writes_no_started(db, make_node):
    """The shared-lock path has no lock wait, but a conductor may freeze before its
    "started": the record refuses it there too, and nothing is written."""
    node = make_node('n')['id']
    ctx = RequestContext(user_id='alice')
    record = CallRecord('dead', ctx, 'fourth_method_shared_lock', 'POST', 'fake-hardware',
                        node)
    assert record.claim()
    _dead('dead')
    assert passthru_calls.fail_abandoned(heartbeat_timeout=LEASE) == 1
    with pytest.raises(exception.CallSettled):
        history.add_event(node, also=record.starter(),
                          **_started(ctx.request_id, 'dead', 'fourth_method_shared_lock'))
    assert [e['event'] for e in _events(node, ctx.request_id)] == [
        'Vendor passthru fourth_method_shared_lock failed: conductor dead stopped renewing its '
        'lease before it started the method; it did not run']


def test_a_started_event_without_request_id_still_gets_its_outcome(db, make_node):
    """A "started" written with no request id (no record to settle, e.g. by a caller
    that sent none): the release of the dead holder's lock writes the outcome, once,
    and no other call's record is touched."""
    node = make_node('n')['id']
    other = _claimed(make_node('m')['id'], 'dead')
    db_api.reserve_node('dead', node, history=_started(None, 'dead'))
    _dead('dead')
    _release_stale()
    assert [e['event'] for e in history.list_events(node)
            if not e['event'].endswith(' started')] == [RAN % 'second_method']
    assert passthru_calls.get(other)['state'] == passthru_calls.RUNNING
    _release_stale()
    assert len([e for e in history.list_events(node)
                if not e['event'].endswith(' started')]) == 1
