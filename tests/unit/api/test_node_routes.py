"""Sync passthru by cached route: no node read per call, and never the wrong node.

The route cache is per API process; these tests change nodes behind the
API's back (straight in the database, as another API process would) and show
that a stale entry is noticed by the conductor and the call routed again.
"""

import pytest
import sqlalchemy as sa

from anvil.api import app as api_app
from anvil.api import node_routes
from anvil.db import api as db_api
from anvil.db import engine as db_engine
from tests.polling import wait_for
from tests.unit.api.helpers import LATEST, fault

SYNC = '/v1/nodes/%s/vendor_passthru/third_method_sync'


@pytest.fixture
def statements(client):
    """Every SQL statement the process runs from now on, with its parameters."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = db_engine.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', record)
    yield seen
    sa.event.remove(engine, 'before_cursor_execute', record)


def _routes(client):
    """The route cache of the app behind ``client``."""
    return node_routes.of(client.application)


def _call(client, ident):
    return client.post(SYNC % ident, json={'bar': 'meow'}, headers=LATEST)


def _node_reads(statements):
    return [s for s, _ in statements if s.lstrip().upper().startswith('SELECT')
            and 'FROM nodes' in s and ('nodes.name =' in s or 'nodes.uuid =' in s)]


def _reserved_ids(statements):
    """Node ids the conductor reserved (the conditional UPDATE's parameters)."""
    return [params[-1] if isinstance(params, tuple) else params
            for s, params in statements
            if s.lstrip().upper().startswith('UPDATE NODES SET RESERVATION')
            and 'reservation IS NULL' in s]


def _enroll(client, name, **fields):
    resp = client.post('/v1/nodes', json=dict(driver='fake-hardware', name=name, **fields),
                       headers=LATEST)
    assert resp.status_code == 201, resp.data
    return resp.get_json()


def _table_loads(statements):
    return [s for s, _ in statements if s.lstrip().startswith('SELECT nodes.id, nodes.uuid, '
                                                              'nodes.name, nodes.driver, '
                                                              'nodes.vendor_interface, '
                                                              'nodes.conductor_group, '
                                                              'nodes.owner, nodes.lessee \nFROM')]


@pytest.mark.parametrize('by', ['name', 'uuid'])
def test_repeated_sync_calls_read_no_node_row(client, node, statements, by):
    ident = node[by]
    for _ in range(3):
        resp = _call(client, ident)
        assert resp.status_code == 200 and resp.data == b'true'
    assert _node_reads(statements) == []
    assert len(_table_loads(statements)) == 1
    assert db_api.get_node(node['uuid'])['reservation'] is None


def test_a_sweep_over_a_fleet_reads_no_node_row(client, statements):
    names = ['sweep-%02d' % i for i in range(20)]
    for name in names:
        _enroll(client, name)
    del statements[:]
    for name in names:  # each node called once: a node-by-node cache would miss every time
        assert _call(client, name).status_code == 200
    assert _node_reads(statements) == []
    assert len(_table_loads(statements)) == 1


def test_a_node_enrolled_after_the_load_is_read_then_remembered(client, node, statements):
    assert _call(client, 'fake1').status_code == 200  # the table is loaded
    late = db_api.create_node({'driver': 'fake-hardware', 'name': 'late'})
    del statements[:]
    for _ in range(3):
        assert _call(client, 'late').status_code == 200
    assert len(_node_reads(statements)) == 1
    assert _routes(client).lookup('late')['uuid'] == late['uuid']


def test_the_table_is_loaded_again_after_the_ttl(client, node, conf):
    conf.set_override('node_route_cache_ttl', 0.2, group='api')
    assert _call(client, 'fake1').status_code == 200
    late = db_api.create_node({'driver': 'fake-hardware', 'name': 'late'})
    routes = _routes(client)
    assert routes.lookup('late') is None or routes.lookup('late')['uuid'] == late['uuid']
    wait_for(lambda: routes.lookup('late'), 5)


def test_ttl_zero_reads_the_node_every_call(client, node, statements, conf):
    conf.set_override('node_route_cache_ttl', 0, group='api')
    for _ in range(3):
        assert _call(client, 'fake1').status_code == 200
    assert len(_node_reads(statements)) == 3


def test_a_name_that_moved_to_another_node_runs_on_the_new_one(client, node, statements):
    other = _enroll(client, 'other')
    assert _call(client, 'fake1').status_code == 200  # caches fake1 -> node
    # Another API process swaps the names: fake1 is now the other node.
    db_api.update_node(node['uuid'], {'name': 'renamed'})
    db_api.update_node(other['uuid'], {'name': 'fake1'})
    del statements[:]
    resp = _call(client, 'fake1')
    assert resp.status_code == 200, resp.data
    first, *rest = _reserved_ids(statements)
    # The stale route locked the old node, found it renamed and ran nothing;
    # the call then went to the node that is fake1 now.
    other_id = db_api.get_node(other['uuid'])['id']
    assert rest == [other_id]
    assert first == db_api.get_node(node['uuid'])['id']
    assert db_api.get_node(node['uuid'])['reservation'] is None
    assert db_api.get_node(other['uuid'])['reservation'] is None
    assert _routes(client).lookup('fake1')['uuid'] == other['uuid']


@pytest.mark.parametrize('by', ['name', 'uuid'])
def test_a_node_deleted_behind_the_api_is_404(client, node, by):
    ident = node[by]
    assert _call(client, ident).status_code == 200
    db_api.destroy_node(node['uuid'])
    resp = _call(client, ident)
    assert resp.status_code == 404
    assert fault(resp) == 'Node %s could not be found.' % ident
    assert _routes(client).lookup(ident) is None


def test_a_vendor_interface_changed_behind_the_api_is_seen(client, node):
    db_api.update_node(node['uuid'], {'vendor_interface': 'no-vendor'})
    resp = _call(client, 'fake1')  # caches the no-vendor route
    assert resp.status_code == 400
    db_api.update_node(node['uuid'], {'vendor_interface': 'fake'})
    resp = _call(client, 'fake1')
    assert resp.status_code == 200, resp.data  # not the stale route's 400


def test_the_other_way_the_conductor_resolves_the_method_again(client, node):
    assert _call(client, 'fake1').status_code == 200  # caches the fake vendor
    db_api.update_node(node['uuid'], {'vendor_interface': 'no-vendor'})
    resp = _call(client, 'fake1')
    assert resp.status_code == 400
    assert fault(resp) == 'No handler for method third_method_sync'
    assert db_api.get_node(node['uuid'])['reservation'] is None


def test_a_node_moved_to_another_conductor_group_is_routed_there(client, node):
    assert _call(client, 'fake1').status_code == 200
    db_api.update_node(node['uuid'], {'conductor_group': 'rack2'})
    resp = _call(client, 'fake1')
    # No conductor serves rack2: the cached route to this conductor is not used.
    assert resp.status_code == 503, resp.data
    assert db_api.get_node(node['uuid'])['reservation'] is None


def test_the_apis_own_rename_forgets_the_route(client, node, statements):
    assert _call(client, 'fake1').status_code == 200
    resp = client.patch('/v1/nodes/fake1', json=[{'op': 'replace', 'path': '/name',
                                                  'value': 'fake2'}], headers=LATEST)
    assert resp.status_code == 200, resp.data
    assert _routes(client).lookup('fake1') is None
    del statements[:]
    assert _call(client, 'fake1').status_code == 404
    assert _reserved_ids(statements) == []  # answered from a fresh read, nothing sent


def test_async_calls_always_read_the_node(client, node, statements):
    assert _call(client, 'fake1').status_code == 200
    node_id = db_api.get_node(node['uuid'])['id']
    db_api.reserve_node('someone-else', node_id)
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method',
                       json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 409  # the reservation was read, not taken from the cache
    db_api.release_node('someone-else', node_id)


def test_many_misses_load_the_table_again_before_the_ttl(client, node, statements,
                                                         monkeypatch):
    monkeypatch.setattr(node_routes, 'MISSES_BEFORE_RELOAD', 3)
    monkeypatch.setattr(node_routes, 'MIN_RELOAD_INTERVAL', 0)
    assert _call(client, 'fake1').status_code == 200  # the table is loaded
    names = ['batch-%02d' % i for i in range(10)]
    for name in names:  # a batch enrolled behind this API process
        db_api.create_node({'driver': 'fake-hardware', 'name': name})
    del statements[:]
    for name in names:
        assert _call(client, name).status_code == 200
    assert len(_node_reads(statements)) == 3  # then the table was loaded again
    assert len(_table_loads(statements)) == 1


def test_async_calls_by_a_known_route_count_no_miss(client, node, statements, monkeypatch):
    monkeypatch.setattr(node_routes, 'MISSES_BEFORE_RELOAD', 3)
    monkeypatch.setattr(node_routes, 'MIN_RELOAD_INTERVAL', 0)
    assert _call(client, 'fake1').status_code == 200
    del statements[:]
    for _ in range(5):
        resp = client.post('/v1/nodes/fake1/vendor_passthru/fourth_method_shared_lock',
                           json={'bar': 'woof'}, headers=LATEST)  # no 409 if one still runs
        assert resp.status_code == 202
    assert _table_loads(statements) == []


def test_only_the_exact_uuid_or_name_is_remembered(client, node):
    """MariaDB finds "FAKE1" for fake1; a route under it would be refused by every
    conductor (``expect`` is compared exactly), so such calls read the node instead."""
    row = db_api.get_node(node['uuid'])
    assert _routes(client).lookup('fake1') is not None  # the table is loaded: no reload below
    _routes(client).remember('FAKE1', row)
    assert _routes(client).lookup('FAKE1') is None
    _routes(client).forget('fake1')
    _routes(client).remember('fake1', row)
    assert _routes(client).lookup('fake1')['uuid'] == node['uuid']


def test_each_app_keeps_its_own_table(client, conductor_api, node, statements):
    """Two apps are two API processes: a rename through one leaves the other's
    entry stale, and the conductor catches it (404 from a fresh read, nothing ran)."""
    other = api_app.create_app(conductor_api).test_client()
    assert _call(other, 'fake1').status_code == 200
    assert _call(client, 'fake1').status_code == 200
    resp = client.patch('/v1/nodes/fake1', json=[{'op': 'replace', 'path': '/name',
                                                  'value': 'fake2'}], headers=LATEST)
    assert resp.status_code == 200, resp.data
    assert _routes(client).lookup('fake1') is None
    assert _routes(other).lookup('fake1')['uuid'] == node['uuid']
    del statements[:]
    resp = _call(other, 'fake1')
    assert resp.status_code == 404, resp.data
    assert _reserved_ids(statements) == [db_api.get_node(node['uuid'])['id']]
    assert db_api.get_node(node['uuid'])['reservation'] is None
    assert _routes(other).lookup('fake1') is None
