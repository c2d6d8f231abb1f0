"""Sync node calls resolved from the routing fields the API sends, without a node read."""

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
