"""What becomes of an async call after the 202: every outcome lands in the node's history."""

import logging
import time

import pytest

from anvil.common import exception
from anvil.common.context import RequestContext
from anvil.conductor import async_outcome
from anvil.conductor.call_records import CallRecord
from anvil.db import api as db_api
from anvil.db import history
from tests.polling import wait_for
from tests.unit.history_events import event_texts, wait_for_event

OK = {'bar': 'kazoo'}


def _cast(manager, ctx, node_id, method='second_method', info=OK, sent_at=None):
    return manager.vendor_passthru(ctx, node_id, method, 'POST', dict(info),
                                   sent_at=time.time() if sent_at is None else sent_at)


def _last_error(node_id):
    return db_api.get_node_by_id(node_id)['last_error']


def test_started_and_succeeded_with_request_id_and_user(conductor, ctx, node_id):
    _cast(conductor.manager, ctx, node_id)
    wait_for_event(node_id, 'succeeded')
    events = history.list_events(node_id)
    assert [e['event'] for e in events] == [
        'Vendor passthru second_method started',
        'Vendor passthru second_method succeeded: returned True']
    assert {(e['request_id'], e['user'], e['conductor']) for e in events} == \
        {(ctx.request_id, 'alice', 'test-host')}
    assert _last_error(node_id) is None
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_failed_sets_last_error(conductor, conf, ctx, node_id):
    conf.set_override('vendor_delay', 'soon', group='fake')
    _cast(conductor.manager, ctx, node_id)
    event = wait_for_event(node_id, 'failed')
    assert event['severity'] == 'ERROR'
    assert event['request_id'] == ctx.request_id
    assert event['event'].startswith('Vendor passthru second_method failed: [fake] vendor_delay')
    assert _last_error(node_id) == event['event']
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_failed_shared_lock_method_is_recorded_too(conductor, conf, ctx, node_id):
    conf.set_override('vendor_delay', 'soon', group='fake')
    _cast(conductor.manager, ctx, node_id, 'fourth_method_shared_lock', {'bar': 'woof'})
    event = wait_for_event(node_id, 'failed')
    assert _last_error(node_id) == event['event']


def test_expired_when_older_than_the_ttl(conductor, conf, ctx, node_id):
    conf.set_override('async_cast_ttl', 5, group='conductor')
    _cast(conductor.manager, ctx, node_id, sent_at=time.time() - 30)
    texts = event_texts(node_id)
    assert len(texts) == 1
    assert texts[0].startswith('Vendor passthru second_method expired: sent 30 s ago')
    assert history.list_events(node_id)[0]['request_id'] == ctx.request_id
    assert _last_error(node_id) == texts[0]


def test_within_the_ttl_runs(conductor, conf, ctx, node_id):
    conf.set_override('async_cast_ttl', 60, group='conductor')
    _cast(conductor.manager, ctx, node_id, sent_at=time.time() - 30)
    wait_for_event(node_id, 'succeeded')


def test_refused_when_the_conductor_is_stopping(conductor, ctx, node_id):
    conductor.manager.stop_accepting()
    _cast(conductor.manager, ctx, node_id)
    assert event_texts(node_id) == ['Vendor passthru second_method refused: Conductor '
                                    'test-host is shutting down, please retry.']
    assert _last_error(node_id) is not None


def test_refused_when_the_node_stays_locked(conductor, ctx, node_id):
    db_api.update_node(db_api.get_node_by_id(node_id)['uuid'], {'reservation': 'other-host'})
    _cast(conductor.manager, ctx, node_id)
    event = wait_for_event(node_id, 'refused')
    assert 'is locked by host other-host' in event['event']
    assert event['request_id'] == ctx.request_id
    assert 'started' not in ' '.join(event_texts(node_id))


def test_refused_when_arguments_are_invalid(conductor, ctx, node_id):
    _cast(conductor.manager, ctx, node_id, info={})
    assert event_texts(node_id) == ["Vendor passthru second_method refused: Parameter 'bar' "
                                    "not passed to method 'second_method'."]


def test_cast_for_a_deleted_node_is_dropped(conductor, ctx, db):
    assert _cast(conductor.manager, ctx, 12345) is None


@pytest.fixture
def small_pool(make_conductor, conf):
    """A conductor with 2 workers (and a backlog of 2) whose methods take 0.5 s."""
    conf.set_override('workers_pool_size', 2, group='conductor')
    conf.set_override('vendor_delay', '0.5', group='fake')
    return make_conductor()


def _new_request(ctx):
    """A context like ``ctx`` for another request (each call has its own request id)."""
    return RequestContext(user_id=ctx.user_id)


def test_refused_when_the_pool_is_full(small_pool, ctx, node_id):
    manager, shared = small_pool.manager, 'fourth_method_shared_lock'
    for _ in range(2):
        _cast(manager, _new_request(ctx), node_id, shared, {'bar': 'woof'})
    wait_for(lambda: event_texts(node_id).count('Vendor passthru %s started' % shared) == 2)
    for _ in range(3):  # two wait in the backlog, the third finds it full
        _cast(manager, _new_request(ctx), node_id, shared, {'bar': 'woof'})
    refused = wait_for_event(node_id, 'refused')
    assert refused['event'] == ('Vendor passthru %s refused: Requested action cannot be '
                                'performed due to lack of free conductor workers.' % shared)
    wait_for(lambda: event_texts(node_id).count(
        'Vendor passthru %s succeeded: returned True' % shared) == 4)


def test_driver_cast_runs_in_the_pool(conductor, ctx, caplog):
    caplog.set_level('INFO', logger='anvil.conductor.async_outcome')
    conductor.manager.driver_vendor_passthru(ctx, 'fake-hardware', 'driver_noop', 'POST', {},
                                             sent_at=time.time())
    wait_for(lambda: 'driver_noop succeeded' in caplog.text)
    assert ctx.request_id in caplog.text


def test_expired_driver_cast_does_not_run(conductor, conf, ctx, caplog):
    conf.set_override('async_cast_ttl', 5, group='conductor')
    conductor.manager.driver_vendor_passthru(ctx, 'fake-hardware', 'driver_noop', 'POST', {},
                                             sent_at=time.time() - 30)
    assert 'driver_noop expired' in caplog.text
    assert 'succeeded' not in caplog.text


def test_routed_cast_reads_no_node_and_runs(conductor, ctx, node_id):
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time(), driver='fake-hardware',
                                      vendor_interface='fake')
    wait_for_event(node_id, 'succeeded')
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_routed_cast_refused_when_the_vendor_interface_changed(conductor, ctx, node_id):
    """The API read the node before a driver change: the method is not run on the new one."""
    node = db_api.get_node_by_id(node_id)
    db_api.update_node(node['uuid'], {'vendor_interface': 'no-vendor'})
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', dict(OK),
                                      sent_at=time.time(), driver='fake-hardware',
                                      vendor_interface='fake')
    event = wait_for_event(node_id, 'refused')
    assert 'vendor interface changed after the call was accepted' in event['event']
    assert event_texts(node_id)[0] == 'Vendor passthru second_method started'
    assert _last_error(node_id) == event['event']
    assert db_api.get_node_by_id(node_id)['reservation'] is None



def test_driver_error_echoing_its_body_is_masked(conductor, caplog):
    """A driver whose exception quotes its arguments: neither the log nor the error shows them."""
    def leaky(task, http_method, redfish_password):
        raise ValueError('login refused for %r' % redfish_password)

    with pytest.raises(exception.DriverOperationError) as raised:
        conductor.manager.run_driver(leaky, 'leaky', None, 'POST',
                                     {'redfish_password': 'echoed-pw-77'})
    assert 'echoed-pw-77' not in str(raised.value) and '******' in str(raised.value)
    assert raised.value.__cause__ is None  # oslo.messaging would format the cause too
    assert 'echoed-pw-77' not in caplog.text and 'leaky' in caplog.text


def test_async_driver_method_outcomes_are_logged_masked(conductor, ctx, caplog):
    """Driver methods have no history: their result or error goes to the log, masked."""
    def echo(context, http_method, **kwargs):
        return kwargs

    def leaky(context, http_method, **kwargs):
        raise RuntimeError('cannot log in with %s' % kwargs['HttpHeaders'][0]['Authorization'])

    caplog.set_level(logging.INFO)
    info = {'HttpHeaders': [{'Authorization': 'Bearer drv-tok-5555'}], 'user': 'bob'}
    for func in (echo, leaky):
        request = _new_request(ctx)
        record = CallRecord('test-host', request, func.__name__, 'POST', 'fake-hardware')
        async_outcome._run_driver_method(conductor.manager, request, record, 'fake-hardware',
                                         func, func.__name__, 'POST', info)
    assert "succeeded: {'HttpHeaders': '******', 'user': 'bob'}" in caplog.text
    assert 'async leaky failed: Vendor method leaky failed: cannot log in with ******' \
        in caplog.text
    assert 'drv-tok-5555' not in caplog.text
