"""Sync node calls resolved from the routing fields the API sends, without a node read."""

import time

import oslo_messaging
import pytest

from anvil.common import exception
from anvil.db import api as db_api

MEOW = {'bar': 'meow'}


def _raised(call):
    """The anvil exception the endpoint raised (unwrapped from @expected_exceptions)."""
    with pytest.raises(oslo_messaging.ExpectedException) as info:
        call()
    return info.value.exc_info[1]


def _call(manager, ctx, node_id, **routing):
    return manager.vendor_passthru(ctx, node_id, 'third_method_sync', 'POST', dict(MEOW),
                                   **routing)


def test_routed_call_does_not_read_the_node_first(conductor, ctx, node_id, monkeypatch):
    reads = []
    real = db_api.get_node_by_id
    monkeypatch.setattr(db_api, 'get_node_by_id', lambda i: reads.append(i) or real(i))
    reply = _call(conductor.manager, ctx, node_id, driver='fake-hardware',
                  vendor_interface='fake')
    assert reply == {'return': True, 'attach': False}
    assert reads == []
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_unrouted_call_reads_the_node(conductor, ctx, node_id):
    assert _call(conductor.manager, ctx, node_id) == {'return': True, 'attach': False}


def test_node_changed_since_the_api_read_it_is_resolved_again(conductor, ctx, make_node):
    node = make_node('changed', vendor_interface='no-vendor')
    # the API read the node while it still had the fake interface; it has none now
    error = _raised(lambda: _call(conductor.manager, ctx, node['id'], driver='fake-hardware',
                                  vendor_interface='fake'))
    assert isinstance(error, exception.NoHandlerForMethod)
    assert db_api.get_node_by_id(node['id'])['reservation'] is None


def test_routed_call_to_a_deleted_node_is_not_found(conductor, ctx, node_id):
    db_api.destroy_node(db_api.get_node_by_id(node_id)['uuid'])
    error = _raised(lambda: _call(conductor.manager, ctx, node_id, driver='fake-hardware',
                                  vendor_interface='fake'))
    assert isinstance(error, exception.NodeNotFound)


# -- calls whose caller gave up ------------------------------------------------


@pytest.mark.parametrize('skew', [0, 5])
def test_a_call_read_after_its_caller_gave_up_is_not_run(conductor, ctx, node_id, conf,
                                                         caplog, skew):
    conf.set_override('max_clock_skew', skew, group='conductor')
    e = _raised(lambda: _call(conductor.manager, ctx, node_id, driver='fake-hardware',
                              vendor_interface='fake',
                              caller_gives_up_at=time.time() - skew - 1))
    assert isinstance(e, exception.CallAbandoned) and e.code == 504
    assert 'third_method_sync not run' in caplog.text and ctx.request_id in caplog.text
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_a_call_within_the_clock_skew_runs(conductor, ctx, node_id, conf):
    conf.set_override('max_clock_skew', 5, group='conductor')
    reply = _call(conductor.manager, ctx, node_id, driver='fake-hardware',
                  vendor_interface='fake', caller_gives_up_at=time.time() - 3)
    assert reply == {'return': True, 'attach': False}


def test_a_driver_call_read_after_its_caller_gave_up_is_not_run(conductor, ctx):
    e = _raised(lambda: conductor.manager.driver_vendor_passthru(
        ctx, 'fake-hardware', 'driver_echo', 'POST', {'x': 1},
        caller_gives_up_at=time.time() - 60))
    assert isinstance(e, exception.CallAbandoned)


# -- the operator's deny list, on the conductor ----------------------------------


def test_a_denied_method_is_refused_by_the_conductor_too(conductor, ctx, node_id, conf):
    conf.set_override('passthru_deny', ['fake-hardware:third_method_sync'], group='api')
    error = _raised(lambda: _call(conductor.manager, ctx, node_id, driver='fake-hardware',
                                  vendor_interface='fake'))
    assert isinstance(error, exception.MethodDenied)
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_a_denied_async_method_is_recorded_refused(conductor, ctx, node_id, conf):
    from anvil.db import history
    conf.set_override('passthru_deny', ['*:second_method'], group='api')
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', {'bar': 'kazoo'},
                                      sent_at=time.time(), driver='fake-hardware',
                                      vendor_interface='fake')
    events = history.list_events(node_id)
    assert [e['event'] for e in events] == [
        'Vendor passthru second_method refused: The method second_method of driver '
        'fake-hardware is disabled by the operator.']


def test_a_denied_driver_method_is_refused_by_the_conductor(conductor, ctx, conf):
    conf.set_override('passthru_deny', ['*:driver_echo'], group='api')
    error = _raised(lambda: conductor.manager.driver_vendor_passthru(
        ctx, 'fake-hardware', 'driver_echo', 'POST', {}))
    assert isinstance(error, exception.MethodDenied)
