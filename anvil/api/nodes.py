"""Nodes: enroll, list, detail, show, JSON-patch update, delete."""

import flask
import jsonpatch
from oslo_utils import uuidutils

from anvil.api import links, node_view
from anvil.api.passthru import find_node
from anvil.api.request_body import json_object
from anvil.api.responses import json_response, no_content
from anvil.common import exception
from anvil.db import api as db_api
from anvil.db.models import INTERFACE_FIELDS
from anvil.drivers import base

bp = flask.Blueprint('nodes', __name__)

_CREATABLE = {'uuid', 'name', 'driver', 'driver_info', 'extra', 'properties',
              'conductor_group', 'maintenance'} | set(INTERFACE_FIELDS)
_DICT_FIELDS = ('driver_info', 'extra', 'properties')
_PATCHABLE = _CREATABLE - {'uuid'}
_FILTERS = ('driver', 'conductor_group', 'maintenance', 'provision_state')
_SORT_KEYS = ('id', 'uuid', 'name', 'driver', 'created_at', 'updated_at', 'provision_state',
              'conductor_group')
_MAX_LIMIT = 1000


def _topology():
    return flask.current_app.config['CONDUCTOR_API'].topology.get()


def _validate_name(name):
    if name is None:
        return
    if not isinstance(name, str) or not name or len(name) > 255 or \
            uuidutils.is_uuid_like(name) or any(c in name for c in '/?#[]@!$&\'()*+,;= '):
        raise exception.InvalidParameterValue(err='Cannot use "%s" as a node name' % name)


def _validate(values, topology):
    """Types, name, driver and interfaces; fills interface defaults. Raises 400."""
    for field in _DICT_FIELDS:
        if not isinstance(values.get(field) or {}, dict):
            raise exception.InvalidParameterValue(err='%s must be an object' % field)
    for field in ('driver', 'conductor_group') + INTERFACE_FIELDS:
        if values.get(field) is not None and not isinstance(values[field], str):
            raise exception.InvalidParameterValue(err='%s must be a string' % field)
    if not isinstance(values.get('maintenance', False), bool):
        raise exception.InvalidParameterValue(err='maintenance must be a boolean')
    if values.get('conductor_group') is None:
        values['conductor_group'] = ''
    _validate_name(values.get('name'))
    driver = values.get('driver')
    if not driver:
        raise exception.InvalidParameterValue(err='Mandatory field missing: driver')
    if driver not in topology.known_types:
        raise exception.InvalidParameterValue(err="The driver '%s' is unknown." % driver)
    interfaces = topology.interfaces(driver) or {}
    for kind, spec in interfaces.items():
        field = '%s_interface' % kind
        if values.get(field) is None:
            values[field] = spec['default']
        elif values[field] not in spec['supported']:
            raise exception.InvalidParameterValue(
                err='Hardware type %s does not support %s interface %s; supported: %s'
                    % (driver, kind, values[field], ', '.join(spec['supported'])))
    base.check_driver_info(driver, topology.driver_info_schema(driver),
                           values.get('driver_info') or {})
    return values


@bp.route('/v1/nodes', methods=['POST'])
def create_node():
    body = json_object()
    unknown = sorted(set(body) - _CREATABLE)
    if unknown:
        raise exception.InvalidParameterValue(err='Unknown attribute(s): %s' % ', '.join(unknown))
    if body.get('uuid') is not None and not uuidutils.is_uuid_like(body['uuid']):
        raise exception.InvalidParameterValue(err='Expected a UUID but received %s'
                                              % body['uuid'])
    topology = _topology()
    values = _validate({k: v for k, v in body.items() if v is not None}, topology)
    values.setdefault('provision_state', 'enroll')
    node = db_api.create_node(values)
    response = json_response(node_view.node_to_dict(node, topology=topology), 201)
    response.headers['Location'] = links.make_links('nodes', node['uuid'])[0]['href']
    return response


def _list_args():
    args = flask.request.args
    limit = args.get('limit', type=int)
    if limit is not None and limit < 0:
        raise exception.InvalidParameterValue(err='Limit must be positive')
    sort_key = args.get('sort_key', 'id')
    sort_dir = args.get('sort_dir', 'asc')
    if sort_key not in _SORT_KEYS or sort_dir not in ('asc', 'desc'):
        raise exception.InvalidParameterValue(err='Invalid sort: %s %s' % (sort_key, sort_dir))
    filters = {k: args[k] for k in _FILTERS if k in args}
    if 'maintenance' in filters:
        filters['maintenance'] = filters['maintenance'].lower() in ('true', '1', 'yes')
    return filters, min(limit or _MAX_LIMIT, _MAX_LIMIT), args.get('marker'), sort_key, sort_dir


def _list(detail):
    filters, limit, marker, sort_key, sort_dir = _list_args()
    fields = node_view.parse_fields(flask.request.args.get('fields'))
    if detail and fields:
        raise exception.InvalidParameterValue(err='Can not specify ?detail=True and fields')
    nodes = db_api.list_nodes(filters, sort_key, sort_dir, limit, marker)
    topology = _topology() if detail or (fields and 'conductor' in fields) else None
    wanted = fields or (None if detail else node_view.LIST_FIELDS)
    body = {'nodes': [node_view.node_to_dict(n, wanted, topology) for n in nodes]}
    if len(nodes) == limit:
        query = dict(flask.request.args, marker=nodes[-1]['uuid'], limit=limit)
        body['next'] = '%s%s?%s' % (links.base_url(), flask.request.path,
                                    '&'.join('%s=%s' % kv for kv in query.items()))
    return json_response(body)


@bp.route('/v1/nodes', methods=['GET'])
def list_nodes():
    return _list(detail=flask.request.args.get('detail', '').lower() == 'true')


@bp.route('/v1/nodes/detail', methods=['GET'])
def list_nodes_detail():
    return _list(detail=True)


@bp.route('/v1/nodes/<ident>', methods=['GET'])
def show_node(ident):
    fields = node_view.parse_fields(flask.request.args.get('fields'))
    node = find_node(ident)
    return json_response(node_view.node_to_dict(node, fields, _topology()))


def _apply_patch(node, patch):
    """The node's patchable fields after ``patch``; removed fields become None / {}."""
    current = {f: node[f] for f in _PATCHABLE}
    try:
        updated = jsonpatch.apply_patch(current, patch)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as e:
        raise exception.InvalidParameterValue(err='Invalid patch: %s' % e) from None
    unknown = set(updated) - _PATCHABLE
    if unknown:
        raise exception.InvalidParameterValue(
            err='Cannot update read-only or unknown field(s): %s' % ', '.join(sorted(unknown)))
    for field in _PATCHABLE - set(updated):
        updated[field] = {} if field in _DICT_FIELDS else None
    return current, updated


@bp.route('/v1/nodes/<ident>', methods=['PATCH'])
def update_node(ident):
    patch = flask.request.get_json(force=True, silent=True)
    if not isinstance(patch, list):
        raise exception.InvalidParameterValue(err='A JSON patch (a list of operations) '
                                              'is required')
    node = find_node(ident)
    current, updated = _apply_patch(node, patch)
    if updated['maintenance'] is None:
        updated['maintenance'] = False
    updated = _validate(updated, _topology())
    changes = {k: v for k, v in updated.items() if current.get(k) != v}
    if changes:
        node = db_api.update_node(node['uuid'], changes)
    return json_response(node_view.node_to_dict(node, topology=_topology()))


@bp.route('/v1/nodes/<ident>', methods=['DELETE'])
def delete_node(ident):
    node = find_node(ident)
    db_api.destroy_node(node['uuid'])
    return no_content()

