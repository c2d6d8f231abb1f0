"""Node history: what happened to a node, including the outcome of every 202."""

import flask

from anvil.api import links, microversion
from anvil.api.node_lookup import find_node_for
from anvil.api.responses import json_response
from anvil.common import exception
from anvil.db import history

bp = flask.Blueprint('node_history', __name__)

_LIST_FIELDS = ('uuid', 'created_at', 'severity', 'event', 'request_id')
_DETAIL_FIELDS = _LIST_FIELDS + ('event_type', 'conductor', 'user')
_MAX_LIMIT = 1000


def _view(node_uuid, event, fields):
    out = {f: event[f] for f in fields}
    out['created_at'] = event['created_at'].isoformat() + '+00:00'
    out['links'] = links.make_links('nodes', '%s/history/%s' % (node_uuid, event['uuid']))
    return out


def _check_version():
    if not microversion.at_least(microversion.HISTORY):
        raise exception.NotFound()


@bp.route('/v1/nodes/<ident>/history', methods=['GET'])
def list_history(ident):
    _check_version()
    node = find_node_for('baremetal:node:history:get', ident)
    detail = flask.request.args.get('detail', '').lower() == 'true'
    fields = _DETAIL_FIELDS if detail else _LIST_FIELDS
    limit = flask.request.args.get('limit', type=int)
    if limit is not None and limit < 0:  # LIMIT -1 is an error on PostgreSQL (500)
        raise exception.InvalidParameterValue(err='Limit must be positive')
    # capped as for nodes: a LIMIT past 64 bits is a database error (500)
    events = history.list_events(node['id'], min(limit, _MAX_LIMIT) if limit else None)
    return json_response({'history': [_view(node['uuid'], e, fields) for e in events]})


@bp.route('/v1/nodes/<ident>/history/<event_uuid>', methods=['GET'])
def show_history_event(ident, event_uuid):
    _check_version()
    node = find_node_for('baremetal:node:history:get', ident)
    event = history.get_event(node['id'], event_uuid)
    if event is None:
        raise exception.NotFound(message='Node history record %s could not be found.'
                                 % event_uuid)
    return json_response(_view(node['uuid'], event, _DETAIL_FIELDS))
