"""Where a sync passthru call goes: a short-lived cache of node routing fields.

A sync call needs only a node's routing fields (id, UUID, name, driver,
vendor interface, conductor group) before it is sent; reading the row for
every call was a tenth of a call's time. This per-process cache keeps those
fields for ``[api] node_route_cache_ttl`` seconds, keyed by the identifier
the client used.

A stale entry can never run a method on the wrong node: the call carries what
the API believed (``expect``), and the conductor compares it with the row it
locked; on a difference it runs nothing and raises ``NodeChanged``, on a
deleted node ``NodeNotFound``. The API then forgets the entry and routes the
call again from a fresh read. Async calls and everything else read the row
itself (a 202 promises the node was not locked a moment ago).
"""

import threading

import cachetools

from anvil.common.config import CONF

#: Routing fields kept per node; everything a sync call reads before it is sent.
FIELDS = ('id', 'uuid', 'name', 'driver', 'vendor_interface', 'conductor_group')
#: Entries per API process (a miss costs one read, nothing more).
MAX_ENTRIES = 10000

_lock = threading.Lock()
_cache = {'ttl': None, 'entries': None}


def _entries():
    """The cache for the configured TTL (re-made when the option changes: tests)."""
    ttl = CONF.api.node_route_cache_ttl
    if _cache['ttl'] != ttl:
        _cache.update(ttl=ttl, entries=cachetools.TTLCache(MAX_ENTRIES, ttl) if ttl else None)
    return _cache['entries']


def get(ident):
    """The cached routing fields for ``ident`` (UUID or name), or None."""
    with _lock:
        entries = _entries()
        return entries.get(ident) if entries is not None else None


def remember(ident, node):
    """Keep ``node``'s routing fields under ``ident``."""
    with _lock:
        entries = _entries()
        if entries is not None:
            entries[ident] = {key: node[key] for key in FIELDS}


def forget(*idents):
    """Drop the entries of ``idents`` (a stale route, or a node this process changed)."""
    with _lock:
        entries = _entries()
        for ident in idents:
            if entries is not None and ident is not None:
                entries.pop(ident, None)


def clear():
    """Forget every entry (a new database, in tests)."""
    with _lock:
        _cache.update(ttl=None, entries=None)


def expectation(ident, node):
    """What the conductor must find on the locked row for a cached route to hold."""
    return {'ident': ident, 'conductor_group': node['conductor_group']}
