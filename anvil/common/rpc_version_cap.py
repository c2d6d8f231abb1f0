"""The API side of rolling upgrades: which RPC version a call goes out with.

The cap comes from ``[DEFAULT] pin_release_version`` (unset: this release);
the history and the rules are in anvil/common/release_versions.py. Kept out
of the RPC client so that client stays about routing and transport.
"""

import oslo_messaging

from anvil.common import exception, release_versions
from anvil.common.config import CONF


def current_cap():
    """The newest RPC version this API may send, from ``pin_release_version``."""
    return release_versions.rpc_version_cap(CONF.pin_release_version)


def prepare_call(rpc_method, kwargs):
    """(version, kwargs) for a call of ``rpc_method`` under the current cap."""
    return release_versions.capped_call(rpc_method, kwargs, current_cap())


def can_send(rpc_method, argument):
    """True when conductors of the pinned release accept ``argument`` of ``rpc_method``."""
    return release_versions.can_send(rpc_method, argument, current_cap())


def is_unsupported_version(error):
    """True when ``error`` is a conductor's refusal of the call's RPC version.

    A real transport brings it back as a RemoteError (oslo.messaging's
    exceptions are not among the modules it rebuilds); an in-process
    transport may raise the class itself.
    """
    if isinstance(error, oslo_messaging.UnsupportedVersion):
        return True
    return isinstance(error, oslo_messaging.RemoteError) and \
        error.exc_type == 'UnsupportedVersion'


def unsupported_version_error(host, rpc_method, version):
    """The 503 the API answers when conductor ``host`` refused ``version``: nothing ran."""
    releases = release_versions.releases_older_than(version)
    return exception.ConductorVersionUnsupported(
        host=host, version=version, method=rpc_method,
        releases=', '.join(releases) or 'none known')
