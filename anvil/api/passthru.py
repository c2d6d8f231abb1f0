"""Vendor passthru: node and driver methods, ``?method=M`` and ``/M`` forms, any verb.

A handler parses, checks against the published method metadata, calls the
conductor, and shapes 200/202/attachment. Everything the API can check is
checked before anything is routed, so a 202 means "valid and handed over".
"""

import flask
from oslo_utils import uuidutils

from anvil.api import metrics, microversion, node_routes, passthru_calls, policy
from anvil.api.node_lookup import find_node_for
from anvil.api.request_body import json_object
from anvil.api.responses import json_response, passthru_result
from anvil.common import exception, passthru_deny, vendor_metadata

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


def _check(driver, method, details, info):
    """Apply deny list, verb and argument checks from the metadata."""
    passthru_deny.refuse_if_denied(driver, method)
    if details is None:
        raise exception.NoHandlerForMethod(method=method)
    verb = flask.request.method
    if verb not in details['http_methods']:
        raise exception.UnsupportedHTTPMethod(method=method, http_method=verb)
    vendor_metadata.check_args(method, details.get('args_schema'), info)
    metrics.remember_passthru(driver, method, details['async'])


def _listing(methods):
    return json_response({name: {k: methods[name][k] for k in _PUBLIC_KEYS}
                          for name in sorted(methods)})


def _node_methods(topology, node):
    try:
        return topology.methods(node['driver'], node['vendor_interface'], vendor_metadata.NODE)
    except exception.DriverNotFound:
        raise exception.NoFreeConductor(driver=node['driver']) from None


@bp.route('/v1/nodes/<ident>/vendor_passthru', methods=ALL_VERBS, strict_slashes=False)
@bp.route('/v1/nodes/<ident>/vendor_passthru/<method>', methods=ALL_VERBS)
def node_passthru(ident, method=None):
    """Authorization comes before the body is read: a refused caller learns nothing more."""
    api = flask.current_app.config['CONDUCTOR_API']
    if method == 'methods' and flask.request.method == 'GET' and not flask.request.args:
        node = find_node_for('baremetal:node:get', ident)
        return _listing(_node_methods(api.topology.get(), node))
    method = _method_name(method)
    rule = policy.passthru_rule('node', method)
    cached = _authorized_cached_route(ident, rule)
    node = find_node_for(rule, ident) if cached is None else None
    info = json_object()
    if cached is not None:
        reply = _sync_call_by_cached_route(api, ident, cached, method, info)
        if reply is not None:
            return passthru_result(reply)
        node = find_node_for(rule, ident)
    node_routes.remember(ident, node)
    details = _node_methods(api.topology.get(), node).get(method)
    _check(node['driver'], method, details, info)
    if details['async']:
        if details['require_exclusive_lock'] and node['reservation']:
            raise exception.NodeLocked(node=node['uuid'], host=node['reservation'])
        return passthru_calls.send_tracked(
            lambda: api.vendor_passthru(flask.g.context, node, method, flask.request.method,
                                        info, async_call=True),
            node['driver'], method, node=node, conductor=_owner(api, node))
    reply = api.vendor_passthru(flask.g.context, node, method, flask.request.method, info,
                                async_call=False)
    return passthru_result(reply)


def _owner(api, node):
    """The conductor the node's cast goes to, for its record (None if none is alive)."""
    try:
        return api.topology.get().owner(node)
    except exception.AnvilException:
        return None


#: What a cached route may meet that a fresh read could answer differently
#: (raised before anything ran: by the API's checks, or by the conductor).
_STALE_ROUTE_SIGNS = (exception.NodeNotFound, exception.NodeChanged, exception.DriverNotFound,
                      exception.NoFreeConductor)


def _authorized_cached_route(ident, rule):
    """The cached routing fields of ``ident`` if ``rule`` allows the caller on them, else None.

    A refusal by a cached row is not final (its owner may have changed): the
    fresh read decides. The owner and lessee the decision used travel with
    the call (``expect``), so the conductor refuses it if they changed.
    """
    if not (uuidutils.is_uuid_like(ident) or microversion.at_least(microversion.NODE_NAMES)):
        return None
    if not flask.current_app.config['CONDUCTOR_API'].can_send('vendor_passthru', 'expect'):
        return None  # pinned to a release whose conductors cannot check a cached route
    node = node_routes.get(ident)
    if node is None or not policy.allowed(rule, flask.g.context, node):
        return None
    if flask.g.context.project_id and not policy.allowed('baremetal:node:get',
                                                         flask.g.context, node):
        return None
    return node


def _sync_call_by_cached_route(api, ident, node, method, info):
    """The conductor's reply for a sync method called by a cached route; else None.

    None means "read the node and route afresh": an async method, a check
    that failed (it may pass against the current row), or a conductor that
    found the node changed. Nothing has run in those cases.
    """
    try:
        details = _node_methods(api.topology.get(), node).get(method)
        if details is not None and details['async']:
            return None
        _check(node['driver'], method, details, info)
    except exception.AnvilException:  # the fresh read re-checks, and refreshes the entry
        return None
    try:
        return api.vendor_passthru(flask.g.context, node, method, flask.request.method, info,
                                   async_call=False,
                                   expect=node_routes.expectation(ident, node))
    except _STALE_ROUTE_SIGNS:
        node_routes.forget(ident)
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
    _check(driver, method, details, info)
    if details['async']:
        return passthru_calls.send_tracked(
            lambda: api.driver_vendor_passthru(flask.g.context, driver, method,
                                               flask.request.method, info, async_call=True),
            driver, method)
    return passthru_result(api.driver_vendor_passthru(
        flask.g.context, driver, method, flask.request.method, info, async_call=False))
