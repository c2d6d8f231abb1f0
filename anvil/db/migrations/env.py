"""alembic environment: runs on the connection handed over by anvil.db.migration."""

from alembic import context

from anvil.db import models


def run_migrations_online():
    connection = context.config.attributes['connection']
    context.configure(connection=connection, target_metadata=models.Base.metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
