"""Every error becomes Ironic's body here, and nowhere else.

Body: ``{"error_message": "<JSON of faultcode, faultstring, debuginfo>"}``;
faultcode "Client" for 4xx, "Server" for 5xx. Expected errors are logged
at INFO or WARNING without a traceback; only unexpected ones get a trace.
"""

import json

import flask
import oslo_messaging
import werkzeug.exceptions
from oslo_log import log

from anvil.api import microversion
from anvil.common import exception

LOG = log.getLogger(__name__)


def error_response(code, message):
    fault = {'faultcode': 'Client' if code < 500 else 'Server',
             'faultstring': message, 'debuginfo': None}
    body = json.dumps({'error_message': json.dumps(fault)})
    return flask.Response(body, status=code, mimetype='application/json')


def _first_line(text):
    """Remote exceptions carry the conductor's traceback after the message."""
    return str(text).split('\nTraceback', 1)[0].strip()


def handle_anvil(e):
    level = LOG.warning if e.code >= 500 else LOG.info
    level('%s %s -> %d %s', flask.request.method, flask.request.path, e.code,
          _first_line(e))
    return error_response(e.code, _first_line(e))


def handle_http(e):
    if e.code == 413:
        limit = flask.current_app.config.get('MAX_CONTENT_LENGTH')
        return error_response(413, exception.PayloadTooLarge(limit=limit).message)
    if e.code == 405:
        response = error_response(405, 'The method %s is not allowed for this resource.'
                                  % flask.request.method)
        response.headers['Allow'] = ', '.join(e.valid_methods or ())  # RFC 9110: a must
        return response
    if e.code == 404:
        return error_response(404, 'The resource could not be found.')
    return error_response(e.code, e.description or e.name)


def handle_not_acceptable(e):
    body = json.dumps({'error_message': json.dumps({
        'code': 406, 'title': 'Not Acceptable', 'description': e.description})})
    response = flask.Response(body, status=406, mimetype='application/json')
    return microversion.add_headers(response)


def handle_remote(e):
    LOG.error('Conductor error for %s %s: %s', flask.request.method, flask.request.path, e)
    return error_response(500, '%s: %s' % (e.exc_type, _first_line(e.value)))


def handle_unexpected(e):
    LOG.exception('Unexpected error for %s %s', flask.request.method, flask.request.path)
    return error_response(500, 'Internal error: %s' % (_first_line(e) or type(e).__name__))


def register(app):
    app.register_error_handler(exception.AnvilException, handle_anvil)
    app.register_error_handler(werkzeug.exceptions.HTTPException, handle_http)
    app.register_error_handler(microversion.NotAcceptable, handle_not_acceptable)
    app.register_error_handler(oslo_messaging.RemoteError, handle_remote)
    app.register_error_handler(Exception, handle_unexpected)
