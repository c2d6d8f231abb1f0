"""Node owner and lessee: the projects policy rules match (project_id:%(node.owner)s).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('nodes') as batch:
        batch.add_column(sa.Column('owner', sa.String(255), nullable=True))
        batch.add_column(sa.Column('lessee', sa.String(255), nullable=True))
        batch.create_index('nodes_owner_idx', ['owner'])
        batch.create_index('nodes_lessee_idx', ['lessee'])
