"""An API pinned to release 0.1 routes no sync call by its route cache.

Release 0.1's conductors cannot check a cached route (``expect`` is RPC
1.1), so a pinned API reads the node afresh for every call: a stale entry
must not run a method on the node a name used to mean.
"""

from anvil.db import api as db_api
from tests.unit.api.test_node_routes import _call, _enroll, _reserved_ids, statements

__all__ = ['statements']  # the fixture, shared with test_node_routes


def test_pinned_api_runs_a_moved_name_on_its_new_node_only(client, node, statements, conf):
    other = _enroll(client, 'other')
    assert _call(client, 'fake1').status_code == 200  # unpinned: caches fake1 -> node
    conf.set_override('pin_release_version', '0.1')
    # Another API process swaps the names: fake1 is now the other node.
    db_api.update_node(node['uuid'], {'name': 'renamed'})
    db_api.update_node(other['uuid'], {'name': 'fake1'})
    del statements[:]
    resp = _call(client, 'fake1')
    assert resp.status_code == 200, resp.data
    # Only the node named fake1 now was locked: the stale route was not used.
    assert _reserved_ids(statements) == [db_api.get_node(other['uuid'])['id']]
