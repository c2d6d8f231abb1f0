"""Listing nodes: the query parameters Ironic's node list takes, paging and the ``next`` link.

Filters on columns anvil keeps run in the database. ``conductor`` (the owner
on the hash ring, which no column holds) is applied after reading, page by
page, so a page still holds ``limit`` nodes when that many match. Filters on
Ironic fields anvil does not manage (``associated``, ``retired``, ...) have a
fixed answer, since those fields always have the same value:
they keep every node or none, without a query. ``reserved=true|false``
(locked or not) is anvil's own: Ironic has no such filter.
"""

from oslo_utils import uuidutils

from anvil.api import microversion, node_view, paging
from anvil.api.query_args import boolean, check_known
from anvil.common import exception
from anvil.db import api as db_api
from anvil.db.models import INTERFACE_FIELDS

SORT_KEYS = ('id', 'uuid', 'name', 'driver', 'conductor_group', 'reservation', 'maintenance',
             'provision_state', 'power_state', 'created_at', 'updated_at') + INTERFACE_FIELDS
#: Ironic's provision states (anvil's nodes stay in ``enroll``; it does not provision).
PROVISION_STATES = (
    'enroll', 'verifying', 'manageable', 'available', 'active', 'deploying', 'wait call-back',
    'deploy failed', 'deploy hold', 'deleting', 'deleted', 'cleaning', 'clean wait',
    'clean failed', 'clean hold', 'error', 'rebuild', 'inspecting', 'inspect failed',
    'inspect wait', 'adopting', 'adopt failed', 'rescue', 'rescue failed', 'rescue wait',
    'rescuing', 'unrescue failed', 'unrescuing', 'servicing', 'service wait',
    'service failed', 'service hold')
VALID_FAULTS = ('power failure', 'clean failure', 'rescue abort failure', 'service failure')
#: Filters on columns: parameter → (minimum version, boolean?)
_DB_FILTERS = {'driver': (microversion.DRIVER_FILTER, False),
               'conductor_group': (microversion.CONDUCTOR_GROUP, False),
               'maintenance': (microversion.MIN_VERSION, True),
               'provision_state': (microversion.PROVISION_STATE_FILTER, False),
               'reserved': (microversion.MIN_VERSION, True),
               'owner': ((1, 50), False), 'lessee': ((1, 65), False),
               'project': ((1, 50), False)}
#: Filters on unmanaged fields: parameter → (minimum version, value every node has).
#: A string filter never matches (the field is null); a boolean one matches its value.
_FIXED_FILTERS = {
    'associated': ((1, 1), False), 'retired': ((1, 61), False), 'sharded': ((1, 82), False),
    'include_children': ((1, 83), None), 'instance_uuid': ((1, 1), None),
    'chassis_uuid': ((1, 1), None), 'resource_class': ((1, 21), None),
    'fault': ((1, 42), None), 'description_contains': ((1, 51), None),
    'shard': ((1, 82), None), 'parent_node': ((1, 83), None),
    'instance_name': ((1, 104), None),
}
_PAGING = ('limit', 'marker', 'sort_key', 'sort_dir', 'fields')


class ListQuery:
    """One node list request, parsed and checked (400/406) from the query string."""

    def __init__(self, args, detail_path, visible_to=None):
        """``visible_to``: a project; only nodes it owns or leases are listed."""
        self.args = args
        self.detail = detail_path or self._detail_param()
        self.limit = paging.limit(args.get('limit'))
        self.marker = _marker(args.get('marker'))
        self.sort_key, self.sort_dir = _sort(args.get('sort_key', 'id'),
                                             args.get('sort_dir', 'asc'))
        self.fields = node_view.parse_fields(args.get('fields'))
        if self.detail and self.fields:
            raise exception.InvalidParameterValue(
                err='Can not specify ?detail=True and fields in the same request.')
        _check_known(args, detail_path)
        self.filters = _db_filters(args)
        if visible_to is not None:
            self.filters['visible_to'] = visible_to
        self.matches_none = _fixed_filters_exclude_all(args)
        self.conductor = _conductor_filter(args)

    def _detail_param(self):
        raw = self.args.get('detail')
        if raw is None:
            return False
        if not microversion.at_least(microversion.DETAIL_QUERY):
            raise exception.InvalidParameterValue(
                err='Invalid query parameter ?detail=%s received.' % raw)
        return boolean('detail', raw)

    def wanted_fields(self):
        """The fields each node shows: asked for, all (detail) or the short list."""
        if self.fields:
            return self.fields
        return None if self.detail else node_view.LIST_FIELDS

    def needs_topology(self):
        return bool(self.conductor) or self.detail or bool(
            self.fields and 'conductor' in self.fields)

    def run(self, topology):
        """The nodes of this page, at most ``limit``."""
        if self.matches_none:
            return []
        if not self.conductor:
            return self._page(self.marker, self.limit)
        return self._owned_by(self.conductor, topology)

    def _page(self, marker, limit):
        return db_api.list_nodes(self.filters, self.sort_key, self.sort_dir, limit, marker)

    def _owned_by(self, host, topology):
        """Read page after page until ``limit`` nodes owned by ``host`` are found."""
        found, marker = [], self.marker
        while len(found) < self.limit:
            batch = self._page(marker, self.limit)
            for node in batch:
                if node_view.owner_of(node, topology) == host:
                    found.append(node)
                    if len(found) == self.limit:
                        break
            if len(batch) < self.limit:
                break
            marker = batch[-1]['uuid']
        return found

    def next_link(self, nodes):
        """The URL of the next page (Ironic's ``next``), or None on the last page."""
        return paging.next_link(nodes, self.limit, 'uuid')


def _marker(raw):
    if raw is not None and not uuidutils.is_uuid_like(raw):
        raise exception.InvalidParameterValue(
            err='Expected a UUID for marker but received %s.' % raw)
    return raw


def _sort(key, direction):
    paging.check_sort(key, direction, SORT_KEYS, 'anvil sorts nodes by')
    if key in node_view.VERSIONED_FIELDS:
        microversion.require(node_view.since(key), 'Sorting by "%s"' % key)
    return key, direction


def _check_known(args, detail_path):
    known = set(_DB_FILTERS) | set(_FIXED_FILTERS) | set(_PAGING) | {'conductor'}
    if not detail_path:
        known.add('detail')
    check_known(args, known, ' for the node list')


def _db_filters(args):
    filters = {}
    for name, (version, is_bool) in _DB_FILTERS.items():
        if name not in args:
            continue
        microversion.require(version, 'The "%s" filter' % name)
        filters[name] = boolean(name, args[name]) if is_bool else args[name]
    state = filters.get('provision_state')
    if state is not None and state not in PROVISION_STATES:
        raise exception.InvalidParameterValue(err='Provision state "%s" is not valid' % state)
    return filters


def _fixed_filters_exclude_all(args):
    """True when a filter on an unmanaged field leaves no node (checked for 400s first)."""
    excluded = False
    for name, (version, value) in _FIXED_FILTERS.items():
        if name not in args:
            continue
        microversion.require(version, 'The "%s" filter' % name)
        if name == 'include_children':  # anvil has no child nodes: nothing to add
            boolean(name, args[name])
            continue
        if name == 'fault' and args[name] not in VALID_FAULTS:
            raise exception.InvalidParameterValue(
                err='Unrecognized fault "%s" is specified, allowed faults are %s'
                    % (args[name], ', '.join(VALID_FAULTS)))
        if isinstance(value, bool):
            excluded = excluded or boolean(name, args[name]) != value
        else:
            excluded = True
    return excluded


def _conductor_filter(args):
    host = args.get('conductor')
    if host is not None:
        microversion.require(microversion.CONDUCTORS, 'The "conductor" filter')
    return host
