"""Conductors: live and dead, their hardware types and groups."""

import flask

from anvil.api import links, microversion
from anvil.api.responses import json_response
from anvil.common import exception
from anvil.common.config import CONF
from anvil.db import conductors as db_conductors

bp = flask.Blueprint('conductors', __name__)

_LIST_FIELDS = ('hostname', 'conductor_group', 'alive')
_DETAIL_FIELDS = _LIST_FIELDS + ('drivers', 'created_at', 'updated_at')


def _view(cond, fields):
    out = {}
    for field in fields:
        value = cond.get(field)
        if field in ('created_at', 'updated_at') and value is not None:
            value = value.isoformat() + '+00:00'
        out[field] = value
    out['links'] = links.make_links('conductors', cond['hostname'])
    return out


def _fields(default):
    raw = flask.request.args.get('fields')
    if not raw:
        return default
    fields = tuple(f.strip() for f in raw.split(',') if f.strip())
    unknown = sorted(set(fields) - set(_DETAIL_FIELDS))
    if unknown:
        raise exception.InvalidParameterValue(err='Field(s) "%s" are not valid'
                                              % ', '.join(unknown))
    return fields


def _check_version():
    if not microversion.at_least(microversion.CONDUCTORS):
        raise exception.NotFound()


@bp.route('/v1/conductors', methods=['GET'])
def list_conductors():
    _check_version()
    detail = flask.request.args.get('detail', '').lower() == 'true'
    fields = _fields(_DETAIL_FIELDS if detail else _LIST_FIELDS)
    conds = db_conductors.list_conductors(CONF.conductor.heartbeat_timeout)
    return json_response({'conductors': [_view(c, fields) for c in conds]})


@bp.route('/v1/conductors/<hostname>', methods=['GET'])
def show_conductor(hostname):
    _check_version()
    cond = db_conductors.get_conductor(hostname, CONF.conductor.heartbeat_timeout)
    return json_response(_view(cond, _fields(_DETAIL_FIELDS)))
