"""fake-hardware: a hardware type with no hardware, for tests, demos and benchmarks."""

from anvil.drivers import base
from anvil.drivers.fake import vendor


class FakeHardware(base.HardwareType):
    vendor_interfaces = {'fake': vendor.FakeVendor, 'no-vendor': vendor.NoVendor}
    other_interfaces = {
        'bios': ['no-bios', 'fake'], 'boot': ['fake'], 'console': ['no-console', 'fake'],
        'deploy': ['fake'], 'firmware': ['no-firmware', 'fake'],
        'inspect': ['no-inspect', 'fake'], 'management': ['fake'],
        'network': ['noop'], 'power': ['fake'], 'raid': ['no-raid', 'fake'],
        'rescue': ['no-rescue', 'fake'], 'storage': ['noop'],
    }
