"""Migration details of SQLite; the schema of every backend against the models is
tests/functional/test_db_migrations.py (SQLite, PostgreSQL, MariaDB)."""

from anvil.db import engine as db_engine
from anvil.db import migration
from tests import schema_compare


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
