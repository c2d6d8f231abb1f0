"""How a node looks on the wire: Ironic's node fields, version gates, masked secrets, ``fields=``.

A node carries every field Ironic's node has, so the ``baremetal`` CLI and
openstacksdk find what they read. The fields anvil keeps come from the row
(``STORED_FIELDS``); ``conductor`` is the owner on the hash ring; the Ironic
fields anvil does not manage (provisioning, RAID, ...) always have
the value in ``UNMANAGED``. Each field appears from the API version that
introduced it in Ironic (``VERSIONED_FIELDS``).
"""

import functools

from anvil.api import links, microversion
from anvil.api.query_args import split_fields
from anvil.common import exception, masking
from anvil.db.models import INTERFACE_FIELDS

MASK = masking.MASK
#: What ``GET /v1/nodes`` shows without ``fields`` or ``detail`` (Ironic's default).
LIST_FIELDS = ('uuid', 'name', 'instance_uuid', 'power_state', 'provision_state',
               'maintenance')
#: Columns of anvil's nodes table shown as they are (timestamps and secrets formatted).
STORED_FIELDS = (
    'uuid', 'name', 'driver', 'driver_info', 'extra', 'properties', 'reservation',
    'conductor_group', 'last_error', 'maintenance', 'provision_state', 'power_state',
    'created_at', 'updated_at', 'owner', 'lessee') + INTERFACE_FIELDS
#: Ironic node fields anvil does not manage, with the value they always have.
UNMANAGED = {
    'allocation_uuid': None, 'automated_clean': None, 'boot_mode': None,
    'chassis_uuid': None, 'clean_step': {}, 'console_enabled': False, 'deploy_step': {},
    'description': None, 'disable_power_off': False, 'driver_internal_info': {},
    'fault': None, 'health': None, 'inspection_finished_at': None,
    'inspection_started_at': None, 'instance_info': {}, 'instance_name': None,
    'instance_uuid': None, 'maintenance_reason': None, 'network_data': {},
    'parent_node': None, 'protected': False, 'protected_reason': None,
    'provision_updated_at': None, 'raid_config': {}, 'resource_class': None,
    'retired': False, 'retired_reason': None, 'secure_boot': None, 'service_step': {},
    'shard': None, 'target_power_state': None, 'target_provision_state': None,
    'target_raid_config': {}, 'traits': [],
}
ALL_FIELDS = tuple(sorted(set(STORED_FIELDS) | set(UNMANAGED) | {'conductor'}))
#: Minor API version from which Ironic shows a field (absent: always shown).
VERSIONED_FIELDS = {
    'driver_internal_info': 3, 'name': 5, 'inspection_finished_at': 6,
    'inspection_started_at': 6, 'clean_step': 7, 'raid_config': 12,
    'target_raid_config': 12, 'network_interface': 20, 'resource_class': 21,
    'storage_interface': 33, 'traits': 37, 'rescue_interface': 38, 'bios_interface': 40,
    'fault': 42, 'deploy_step': 44, 'conductor_group': 46, 'automated_clean': 47,
    'protected': 48, 'protected_reason': 48, 'conductor': 49, 'owner': 50,
    'description': 51, 'allocation_uuid': 52, 'retired': 61, 'retired_reason': 61,
    'lessee': 65, 'network_data': 66, 'boot_mode': 75, 'secure_boot': 75, 'shard': 82,
    'parent_node': 83, 'firmware_interface': 86, 'service_step': 87,
    'disable_power_off': 95, 'instance_name': 104, 'health': 109,
}
VERSIONED_FIELDS.update({f: 31 for f in (
    'boot_interface', 'console_interface', 'deploy_interface', 'inspect_interface',
    'management_interface', 'power_interface', 'raid_interface', 'vendor_interface')})


def since(field):
    """The API version from which ``field`` exists."""
    return (1, VERSIONED_FIELDS.get(field, 1))


@functools.cache
def fields_at(version):
    """Every node field shown at ``version`` (a (major, minor) tuple)."""
    return tuple(f for f in ALL_FIELDS if version >= since(f))


def mask_secrets(value):
    """``value`` as shown on the wire: secrets (``anvil.common.masking``) as ******.

    Nested objects and lists are masked too (Ironic masks the same way).
    """
    return masking.mask(value)


def parse_fields(raw):
    """``fields=a,b`` → tuple of names. 400 for a name nodes do not have; 406 for a
    field newer than the request (and for ``fields`` itself before 1.8)."""
    if raw is None:
        return None
    microversion.require(microversion.FIELDS_SELECTOR, 'The "fields" query parameter')
    fields = split_fields(raw, ALL_FIELDS + ('links',))
    for field in fields:
        if field != 'links':
            microversion.require(since(field), 'The node field "%s"' % field)
    return fields or None


def node_to_dict(node, fields=None, topology=None):
    """The wire form of a node row: ``fields`` (all at this version when None).

    ``topology`` resolves the ``conductor`` field (None without it).
    """
    wanted = fields or fields_at(microversion.requested())
    out = {f: _value(node, f, topology) for f in wanted if f != 'links'}
    out['links'] = links.make_links('nodes', node['uuid'])
    return out


def _value(node, field, topology):
    if field in UNMANAGED:
        value = UNMANAGED[field]
        return value.copy() if isinstance(value, (dict, list)) else value
    if field == 'driver_info':
        return mask_secrets(node['driver_info'] or {})
    if field == 'last_error':
        return masking.mask_text(node[field]) if node[field] else node[field]
    if field in ('created_at', 'updated_at'):
        return timestamp(node[field])
    if field == 'conductor':
        return owner_of(node, topology)
    return node[field]


def timestamp(value):
    """ISO 8601 with Ironic's explicit UTC offset; None stays None."""
    return value.isoformat() + '+00:00' if value is not None else None


def owner_of(node, topology):
    """The conductor owning ``node`` on the hash ring, None when none serves it."""
    if topology is None:
        return None
    try:
        return topology.owner(node)
    except exception.AnvilException:
        return None
