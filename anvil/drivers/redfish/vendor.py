"""The redfish vendor interface: Ironic's five node methods, plus a BMC probe.

Names, verbs, sync/async and descriptions match Ironic's, so scripts
written for it run unchanged. Unlike Ironic, the arguments are declared
(``args_schema``) so the API refuses bad ones with 400 before routing or
answering 202, explicit ``EventTypes`` work, and the read-only methods take
no exclusive lock. BMC failures come back as DriverOperationError with the
BMC's message and a code (see ``errors``); a bad ``driver_info`` is a 400.
"""

from anvil.drivers import base
from anvil.drivers.redfish import connection, driver_info, events, probe, vmedia

#: http(s)://host[:port][/path]: where the BMC will POST events
DESTINATION_PATTERN = r'^https?://[^\s/?#@]+(/\S*)?$'
#: a Redfish Id: no path separators, not "." or ".."
ID_PATTERN = r'^(?!\.{1,2}$)[^/?#\s]{1,255}$'

CREATE_ARGS = {
    'type': 'object', 'required': ['Destination'], 'additionalProperties': False,
    'properties': {
        'Destination': {'type': 'string', 'maxLength': 2048, 'pattern': DESTINATION_PATTERN},
        'EventTypes': {'type': 'array', 'minItems': 1,
                       'items': {'type': 'string', 'minLength': 1}},
        'Context': {'type': 'string', 'maxLength': 256},
        'Protocol': {'type': 'string', 'minLength': 1},
        'HttpHeaders': {'type': 'array',
                        'items': {'type': 'object',
                                  'additionalProperties': {'type': 'string'}}},
    },
}
ID_ARGS = {
    'type': 'object', 'required': ['id'], 'additionalProperties': False,
    'properties': {'id': {'type': ['string', 'integer'], 'minimum': 0,
                          'pattern': ID_PATTERN}},
}
NO_ARGS = {'type': 'object', 'additionalProperties': False}
EJECT_ARGS = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'boot_device': {'enum': sorted(vmedia.BOOT_DEVICES)}},
}
PROBE_ARGS = {
    'type': 'object', 'required': ['redfish_address'], 'additionalProperties': False,
    'properties': driver_info.SCHEMA['properties'],
}


class RedfishVendor(base.VendorInterface):
    """Node and driver methods over the conductor's shared BMC connections."""

    name = 'redfish'

    def __init__(self):
        self.bmcs = connection.Bmcs()

    def stop(self):
        """Log out of the BMCs: a BMC has few session slots, and a restart must not leak them."""
        self.bmcs.close_all()

    def validate(self, task, method, **kwargs):
        """Check the node's driver_info before any BMC traffic (400 when bad)."""
        driver_info.parse(task.node.get('driver_info') or {})

    def _session(self, task, method):
        info = driver_info.parse(task.node.get('driver_info') or {})
        return info, self.bmcs.session(info, method, 'node %s' % task.node['uuid'])

    @base.passthru(['POST'], async_call=False, args_schema=CREATE_ARGS,
                   description="Creates a subscription on a node. Required argument: a "
                               "dictionary of {'Destination': 'destination_url'}")
    def create_subscription(self, task, http_method, **kwargs):
        """The new subscription's Id, Destination, EventTypes, Context, Protocol."""
        _, session = self._session(task, 'create_subscription')
        with session as root:
            return events.create(root, events.payload(**kwargs))

    @base.passthru(['DELETE'], async_call=False, args_schema=ID_ARGS,
                   description="Delete a subscription on a node. Required argument: a "
                               "dictionary of {'id': 'subscription_bmc_id'}")
    def delete_subscription(self, task, http_method, id):
        _, session = self._session(task, 'delete_subscription')
        with session as root:
            events.delete(root, str(id))

    @base.passthru(['GET'], async_call=False, args_schema=ID_ARGS,
                   require_exclusive_lock=False,
                   description="Get a subscription on the node. Required argument: a "
                               "dictionary of {'id': 'subscription_bmc_id'}")
    def get_subscription(self, task, http_method, id):
        _, session = self._session(task, 'get_subscription')
        with session as root:
            return events.get(root, str(id))

    @base.passthru(['GET'], async_call=False, args_schema=NO_ARGS,
                   require_exclusive_lock=False,
                   description='Returns all subscriptions on the node.')
    def get_all_subscriptions(self, task, http_method):
        _, session = self._session(task, 'get_all_subscriptions')
        with session as root:
            return events.get_all(root)

    @base.passthru(['POST'], async_call=True, args_schema=EJECT_ARGS,
                   description="Eject a virtual media device. If no device is provided "
                               "then all attached devices will be ejected. Optional "
                               "arguments: 'boot_device' - the boot device to eject, "
                               "either 'cd', 'dvd', 'usb', or 'floppy'")
    def eject_vmedia(self, task, http_method, boot_device=None):
        """{'ejected': [device Ids]}, recorded in the node's history."""
        info, session = self._session(task, 'eject_vmedia')
        with session as root:
            return {'ejected': vmedia.eject(root.get_system(info.system_id), boot_device)}

    @base.driver_passthru(['POST'], async_call=False, args_schema=PROBE_ARGS,
                          description='Connect to a BMC and report its Redfish version, '
                                      'systems and managers, to help enrollment. '
                                      'Required argument: redfish_address; optional: '
                                      'redfish_username, redfish_password, '
                                      'redfish_verify_ca, redfish_auth_type.')
    def probe_bmc(self, context, http_method, **kwargs):
        info = driver_info.parse(kwargs)
        with self.bmcs.session(info, 'probe_bmc') as root:
            return probe.probe(root)
