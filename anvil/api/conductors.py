"""Conductors: live and dead, their hardware types and groups (API 1.49 on).

The list pages like Ironic's (``limit``, ``marker`` = a hostname, ``next``)
and sorts by ``sort_key``/``sort_dir``; the conductor table is small, so
sorting and paging happen here on the one read.
"""

import flask

from anvil.api import links, microversion, paging, policy
from anvil.api.node_view import timestamp
from anvil.api.query_args import boolean, check_known, split_fields
from anvil.api.responses import json_response
from anvil.common import exception
from anvil.common.config import CONF
from anvil.db import conductors as db_conductors

bp = flask.Blueprint('conductors', __name__)

_LIST_FIELDS = ('hostname', 'conductor_group', 'alive')
_DETAIL_FIELDS = _LIST_FIELDS + ('drivers', 'created_at', 'updated_at')
_SORT_KEYS = ('id', 'hostname', 'conductor_group', 'created_at', 'updated_at')


def _view(cond, fields):
    out = {}
    for field in fields:
        value = cond.get(field)
        out[field] = timestamp(value) if field in ('created_at', 'updated_at') else value
    out['links'] = links.make_links('conductors', cond['hostname'])
    return out


def _fields(default):
    raw = flask.request.args.get('fields')
    if raw is None:
        return default
    microversion.require(microversion.FIELDS_SELECTOR, 'The "fields" query parameter')
    return split_fields(raw, _DETAIL_FIELDS + ('links',))


def _check_version():
    if not microversion.at_least(microversion.CONDUCTORS):
        raise exception.NotFound()


def _sorted(conds, key, direction):
    paging.check_sort(key, direction, _SORT_KEYS, 'conductors sort by')
    # None sorts lowest, as for nodes; ties broken by id
    return sorted(conds, key=lambda c: (c[key] is not None, c[key], c['id']),
                  reverse=direction == 'desc')


def _after(conds, marker):
    if marker is None:
        return conds
    for i, cond in enumerate(conds):
        if cond['hostname'] == marker:
            return conds[i + 1:]
    raise exception.ConductorNotFound(conductor=marker)


@bp.route('/v1/conductors', methods=['GET'])
def list_conductors():
    policy.authorize('baremetal:conductor:get', flask.g.context)
    _check_version()
    args = flask.request.args
    check_known(args, ('detail', 'fields', 'limit', 'marker', 'sort_key', 'sort_dir'))
    detail = 'detail' in args and boolean('detail', args['detail'])
    if detail and 'fields' in args:
        raise exception.InvalidParameterValue(
            err='Can not specify ?detail=True and fields in the same request.')
    fields = _fields(_DETAIL_FIELDS if detail else _LIST_FIELDS)
    limit = paging.limit(args.get('limit'))
    conds = _sorted(db_conductors.list_conductors(CONF.conductor.heartbeat_timeout),
                    args.get('sort_key', 'id'), args.get('sort_dir', 'asc'))
    page = _after(conds, args.get('marker'))[:limit]
    body = {'conductors': [_view(c, fields) for c in page]}
    next_link = paging.next_link(page, limit, 'hostname')
    if next_link:
        body['next'] = next_link
    return json_response(body)


@bp.route('/v1/conductors/<hostname>', methods=['GET'])
def show_conductor(hostname):
    policy.authorize('baremetal:conductor:get', flask.g.context)
    _check_version()
    check_known(flask.request.args, ('fields',))
    cond = db_conductors.get_conductor(hostname, CONF.conductor.heartbeat_timeout)
    return json_response(_view(cond, _fields(_DETAIL_FIELDS)))
