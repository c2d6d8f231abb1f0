"""Virtual media on one system: find its devices, eject what is inserted.

Redfish puts VirtualMedia under the ComputerSystem (newer BMCs, the
sushy-tools emulator) or under its Managers (older ones); both are looked
at. Sushy errors are left to the caller.
"""

from sushy import exceptions as sushy_exc
from sushy.resources.manager import constants as mgr_cons

#: eject_vmedia's boot_device values and the Redfish media type each means
BOOT_DEVICES = {'cd': mgr_cons.VirtualMediaType.CD, 'dvd': mgr_cons.VirtualMediaType.DVD,
                'usb': mgr_cons.VirtualMediaType.USB_STICK,
                'floppy': mgr_cons.VirtualMediaType.FLOPPY}


def _collections(system):
    """The system's VirtualMedia collection, else its managers'.

    Raises MissingAttributeError when the BMC offers virtual media nowhere.
    """
    try:
        return [system.virtual_media]
    except sushy_exc.MissingAttributeError:
        pass
    found = []
    for manager in system.managers:
        try:
            found.append(manager.virtual_media)
        except sushy_exc.MissingAttributeError:
            continue
    if not found:
        raise sushy_exc.MissingAttributeError(attribute='VirtualMedia',
                                              resource=system.path)
    return found


def devices(system):
    """Every virtual media device of ``system``."""
    return [device for collection in _collections(system)
            for device in collection.get_members()]


def eject(system, boot_device=None):
    """Eject inserted media of type ``boot_device`` (all types when None).

    Returns the Ids of the devices ejected, for the node's history.
    """
    wanted = BOOT_DEVICES[boot_device] if boot_device else None
    ejected = []
    for device in devices(system):
        if not device.inserted:
            continue
        if wanted is not None and wanted not in (device.media_types or ()):
            continue
        device.eject_media()
        ejected.append(device.identity)
    return ejected
