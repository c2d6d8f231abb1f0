"""API microversions: the supported range, parsing, and the response headers.

The range is 1.1 to 1.115, Ironic 39's, so the ``baremetal`` CLI (which asks
for 1.115 straight away) and openstacksdk (which asks for 1.99) need no
negotiation round trip. A request without any version header is treated as
1.1, as Ironic does (openstacksdk sends none for driver passthru).

Version-dependent behaviour anvil honours, at Ironic's versions (a field
newer than the request is left out of responses; asking for it with
``fields=``, setting it on create or patching it answers 406; a query
parameter newer than the request answers 406):

- 1.5   node names, in URLs and as the ``name`` field
- 1.8   ``fields=`` on nodes (and conductors)
- 1.9   ``provision_state`` filter on the node list
- 1.14  the ``properties`` link of a driver
- 1.16  ``driver`` filter on the node list
- 1.20  ``network_interface``; 1.31 the other interface fields (boot,
  console, deploy, inspect, management, power, raid, vendor); 1.33
  ``storage_interface``; 1.38 ``rescue_interface``; 1.40 ``bios_interface``;
  1.86 ``firmware_interface`` (nodes, and the default_/enabled_ fields of
  drivers)
- 1.30  drivers: ``type`` field, ``type=`` filter, ``detail=`` (interfaces)
- 1.43  ``detail=True`` query on ``/v1/nodes`` (``/v1/nodes/detail`` always)
- 1.45  ``reset_interfaces`` on node PATCH
- 1.46  node ``conductor_group`` field and filter
- 1.49  node ``conductor`` field and filter, ``/v1/conductors``
- 1.77  ``fields=`` on drivers
- 1.78  ``/v1/nodes/<n>/history``
- the Ironic node fields anvil does not manage appear (null, false or empty)
  from the version that introduced each (``owner`` 1.50, ``lessee`` 1.65,
  ``traits`` 1.37, ``retired`` 1.61, ``health`` 1.109, ...): see
  ``node_view.VERSIONED_FIELDS``.

Not version-dependent in anvil: provision states (nodes stay in ``enroll``;
anvil does not provision), vendor passthru (1.1 on), ``/v1/nodes/detail``.
"""

import flask
import microversion_parse

from anvil.common import exception

MIN_VERSION = (1, 1)
MAX_VERSION = (1, 115)
NODE_NAMES = (1, 5)
FIELDS_SELECTOR = (1, 8)
PROVISION_STATE_FILTER = (1, 9)
DRIVER_PROPERTIES_LINK = (1, 14)
DRIVER_FILTER = (1, 16)
DYNAMIC_DRIVERS = (1, 30)
DETAIL_QUERY = (1, 43)
RESET_INTERFACES = (1, 45)
CONDUCTOR_GROUP = (1, 46)
CONDUCTORS = (1, 49)
DRIVER_FIELDS_SELECTOR = (1, 77)
HISTORY = (1, 78)

LEGACY_HEADER = 'X-OpenStack-Ironic-API-Version'
MIN_HEADER = 'X-OpenStack-Ironic-API-Minimum-Version'
MAX_HEADER = 'X-OpenStack-Ironic-API-Maximum-Version'


def as_string(version):
    return '%d.%d' % tuple(version)


class NotAcceptable(Exception):
    """The requested version is outside the range or malformed (406)."""

    def __init__(self, description):
        super().__init__(description)
        self.description = description


def _range_text():
    return '[%s, %s]' % (as_string(MIN_VERSION), as_string(MAX_VERSION))


def parse(headers):
    """The (major, minor) a request asks for; raises NotAcceptable (406)."""
    raw = microversion_parse.get_version(headers, 'baremetal', legacy_headers=[LEGACY_HEADER])
    if raw is None:
        return MIN_VERSION
    raw = raw.strip()
    if raw == 'latest':
        return MAX_VERSION
    try:
        version = tuple(microversion_parse.parse_version_string(raw))
    except TypeError:
        raise NotAcceptable('Invalid value for %s header: %s. The supported version range '
                            'is: %s.' % (LEGACY_HEADER, raw, _range_text())) from None
    if version[0] != MAX_VERSION[0]:
        raise NotAcceptable('Mutually exclusive versions requested. Version %s requested but '
                            'not supported by this service. The supported version range is: '
                            '%s.' % (raw, _range_text()))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NotAcceptable('Version %s was requested but the minor version is not supported '
                            'by this service. The supported version range is: %s.'
                            % (raw, _range_text()))
    return version


def requested():
    """The version of the current request (set in ``before_request``)."""
    return flask.g.get('api_version', MIN_VERSION)


def at_least(version):
    return requested() >= tuple(version)


def too_new(what, version):
    """The 406 for a feature (``what``) that needs ``version``."""
    return exception.NotAcceptable('%s needs API version %s or later; this request is %s.'
                                   % (what, as_string(version), as_string(requested())))


def require(version, what):
    """Raise the 406 of ``too_new`` unless the request is at least ``version``."""
    if not at_least(version):
        raise too_new(what, version)


def add_headers(response, version=None):
    response.headers[MIN_HEADER] = as_string(MIN_VERSION)
    response.headers[MAX_HEADER] = as_string(MAX_VERSION)
    if version is not None:
        response.headers[LEGACY_HEADER] = as_string(version)
    return response
