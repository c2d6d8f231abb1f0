"""Compare a migrated database with ``anvil.db.models`` the way oslo.db does.

``schema_diff`` runs alembic's ``compare_metadata`` with the type and server
default comparisons of oslo.db's ``ModelsMigrationsSync`` (booleans as
TINYINT and quoted defaults on MySQL/MariaDB), plus one correction for SQLite:
SQLAlchemy writes ``server_default=''`` as ``DEFAULT ('')`` and alembic strips
the quotes of a reflected literal only when it is not empty, so the two never
compare equal there.

``MUTATIONS`` are small changes to a copy of the models; each must show up as
a diff on every backend, which proves the comparison can fail.
"""

import re

import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration
from oslo_db.sqlalchemy import test_migrations

from anvil.db import models

_SQL_STRING = re.compile(r"^(\()?'((?:[^']|'')*)'(?(1)\))$")


class _Comparator(test_migrations.ModelsMigrationsSync):
    """oslo.db's comparison callbacks, without its unittest scaffolding."""

    def db_sync(self, engine):
        raise NotImplementedError('schema_diff compares; it never migrates')

    def get_engine(self):
        raise NotImplementedError('schema_diff is handed a connection')

    def get_metadata(self):
        return models.Base.metadata

    def compare_server_default(self, ctxt, insp_col, meta_col, insp_def, meta_def,
                               rendered_meta_def):
        if (ctxt.dialect.name == 'sqlite' and meta_def is not None and insp_def is not None
                and isinstance(meta_def.arg, str)):
            return _sqlite_literal(insp_def) != meta_def.arg
        return super().compare_server_default(ctxt, insp_col, meta_col, insp_def, meta_def,
                                              rendered_meta_def)


def _sqlite_literal(reflected):
    """``'it''s'`` or ``('it''s')`` → ``it's``; anything else stays as is."""
    match = _SQL_STRING.match(reflected)
    return match.group(2).replace("''", "'") if match else reflected


def schema_diff(connection, metadata=None):
    """alembic's list of differences between the database and ``metadata``."""
    comparator = _Comparator()
    opts = {'compare_type': comparator.compare_type,
            'compare_server_default': comparator.compare_server_default,
            'include_object': comparator.include_object}
    context = alembic_migration.MigrationContext.configure(connection, opts=opts)
    return autogenerate.compare_metadata(context, metadata or models.Base.metadata)


def _copy():
    metadata = sa.MetaData()
    for table in models.Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    return metadata


def _widen_uuid(md):
    md.tables['nodes'].c.uuid.type = sa.String(40)


def _allow_null_driver(md):
    md.tables['nodes'].c.driver.nullable = True


def _change_string_default(md):
    md.tables['nodes'].c.conductor_group.server_default.arg = 'x'


def _flip_boolean_default(md):
    md.tables['nodes'].c.maintenance.server_default.arg = sa.true()


def _drop_index(md):
    table = md.tables['nodes']
    table.indexes.discard(next(i for i in table.indexes if i.name == 'nodes_reservation_idx'))


def _drop_unique(md):
    table = md.tables['conductors']
    table.constraints.discard(next(c for c in table.constraints
                                   if c.name == 'uniq_conductors0hostname'))


def _no_cascade(md):
    fk = next(iter(md.tables['node_history'].foreign_key_constraints))
    fk.ondelete = None


def _add_column(md):
    md.tables['nodes'].append_column(sa.Column('description', sa.String(255), nullable=True))


#: name → function changing a copy of the models in place.
MUTATIONS = {f.__name__.lstrip('_'): f for f in (
    _widen_uuid, _allow_null_driver, _change_string_default, _flip_boolean_default,
    _drop_index, _drop_unique, _no_cascade, _add_column)}


def mutated_metadata(name):
    """A copy of the models with the change ``MUTATIONS[name]`` applied."""
    metadata = _copy()
    MUTATIONS[name](metadata)
    return metadata
