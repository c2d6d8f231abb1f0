"""SQLAlchemy models: the schema that alembic migrations must reproduce exactly.

JSON documents are stored as TEXT (``JSONEncoded``) so the schema is the same
on SQLite, PostgreSQL and MariaDB and compares cleanly with migrations.
"""

import json

import sqlalchemy as sa
from sqlalchemy import orm

#: Interface fields a node carries, as in Ironic's node object.
INTERFACE_FIELDS = (
    'bios_interface', 'boot_interface', 'console_interface', 'deploy_interface',
    'firmware_interface', 'inspect_interface', 'management_interface',
    'network_interface', 'power_interface', 'raid_interface', 'rescue_interface',
    'storage_interface', 'vendor_interface',
)


class JSONEncoded(sa.types.TypeDecorator):
    """A JSON document kept in a TEXT column; NULL reads as ``default``."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, default=None):
        # ``default`` is a factory (``dict``), not a value: it is part of
        # SQLAlchemy's statement cache key and must be hashable.
        super().__init__()
        self.default = default

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None if self.default is None else self.default()
        return json.loads(value)


class Base(orm.DeclarativeBase):
    pass


class TimestampMixin:
    created_at = sa.Column(sa.DateTime, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class Node(TimestampMixin, Base):
    __tablename__ = 'nodes'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_nodes0uuid'),
        sa.UniqueConstraint('name', name='uniq_nodes0name'),
        sa.Index('nodes_reservation_idx', 'reservation'),
        sa.Index('nodes_driver_idx', 'driver'),
        sa.Index('nodes_owner_idx', 'owner'),
        sa.Index('nodes_lessee_idx', 'lessee'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255), nullable=True)
    driver = sa.Column(sa.String(255), nullable=False)
    conductor_group = sa.Column(sa.String(255), nullable=False, server_default='')
    driver_info = sa.Column(JSONEncoded(default=dict), nullable=True)
    extra = sa.Column(JSONEncoded(default=dict), nullable=True)
    properties = sa.Column(JSONEncoded(default=dict), nullable=True)
    reservation = sa.Column(sa.String(255), nullable=True)
    last_error = sa.Column(sa.Text, nullable=True)
    maintenance = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    provision_state = sa.Column(sa.String(15), nullable=True)
    power_state = sa.Column(sa.String(15), nullable=True)
    owner = sa.Column(sa.String(255), nullable=True)
    lessee = sa.Column(sa.String(255), nullable=True)


for _field in INTERFACE_FIELDS:
    setattr(Node, _field, sa.Column(_field, sa.String(255), nullable=True))


class Conductor(TimestampMixin, Base):
    __tablename__ = 'conductors'
    __table_args__ = (
        sa.UniqueConstraint('hostname', name='uniq_conductors0hostname'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    hostname = sa.Column(sa.String(255), nullable=False)
    conductor_group = sa.Column(sa.String(255), nullable=False, server_default='')
    online = sa.Column(sa.Boolean, nullable=False, server_default=sa.true())
    heartbeat_at = sa.Column(sa.DateTime, nullable=False)
    #: The conductor RPC API version it serves; NULL from a release before 0004.
    rpc_version = sa.Column(sa.String(32), nullable=True)


class ConductorHardwareType(Base):
    """A hardware type a conductor serves, with its interfaces."""

    __tablename__ = 'conductor_hardware_types'
    __table_args__ = (
        sa.UniqueConstraint('conductor_id', 'hardware_type',
                            name='uniq_conductorhwtypes0conductor0type'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    conductor_id = sa.Column(sa.Integer, sa.ForeignKey('conductors.id', ondelete='CASCADE'),
                             nullable=False)
    hardware_type = sa.Column(sa.String(255), nullable=False)
    #: {"vendor": {"default": "fake", "supported": ["fake"]}, ...}
    interfaces = sa.Column(JSONEncoded(default=dict), nullable=False)


class VendorMethod(Base):
    """Metadata of one vendor method a conductor can run (published at start)."""

    __tablename__ = 'vendor_methods'
    __table_args__ = (
        sa.UniqueConstraint('conductor_id', 'hardware_type', 'vendor_interface', 'scope', 'name',
                            name='uniq_vendormethods0conductor0type0iface0scope0name'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    conductor_id = sa.Column(sa.Integer, sa.ForeignKey('conductors.id', ondelete='CASCADE'),
                             nullable=False)
    hardware_type = sa.Column(sa.String(255), nullable=False)
    vendor_interface = sa.Column(sa.String(255), nullable=False)
    scope = sa.Column(sa.String(16), nullable=False)  # 'node' or 'driver'
    #: 128, not 255: the unique key must fit InnoDB's 3072 bytes in utf8mb4
    #: (MySQL refuses a longer one, MariaDB silently makes it a HASH key).
    name = sa.Column(sa.String(128), nullable=False)
    #: http_methods, async, description, attach, require_exclusive_lock, args_schema
    details = sa.Column(JSONEncoded(default=dict), nullable=False)


class NodeHistory(TimestampMixin, Base):
    __tablename__ = 'node_history'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_history0uuid'),
        sa.Index('history_node_id_idx', 'node_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    node_id = sa.Column(sa.Integer, sa.ForeignKey('nodes.id', ondelete='CASCADE'),
                        nullable=False)
    conductor = sa.Column(sa.String(255), nullable=True)
    event_type = sa.Column(sa.String(255), nullable=True)
    severity = sa.Column(sa.String(255), nullable=True)
    event = sa.Column(sa.Text, nullable=True)
    user = sa.Column(sa.String(64), nullable=True)
    request_id = sa.Column(sa.String(64), nullable=True)


class PassthruCall(Base):
    """One async vendor call, from its 202 to its outcome (GET /v1/passthru_calls/<id>).

    Written ``queued`` by the API before the cast is sent, then moved on by
    the conductor: ``running``, and one of ``succeeded``, ``failed``,
    ``refused`` or ``expired``. ``node_id`` is NULL for driver-level calls.
    """

    __tablename__ = 'passthru_calls'
    __table_args__ = (
        sa.UniqueConstraint('request_id', name='uniq_passthrucalls0request_id'),
        sa.Index('passthru_calls_node_id_idx', 'node_id'),
        sa.Index('passthru_calls_state_accepted_idx', 'state', 'accepted_at'),
        sa.Index('passthru_calls_driver_idx', 'driver'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    request_id = sa.Column(sa.String(64), nullable=False)
    node_id = sa.Column(sa.Integer, sa.ForeignKey('nodes.id', ondelete='CASCADE'),
                        nullable=True)
    driver = sa.Column(sa.String(255), nullable=False)
    #: 128 as in vendor_methods: the method names share their bound
    method = sa.Column(sa.String(128), nullable=False)
    http_method = sa.Column(sa.String(16), nullable=False)
    state = sa.Column(sa.String(16), nullable=False)
    conductor = sa.Column(sa.String(255), nullable=True)
    user_id = sa.Column(sa.String(64), nullable=True)
    project_id = sa.Column(sa.String(64), nullable=True)
    #: the masked return value as JSON text, cut to [conductor] passthru_call_result_size
    result = sa.Column(sa.Text, nullable=True)
    result_truncated = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    error = sa.Column(sa.Text, nullable=True)
    accepted_at = sa.Column(sa.DateTime, nullable=False)
    started_at = sa.Column(sa.DateTime, nullable=True)
    finished_at = sa.Column(sa.DateTime, nullable=True)
