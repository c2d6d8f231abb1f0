"""The API's Prometheus metrics: requests, passthru calls, error answers, RPC sends.

Label values come only from bounded sets, never from what a client typed:
routes are Flask's rule templates (``/v1/nodes/<ident>``, not a UUID), HTTP
methods outside the standard ones count as ``other``, hardware types and
vendor methods are labelled only once the method was found in the metadata
conductors published (an unknown method is refused before it is labelled),
errors by their anvil class name.

``RequestMetrics`` (WSGI, outside authentication so a 401 counts too) times
every request; handlers leave labels in the WSGI environ on the way:
``ROUTE`` (a Flask hook), ``PASSTHRU`` (``passthru._check``), ``ERROR``
(``errors.handle_anvil``). ``TimedConductorAPI`` times the RPC sends. The passthru histogram's
exemplar is the request id, where prometheus_client keeps exemplars (the
all-in-one; not anvil-api's gunicorn workers: see ``anvil.common.metrics``).
``Scrape`` serves ``GET /metrics`` (``[metrics] public`` or the policy rule
``baremetal:metrics:get``).
"""

import http
import time

import flask
import prometheus_client
import werkzeug.exceptions
import werkzeug.routing
from oslo_middleware import request_id

from anvil.api import errors, policy
from anvil.common import exception, metrics
from anvil.common.config import CONF
from anvil.common.context import RequestContext

PATH = '/metrics'
ROUTE = 'anvil.metrics.route'
PASSTHRU = 'anvil.metrics.passthru'
ERROR = 'anvil.metrics.error'

_OWN_PATHS = {'/healthcheck': '/healthcheck', PATH: PATH}
_HTTP_METHODS = frozenset({'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'})
#: Seconds: a sync call over RabbitMQ takes a few ms, a BMC call up to the RPC timeout.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                   30.0, 60.0)

REQUESTS = prometheus_client.Counter(
    'anvil_api_requests', 'API requests answered, by route template, HTTP method and status.',
    ['route', 'method', 'status'])
REQUEST_SECONDS = prometheus_client.Histogram(
    'anvil_api_request_duration_seconds',
    'Time to answer an API request (until the app returned its body), by route template '
    'and HTTP method.', ['route', 'method'], buckets=LATENCY_BUCKETS)
PASSTHRU_CALLS = prometheus_client.Counter(
    'anvil_api_passthru_calls', 'Vendor passthru calls that passed the method checks, by '
    'hardware type, method, mode (sync or async) and HTTP status of the answer.',
    ['hardware_type', 'method', 'mode', 'status'])
PASSTHRU_SECONDS = prometheus_client.Histogram(
    'anvil_api_passthru_duration_seconds', 'Time to answer a vendor passthru call, by '
    'hardware type, method and mode.', ['hardware_type', 'method', 'mode'],
    buckets=LATENCY_BUCKETS)
ERRORS = prometheus_client.Counter(
    'anvil_api_errors', 'Error answers raised by anvil, by status and error class. 409 and '
    '503 mean nothing ran (clients retry them); 504 means the method may have run.',
    ['status', 'error'])
RPC_SECONDS = prometheus_client.Histogram(
    'anvil_api_rpc_duration_seconds', 'Time of RPC sends to conductors: a call until its '
    'reply, a cast until the bus took it; by RPC method, kind and outcome ("ok" or the '
    'error class).', ['rpc_method', 'kind', 'outcome'], buckets=LATENCY_BUCKETS)

class Scrape:
    """WSGI: ``GET /metrics`` answered here (inside authentication), the rest to ``app``.

    Not a Flask route: like /healthcheck it is no part of the Bare Metal API
    (no microversion, not in the OpenAPI document). 403 in Ironic's error
    shape without ``baremetal:metrics:get`` (unless ``[metrics] public``).
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (environ.get('PATH_INFO') or '/').rstrip('/') != PATH:
            return self.app(environ, start_response)
        if environ.get('REQUEST_METHOD') not in ('GET', 'HEAD'):
            return self._answer(start_response, 405, errors.error_body(
                405, 'The method %s is not allowed for this resource.'
                % environ.get('REQUEST_METHOD')), 'application/json', [('Allow', 'GET, HEAD')])
        if not CONF.metrics.public and not policy.allowed(
                'baremetal:metrics:get', RequestContext.from_authenticated_environ(environ)):
            return self._answer(start_response, 403, errors.error_body(
                403, exception.Forbidden(resource='baremetal:metrics:get').message),
                'application/json')
        body, content_type = metrics.exposition(environ.get('HTTP_ACCEPT'))
        return self._answer(start_response, 200, body, content_type)

    @staticmethod
    def _answer(start_response, code, body, content_type, headers=()):
        body = body.encode() if isinstance(body, str) else body
        start_response('%d %s' % (code, http.HTTPStatus(code).phrase),
                       [('Content-Type', content_type), ('Content-Length', str(len(body))),
                        *headers])
        return [body]


def remember_route():
    """Flask ``before_request``: the matched rule's template, for RequestMetrics."""
    rule = flask.request.url_rule
    if rule is not None:
        flask.request.environ[ROUTE] = rule.rule


def remember_passthru(driver, method, is_async):
    """Label the current request as a call of a published vendor method."""
    flask.request.environ[PASSTHRU] = (driver, method, 'async' if is_async else 'sync')


def remember_error(error):
    flask.request.environ[ERROR] = type(error).__name__


class RequestMetrics:
    """WSGI middleware: count and time every request once it is answered."""

    def __init__(self, app, url_map):
        self.app = app
        self._urls = url_map.bind('anvil')

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        status = ['500']

        def recording_start_response(code, headers, exc_info=None):
            status[0] = code[:3]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            record_request(environ, status[0], time.perf_counter() - start,
                           environ.get(ROUTE) or self._route_of(environ))

    def _route_of(self, environ):
        """Template of a request the Flask app did not route (401, health, 404)."""
        path = environ.get('PATH_INFO') or '/'
        try:
            rule, _ = self._urls.match(path, environ.get('REQUEST_METHOD', 'GET'),
                                       return_rule=True)
            return rule.rule
        except (werkzeug.exceptions.HTTPException, werkzeug.routing.RequestRedirect):
            return _OWN_PATHS.get(path.rstrip('/'), 'unmatched')


def record_request(environ, status, seconds, route):
    verb = environ.get('REQUEST_METHOD', '')
    verb = verb if verb in _HTTP_METHODS else 'other'
    metrics.child(REQUESTS, route, verb, status).inc()
    metrics.child(REQUEST_SECONDS, route, verb).observe(seconds)
    passthru = environ.get(PASSTHRU)
    if passthru is not None:
        metrics.child(PASSTHRU_CALLS, *passthru, status).inc()
        metrics.child(PASSTHRU_SECONDS, *passthru).observe(
            seconds, metrics.exemplar(environ.get(request_id.ENV_REQUEST_ID)))
    error = environ.get(ERROR)
    if error is not None:
        metrics.child(ERRORS, status, error).inc()


class TimedConductorAPI:
    """The conductor RPC client with each send timed; everything else passes through."""

    def __init__(self, api):
        self._api = api

    def __getattr__(self, name):
        return getattr(self._api, name)

    def vendor_passthru(self, *args, **kwargs):
        return self._timed('vendor_passthru', self._api.vendor_passthru, args, kwargs)

    def driver_vendor_passthru(self, *args, **kwargs):
        return self._timed('driver_vendor_passthru', self._api.driver_vendor_passthru, args,
                           kwargs)

    @staticmethod
    def _timed(rpc_method, send, args, kwargs):
        """``send(*args, **kwargs)``; ``async_call`` (keyword-only) says cast or call."""
        kind = 'cast' if kwargs.get('async_call') else 'call'
        start = time.perf_counter()
        outcome = 'ok'
        try:
            return send(*args, **kwargs)
        except exception.AnvilException as e:
            outcome = type(e).__name__
            raise
        except Exception:
            outcome = 'error'
            raise
        finally:
            metrics.child(RPC_SECONDS, rpc_method, kind, outcome).observe(
                time.perf_counter() - start)


def install(app, conductor_api):
    """Hook the recording into ``app``; returns the conductor API to use.

    With ``[metrics] enabled = false`` nothing is hooked and ``conductor_api``
    is returned as it is.
    """
    metrics.configure(CONF)
    if not metrics.enabled():
        return conductor_api
    app.before_request(remember_route)
    return TimedConductorAPI(conductor_api)


def wrap(wsgi_app, app):
    """``wsgi_app`` inside RequestMetrics, unless metrics are off."""
    return RequestMetrics(wsgi_app, app.url_map) if metrics.enabled() else wsgi_app


def serve(wsgi_app):
    """``wsgi_app`` with GET /metrics in front (404 from the app when metrics are off)."""
    return Scrape(wsgi_app) if metrics.enabled() else wsgi_app
