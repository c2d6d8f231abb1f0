"""Vendor passthru: node and driver methods, ``?method=M`` and ``/M`` forms, any verb.

A handler parses, checks against the published method metadata, calls the
conductor, and shapes 200/202/attachment. Everything the API can check is
checked before anything is routed, so a 202 means "valid and handed over".
"""

import flask

from anvil.api import method_checks, node_routes, passthru_calls, policy
from anvil.api.node_lookup import find_node_for
from anvil.api.request_body import json_object
from anvil.api.responses import json_response, passthru_result
from anvil.common import exception, vendor_metadata

bp = flask.Blueprint('passthru', __name__)

ALL_VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
_PUBLIC_KEYS = ('http_methods', 'async', 'description', 'attach', 'require_exclusive_lock')


def _method_name(path_method):
    """The method from the path or ``?method=``; 400 when missing, doubled or mixed."""
    query = flask.request.args
    unexpected = sorted(k for k in query if k != 'method')
    if unexpected:
        raise exception.InvalidParameterValue(err='Unexpected arguments: %s'
                                              % ', '.join(unexpected))
    query_method = query.get('method')
    if path_method and query_method and path_method != query_method:
        raise exception.InvalidParameterValue(
            err='Method named twice: %s in the path and %s in the query'
                % (path_method, query_method))
    method = path_method or query_method
    if not method:
        raise exception.MissingArgument(name='method')
    return method


def _listing(methods):
    return json_response({name: {k: methods[name][k] for k in _PUBLIC_KEYS}
                          for name in sorted(methods)})


@bp.route('/v1/nodes/<ident>/vendor_passthru', methods=ALL_VERBS, strict_slashes=False)
@bp.route('/v1/nodes/<ident>/vendor_passthru/<method>', methods=ALL_VERBS)
def node_passthru(ident, method=None):
    """Authorization comes before the body is read: a refused caller learns nothing more."""
    api = flask.current_app.config['CONDUCTOR_API']
    if method == 'methods' and flask.request.method == 'GET' and not flask.request.args:
        node = find_node_for('baremetal:node:get', ident)
        return _listing(method_checks.node_methods(api.topology.get(), node))
    method = _method_name(method)
    routes = node_routes.of(flask.current_app)
    route = routes.find(flask.g.context, ident, policy.passthru_rule('node', method))
    info = json_object()
    routed = routes.call(flask.g.context, route, method, flask.request.method, info)
    if not routed.details['async']:
        return passthru_result(routed.reply)
    node = routed.node  # checked against a fresh read of the node: cast it there
    if routed.details['require_exclusive_lock'] and node['reservation']:
        raise exception.NodeLocked(node=node['uuid'], host=node['reservation'])
    return passthru_calls.send_tracked(
        lambda: api.vendor_passthru(flask.g.context, node, method, flask.request.method,
                                    info, async_call=True),
        node['driver'], method, node=node, conductor=_owner(api, node))


def _owner(api, node):
    """The conductor the node's cast goes to, for its record (None if none is alive)."""
    try:
        return api.topology.get().owner(node)
    except exception.AnvilException:
        return None


@bp.route('/v1/drivers/<driver>/vendor_passthru', methods=ALL_VERBS, strict_slashes=False)
@bp.route('/v1/drivers/<driver>/vendor_passthru/<method>', methods=ALL_VERBS)
def driver_passthru(driver, method=None):
    api = flask.current_app.config['CONDUCTOR_API']
    topology = api.topology.get()
    if method == 'methods' and flask.request.method == 'GET' and not flask.request.args:
        policy.authorize('baremetal:driver:get', flask.g.context)
        return _listing(topology.methods(driver, None, vendor_metadata.DRIVER))
    method = _method_name(method)
    policy.authorize(policy.passthru_rule('driver', method), flask.g.context)
    info = json_object()
    details = topology.methods(driver, None, vendor_metadata.DRIVER).get(method)
    method_checks.check(driver, method, details, info)
    if details['async']:
        return passthru_calls.send_tracked(
            lambda: api.driver_vendor_passthru(flask.g.context, driver, method,
                                               flask.request.method, info, async_call=True),
            driver, method)
    return passthru_result(api.driver_vendor_passthru(
        flask.g.context, driver, method, flask.request.method, info, async_call=False))
