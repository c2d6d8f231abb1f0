"""redfish: servers whose BMC speaks DMTF Redfish, reached through sushy.

The interface names are Ironic's, so ``baremetal node create --driver
redfish --deploy-interface ramdisk --boot-interface redfish-virtual-media``
is accepted and stored as written; the first of each list is the default,
as with Ironic's default configuration. Only the vendor interface does
anything in anvil.
"""

from oslo_log import log

from anvil.common.config import CONF
from anvil.drivers import base
from anvil.drivers.fake.vendor import NoVendor
from anvil.drivers.redfish import connection, driver_info, vendor

LOG = log.getLogger(__name__)


class RedfishHardware(base.HardwareType):
    vendor_interfaces = {'redfish': vendor.RedfishVendor, 'no-vendor': NoVendor}
    other_interfaces = {
        'bios': ['no-bios', 'redfish'],
        'boot': ['ipxe', 'pxe', 'redfish-virtual-media', 'redfish-https', 'http-ipxe',
                 'http'],
        'console': ['no-console'],
        'deploy': ['direct', 'ramdisk', 'anaconda', 'custom-agent'],
        'firmware': ['no-firmware', 'redfish'],
        'inspect': ['no-inspect', 'redfish', 'agent'],
        'management': ['redfish'],
        'network': ['noop', 'flat', 'neutron'],
        'power': ['redfish'],
        'raid': ['no-raid', 'redfish', 'agent'],
        'rescue': ['no-rescue', 'agent'],
        'storage': ['noop'],
    }
    #: checks of driver_info the API can apply at enrollment
    driver_info_schema = driver_info.SCHEMA

    def __init__(self, name):
        super().__init__(name)
        bound = connection.request_bound()
        if bound >= CONF.rpc_response_timeout:
            LOG.warning('[redfish] timeouts and retries let one BMC request take %.0f s, '
                        'not less than rpc_response_timeout (%s s): a slow BMC will '
                        'turn sync calls into 504s', bound, CONF.rpc_response_timeout)
