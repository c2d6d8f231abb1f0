"""What a node create or JSON-patch may change, and the checks on the result (400/406).

anvil stores the fields in ``CREATABLE``. The Ironic fields it does not
manage (``node_view.UNMANAGED``) always keep their value: setting one to
anything else is refused with a 400 that says so, while removing it or
setting its usual value (null, false, {}) changes nothing, so the CLI's
``node unset --instance-uuid`` and the like succeed. A patch is applied one
operation at a time so a failure names the operation.
"""

import json
import re

import jsonpatch
from oslo_utils import uuidutils

from anvil.api import microversion, node_view
from anvil.common import exception, vendor_metadata
from anvil.db.models import INTERFACE_FIELDS

CREATABLE = frozenset({'uuid', 'name', 'driver', 'driver_info', 'extra', 'properties',
                       'conductor_group', 'maintenance', 'owner', 'lessee'}
                      | set(INTERFACE_FIELDS))
PATCHABLE = CREATABLE - {'uuid'}
DICT_FIELDS = ('driver_info', 'extra', 'properties')
#: Ironic node fields a client may write that anvil does not manage.
UNMANAGED_WRITABLE = frozenset({
    'automated_clean', 'boot_mode', 'chassis_uuid', 'console_enabled', 'description',
    'disable_power_off', 'instance_info', 'instance_name', 'instance_uuid',
    'network_data', 'parent_node', 'protected', 'protected_reason',
    'resource_class', 'retired', 'retired_reason', 'secure_boot', 'shard'})
#: Names that are paths under /v1/nodes, so no node may have them.
RESERVED_NAMES = ('detail',)
_CONDUCTOR_GROUP = re.compile(r'^[a-zA-Z0-9_\-.:]*$')
_OPS = ('add', 'replace', 'remove', 'move', 'copy', 'test')


# -- create -----------------------------------------------------------------

def creation_values(body, topology):
    """The values to insert for a create request ``body``; raises 400 or 406."""
    _check_keys(body)
    _check_unmanaged({k: v for k, v in body.items() if k in UNMANAGED_WRITABLE})
    values = {k: v for k, v in body.items() if k in CREATABLE and v is not None}
    for field in values:
        microversion.require(node_view.since(field), 'The node field "%s"' % field)
    if values.get('uuid') is not None and not uuidutils.is_uuid_like(values['uuid']):
        raise exception.InvalidParameterValue(err='Expected a UUID but received %s'
                                              % values['uuid'])
    values = validate(values, topology)
    values.setdefault('provision_state', 'enroll')
    return values


def _check_keys(body):
    unknown = sorted(set(body) - set(node_view.ALL_FIELDS))
    if unknown:
        raise exception.InvalidParameterValue(err='Unknown attribute(s): %s'
                                              % ', '.join(unknown))
    read_only = sorted(set(body) - CREATABLE - UNMANAGED_WRITABLE)
    if read_only:
        raise exception.InvalidParameterValue(err='Read-only attribute(s) cannot be set: %s'
                                              % ', '.join(read_only))


def _check_unmanaged(values):
    """400 for an unmanaged field given anything but the value it always has."""
    changed = sorted(k for k, v in values.items()
                     if v is not None and v != node_view.UNMANAGED[k])
    if changed:
        raise _unmanaged(changed)


def _unmanaged(fields):
    return exception.InvalidParameterValue(
        err='anvil does not manage the node field(s) %s: %s'
            % (', '.join(fields), ', '.join('%s is always %s'
                                            % (f, json.dumps(node_view.UNMANAGED[f]))
                                            for f in fields)))


# -- patch ------------------------------------------------------------------

def patched_values(node, patch, topology, reset_interfaces=None):
    """(current, updated) patchable values of ``node`` after ``patch``; raises 400/406."""
    ops = [op for op in _check_patch(patch) if _field(op['path']) not in UNMANAGED_WRITABLE]
    driver_changes = any(_field(op['path']) == 'driver' for op in ops)
    if reset_interfaces is not None:
        microversion.require(microversion.RESET_INTERFACES,
                             'The "reset_interfaces" parameter')
        if not driver_changes:
            raise exception.InvalidParameterValue(
                err="The reset_interfaces parameter can only be used when changing the "
                    "node's driver.")
    current = {f: node[f] for f in PATCHABLE}
    updated = _apply(current, ops)
    for field in PATCHABLE - set(updated):
        updated[field] = {} if field in DICT_FIELDS else None
    if updated['maintenance'] is None:
        updated['maintenance'] = False
    if reset_interfaces:
        touched = {_field(op['path']) for op in ops}
        updated.update({f: None for f in INTERFACE_FIELDS if f not in touched})
    hint = (' (with --reset-interfaces, the interfaces not given are reset to the new '
            "driver's defaults)") if driver_changes and not reset_interfaces else ''
    return current, validate(updated, topology, hint)


def _field(path):
    """The top-level field a JSON pointer names (``~1`` and ``~0`` decoded)."""
    return path.split('/')[1].replace('~1', '/').replace('~0', '~')


def _check_patch(patch):
    """Shape, paths and versions of every operation; unmanaged fields checked here."""
    if not isinstance(patch, list):
        raise exception.InvalidParameterValue(
            err='A JSON patch (a list of operations) is required')
    for op in patch:
        _check_op(op)
    return patch


def _check_op(op):
    if not isinstance(op, dict) or op.get('op') not in _OPS \
            or not isinstance(op.get('path'), str) or not op['path'].startswith('/'):
        raise exception.InvalidParameterValue(
            err='Invalid patch operation %s: an object with "op" (one of %s) and a "path" '
                'starting with "/" is expected' % (_show(op), ', '.join(_OPS)))
    if op['op'] in ('add', 'replace', 'test') and 'value' not in op:
        raise exception.InvalidParameterValue(err='Invalid patch operation %s: "value" is '
                                                  'missing' % _show(op))
    paths = [op['path']] + ([op['from']] if op['op'] in ('move', 'copy') else [])
    for path in paths:
        _check_path(path, op)


def _check_path(path, op):
    if not isinstance(path, str) or not path.startswith('/'):
        raise exception.InvalidParameterValue(err='Invalid patch operation %s' % _show(op))
    field = _field(path)
    if field in UNMANAGED_WRITABLE:
        _check_unmanaged_op(field, path, op)
        return
    if field not in PATCHABLE:
        raise exception.InvalidParameterValue(
            err='Cannot patch %s. Only the following can be updated: %s'
                % (path, ', '.join(sorted(PATCHABLE | UNMANAGED_WRITABLE))))
    microversion.require(node_view.since(field), 'The node field "%s"' % field)


def _check_unmanaged_op(field, path, op):
    """Removing an unmanaged field, or setting its usual value, is a no-op; else 400."""
    whole = path.count('/') == 1
    if whole and op['op'] in ('remove', 'test'):
        return
    if whole and op['op'] in ('add', 'replace'):
        _check_unmanaged({field: op['value']})
        return
    raise _unmanaged([field])


def _show(op):
    return repr(op) if len(repr(op)) < 200 else repr(op)[:200] + '...'


def _apply(current, ops):
    doc = current
    for op in ops:
        try:
            doc = jsonpatch.apply_patch(doc, [op])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException,
                TypeError, KeyError, IndexError) as e:
            raise exception.InvalidParameterValue(
                err="Couldn't apply patch %s. Reason: %s" % (_show(op), e)) from None
        if not isinstance(doc, dict):
            raise exception.InvalidParameterValue(
                err='Invalid patch: the node must stay an object')
    return doc


# -- checks on the resulting node ---------------------------------------------

def validate_name(name):
    if name is None:
        return
    if not isinstance(name, str) or not name or len(name) > 255 or \
            uuidutils.is_uuid_like(name) or any(c in name for c in '/?#[]@!$&\'()*+,;= '):
        raise exception.InvalidParameterValue(err='Cannot use "%s" as a node name' % name)
    if name in RESERVED_NAMES:
        raise exception.InvalidParameterValue(
            err='The word "%s" is reserved and can not be used as a node name. Reserved '
                'words are: %s.' % (name, ', '.join(RESERVED_NAMES)))


def _check_types(values):
    for field in DICT_FIELDS:
        if not isinstance(values.get(field) or {}, dict):
            raise exception.InvalidParameterValue(err='%s must be an object' % field)
    for field in ('driver', 'conductor_group', 'owner', 'lessee') + INTERFACE_FIELDS:
        if values.get(field) is not None and not isinstance(values[field], str):
            raise exception.InvalidParameterValue(err='%s must be a string' % field)
        if len(values.get(field) or '') > 255:  # the column's size: 500 on PostgreSQL/MySQL
            raise exception.InvalidParameterValue(err='%s is longer than 255 characters'
                                                  % field)
    if not isinstance(values.get('maintenance', False), bool):
        raise exception.InvalidParameterValue(err='maintenance must be a boolean')
    if not _CONDUCTOR_GROUP.match(values.get('conductor_group') or ''):
        raise exception.InvalidParameterValue(
            err='Invalid conductor_group "%s": only letters, digits and _ - . : are allowed'
                % values['conductor_group'])


def _fill_interfaces(values, driver, topology, hint):
    interfaces = topology.interfaces(driver) or {}
    for kind, spec in interfaces.items():
        field = '%s_interface' % kind
        if values.get(field) is None:
            values[field] = spec['default']
        elif values[field] not in spec['supported']:
            raise exception.InvalidParameterValue(
                err='Hardware type %s does not support %s interface %s; supported: %s%s'
                    % (driver, kind, values[field], ', '.join(spec['supported']), hint))


def validate(values, topology, hint=''):
    """Types, name, driver and interfaces; fills interface defaults. Raises 400.

    ``hint`` is added to the message about an interface the driver does not support.
    """
    _check_types(values)
    if values.get('conductor_group') is None:
        values['conductor_group'] = ''
    validate_name(values.get('name'))
    driver = values.get('driver')
    if not driver:
        raise exception.InvalidParameterValue(err='Mandatory field missing: driver')
    if driver not in topology.known_types:
        raise exception.InvalidParameterValue(err="The driver '%s' is unknown." % driver)
    _fill_interfaces(values, driver, topology, hint)
    vendor_metadata.check_driver_info(driver, topology.driver_info_schema(driver),
                           values.get('driver_info') or {})
    return values
