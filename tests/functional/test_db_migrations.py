"""The schema alembic builds on SQLite, PostgreSQL and MariaDB is exactly the models'.

Each test gets a database of its own, migrated from empty; the comparison is
tests/schema_compare.py (oslo.db's ModelsMigrationsSync rules).
"""

import pytest
import sqlalchemy as sa

from anvil.db import engine as db_engine
from anvil.db import migration
from tests import schema_compare
from tests.functional.db_fixtures import SERVERS as _SERVERS


def _migrate(conf, kind):
    """An empty database on a real server, brought to head by the migrations."""
    database = _SERVERS[kind]()
    conf.set_override('connection', database.url, group='database')
    db_engine.dispose()
    try:
        migration.upgrade()
        yield kind
    finally:
        db_engine.dispose()
        database.drop()


@pytest.fixture(params=sorted(_SERVERS))
def migrated(request, conf):
    yield from _migrate(conf, request.param)


@pytest.fixture
def mariadb(conf):
    yield from _migrate(conf, 'mysql')


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


def test_mariadb_keys_are_btree(mariadb):
    """A key longer than 3072 bytes is a HASH key on MariaDB and an error on MySQL."""
    with db_engine.get_engine().connect() as conn:
        keys = conn.execute(sa.text(
            "SELECT table_name, index_name, index_type FROM information_schema.statistics"
            " WHERE table_schema = DATABASE() AND index_type <> 'BTREE'")).all()
    assert keys == []


def test_mariadb_tables_are_innodb_utf8mb4(mariadb):
    with db_engine.get_engine().connect() as conn:
        tables = conn.execute(sa.text(
            "SELECT table_name, engine, table_collation FROM information_schema.tables"
            " WHERE table_schema = DATABASE()")).all()
    assert tables
    assert [t for t in tables
            if t.engine != 'InnoDB' or not t.table_collation.startswith('utf8mb4')] == []
