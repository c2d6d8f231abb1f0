"""What an operator needs to enroll a BMC: its Redfish version, systems and managers.

Read-only; sushy errors are left to the caller. At most ``LIMIT`` members of
each collection are read, so probing a large enclosure stays within the
RPC timeout (the counts are always complete).
"""

from sushy import exceptions as sushy_exc

LIMIT = 32


def _enum(value):
    return getattr(value, 'value', value)


def _system(system):
    return {'id': system.path, 'name': system.name, 'uuid': system.uuid,
            'power_state': _enum(system.power_state)}


def _manager(manager):
    return {'id': manager.path, 'name': manager.name, 'model': manager.model,
            'firmware_version': manager.firmware_version}


def _members(get_collection, describe):
    """(count, [described members]) of a collection; (0, []) if the BMC has none."""
    try:
        collection = get_collection()
    except sushy_exc.MissingAttributeError:
        return 0, []
    paths = list(collection.members_identities)
    return len(paths), [describe(collection.get_member(p)) for p in paths[:LIMIT]]


def probe(root):
    """A JSON-ready summary of the BMC behind ``root``."""
    systems_count, systems = _members(root.get_system_collection, _system)
    managers_count, managers = _members(root.get_manager_collection, _manager)
    return {'redfish_version': root.redfish_version, 'uuid': root.uuid,
            'product': root.product, 'systems_count': systems_count, 'systems': systems,
            'managers_count': managers_count, 'managers': managers}
