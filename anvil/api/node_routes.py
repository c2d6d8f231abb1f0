"""Node passthru calls by cached route: the one owner of the API's route cache.

A sync call needs only a node's routing fields (id, UUID, name, driver,
vendor interface, conductor group) and what the projects policy rules match
(owner, lessee) before it is sent; reading the row for every call was a
tenth of a call's time, and most of it when calls sweep a large fleet (each
node called once, so caching node by node does not help). So each app (one
per API process) keeps a table of the routing fields of every node: the
``NodeRoutes`` object in ``app.extensions``, found with ``of(app)``.

The whole protocol is ``NodeRoutes.find`` then ``NodeRoutes.call``:

1. ``find``: the table's entry, if the policy lets the caller act on it;
   else the row, read afresh (and remembered).
2. ``call``, cached entry, sync method: sent with what the API believed
   (``expect``: the identifier used, group, owner, lessee).
3. The conductor compares ``expect`` with the row it locks
   (``conductor/route_checks.py``); on a difference it runs nothing and
   raises ``NodeChanged``, on a deleted node ``NodeNotFound``.
4. The entry is forgotten, the node read again and the call checked and
   sent once more, routed by the fresh row, without ``expect``.

A stale entry can therefore never run a method on the wrong node. Async
methods are always routed by a fresh read (a 202 promises the node was not
locked a moment ago), and so is everything but passthru.

The table is loaded in one query (up to ``MAX_NODES``) and loaded again once
it is older than ``[api] node_route_cache_ttl`` seconds, or sooner once many
calls found their node missing (a batch was enrolled); nodes it did not load
(enrolled since, or beyond the cap) are added as they are read.
"""

import dataclasses
import threading
import time
import typing

from oslo_log import log
from oslo_utils import uuidutils

from anvil.api import method_checks, microversion, policy
from anvil.api.node_lookup import find_node_for
from anvil.common import exception
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

_EXTENSION = 'anvil.node_routes'

#: What a cached route may meet that a fresh read could answer differently
#: (raised before anything ran: by the API's checks, or by the conductor).
_STALE_ROUTE_SIGNS = (exception.NodeNotFound, exception.NodeChanged, exception.DriverNotFound,
                      exception.NoFreeConductor)


def of(app):
    """The ``NodeRoutes`` of ``app`` (built by ``anvil.api.app.create_app``)."""
    return app.extensions[_EXTENSION]


@dataclasses.dataclass
class Route:
    """How one request names its node, and the node it is routed by.

    ``node`` is a table entry (routing fields only) when ``cached``, else the
    row read for this request.
    """

    ident: str
    rule: str
    node: dict
    cached: bool


class Routed(typing.NamedTuple):
    """What ``NodeRoutes.call`` did: ``reply`` of a sync method, or None for an
    async one, which the caller casts to ``node`` (a fresh read) itself."""

    node: dict
    details: dict
    reply: dict | None


class NodeRoutes:
    """The route cache of one app: lookup, the send with ``expect``, refusals.

    ``conductor_api`` is the app's RPC client (``app.config['CONDUCTOR_API']``).
    """

    def __init__(self, conductor_api):
        self._api = conductor_api
        self._lock = threading.Lock()
        self._routes = {}
        self._loaded_at = None
        self._loading = False
        self._misses = 0

    def install(self, app):
        """Make this the route cache of ``app`` (see ``of``)."""
        app.extensions[_EXTENSION] = self

    # -- the protocol ----------------------------------------------------

    def find(self, context, ident, rule):
        """The ``Route`` of a call by ``context`` on ``ident`` under policy ``rule``.

        A cached entry the policy refuses is not final (its owner may have
        changed): the fresh read decides.
        :raises: NodeNotFound (404), Forbidden (403), as ``find_node_for``.
        """
        entry = self._authorized_entry(context, ident, rule)
        if entry is not None:
            return Route(ident, rule, entry, cached=True)
        return self._read(ident, rule)

    def call(self, context, route, method, http_method, info):
        """Check ``method`` and send it if it is sync; returns ``Routed``.

        By a cached route, a sync method goes with ``expect``. Anything a
        fresh read could answer differently — the method is async or fails a
        check against the cached fields, or the conductor refuses (nothing
        ran) — makes this read the node again and check and send once more
        by the fresh row; only then does an error reach the caller.
        :raises: the checks' errors (``method_checks``), and
            ``ConductorAPI.vendor_passthru``'s (NodeLocked, 503, 504, ...).
        """
        if route.cached:
            routed = self._call_expecting(context, route, method, http_method, info)
            if routed is not None:
                return routed
            route = self._read(route.ident, route.rule)
        node = route.node
        details = method_checks.node_methods(self._api.topology.get(), node).get(method)
        method_checks.check(node['driver'], method, details, info)
        if details['async']:
            return Routed(node, details, None)
        return Routed(node, details, self._api.vendor_passthru(
            context, node, method, http_method, info, async_call=False))

    def _call_expecting(self, context, route, method, http_method, info):
        """``Routed`` for a sync method sent by a cached route; None: read the node again."""
        try:
            details = method_checks.node_methods(self._api.topology.get(),
                                                 route.node).get(method)
            if details is not None and details['async']:
                return None
            method_checks.check(route.node['driver'], method, details, info)
        except exception.AnvilException:  # the fresh read checks again
            return None
        try:
            reply = self._api.vendor_passthru(context, route.node, method, http_method, info,
                                              async_call=False, expect=_expectation(route))
        except _STALE_ROUTE_SIGNS:
            self.forget(route.ident)
            return None
        return Routed(route.node, details, reply)

    def _authorized_entry(self, context, ident, rule):
        """The entry of ``ident`` if ``rule`` allows the caller on it, else None."""
        if not (uuidutils.is_uuid_like(ident) or microversion.at_least(microversion.NODE_NAMES)):
            return None
        if not self._api.can_send('vendor_passthru', 'expect'):
            return None  # pinned to a release whose conductors cannot check a cached route
        entry = self.lookup(ident)
        if entry is None or not policy.allowed(rule, context, entry):
            return None
        if context.project_id and not policy.allowed('baremetal:node:get', context, entry):
            return None
        return entry

    def _read(self, ident, rule):
        node = find_node_for(rule, ident)
        self.remember(ident, node)
        return Route(ident, rule, node, cached=False)

    # -- the table -------------------------------------------------------

    def lookup(self, ident):
        """The routing fields of the node ``ident`` (UUID or name) names, or None."""
        ttl = CONF.api.node_route_cache_ttl
        if not ttl:
            return None
        self._load_if_due(ttl)
        return self._routes.get(ident)

    def remember(self, ident, node):
        """Keep ``node``'s routing fields (read afresh) until the next load.

        Only under its exact UUID or name: a database whose collation matched
        ``ident`` another way (MariaDB ignores case) would have the conductor
        refuse every call routed by it (``expect`` is compared exactly).
        """
        if not CONF.api.node_route_cache_ttl or ident not in (node['uuid'], node['name']):
            return
        entry = {key: node[key] for key in FIELDS}
        with self._lock:
            if ident not in self._routes:
                self._misses += 1
            if ident in self._routes or len(self._routes) < 2 * MAX_NODES:
                self._routes[ident] = entry

    def forget(self, *idents):
        """Drop the entries of ``idents`` (a stale route, or a node this process changed)."""
        with self._lock:
            for ident in idents:
                if ident is not None:
                    self._routes.pop(ident, None)

    def _due(self, now, ttl):
        if self._loaded_at is None or now - self._loaded_at >= ttl:
            return True
        return (self._misses >= MISSES_BEFORE_RELOAD
                and now - self._loaded_at >= min(ttl, MIN_RELOAD_INTERVAL))

    def _load_if_due(self, ttl):
        """Load the table when it is older than ``ttl``, or sooner after many misses.

        One thread loads; the others go on with the table they have.
        """
        now = time.monotonic()
        with self._lock:
            if self._loading or not self._due(now, ttl):
                return
            self._loading = True
        routes = None
        try:
            routes = _index(db_api.list_routes(MAX_NODES))
        except Exception as e:  # the fresh read of the call will answer (503 if need be)
            LOG.warning('Could not load the node route table: %s', e)
        finally:
            with self._lock:
                if routes is not None:
                    self._routes = routes
                self._loaded_at, self._loading, self._misses = now, False, 0


def _index(entries):
    routes = {}
    for entry in entries:
        routes[entry['uuid']] = entry
        if entry['name']:
            routes[entry['name']] = entry
    return routes


def _expectation(route):
    """What the conductor must find on the locked row for a cached route to hold."""
    node = route.node
    return {'ident': route.ident, 'conductor_group': node['conductor_group'],
            'owner': node['owner'], 'lessee': node['lessee']}

