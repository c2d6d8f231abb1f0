"""The one masking policy: what counts as a secret, and how it is hidden.

Passthru bodies carry secrets (a BMC password for ``probe_bmc``, an
``Authorization`` header in ``create_subscription``'s ``HttpHeaders``), and
results, exception messages and tracebacks may echo them. Everything that
leaves anvil -- history events, ``last_error``, log lines at every level,
error bodies, node fields -- goes through here first.

Two layers: structured values are masked by key (``mask``); free text is
masked by oslo.utils' ``key=value``-style patterns and by the exact secret
values taken from the request body (``secret_values``), so a message that
quotes a password in any format is still caught.
"""

import functools
import traceback

from oslo_utils import strutils

MASK = '******'
#: A key is secret when its lower-cased name contains one of these.
SECRET_MARKERS = ('password', 'passwd', 'secret', 'token', 'key', 'credential',
                  'passphrase', 'authorization', 'cookie', 'httpheaders')
#: ... or is exactly one of these (plain "auth" would hide redfish_auth_type).
SECRET_NAMES = ('auth', 'x-auth')
#: Shorter secret values are not replaced in free text (they would mangle it);
#: they are still masked by key.
MIN_SECRET_LENGTH = 4


def is_secret_key(key):
    """True when a value stored under ``key`` must never be shown."""
    return _is_secret_name(key) if isinstance(key, str) else _is_secret_name(str(key))


@functools.lru_cache(maxsize=4096)  # few distinct keys, asked for on every node answer
def _is_secret_name(key):
    name = key.lower()
    return name in SECRET_NAMES or any(marker in name for marker in SECRET_MARKERS)


def mask(value):
    """``value`` with every non-empty value under a secret key replaced by ``MASK``.

    Dicts, lists and tuples are walked at any depth; other values are kept as
    they are (key-based only, so it is cheap enough for every node answer:
    ``describe`` masks free text as well).
    """
    if isinstance(value, dict):
        return {k: MASK if is_secret_key(k) and v not in (None, '') else mask(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if type(value) is tuple:  # not a namedtuple: it cannot be rebuilt from one iterable
        return tuple(mask(v) for v in value)
    return value


def secret_values(value):
    """Every string under a secret key of ``value`` (at any depth), as a frozenset.

    A JSON Patch op setting a secret field (``/driver_info/redfish_password``)
    counts too: its ``value`` is the secret.
    """
    found = set()
    _collect(value, False, found)
    return frozenset(found)


def _patch_sets_secret(op):
    """True for a JSON Patch op whose ``path`` ends in a secret key."""
    path = op.get('path')
    return isinstance(path, str) and 'value' in op and is_secret_key(path.rsplit('/', 1)[-1])


def _collect(value, secret, found):
    if isinstance(value, dict):
        if _patch_sets_secret(value):
            _collect(value['value'], True, found)
        for k, v in value.items():
            _collect(v, secret or is_secret_key(k), found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, secret, found)
    elif secret and value not in (None, '') and not isinstance(value, bool):
        found.add(str(value))


def mask_text(text, secrets=()):
    """``text`` with ``password=...``-style values and every known secret masked."""
    text = strutils.mask_password(str(text), secret=MASK)
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


def describe(value, secrets=(), limit=None):
    """A masked ``repr`` of ``value`` for logs and history, cut to ``limit`` characters."""
    text = mask_text(repr(mask(value)), secrets)
    return text if limit is None else text[:limit]


def traceback_text(error, secrets=()):
    """``error``'s formatted traceback, masked (for logs that need the trace)."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return mask_text(''.join(lines), secrets).rstrip()
