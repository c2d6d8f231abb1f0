"""anvil-dbsync as operators run it: a subprocess with a config file, on SQLite."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from anvil.db import migration
from tests import schema_compare


def _script():
    script = os.path.join(os.path.dirname(sys.executable), 'anvil-dbsync')
    return [script] if os.path.exists(script) else [sys.executable, '-m', 'anvil.cmd.dbsync']


@pytest.fixture
def dbsync(tmp_path):
    """Run ``anvil-dbsync <args>`` on a SQLite file of its own.

    Returns the last line of stdout (oslo.log writes its records there too).
    """
    url = 'sqlite:///%s' % (tmp_path / 'sync.sqlite')
    config = tmp_path / 'anvil.conf'
    config.write_text('[database]\nconnection = %s\n' % url)
    env = dict(os.environ, ANVIL_CONFIG_FILE=str(config))

    def run(*args, check=True):
        proc = subprocess.run(_script() + ['--config-file', str(config)] + list(args),
                              capture_output=True, text=True, env=env, timeout=120)
        assert (proc.returncode == 0) == check, proc.stdout + proc.stderr
        return (proc.stdout.strip().splitlines() or [''])[-1]

    run.url = url
    return run


def _insert_node(url):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO nodes (uuid, driver, created_at) VALUES"
                                 " ('1be26c0b-03f2-4d2e-ae87-c02d7f33c123', 'fake-hardware',"
                                 " CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()


def _check_schema_and_rows(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert schema_compare.schema_diff(conn) == []
            return conn.execute(sa.text('SELECT count(*) FROM nodes')).scalar()
    finally:
        engine.dispose()


def test_version_current_upgrade(dbsync):
    head = migration.head()
    assert head
    assert dbsync('version') == head
    assert dbsync('current') == 'empty'
    assert dbsync('upgrade') == 'Database at revision %s' % head
    assert dbsync('current') == head
    _insert_node(dbsync.url)
    assert dbsync('upgrade') == 'Database at revision %s' % head
    assert dbsync('current') == head
    assert _check_schema_and_rows(dbsync.url) == 1


def test_unknown_revision_fails(dbsync):
    dbsync('upgrade', '--revision', 'nonexistent', check=False)
    assert dbsync('current') == 'empty'
