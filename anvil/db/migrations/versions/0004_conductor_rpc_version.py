"""Conductors record the RPC version they serve (anvil-status checks the release pin).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Nullable and additive: conductors of the previous release, which do not
write it, keep running on this schema during a rolling upgrade (NULL reads
as "the first release").
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('conductors', sa.Column('rpc_version', sa.String(32), nullable=True))
