"""Where a sync passthru call goes: each API process's table of node routing fields.

A sync call needs only a node's routing fields (id, UUID, name, driver,
vendor interface, conductor group) and the projects policy rules match
(owner, lessee) before it is sent; reading the row for
every call was a tenth of a call's time, and most of it when calls sweep a
large fleet (each node called once, so caching node by node does not help).
So each API process loads the routing fields of every node (up to
``MAX_NODES``) in one query, and loads them again once the table is older
than ``[api] node_route_cache_ttl`` seconds, or sooner once many calls found
their node missing (a batch was enrolled); nodes it did not load (enrolled
since, or beyond the cap) are added as they are read.

A stale entry can never run a method on the wrong node: the call carries what
the API believed (``expect``), and the conductor compares it with the row it
locked; on a difference it runs nothing and raises ``NodeChanged``, on a
deleted node ``NodeNotFound``. The API then forgets the entry and routes the
call again from a fresh read. Async calls and everything else read the row
itself (a 202 promises the node was not locked a moment ago).
"""

import threading
import time

from oslo_log import log

from anvil.common.config import CONF
from anvil.db import api as db_api

LOG = log.getLogger(__name__)

#: Routing fields kept per node; everything a sync call reads before it is sent.
FIELDS = db_api.ROUTE_FIELDS
#: Nodes loaded at once (about 0.7 KiB each); more are added only as they are read.
MAX_NODES = 20000
#: Misses (nodes read afresh) after which the table is loaded again before its
#: TTL, at most once a ``MIN_RELOAD_INTERVAL``: many nodes were enrolled at once.
MISSES_BEFORE_RELOAD = 50
MIN_RELOAD_INTERVAL = 1.0

_lock = threading.Lock()
_table = {'routes': {}, 'loaded_at': None, 'loading': False, 'misses': 0}


def _entry(node):
    return {key: node[key] for key in FIELDS}


def _index(entries):
    routes = {}
    for entry in entries:
        routes[entry['uuid']] = entry
        if entry['name']:
            routes[entry['name']] = entry
    return routes


def _due(now, ttl):
    loaded_at = _table['loaded_at']
    if loaded_at is None or now - loaded_at >= ttl:
        return True
    return (_table['misses'] >= MISSES_BEFORE_RELOAD
            and now - loaded_at >= min(ttl, MIN_RELOAD_INTERVAL))


def _load_if_due(ttl):
    """Load the table when it is older than ``ttl``, or sooner after many misses.

    One thread loads; the others go on with the table they have.
    """
    now = time.monotonic()
    with _lock:
        if _table['loading'] or not _due(now, ttl):
            return
        _table['loading'] = True
    routes = None
    try:
        routes = _index(db_api.list_routes(MAX_NODES))
    except Exception as e:  # the fresh read of the call will answer (503 if need be)
        LOG.warning('Could not load the node route table: %s', e)
    finally:
        with _lock:
            if routes is not None:
                _table['routes'] = routes
            _table.update(loaded_at=now, loading=False, misses=0)


def get(ident):
    """The routing fields of the node ``ident`` (UUID or name) names, or None."""
    ttl = CONF.api.node_route_cache_ttl
    if not ttl:
        return None
    _load_if_due(ttl)
    return _table['routes'].get(ident)


def remember(ident, node):
    """Keep ``node``'s routing fields (read afresh) until the next load.

    Only under its exact UUID or name: a database whose collation matched
    ``ident`` another way (MariaDB ignores case) would have the conductor
    refuse every call routed by it (``expect`` is compared exactly).
    """
    if not CONF.api.node_route_cache_ttl or ident not in (node['uuid'], node['name']):
        return
    entry = _entry(node)
    with _lock:
        routes = _table['routes']
        if ident not in routes:
            _table['misses'] += 1
        if ident in routes or len(routes) < 2 * MAX_NODES:
            routes[ident] = entry


def forget(*idents):
    """Drop the entries of ``idents`` (a stale route, or a node this process changed)."""
    with _lock:
        for ident in idents:
            if ident is not None:
                _table['routes'].pop(ident, None)


def clear():
    """Forget everything; the next lookup loads the table (a new database, in tests)."""
    with _lock:
        _table.update(routes={}, loaded_at=None, loading=False, misses=0)


def expectation(ident, node):
    """What the conductor must find on the locked row for a cached route to hold."""
    return {'ident': ident, 'conductor_group': node['conductor_group'],
            'owner': node['owner'], 'lessee': node['lessee']}
