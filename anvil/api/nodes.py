"""Nodes: enroll, list, detail, show, JSON-patch update, maintenance, delete.

The handlers are thin: what a node looks like is ``node_view``, what a list
request means is ``node_query``, what a create or patch may change is
``node_update``.
"""

import flask

from anvil.api import links, node_query, node_routes, node_update, node_view, policy
from anvil.api.node_lookup import find_existing, find_node_for
from anvil.api.query_args import boolean, check_known
from anvil.api.request_body import json_object, json_value
from anvil.api.responses import accepted, json_response, no_content
from anvil.common import exception, masking
from anvil.db import api as db_api

bp = flask.Blueprint('nodes', __name__)


def _topology():
    return flask.current_app.config['CONDUCTOR_API'].topology.get()


def _context():
    return flask.g.context


#: Fields a caller sees only with their own ``baremetal:node:get:<field>`` rule.
_GUARDED_FIELDS = {
    'driver_info': lambda rule: {'content': '** Redacted - Requires %s permission. **' % rule},
    'last_error': lambda rule: '** Value Redacted - Requires %s permission. **' % rule,
    'reservation': lambda rule: '** Redacted - Requires %s permission. **' % rule,
}


def _view(node, fields=None, topology=None, decisions=None):
    """The node's wire form, with guarded fields redacted for callers without their rule.

    ``decisions`` caches rule outcomes per (rule, owner, lessee) across a list.
    """
    out = node_view.node_to_dict(node, fields, topology)
    decisions = {} if decisions is None else decisions
    for field, redaction in _GUARDED_FIELDS.items():
        if field not in out:
            continue
        rule = 'baremetal:node:get:%s' % field
        key = (rule, node.get('owner'), node.get('lessee'))
        if key not in decisions:
            decisions[key] = policy.allowed(rule, _context(), node)
        if not decisions[key]:
            out[field] = redaction(rule)
    return out


def _show(node, topology=None):
    return json_response(_view(node, topology=topology or _topology()))


@bp.route('/v1/nodes', methods=['POST'])
def create_node():
    body = json_object()
    _authorize_create(body)
    topology = _topology()
    node = db_api.create_node(node_update.creation_values(body, topology))
    response = json_response(_view(node, topology=topology), 201)
    response.headers['Location'] = links.make_links('nodes', node['uuid'])[0]['href']
    return response


def _authorize_create(body):
    """``baremetal:node:create``; a project may enroll a node it owns (Ironic's rule).

    A project-scoped caller allowed only ``create:self_owned_node`` gets its
    project as owner and may not name another one. Raises Forbidden.
    """
    context = _context()
    if policy.allowed('baremetal:node:create', context):
        return
    if not context.project_id:
        raise exception.Forbidden(resource='baremetal:node:create')
    policy.authorize('baremetal:node:create:self_owned_node', context)
    if body.get('owner') not in (None, context.project_id):
        raise exception.Forbidden(resource='baremetal:node:create')
    body['owner'] = context.project_id


def _list(detail_path):
    visible_to = None if policy.sees_all_nodes(_context()) else _context().project_id
    query = node_query.ListQuery(flask.request.args, detail_path, visible_to)
    topology = _topology() if query.needs_topology() else None
    nodes = query.run(topology)
    wanted = query.wanted_fields()
    decisions = {}
    body = {'nodes': [_view(n, wanted, topology, decisions) for n in nodes]}
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
    node = find_node_for('baremetal:node:get', ident)
    topology = _topology() if not fields or 'conductor' in fields else None
    return json_response(_view(node, fields, topology))


def _reset_interfaces():
    check_known(flask.request.args, ('reset_interfaces',))
    raw = flask.request.args.get('reset_interfaces')
    return None if raw is None else boolean('reset_interfaces', raw)


@bp.route('/v1/nodes/<ident>', methods=['PATCH'])
def update_node(ident):
    patch = json_value()
    flask.g.body_secrets = masking.secret_values(patch)  # errors may quote an op
    reset = _reset_interfaces()
    node = find_node_for('baremetal:node:update', ident)
    topology = _topology()
    current, updated = node_update.patched_values(node, patch, topology, reset)
    changes = {k: v for k, v in updated.items() if current.get(k) != v}
    _authorize_changes(node, changes)
    if changes:
        node_routes.of(flask.current_app).forget(node['uuid'], node['name'])
        node = db_api.update_node(node['uuid'], changes)
    return _show(node, topology)


#: The rule each changed field needs besides ``baremetal:node:update`` (Ironic's).
_FIELD_RULES = {'driver_info': 'baremetal:node:update:driver_info',
                'properties': 'baremetal:node:update:properties',
                'name': 'baremetal:node:update:name',
                'owner': 'baremetal:node:update:owner',
                'lessee': 'baremetal:node:update:lessee',
                'conductor_group': 'baremetal:node:update:conductor_group',
                'extra': 'baremetal:node:update_extra',
                'driver': 'baremetal:node:update:driver_interfaces'}


def _authorize_changes(node, changes):
    for field in sorted(changes):
        rule = _FIELD_RULES.get(field)
        if rule is None and field.endswith('_interface'):
            rule = 'baremetal:node:update:driver_interfaces'
        if rule is not None:
            policy.authorize(rule, _context(), node)


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
    rule = 'baremetal:node:set_maintenance' if value else 'baremetal:node:clear_maintenance'
    node = find_node_for(rule, ident)
    if node['maintenance'] != value:
        db_api.update_node(node['uuid'], {'maintenance': value})
    return accepted()


@bp.route('/v1/nodes/<ident>', methods=['DELETE'])
def delete_node(ident):
    node = find_existing(ident)
    if not policy.allowed('baremetal:node:delete', _context(), node):
        policy.authorize_node('baremetal:node:delete:self_owned_node', _context(), node, ident)
    node_routes.of(flask.current_app).forget(node['uuid'], node['name'])
    db_api.destroy_node(node['uuid'])
    return no_content()
