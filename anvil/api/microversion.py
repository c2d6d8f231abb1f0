"""API microversions: the supported range, parsing, and the response headers.

The range is chosen so the ``baremetal`` CLI (which asks for 1.115 straight
away) and openstacksdk need no negotiation round trip. Features that depend
on the version and that anvil honours:

- 1.1  the minimum; a request without any version header is treated as 1.1
- 1.5  node names are accepted wherever a node is named in a URL
- 1.37 ``conductor`` field on nodes
- 1.46 ``conductor_group`` on nodes
- 1.49 ``/v1/conductors``
- 1.78 ``/v1/nodes/<n>/history``
"""

import flask
import microversion_parse

MIN_VERSION = (1, 1)
MAX_VERSION = (1, 115)
NODE_NAMES = (1, 5)
CONDUCTOR_FIELD = (1, 37)
CONDUCTOR_GROUP = (1, 46)
CONDUCTORS = (1, 49)
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


def add_headers(response, version=None):
    response.headers[MIN_HEADER] = as_string(MIN_VERSION)
    response.headers[MAX_HEADER] = as_string(MAX_VERSION)
    if version is not None:
        response.headers[LEGACY_HEADER] = as_string(version)
    return response
