"""Nodes: enroll, list, detail, show, JSON-patch update, maintenance, delete.

The handlers are thin: what a node looks like is ``node_view``, what a list
request means is ``node_query``, what a create or patch may change is
``node_update``.
"""

import flask

from anvil.api import links, node_query, node_routes, node_update, node_view
from anvil.api.passthru import find_node
from anvil.api.query_args import boolean, check_known
from anvil.api.request_body import json_object
from anvil.api.responses import accepted, json_response, no_content
from anvil.common import exception, masking
from anvil.db import api as db_api

bp = flask.Blueprint('nodes', __name__)


def _topology():
    return flask.current_app.config['CONDUCTOR_API'].topology.get()


def _show(node, topology=None):
    return json_response(node_view.node_to_dict(node, topology=topology or _topology()))


@bp.route('/v1/nodes', methods=['POST'])
def create_node():
    body = json_object()
    topology = _topology()
    node = db_api.create_node(node_update.creation_values(body, topology))
    response = json_response(node_view.node_to_dict(node, topology=topology), 201)
    response.headers['Location'] = links.make_links('nodes', node['uuid'])[0]['href']
    return response


def _list(detail_path):
    query = node_query.ListQuery(flask.request.args, detail_path)
    topology = _topology() if query.needs_topology() else None
    nodes = query.run(topology)
    wanted = query.wanted_fields()
    body = {'nodes': [node_view.node_to_dict(n, wanted, topology) for n in nodes]}
    next_link = query.next_link(nodes)
    if next_link:
        body['next'] = next_link
    return json_response(body)


@bp.route('/v1/nodes', methods=['GET'])
def list_nodes():
    return _list(detail_path=False)


@bp.route('/v1/nodes/detail', methods=['GET'])
def list_nodes_detail():
    return _list(detail_path=True)


@bp.route('/v1/nodes/<ident>', methods=['GET'])
def show_node(ident):
    check_known(flask.request.args, ('fields',))
    fields = node_view.parse_fields(flask.request.args.get('fields'))
    node = find_node(ident)
    topology = _topology() if not fields or 'conductor' in fields else None
    return json_response(node_view.node_to_dict(node, fields, topology))


def _reset_interfaces():
    check_known(flask.request.args, ('reset_interfaces',))
    raw = flask.request.args.get('reset_interfaces')
    return None if raw is None else boolean('reset_interfaces', raw)


@bp.route('/v1/nodes/<ident>', methods=['PATCH'])
def update_node(ident):
    patch = flask.request.get_json(force=True, silent=True)
    flask.g.body_secrets = masking.secret_values(patch)  # errors may quote an op
    reset = _reset_interfaces()
    node = find_node(ident)
    topology = _topology()
    current, updated = node_update.patched_values(node, patch, topology, reset)
    changes = {k: v for k, v in updated.items() if current.get(k) != v}
    if changes:
        node_routes.forget(node['uuid'], node['name'])
        node = db_api.update_node(node['uuid'], changes)
    return _show(node, topology)


@bp.route('/v1/nodes/<ident>/maintenance', methods=['PUT'])
def set_maintenance(ident):
    """``baremetal node maintenance set``: 202 as Ironic answers (done at once here)."""
    body = json_object()
    if body.get('reason'):
        raise exception.InvalidParameterValue(
            err='anvil does not keep a maintenance reason; set maintenance without '
                '--reason (the node field maintenance_reason is always null)')
    return _maintenance(ident, True)


@bp.route('/v1/nodes/<ident>/maintenance', methods=['DELETE'])
def unset_maintenance(ident):
    return _maintenance(ident, False)


def _maintenance(ident, value):
    node = find_node(ident)
    if node['maintenance'] != value:
        db_api.update_node(node['uuid'], {'maintenance': value})
    return accepted()


@bp.route('/v1/nodes/<ident>', methods=['DELETE'])
def delete_node(ident):
    node = find_node(ident)
    node_routes.forget(node['uuid'], node['name'])
    db_api.destroy_node(node['uuid'])
    return no_content()
