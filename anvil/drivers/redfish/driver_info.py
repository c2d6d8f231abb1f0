"""A node's (or a probe's) Redfish connection settings, checked before any BMC traffic.

``parse`` turns the ``redfish_*`` keys of ``driver_info`` into a frozen
``RedfishInfo``; everything a BMC connection is keyed and built on comes
from it. ``SCHEMA`` is the part of those checks a JSON Schema can express
(types, URL shape, choices): it is published with the hardware type so
the API can refuse a bad ``driver_info`` at enrollment. No key is required
there: Ironic users create a node first and add its BMC address later.
The password is never logged and never shown by ``repr``.
"""

import dataclasses
import os
import typing
import urllib.parse

from oslo_utils import strutils

from anvil.common import exception
from anvil.common.config import CONF

AUTH_TYPES = ('auto', 'session', 'basic')
SYSTEMS_PREFIX = '/redfish/v1/Systems/'
#: http(s)://host[:port] or a bare host[:port] (https); ``parse`` checks the rest
ADDRESS_PATTERN = r'^(https?://)?[^\s/?#@]+(/redfish/v1)?/?$'

SCHEMA = {
    'type': 'object',
    'properties': {
        'redfish_address': {'type': 'string', 'pattern': ADDRESS_PATTERN,
                            'description': 'the http(s) URL of the BMC, '
                                           'http(s)://host[:port], without credentials'},
        'redfish_system_id': {'type': 'string', 'minLength': 1,
                              'description': 'a system path such as '
                                             '/redfish/v1/Systems/1, or its Id'},
        'redfish_username': {'type': 'string'},
        'redfish_password': {'type': 'string'},
        'redfish_verify_ca': {'type': ['boolean', 'string']},
        'redfish_auth_type': {'enum': list(AUTH_TYPES)},
    },
}


class ClientKey(typing.NamedTuple):
    """One BMC connection: a plain tuple, cheap to hash (no key derivation per call)."""

    address: str
    username: str | None
    password: str | None
    verify: bool | str
    auth_type: str

    def __repr__(self):
        return 'ClientKey(%s, user=%s, auth=%s)' % (self.address, self.username,
                                                   self.auth_type)


@dataclasses.dataclass(frozen=True)
class RedfishInfo:
    """Where and how to reach one BMC. Hashable: ``key()`` keys the client cache."""

    address: str
    system_id: str | None
    username: str | None
    password: str | None = dataclasses.field(repr=False)
    verify: bool | str
    auth_type: str

    def key(self):
        """The connection-cache key."""
        return ClientKey(self.address, self.username, self.password, self.verify,
                         self.auth_type)


def _invalid(message):
    return exception.InvalidParameterValue(err=message)


def _address(value):
    """Normalise the BMC address to scheme://host[:port]; a bare host means https.

    A trailing /redfish/v1 (the service root, as some inventories write it)
    is dropped; any other path is refused.
    """
    if not isinstance(value, str) or not value.strip():
        raise _invalid('driver_info is missing redfish_address, the URL of the BMC '
                       '(e.g. https://10.0.0.5).')
    value = value.strip()
    if '://' not in value:
        value = 'https://' + value
    parsed = urllib.parse.urlsplit(value)
    if '@' in parsed.netloc:  # checked first: the messages below quote the address
        raise _invalid('redfish_address must not carry credentials; use '
                       'redfish_username and redfish_password.')
    try:
        parsed.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _invalid('redfish_address %s has an invalid port.' % value) from None
    if parsed.scheme not in ('http', 'https') or not parsed.hostname:
        raise _invalid('redfish_address must be an http or https URL of the BMC, not %s.'
                       % value)
    if parsed.path.rstrip('/') not in ('', '/redfish/v1') or parsed.query or parsed.fragment:
        raise _invalid('redfish_address must name only the BMC (scheme, host, port), '
                       'not a path: %s.' % value)
    return '%s://%s' % (parsed.scheme, parsed.netloc)


def _system_id(value):
    """A system path; a bare Id is taken to be under /redfish/v1/Systems/."""
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise _invalid('redfish_system_id must be a string, not %r.' % (value,))
    value = value.strip()
    if value.startswith('/'):
        return value.rstrip('/')
    if '/' in value or '?' in value or '#' in value:
        raise _invalid('redfish_system_id must be a path such as %s<Id>, or an Id, '
                       'not %s.' % (SYSTEMS_PREFIX, value))
    return SYSTEMS_PREFIX + value


def _verify(value):
    """True/False, or the path of a CA bundle that must exist on this conductor."""
    if value is None or isinstance(value, bool):
        return True if value is None else value
    if not isinstance(value, str):
        raise _invalid('redfish_verify_ca must be a boolean or a CA bundle path.')
    as_bool = strutils.bool_from_string(value, strict=False, default=None)
    if as_bool is not None:
        return as_bool
    if not os.path.exists(value):
        raise _invalid('redfish_verify_ca: no CA bundle at %s on conductor %s.'
                       % (value, CONF.host))
    return value


def _credential(info, name):
    value = info.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid('%s must be a string.' % name)
    return value or None


def _auth_type(value):
    value = value or CONF.redfish.auth_type
    if value not in AUTH_TYPES:
        raise _invalid('redfish_auth_type must be one of %s, not %s.'
                       % (', '.join(AUTH_TYPES), value))
    return value


def parse(info):
    """A RedfishInfo from ``driver_info`` (or a probe's arguments).

    Raises InvalidParameterValue (400) naming the offending key; the
    password's value never appears in a message.
    """
    if not isinstance(info, dict):
        raise _invalid('driver_info must be an object.')
    return RedfishInfo(address=_address(info.get('redfish_address')),
                       system_id=_system_id(info.get('redfish_system_id')),
                       username=_credential(info, 'redfish_username'),
                       password=_credential(info, 'redfish_password'),
                       verify=_verify(info.get('redfish_verify_ca')),
                       auth_type=_auth_type(info.get('redfish_auth_type')))
