"""driver_info parsing: what reaches a BMC is a checked, normalised RedfishInfo."""

import re

import jsonschema
import pytest

from anvil.common import exception
from anvil.drivers.redfish import driver_info


def parse(**info):
    return driver_info.parse(info)


def test_full_info_is_normalised():
    info = parse(redfish_address='http://127.0.0.1:8000/', redfish_system_id='abc',
                 redfish_username='admin', redfish_password='s3cret',
                 redfish_verify_ca='False', redfish_auth_type='basic')
    assert info.address == 'http://127.0.0.1:8000'
    assert info.system_id == '/redfish/v1/Systems/abc'
    assert (info.username, info.password, info.verify, info.auth_type) == (
        'admin', 's3cret', False, 'basic')


def test_defaults(conf):
    conf.set_override('auth_type', 'session', group='redfish')
    info = parse(redfish_address='bmc.example.com')
    assert info.address == 'https://bmc.example.com'
    assert (info.system_id, info.username, info.password) == (None, None, None)
    assert info.verify is True
    assert info.auth_type == 'session'


@pytest.mark.parametrize('address, expected', [
    ('https://10.0.0.5/redfish/v1', 'https://10.0.0.5'),
    ('https://[fd00::5]:8443', 'https://[fd00::5]:8443'),
    ('  http://bmc:80  ', 'http://bmc:80'),
])
def test_accepted_addresses(address, expected):
    assert parse(redfish_address=address).address == expected


@pytest.mark.parametrize('address, reason', [
    (None, 'missing redfish_address'),
    ('', 'missing redfish_address'),
    ('ftp://bmc', 'http or https'),
    ('https://bmc/some/path', 'not a path'),
    ('https://bmc:99999', 'invalid port'),
    ('https://bmc?x=1', 'not a path'),
])
def test_refused_addresses(address, reason):
    with pytest.raises(exception.InvalidParameterValue, match=reason) as e:
        parse(redfish_address=address)
    assert e.value.code == 400


def test_credentials_in_the_address_are_refused_without_quoting_them():
    with pytest.raises(exception.InvalidParameterValue) as e:
        parse(redfish_address='https://root:hunter2@bmc')
    assert 'hunter2' not in str(e.value)
    assert 'redfish_username' in str(e.value)


def test_system_id_path_kept_and_bad_one_refused():
    assert parse(redfish_address='bmc', redfish_system_id='/redfish/v1/Systems/1/'
                 ).system_id == '/redfish/v1/Systems/1'
    with pytest.raises(exception.InvalidParameterValue, match='redfish_system_id'):
        parse(redfish_address='bmc', redfish_system_id='Systems/1')


def test_verify_ca_bundle_must_exist(tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('x')
    assert parse(redfish_address='bmc', redfish_verify_ca=str(bundle)).verify == str(bundle)
    with pytest.raises(exception.InvalidParameterValue, match='no CA bundle'):
        parse(redfish_address='bmc', redfish_verify_ca=str(tmp_path / 'nope.pem'))


@pytest.mark.parametrize('key, value', [
    ('redfish_auth_type', 'kerberos'), ('redfish_username', 5), ('redfish_password', ['x']),
    ('redfish_verify_ca', 3),
])
def test_bad_values_refused(key, value):
    with pytest.raises(exception.InvalidParameterValue, match=key):
        parse(redfish_address='bmc', **{key: value})


def test_password_never_in_repr_or_key_repr():
    info = parse(redfish_address='bmc', redfish_username='u', redfish_password='hunter2')
    assert 'hunter2' not in repr(info)
    assert 'hunter2' not in repr(info.key())
    assert 'hunter2' not in '%s' % (info.key(),)


def test_key_is_a_plain_tuple_of_the_connection_settings():
    a = parse(redfish_address='bmc', redfish_username='u', redfish_password='p')
    b = parse(redfish_address='https://bmc', redfish_username='u', redfish_password='p',
              redfish_system_id='/redfish/v1/Systems/2')
    c = parse(redfish_address='bmc', redfish_username='u', redfish_password='q')
    assert isinstance(a.key(), tuple)
    assert a.key() == b.key()  # same BMC and credentials, another system: one client
    assert a.key() != c.key()


def test_schema_agrees_with_parse_on_addresses():
    """The enrollment schema refuses a subset of what parse refuses, never more."""
    validator = jsonschema.Draft7Validator(driver_info.SCHEMA)
    for good in ('http://127.0.0.1:8000', 'bmc', 'https://bmc/redfish/v1/'):
        assert not list(validator.iter_errors({'redfish_address': good}))
        parse(redfish_address=good)
    for bad in ('ftp://bmc', 'https://u:p@bmc', 'not a url', 'https://bmc/x'):
        assert list(validator.iter_errors({'redfish_address': bad}))
    assert re.search(driver_info.ADDRESS_PATTERN, 'http://[::1]:8000')
    assert not list(validator.iter_errors({}))  # nothing required at enrollment
