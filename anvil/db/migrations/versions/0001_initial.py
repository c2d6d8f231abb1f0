"""Initial schema: nodes, conductors, hardware types, vendor methods, node history.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

_INTERFACES = (
    'bios_interface', 'boot_interface', 'console_interface', 'deploy_interface',
    'firmware_interface', 'inspect_interface', 'management_interface',
    'network_interface', 'power_interface', 'raid_interface', 'rescue_interface',
    'storage_interface', 'vendor_interface',
)


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime, nullable=True)]


def upgrade():
    op.create_table(
        'nodes',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('driver', sa.String(255), nullable=False),
        sa.Column('conductor_group', sa.String(255), nullable=False, server_default=''),
        sa.Column('driver_info', sa.Text, nullable=True),
        sa.Column('extra', sa.Text, nullable=True),
        sa.Column('properties', sa.Text, nullable=True),
        sa.Column('reservation', sa.String(255), nullable=True),
        sa.Column('last_error', sa.Text, nullable=True),
        sa.Column('maintenance', sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column('provision_state', sa.String(15), nullable=True),
        sa.Column('power_state', sa.String(15), nullable=True),
        *_timestamps(),
        *[sa.Column(name, sa.String(255), nullable=True) for name in _INTERFACES],
        sa.UniqueConstraint('uuid', name='uniq_nodes0uuid'),
        sa.UniqueConstraint('name', name='uniq_nodes0name'),
    )
    op.create_index('nodes_reservation_idx', 'nodes', ['reservation'])
    op.create_index('nodes_driver_idx', 'nodes', ['driver'])
    op.create_table(
        'conductors',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('hostname', sa.String(255), nullable=False),
        sa.Column('conductor_group', sa.String(255), nullable=False, server_default=''),
        sa.Column('online', sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column('heartbeat_at', sa.DateTime, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('hostname', name='uniq_conductors0hostname'),
    )
    op.create_table(
        'conductor_hardware_types',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('conductor_id', sa.Integer,
                  sa.ForeignKey('conductors.id', ondelete='CASCADE'), nullable=False),
        sa.Column('hardware_type', sa.String(255), nullable=False),
        sa.Column('interfaces', sa.Text, nullable=False),
        sa.UniqueConstraint('conductor_id', 'hardware_type',
                            name='uniq_conductorhwtypes0conductor0type'),
    )
    op.create_table(
        'vendor_methods',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('conductor_id', sa.Integer,
                  sa.ForeignKey('conductors.id', ondelete='CASCADE'), nullable=False),
        sa.Column('hardware_type', sa.String(255), nullable=False),
        sa.Column('vendor_interface', sa.String(255), nullable=False),
        sa.Column('scope', sa.String(16), nullable=False),
        # The unique key must fit InnoDB's 3072 bytes in utf8mb4.
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('details', sa.Text, nullable=False),
        sa.UniqueConstraint('conductor_id', 'hardware_type', 'vendor_interface', 'scope',
                            'name', name='uniq_vendormethods0conductor0type0iface0scope0name'),
    )
    op.create_table(
        'node_history',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('node_id', sa.Integer,
                  sa.ForeignKey('nodes.id', ondelete='CASCADE'), nullable=False),
        sa.Column('conductor', sa.String(255), nullable=True),
        sa.Column('event_type', sa.String(255), nullable=True),
        sa.Column('severity', sa.String(255), nullable=True),
        sa.Column('event', sa.Text, nullable=True),
        sa.Column('user', sa.String(64), nullable=True),
        sa.Column('request_id', sa.String(64), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint('uuid', name='uniq_history0uuid'),
    )
    op.create_index('history_node_id_idx', 'node_history', ['node_id'])
