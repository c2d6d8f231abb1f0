"""Passthru decorators and per-class method collection."""

import dataclasses

import jsonschema
import pytest

from anvil.common import exception, vendor_metadata
from anvil.drivers import base
from anvil.drivers.fake.hardware import FakeHardware


class VendorA(base.VendorInterface):
    @base.passthru(['get', 'Post'], async_call=False, description='first', attach=True)
    def node_one(self, task, http_method):
        return 1

    @base.driver_passthru(['POST'], description='driver level')
    def driver_one(self, context, http_method):
        return 2

    def not_a_method(self):
        return 3


class VendorB(base.VendorInterface):
    @base.passthru(None, require_exclusive_lock=False,
                   args_schema={'type': 'object', 'required': ['bar'],
                                'properties': {'bar': {'type': 'string'}}})
    def node_two(self, task, http_method, bar):
        return bar


class VendorC(VendorA):
    @base.passthru(['PUT'])
    def node_three(self, task, http_method):
        return 4


def _names(cls, scope=vendor_metadata.NODE):
    return sorted(cls().methods(scope))


def test_methods_are_collected_per_class():
    assert _names(VendorA) == ['node_one']
    assert _names(VendorA, vendor_metadata.DRIVER) == ['driver_one']
    assert _names(VendorB) == ['node_two']
    assert _names(VendorB, vendor_metadata.DRIVER) == []
    assert _names(VendorC) == ['node_one', 'node_three']
    assert _names(base.VendorInterface) == []


def test_metadata_recorded_by_the_decorator():
    info = VendorA().methods(vendor_metadata.NODE)['node_one']
    assert info.details() == {'http_methods': ['GET', 'POST'], 'async': False,
                              'description': 'first', 'attach': True,
                              'require_exclusive_lock': True, 'args_schema': None}
    assert info.scope == vendor_metadata.NODE


def test_defaults_post_async_exclusive():
    info = VendorB().methods(vendor_metadata.NODE)['node_two']
    assert (info.http_methods, info.async_call, info.attach, info.description) == \
        (('POST',), True, False, '')
    assert info.require_exclusive_lock is False


def test_driver_methods_never_lock():
    info = VendorA().methods(vendor_metadata.DRIVER)['driver_one']
    assert (info.scope, info.require_exclusive_lock, info.async_call) == \
        (vendor_metadata.DRIVER, False, True)


def test_metadata_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        VendorA().methods(vendor_metadata.NODE)['node_one'].async_call = True


def test_decorated_function_still_runs():
    assert VendorA().node_one(None, 'GET') == 1


def test_a_bad_schema_fails_at_declaration():
    with pytest.raises(jsonschema.SchemaError):
        base.passthru(['POST'], args_schema={'type': 'no-such-type'})


def test_required_args_builds_a_schema():
    schema = base.required_args('a', 'b', b={'type': 'integer'}, c={'type': 'string'})
    assert schema == {'type': 'object', 'required': ['a', 'b'],
                      'properties': {'a': {}, 'b': {'type': 'integer'}, 'c': {'type': 'string'}}}
    with pytest.raises(exception.InvalidParameterValue,
                       match="Parameter 'b' not passed to method 'x'."):
        vendor_metadata.check_args('x', schema, {'a': 1})


# -- hardware types -----------------------------------------------------------------

def test_hardware_type_vendor_lookup():
    hw = FakeHardware('fake-hardware')
    assert hw.vendor(None) is hw.vendor('fake')
    assert hw.vendor('no-vendor').methods(vendor_metadata.NODE) == {}
    with pytest.raises(exception.InvalidParameterValue):
        hw.vendor('nosuch')


def test_hardware_type_publishes_every_method_of_every_interface():
    rows = FakeHardware('fake-hardware').published_methods()
    assert {(r['vendor_interface'], r['scope'], r['name']) for r in rows} == {
        ('fake', 'node', name) for name in (
            'second_method', 'third_method_sync', 'fourth_method_shared_lock',
            'log_passthrough', 'download_log')} | {
        ('fake', 'driver', 'driver_echo'), ('fake', 'driver', 'driver_noop')}
    assert all(r['hardware_type'] == 'fake-hardware' for r in rows)


def test_hardware_type_interfaces_default_first():
    interfaces = FakeHardware('fake-hardware').interfaces()
    assert interfaces['vendor'] == {'default': 'fake', 'supported': ['fake', 'no-vendor']}
    assert interfaces['power'] == {'default': 'fake', 'supported': ['fake']}
