"""list_nodes paging on PostgreSQL and MariaDB, whose NULL ordering differs from SQLite's."""

import pytest

from anvil.db import api as db_api
from tests.functional.db_fixtures import db_fixture, server_db_fixture  # noqa: F401


def _pages(limit, **kwargs):
    seen, marker = [], None
    for _ in range(20):
        page = db_api.list_nodes(limit=limit, marker=marker, **kwargs)
        seen.extend(n['id'] for n in page)
        if len(page) < limit:
            return seen
        marker = page[-1]['uuid']
    raise AssertionError('paging never ended')


@pytest.mark.parametrize('sort_dir', ['asc', 'desc'])
def test_paging_by_a_nullable_column(db, sort_dir):
    names = ['c', None, 'a', 'b', None, 'a2']
    ids = [db_api.create_node({'driver': 'fake-hardware', 'name': n})['id'] for n in names]
    pairs = sorted(zip(names, ids, strict=True),
                   key=lambda p: (p[0] is not None, p[0] or '', p[1]))  # NULL lowest
    expected = [i for _, i in pairs]
    if sort_dir == 'desc':
        expected.reverse()
    assert [n['id'] for n in db_api.list_nodes(sort_key='name', sort_dir=sort_dir)] == expected
    for limit in (1, 2, 4):
        assert _pages(limit, sort_key='name', sort_dir=sort_dir) == expected
