"""RPC version history of anvil releases: what lets two releases run side by side.

During a rolling upgrade, conductors of release N and N+1 serve the same
topic. Every anvil-api is pinned to release N (``[DEFAULT]
pin_release_version``) until the last conductor runs N+1: a pinned API sends
no call a release-N conductor would refuse.

How the RPC API evolves (the rules a change to ``ConductorManager`` follows):

- a new, optional argument bumps the minor version and is recorded in
  ``ARGUMENTS_ADDED``; the manager keeps working without it (an older API
  does not send it);
- a call carries the oldest version that knows every argument it sends, so
  a call that needs nothing new still reaches an older conductor;
- a capped client drops the arguments its cap does not know; a caller whose
  argument carries a guarantee (``expect``) asks ``can_send`` first and does
  without the feature instead;
- a conductor asked for a version it does not serve runs nothing and the
  API answers 503 (``exception.ConductorVersionUnsupported``).

This module holds data and pure functions only: anvil/common/config.py reads
the release names from it.
"""

#: The release this code is: unreleased work on top of the newest named release.
#: When a release is cut, its entry below is renamed to the release's number
#: (a new 'master' entry comes with the next RPC change).
CURRENT_RELEASE = 'master'

#: {release: {'rpc': version of the conductor RPC API it serves}}, oldest first.
RELEASES = {
    # The first release: vendor_passthru and driver_vendor_passthru.
    '0.1': {'rpc': '1.0'},
    # vendor_passthru takes ``expect``: the conductor checks that a call routed
    # from the API's route cache still holds (anvil/api/node_routes.py).
    CURRENT_RELEASE: {'rpc': '1.1'},
}

#: The RPC version this code's conductors serve.
RPC_VERSION = RELEASES[CURRENT_RELEASE]['rpc']
#: The version of a call that sends no argument listed below.
BASE_RPC_VERSION = '1.0'

#: {(method, argument): the RPC version that added the argument}
ARGUMENTS_ADDED = {
    ('vendor_passthru', 'expect'): '1.1',
}


def parse_version(version):
    """'1.10' -> (1, 10), for ordering RPC versions."""
    major, minor = version.split('.')
    return int(major), int(minor)


def pinnable_releases():
    """Names ``pin_release_version`` accepts: every named release, oldest first."""
    return [name for name in RELEASES if name != CURRENT_RELEASE]


def rpc_version_cap(pinned_release):
    """The newest RPC version an API pinned to ``pinned_release`` (None: unpinned) sends.

    :raises: KeyError for a release not in ``RELEASES`` (config choices prevent it).
    """
    return RELEASES[pinned_release or CURRENT_RELEASE]['rpc']


def can_send(method, argument, cap):
    """True when a client capped at RPC version ``cap`` may send ``argument`` of ``method``."""
    added = ARGUMENTS_ADDED.get((method, argument), BASE_RPC_VERSION)
    return parse_version(added) <= parse_version(cap)


def capped_call(method, kwargs, cap):
    """(version, kwargs) of a call of ``method`` sent by a client capped at ``cap``.

    Arguments added after ``cap`` are left out; the version is the oldest
    that knows every argument that remains, so the call reaches any
    conductor that can run it.
    """
    sent = {name: value for name, value in kwargs.items() if can_send(method, name, cap)}
    version = max([BASE_RPC_VERSION] + [ARGUMENTS_ADDED[(method, name)] for name in sent
                                         if (method, name) in ARGUMENTS_ADDED], key=parse_version)
    return version, sent


def releases_older_than(version):
    """Named releases whose conductors serve an RPC version older than ``version``."""
    return [name for name in pinnable_releases()
            if parse_version(RELEASES[name]['rpc']) < parse_version(version)]
