"""The schema alembic builds on SQLite is exactly the models' (see tests/schema_compare.py)."""

import pytest

from anvil.db import engine as db_engine
from anvil.db import migration
from tests import schema_compare


@pytest.fixture
def migrated(conf, tmp_path):
    """An empty SQLite file brought to head by the migrations."""
    conf.set_override('connection', 'sqlite:///%s' % (tmp_path / 'm.sqlite'), group='database')
    db_engine.dispose()
    migration.upgrade()
    yield
    db_engine.dispose()


def _diff(metadata=None):
    with db_engine.get_engine().connect() as conn:
        return schema_compare.schema_diff(conn, metadata)


def test_migrations_match_models(migrated):
    assert _diff() == []


def test_copy_of_models_matches(migrated):
    assert _diff(schema_compare._copy()) == []


@pytest.mark.parametrize('mutation', sorted(schema_compare.MUTATIONS))
def test_comparison_sees_a_change(migrated, mutation):
    assert _diff(schema_compare.mutated_metadata(mutation)) != []


def test_upgrade_is_idempotent(migrated):
    migration.upgrade()
    assert migration.current() == migration.head()
    assert _diff() == []


def test_empty_database_has_no_revision(conf, tmp_path):
    conf.set_override('connection', 'sqlite:///%s' % (tmp_path / 'e.sqlite'), group='database')
    db_engine.dispose()
    try:
        assert migration.current() is None
    finally:
        db_engine.dispose()


def test_sqlite_literal_unquotes():
    assert schema_compare._sqlite_literal("''") == ''
    assert schema_compare._sqlite_literal("('')") == ''
    assert schema_compare._sqlite_literal("'it''s'") == "it's"
    assert schema_compare._sqlite_literal('0') == '0'
    assert schema_compare._sqlite_literal("('x'") == "('x'"
