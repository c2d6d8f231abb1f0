"""anvil.db.api.list_nodes: filters, sort, limit and marker paging (a real SQLite file)."""

import pytest

from anvil.common import exception
from anvil.db import api as db_api


@pytest.fixture
def nodes(db):
    """Six nodes: two drivers, two groups, one reserved, two without a name."""
    specs = [('fake-hardware', 'g1', 'c'), ('redfish', 'g1', None), ('fake-hardware', '', 'a'),
             ('redfish', '', 'b'), ('fake-hardware', 'g1', None), ('ipmi', '', 'd')]
    made = [db_api.create_node({'driver': d, 'conductor_group': g, 'name': n})
            for d, g, n in specs]
    db_api.reserve_node('host-a', made[3]['id'])
    return made


def _names(nodes):
    return [n['name'] for n in nodes]


def _ids(nodes):
    return [n['id'] for n in nodes]


def test_default_order_is_id(nodes):
    assert _ids(db_api.list_nodes()) == _ids(nodes)


def test_filter_by_column(nodes):
    assert _names(db_api.list_nodes({'driver': 'redfish'})) == [None, 'b']
    assert _names(db_api.list_nodes({'conductor_group': 'g1', 'driver': 'fake-hardware'})) == [
        'c', None]


def test_filter_by_driver_list(nodes):
    assert _names(db_api.list_nodes({'driver': ['ipmi', 'redfish']})) == [None, 'b', 'd']


@pytest.mark.parametrize('reserved, expected', [(True, ['b']), (False, ['c', None, 'a', None,
                                                                          'd'])])
def test_filter_reserved(nodes, reserved, expected):
    assert _names(db_api.list_nodes({'reserved': reserved})) == expected


def test_sort_desc(nodes):
    assert _ids(db_api.list_nodes(sort_dir='desc')) == _ids(nodes)[::-1]


def test_sort_by_driver_ties_broken_by_id(nodes):
    listed = db_api.list_nodes(sort_key='driver')
    assert [(n['driver'], n['id']) for n in listed] == sorted(
        (n['driver'], n['id']) for n in nodes)


def test_limit(nodes):
    assert _ids(db_api.list_nodes(limit=2)) == _ids(nodes)[:2]


def test_unknown_marker(nodes):
    with pytest.raises(exception.NodeNotFound):
        db_api.list_nodes(marker='3d5a4e5f-0e3e-4c47-9bf7-6b6f1b1e8c11')


def _pages(limit, **kwargs):
    """Walk all pages as the API does: the marker is the last node of a page."""
    seen, marker = [], None
    for _ in range(20):
        page = db_api.list_nodes(limit=limit, marker=marker, **kwargs)
        seen.extend(page)
        if len(page) < limit:
            return seen
        marker = page[-1]['uuid']
    raise AssertionError('paging never ended')


@pytest.mark.parametrize('sort_key', ['id', 'driver', 'conductor_group', 'name'])
@pytest.mark.parametrize('sort_dir', ['asc', 'desc'])
@pytest.mark.parametrize('limit', [1, 2, 4])
def test_paging_yields_every_node_once_in_order(nodes, sort_key, sort_dir, limit):
    everything = db_api.list_nodes(sort_key=sort_key, sort_dir=sort_dir)
    assert sorted(_ids(everything)) == sorted(_ids(nodes))
    assert _ids(_pages(limit, sort_key=sort_key, sort_dir=sort_dir)) == _ids(everything)


def test_paging_with_a_filter(nodes):
    assert _names(_pages(1, filters={'driver': 'fake-hardware'})) == ['c', 'a', None]
