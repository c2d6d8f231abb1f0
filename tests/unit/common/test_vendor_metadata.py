"""Argument and driver_info checks against published schemas: clear, short messages."""

import pytest

from anvil.common import exception, vendor_metadata

SCHEMA = {'type': 'object', 'required': ['bar'], 'additionalProperties': False,
          'properties': {'bar': {'type': 'string'}, 'size': {'type': 'integer'}}}


def _message(args, schema=SCHEMA):
    with pytest.raises(exception.InvalidParameterValue) as e:
        vendor_metadata.check_args('x', schema, args)
    return str(e.value)


def test_missing_argument_in_ironic_words():
    assert _message({}) == "Parameter 'bar' not passed to method 'x'."


def test_the_first_missing_argument_is_named():
    schema = {'type': 'object', 'required': ['a', 'b', 'c']}
    assert _message({'a': 1, 'c': 3}, schema) == "Parameter 'b' not passed to method 'x'."


def test_wrong_type_names_the_field():
    assert _message({'bar': 'b', 'size': 'big'}) == \
        "Invalid argument 'size' for method x: 'big' is not of type 'integer'"


def test_wrong_type_with_several_allowed_types():
    schema = {'type': 'object', 'properties': {'v': {'type': ['string', 'null']}}}
    assert _message({'v': 1}, schema) == \
        "Invalid argument 'v' for method x: 1 is not of type 'string', 'null'"


def test_one_unexpected_argument_in_jsonschema_words():
    assert _message({'bar': 'b', 'extra': 1}) == (
        "Invalid argument for method x: Additional properties are not allowed "
        "('extra' was unexpected)")


def test_a_few_unexpected_arguments_are_all_named():
    assert _message({'bar': 'b', 'e1': 1, 'e2': 2, 'e3': 3}) == (
        "Invalid argument for method x: Additional properties are not allowed "
        "('e1', 'e2', 'e3' were unexpected)")


def test_many_unexpected_arguments_give_a_short_message():
    """70,000 unknown keys: three named and the count of the rest, not 689 KB."""
    args = {'bar': 'b'}
    args.update(('key%05d' % i, i) for i in range(70000))
    assert _message(args) == (
        "Invalid argument for method x: Additional properties are not allowed "
        "('key00000', 'key00001', 'key00002' … and 69,997 more were unexpected)")


def test_pattern_properties_are_not_unexpected():
    schema = {'type': 'object', 'additionalProperties': False,
              'patternProperties': {'^x-': {}}}
    assert _message({'x-ok': 1, 'nope': 2}, schema).endswith("('nope' was unexpected)")


def test_long_names_and_values_are_cut():
    long_name, long_value = 'n' * 100000, 'v' * 100000
    message = _message({'bar': 'b', long_name: 1})
    assert len(message) < 200 and "'nnnn" in message and '…' in message
    schema = {'type': 'object', 'properties': {'size': {'type': 'integer'}}}
    message = _message({'size': long_value}, schema)
    assert message.startswith("Invalid argument 'size' for method x: 'vvvv")
    assert message.endswith("… is not of type 'integer'") and len(message) < 200


def test_other_validators_keep_jsonschema_words_within_a_bound():
    schema = {'type': 'object', 'properties': {'bar': {'type': 'string', 'minLength': 1}}}
    assert _message({'bar': ''}, schema) == \
        "Invalid argument 'bar' for method x: '' should be non-empty"
    schema = {'type': 'object', 'properties': {'bar': {'enum': ['a' * 1000, 'b']}}}
    assert len(_message({'bar': 'c'}, schema)) < 300


@pytest.mark.parametrize('schema', [None, {}])
def test_no_schema_accepts_anything(schema):
    assert vendor_metadata.check_args('x', schema, {'anything': [1]}) is None


def test_valid_arguments_pass():
    assert vendor_metadata.check_args('x', SCHEMA, {'bar': 'b', 'size': 3}) is None


# -- driver_info ------------------------------------------------------------------

DRIVER_INFO = {'type': 'object', 'properties': {
    'address': {'type': 'string', 'description': 'an http(s) URL', 'pattern': '^https?://'},
    'auth': {'enum': ['basic', 'session']},
    'password': {'type': 'string'}}}


def _driver_info_message(info):
    with pytest.raises(exception.InvalidParameterValue) as e:
        vendor_metadata.check_driver_info('hw', DRIVER_INFO, info)
    return str(e.value)


def test_driver_info_messages_name_the_key_never_the_value():
    assert _driver_info_message({'password': 12345}) == \
        "Invalid driver_info 'password' for driver hw: must be of type string"
    assert _driver_info_message({'auth': 'secret-ish'}) == \
        "Invalid driver_info 'auth' for driver hw: must be one of basic, session"
    message = _driver_info_message({'address': 'ftp://s3cr3t'})
    assert message == "Invalid driver_info 'address' for driver hw: must be an http(s) URL"


def test_driver_info_without_schema_or_valid_passes():
    assert vendor_metadata.check_driver_info('hw', None, {'anything': 1}) is None
    assert vendor_metadata.check_driver_info('hw', DRIVER_INFO, {'auth': 'basic'}) is None


def test_missing_driver_info_keys_are_named():
    schema = {'type': 'object', 'required': ['address', 'username']}
    with pytest.raises(exception.InvalidParameterValue) as raised:
        vendor_metadata.check_driver_info('hw', schema, {'username': 'u'})
    assert str(raised.value) == 'Invalid driver_info for driver hw: missing address'
