"""Async passthru calls: one row per 202, followed to its outcome.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'passthru_calls',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.String(64), nullable=False),
        sa.Column('node_id', sa.Integer,
                  sa.ForeignKey('nodes.id', ondelete='CASCADE'), nullable=True),
        sa.Column('driver', sa.String(255), nullable=False),
        sa.Column('method', sa.String(128), nullable=False),
        sa.Column('http_method', sa.String(16), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('conductor', sa.String(255), nullable=True),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('project_id', sa.String(64), nullable=True),
        sa.Column('result', sa.Text, nullable=True),
        sa.Column('result_truncated', sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column('error', sa.Text, nullable=True),
        sa.Column('accepted_at', sa.DateTime, nullable=False),
        sa.Column('started_at', sa.DateTime, nullable=True),
        sa.Column('finished_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint('request_id', name='uniq_passthrucalls0request_id'),
    )
    op.create_index('passthru_calls_node_id_idx', 'passthru_calls', ['node_id'])
    op.create_index('passthru_calls_state_accepted_idx', 'passthru_calls',
                    ['state', 'accepted_at'])
    op.create_index('passthru_calls_driver_idx', 'passthru_calls', ['driver'])
