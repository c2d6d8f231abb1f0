"""example-hardware: what anvil loads through the ``anvil.hardware.types`` entry point."""

from anvil.drivers import base
from anvil_example_driver import vendor


class ExampleHardware(base.HardwareType):
    # the first vendor interface is the default of a node of this type
    vendor_interfaces = {'example': vendor.ExampleVendor}
    # the other interfaces a node of this type may name (Ironic's kinds)
    other_interfaces = {'power': ['fake'], 'management': ['fake']}
    # checked by the API on node create and update; a bad value never reaches us
    driver_info_schema = {
        'type': 'object',
        'required': ['example_address'],
        'properties': {
            'example_address': {'type': 'string', 'minLength': 1,
                                'description': "the chassis' address (host or host:port)"},
            'example_password': {'type': 'string'},
        },
    }
