"""How a node looks on the wire: fields, masking of secrets, links, ``fields=``."""

from anvil.api import links, microversion
from anvil.common import exception
from anvil.db.models import INTERFACE_FIELDS

SECRET_MARKERS = ('password', 'secret', 'token', 'key', 'credential')
MASK = '******'
LIST_FIELDS = ('uuid', 'name', 'instance_uuid', 'power_state', 'provision_state',
               'maintenance')
DETAIL_FIELDS = (
    'uuid', 'name', 'driver', 'driver_info', 'extra', 'properties', 'reservation',
    'conductor', 'conductor_group', 'last_error', 'maintenance', 'provision_state',
    'power_state', 'instance_uuid', 'created_at', 'updated_at') + INTERFACE_FIELDS


def mask_secrets(driver_info):
    return {k: (MASK if any(m in k.lower() for m in SECRET_MARKERS) and v not in (None, '')
                else v) for k, v in (driver_info or {}).items()}


def _timestamp(value):
    return value.isoformat() + '+00:00' if value is not None else None


def _allowed(field):
    if field == 'conductor':
        return microversion.at_least(microversion.CONDUCTOR_FIELD)
    if field == 'conductor_group':
        return microversion.at_least(microversion.CONDUCTOR_GROUP)
    return True


def parse_fields(raw):
    """``fields=a,b`` → tuple of names; 400 for a name nodes do not have."""
    if not raw:
        return None
    fields = tuple(f.strip() for f in raw.split(',') if f.strip())
    unknown = sorted(set(fields) - set(DETAIL_FIELDS) - {'links'})
    if unknown:
        raise exception.InvalidParameterValue(
            err='Field(s) "%s" are not valid' % ', '.join(unknown))
    return fields


def node_to_dict(node, fields=None, topology=None):
    """The wire form of a node row. ``topology`` resolves the ``conductor`` field."""
    wanted = fields or DETAIL_FIELDS
    out = {}
    for field in wanted:
        if field == 'links' or not _allowed(field):
            continue
        if field == 'driver_info':
            out[field] = mask_secrets(node['driver_info'])
        elif field in ('created_at', 'updated_at'):
            out[field] = _timestamp(node[field])
        elif field == 'conductor':
            out[field] = _owner(node, topology)
        elif field == 'instance_uuid':
            out[field] = None
        else:
            out[field] = node[field]
    out['links'] = links.make_links('nodes', node['uuid'])
    return out


def _owner(node, topology):
    if topology is None:
        return None
    try:
        return topology.owner(node)
    except exception.AnvilException:
        return None
