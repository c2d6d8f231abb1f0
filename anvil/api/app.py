"""The Flask application factory: blueprints, error handlers, version hooks.

No RPC call and no DB connection happens here: clients are created lazily,
on first use in the process that serves. anvil-api builds the app in each
worker after fork (no ``--preload``, see anvil/cmd/api.py); a server that
preloads would work as well.
"""

import http

import flask
from oslo_middleware import request_id

from anvil.api import (
    authentication,
    conductors,
    drivers,
    errors,
    hash_ring,
    healthcheck,
    microversion,
    node_history,
    node_routes,
    nodes,
    passthru,
    passthru_calls,
    root,
    rpcapi,
)
from anvil.api import metrics as api_metrics
from anvil.api.access_log import wrap as with_access_log
from anvil.api.openapi import bp as openapi_bp
from anvil.api.proxy_headers import wrap as wrap_proxy_headers
from anvil.common.config import CONF
from anvil.common.context import RequestContext


class _RequestId(request_id.RequestId):
    """Both request-id headers Ironic sends."""

    compat_headers = ['openstack-request-id']


class _LogContext:
    """WSGI: this request's id in the thread's logging context from the start.

    oslo.log tags each line with the thread's current context; Flask sets the
    authenticated one (``_before_request``), but requests that never reach
    Flask (/healthcheck, /metrics, a 401) would otherwise log under the
    context an earlier request left on the thread.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        RequestContext(request_id=environ.get(request_id.ENV_REQUEST_ID),
                       global_request_id=environ.get(request_id.GLOBAL_REQ_ID))
        return self.app(environ, start_response)


def _before_request():
    flask.g.api_version = microversion.parse(flask.request.headers)
    flask.g.context = RequestContext.from_authenticated_environ(flask.request.environ)


def _after_request(response):
    code = response.status_code
    response.status = '%d %s' % (code, http.HTTPStatus(code).phrase)
    # Min/Max on every answer, a 406 too (clients negotiate from them); the version
    # served on every answer but the 406 for an unparsable or unsupported version
    version = flask.g.get('api_version', None if code == 406 else microversion.MIN_VERSION)
    microversion.add_headers(response, version)
    return response


def create_app(conductor_api=None):
    """Build the WSGI app. ``conductor_api`` defaults to the oslo.messaging client."""
    app = flask.Flask('anvil', static_folder=None)  # no /static route: API only
    app.config['MAX_CONTENT_LENGTH'] = CONF.api.max_request_body_size
    app.config['CONDUCTOR_API'] = api_metrics.install(app, conductor_api or rpcapi.ConductorAPI(
        hash_ring.TopologyCache()))
    node_routes.NodeRoutes(app.config['CONDUCTOR_API']).install(app)
    app.url_map.strict_slashes = False
    for module in (root, nodes, passthru, passthru_calls, drivers, conductors,
                   node_history):
        app.register_blueprint(module.bp)
    app.register_blueprint(openapi_bp)  # GET /v1/openapi.json
    errors.register(app)
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.wsgi_app = _RequestId(_LogContext(with_access_log(api_metrics.wrap(
        authentication.wrap(healthcheck.wrap(api_metrics.serve(app.wsgi_app))), app))))
    wrap_proxy_headers(app)  # outermost: the scheme is right before anything reads it
    return app
