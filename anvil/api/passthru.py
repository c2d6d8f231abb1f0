"""Vendor passthru: node and driver methods, ``?method=M`` and ``/M`` forms, any verb.

A handler parses, checks against the published method metadata, calls the
conductor, and shapes 200/202/attachment. Everything the API can check is
checked before anything is routed, so a 202 means "valid and handed over".
"""

import flask
from oslo_utils import uuidutils

from anvil.api import microversion, node_routes
from anvil.api.request_body import json_object
from anvil.api.responses import accepted, json_response, passthru_result
from anvil.common import exception
from anvil.common.config import CONF
from anvil.db import api as db_api
from anvil.drivers import base

bp = flask.Blueprint('passthru', __name__)

ALL_VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
_PUBLIC_KEYS = ('http_methods', 'async', 'description', 'attach', 'require_exclusive_lock')


def find_node(ident):
    """The node by UUID, or by name from API 1.5 on. Raises NodeNotFound (404)."""
    return db_api.get_node(ident, allow_name=microversion.at_least(microversion.NODE_NAMES))


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
    denied = set(CONF.api.passthru_deny)
    if '%s:%s' % (driver, method) in denied or '*:%s' % method in denied:
        raise exception.MethodDenied(method=method, driver=driver)
    if details is None:
        raise exception.NoHandlerForMethod(method=method)
    verb = flask.request.method
    if verb not in details['http_methods']:
        raise exception.UnsupportedHTTPMethod(method=method, http_method=verb)
    base.check_args(method, details.get('args_schema'), info)


def _listing(methods):
    return json_response({name: {k: methods[name][k] for k in _PUBLIC_KEYS}
                          for name in sorted(methods)})


def _node_methods(topology, node):
    try:
        return topology.methods(node['driver'], node['vendor_interface'], base.NODE)
    except exception.DriverNotFound:
        raise exception.NoFreeConductor(driver=node['driver']) from None


@bp.route('/v1/nodes/<ident>/vendor_passthru', methods=ALL_VERBS, strict_slashes=False)
@bp.route('/v1/nodes/<ident>/vendor_passthru/<method>', methods=ALL_VERBS)
def node_passthru(ident, method=None):
    api = flask.current_app.config['CONDUCTOR_API']
    if method == 'methods' and flask.request.method == 'GET' and not flask.request.args:
        node = find_node(ident)
        return _listing(_node_methods(api.topology.get(), node))
    method = _method_name(method)
    info = json_object()
    reply = _sync_call_by_cached_route(api, ident, method, info)
    if reply is not None:
        return passthru_result(reply)
    node = find_node(ident)
    node_routes.remember(ident, node)
    details = _node_methods(api.topology.get(), node).get(method)
    _check(node['driver'], method, details, info)
    if details['async']:
        if details['require_exclusive_lock'] and node['reservation']:
            raise exception.NodeLocked(node=node['uuid'], host=node['reservation'])
        api.vendor_passthru(flask.g.context, node, method, flask.request.method, info, True)
        return accepted()
    reply = api.vendor_passthru(flask.g.context, node, method, flask.request.method, info,
                                False)
    return passthru_result(reply)


#: What a cached route may meet that a fresh read could answer differently
#: (raised before anything ran: by the API's checks, or by the conductor).
_STALE_ROUTE_SIGNS = (exception.NodeNotFound, exception.NodeChanged, exception.DriverNotFound,
                      exception.NoFreeConductor)


def _sync_call_by_cached_route(api, ident, method, info):
    """The conductor's reply for a sync method called by a cached route; else None.

    None means "read the node and route afresh": nothing cached, an async
    method, a check that failed (it may pass against the current row), or a
    conductor that found the node changed. Nothing has run in those cases.
    """
    if not (uuidutils.is_uuid_like(ident) or microversion.at_least(microversion.NODE_NAMES)):
        return None
    node = node_routes.get(ident)
    if node is None:
        return None
    try:
        details = _node_methods(api.topology.get(), node).get(method)
        if details is not None and details['async']:
            return None
        _check(node['driver'], method, details, info)
    except exception.AnvilException:  # the fresh read re-checks, and refreshes the entry
        return None
    try:
        return api.vendor_passthru(flask.g.context, node, method, flask.request.method, info,
                                   False, expect=node_routes.expectation(ident, node))
    except _STALE_ROUTE_SIGNS:
        node_routes.forget(ident)
        return None


@bp.route('/v1/drivers/<driver>/vendor_passthru', methods=ALL_VERBS, strict_slashes=False)
@bp.route('/v1/drivers/<driver>/vendor_passthru/<method>', methods=ALL_VERBS)
def driver_passthru(driver, method=None):
    api = flask.current_app.config['CONDUCTOR_API']
    topology = api.topology.get()
    if method == 'methods' and flask.request.method == 'GET' and not flask.request.args:
        return _listing(topology.methods(driver, None, base.DRIVER))
    method = _method_name(method)
    info = json_object()
    details = topology.methods(driver, None, base.DRIVER).get(method)
    _check(driver, method, details, info)
    if details['async']:
        api.driver_vendor_passthru(flask.g.context, driver, method, flask.request.method,
                                   info, True)
        return accepted()
    return passthru_result(api.driver_vendor_passthru(
        flask.g.context, driver, method, flask.request.method, info, False))
