"""The redfish methods as published: Ironic's names, verbs, descriptions; checked arguments."""

import pytest

from anvil.api import hash_ring
from anvil.common import exception, vendor_metadata
from anvil.drivers.redfish import hardware

IRONIC = {  # from reference/ironic-39-http-transcript.md, "36. list methods"
    'create_subscription': (['POST'], False, "Creates a subscription on a node. Required "
                            "argument: a dictionary of {'Destination': 'destination_url'}"),
    'delete_subscription': (['DELETE'], False, "Delete a subscription on a node. Required "
                            "argument: a dictionary of {'id': 'subscription_bmc_id'}"),
    'eject_vmedia': (['POST'], True, "Eject a virtual media device. If no device is provided "
                     "then all attached devices will be ejected. Optional arguments: "
                     "'boot_device' - the boot device to eject, either 'cd', 'dvd', 'usb', "
                     "or 'floppy'"),
    'get_all_subscriptions': (['GET'], False, 'Returns all subscriptions on the node.'),
    'get_subscription': (['GET'], False, "Get a subscription on the node. Required argument: "
                         "a dictionary of {'id': 'subscription_bmc_id'}"),
}


@pytest.fixture(scope='module')
def redfish():
    return hardware.RedfishHardware('redfish')


def _methods(hw, scope=vendor_metadata.NODE):
    return hw.vendor('redfish').methods(scope)


def test_node_methods_as_ironic_lists_them(redfish):
    methods = _methods(redfish)
    assert sorted(methods) == sorted(IRONIC)
    for name, (verbs, is_async, description) in IRONIC.items():
        details = methods[name].details()
        assert (details['http_methods'], details['async'], details['description']) == (
            verbs, is_async, description), name


def test_reads_take_no_exclusive_lock(redfish):
    locks = {n: m.require_exclusive_lock for n, m in _methods(redfish).items()}
    assert locks == {'create_subscription': True, 'delete_subscription': True,
                     'eject_vmedia': True, 'get_all_subscriptions': False,
                     'get_subscription': False}


def test_driver_method_probe_bmc(redfish):
    probe = _methods(redfish, vendor_metadata.DRIVER)['probe_bmc']
    assert (probe.http_methods, probe.async_call) == (('POST',), False)


def test_ironic_interface_names_are_supported(redfish):
    interfaces = redfish.interfaces()
    assert 'redfish-virtual-media' in interfaces['boot']['supported']
    assert 'ramdisk' in interfaces['deploy']['supported']
    assert interfaces['vendor']['default'] == 'redfish'
    assert interfaces['power'] == {'default': 'redfish', 'supported': ['redfish']}


def check(redfish, method, args, scope=vendor_metadata.NODE):
    vendor_metadata.check_args(method, _methods(redfish, scope)[method].args_schema, args)


@pytest.mark.parametrize('method, args', [
    ('create_subscription', {'Destination': 'https://1.2.3.4:9000/events'}),
    ('create_subscription', {'Destination': 'http://h/e', 'EventTypes': ['Alert'],
                             'Context': 'c', 'Protocol': 'Redfish',
                             'HttpHeaders': [{'X-Token': 'abc'}]}),
    ('get_subscription', {'id': '1'}),
    ('get_subscription', {'id': 7}),
    ('delete_subscription', {'id': 'sub-1'}),
    ('get_all_subscriptions', {}),
    ('eject_vmedia', {}),
    ('eject_vmedia', {'boot_device': 'usb'}),
])
def test_valid_arguments(redfish, method, args):
    check(redfish, method, args)


@pytest.mark.parametrize('method, args, words', [
    ('create_subscription', {}, "Parameter 'Destination' not passed"),
    ('create_subscription', {'Destination': 'not a uri'}, "'Destination'"),
    ('create_subscription', {'Destination': 'ftp://h/e'}, "'Destination'"),
    ('create_subscription', {'Destination': 'http://h', 'EventTypes': 'Alert'},
     "'EventTypes'"),
    ('create_subscription', {'Destination': 'http://h', 'Colour': 'red'}, 'Colour'),
    ('get_subscription', {}, "Parameter 'id' not passed"),
    ('delete_subscription', {}, "Parameter 'id' not passed"),
    ('get_subscription', {'id': '../../Systems'}, "'id'"),
    ('get_subscription', {'id': '..'}, "'id'"),
    ('eject_vmedia', {'boot_device': 'tape'}, "'tape' is not one of"),
    ('get_all_subscriptions', {'x': 1}, 'x'),
])
def test_invalid_arguments_refused_before_any_call(redfish, method, args, words):
    with pytest.raises(exception.InvalidParameterValue, match=words.replace('.', r'\.')):
        check(redfish, method, args)


def test_probe_needs_an_address(redfish):
    with pytest.raises(exception.InvalidParameterValue, match='redfish_address'):
        check(redfish, 'probe_bmc', {}, vendor_metadata.DRIVER)
    check(redfish, 'probe_bmc', {'redfish_address': 'http://127.0.0.1:8000',
                                 'redfish_password': 'x'}, vendor_metadata.DRIVER)


def test_driver_info_schema_published_beside_the_interfaces(redfish):
    """The API reads it from the topology; interface listings never see it."""
    published = redfish.interfaces()
    assert published[vendor_metadata.DRIVER_INFO_SCHEMA]['properties']['redfish_auth_type'] == {
        'enum': ['auto', 'session', 'basic']}
    topology = hash_ring.Topology({'conductors': {'c1': ''}, 'known_types': ['redfish'],
                                   'hardware_types': {'redfish': {'c1': published}},
                                   'methods': {}}, 32)
    assert vendor_metadata.DRIVER_INFO_SCHEMA not in topology.interfaces('redfish')
    assert 'boot' in topology.interfaces('redfish')
    schema = topology.driver_info_schema('redfish')
    vendor_metadata.check_driver_info('redfish', schema, {})
    vendor_metadata.check_driver_info('redfish', schema, {'redfish_address': 'http://127.0.0.1:8000'})
    with pytest.raises(exception.InvalidParameterValue,
                       match="Invalid driver_info 'redfish_auth_type' for driver redfish"):
        vendor_metadata.check_driver_info('redfish', schema, {'redfish_auth_type': 'kerberos'})
    vendor_metadata.check_driver_info('fake-hardware', None, {'anything': 1})
