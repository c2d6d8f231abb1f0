"""Shared test setup: threading backend first, a parsed CONF, a throwaway SQLite DB."""

import shutil

import pytest
from oslo_service import backend

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass

from anvil.common.config import CONF  # noqa: E402
from anvil.db import engine as db_engine  # noqa: E402
from anvil.db import migration  # noqa: E402

CONF([], project='anvil', default_config_files=[])


@pytest.fixture(scope='session')
def _schema_template(tmp_path_factory):
    """One migrated SQLite file, copied for every test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp('schema') / 'template.sqlite'
    CONF.set_override('connection', 'sqlite:///%s' % path, group='database')
    db_engine.dispose()
    migration.upgrade()
    db_engine.dispose()
    CONF.clear_override('connection', group='database')
    return path


class _Overrides:
    """CONF.set_override that remembers what it set, to undo exactly that.

    (CONF.reset() would also drop the defaults anvil sets at import.)
    """

    def __init__(self):
        self._done = []

    def set_override(self, name, value, group=None):
        CONF.set_override(name, value, group=group)
        self._done.append((name, group))

    def __getattr__(self, name):
        return getattr(CONF, name)

    def undo(self):
        for name, group in reversed(self._done):
            CONF.clear_override(name, group=group)


@pytest.fixture
def conf():
    """CONF whose ``set_override`` calls are undone after the test.

    /healthcheck's checks get 30 s instead of 3: a loaded machine may take a
    few seconds over a SELECT 1 (the tests of the deadline set their own).
    """
    overrides = _Overrides()
    overrides.set_override('check_timeout', 30, group='healthcheck')
    yield overrides
    overrides.undo()


@pytest.fixture
def db(conf, tmp_path, _schema_template):
    """A fresh migrated SQLite database for this test."""
    path = tmp_path / 'anvil.sqlite'
    shutil.copy(_schema_template, path)
    conf.set_override('connection', 'sqlite:///%s' % path, group='database')
    db_engine.dispose()
    yield path
    db_engine.dispose()
