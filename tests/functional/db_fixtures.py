"""Fixtures for DB tests on real servers: import them into a test module
(``from tests.functional.db_fixtures import db_fixture, server_db_fixture``).

``server_db`` is one migrated database per backend (SQLite, PostgreSQL,
MariaDB) for the module, its backend in ``kind``; ``db`` points anvil's engine
at it and empties its tables after each test.
"""

import pytest
import sqlalchemy as sa

from anvil.common.config import CONF
from anvil.db import engine as db_engine
from anvil.db import migration, models
from tests.functional import services

SERVERS = {'sqlite': services.sqlite_database, 'postgresql': services.postgres_database,
           'mysql': services.mysql_database}


@pytest.fixture(name='server_db', scope='module', params=sorted(SERVERS))
def server_db_fixture(request):
    """A database of each backend, migrated once for the module."""
    database = SERVERS[request.param]()
    database.kind = request.param
    CONF.set_override('connection', database.url, group='database')
    db_engine.dispose()
    try:
        migration.upgrade()
    finally:
        db_engine.dispose()
        CONF.clear_override('connection', group='database')
    yield database
    database.drop()


@pytest.fixture(name='db')
def db_fixture(server_db, conf):
    """The engine pointed at ``server_db``; its tables emptied afterwards."""
    conf.set_override('connection', server_db.url, group='database')
    db_engine.dispose()
    yield server_db
    with db_engine.writer() as conn:
        for table in reversed(models.Base.metadata.sorted_tables):
            conn.execute(sa.delete(table))
    db_engine.dispose()
