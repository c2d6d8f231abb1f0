"""Schema migrations through alembic: upgrade, current revision, head revision."""

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from anvil.db import engine as db_engine

_SCRIPT_LOCATION = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(connection=None):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', _SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes['connection'] = connection
    return cfg


def upgrade(revision='head'):
    """Bring the schema of ``[database] connection`` to ``revision``."""
    with db_engine.get_engine().begin() as conn:
        command.upgrade(_config(conn), revision)


def current():
    """The revision the database is at (None for an empty database)."""
    with db_engine.get_engine().connect() as conn:
        return alembic_migration.MigrationContext.configure(conn).get_current_revision()


def head():
    """The newest revision this code knows."""
    return alembic_script.ScriptDirectory.from_config(_config()).get_current_head()
