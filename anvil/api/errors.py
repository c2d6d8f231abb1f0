"""Every error becomes Ironic's body here, and nowhere else.

Body: ``{"error_message": "<JSON of faultcode, faultstring, debuginfo>"}``;
faultcode "Client" for 4xx, "Server" for 5xx. Expected errors are logged
at INFO or WARNING without a traceback; only unexpected ones get a trace.

A 409 NodeLocked and every 503 (nothing ran: safe to send again) carry
``Retry-After`` in seconds (see ``retry_after``). openstacksdk, through
keystoneauth, waits that long between its retries of a 409/503 instead of
its own 0.5-8 s backoff. A 409 that retrying cannot fix (duplicate name or
UUID) and a 504 (the method may have run) carry none.

Not to python-ironicclient (the ``baremetal`` CLI), known by its
User-Agent: its error factory passes the header on as ``retry_after=`` to
exception classes that do not take it (only its 413 does), so any 4xx/5xx
with Retry-After makes it fail with "HttpError.__init__() got an unexpected
keyword argument 'retry_after'" -- no message, and none of its retries (it
retries 409/503 5 times, 2 s apart, ``--max-retries``/``--retry-interval``,
and reads no header). Ironic never sends the header, so the bug is latent
there; it is in 6.3.0 and earlier.

Every message (``faultstring``, ``debuginfo``, the log line) is masked with
``anvil.common.masking`` and the secrets of the request's body, so an error
that echoes a password or a token never shows it.
"""

import json
import math

import flask
import oslo_messaging
import werkzeug.exceptions
from oslo_log import log

from anvil.api import metrics, microversion
from anvil.common import exception, masking
from anvil.common.config import CONF
from anvil.db import engine as db_engine

LOG = log.getLogger(__name__)


def error_body(code, message, debuginfo=None):
    """Ironic's error body as text (also used by WSGI layers outside Flask)."""
    fault = {'faultcode': 'Client' if code < 500 else 'Server',
             'faultstring': message, 'debuginfo': debuginfo}
    return json.dumps({'error_message': json.dumps(fault)})


def _masked(text):
    """``text`` masked with the secrets of this request's body (see request_body)."""
    return masking.mask_text(text, flask.g.get('body_secrets', ()))


def error_response(code, message, debuginfo=None):
    body = error_body(code, _masked(message), None if debuginfo is None else _masked(debuginfo))
    return flask.Response(body, status=code, mimetype='application/json')


def _first_line(text):
    """Remote exceptions carry the conductor's traceback after the message; masked."""
    return _masked(str(text).split('\nTraceback', 1)[0].strip())


def retry_after(e):
    """Seconds a client should wait before sending again, or None (do not retry).

    NodeLocked: the conductor already tried for attempts x interval, so wait
    about as long again. No live conductor: the API sees a (re)started one
    within ``[api] metadata_cache_ttl``. Bus unreachable, pool full, or a
    conductor stopping: a short pause.
    """
    if isinstance(e, exception.NodeLocked):
        waited = CONF.conductor.node_locked_retry_attempts * \
            CONF.conductor.node_locked_retry_interval
        return max(1, math.ceil(waited))
    if isinstance(e, exception.NoFreeConductor):
        return max(1, math.ceil(CONF.api.metadata_cache_ttl))
    if e.code == 503:
        return 1
    return None


def handle_anvil(e):
    metrics.remember_error(e)
    level = LOG.warning if e.code >= 500 else LOG.info
    level('%s %s -> %d %s', flask.request.method, flask.request.path, e.code,
          _first_line(e))
    response = error_response(e.code, _first_line(e))
    seconds = retry_after(e)
    if seconds is not None and not _breaks_on_retry_after():
        response.headers['Retry-After'] = str(seconds)
    return response


def _breaks_on_retry_after():
    """True for python-ironicclient, which crashes on an error with Retry-After."""
    return 'python-ironicclient' in flask.request.headers.get('User-Agent', '')


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
    LOG.error('Conductor error for %s %s: %s', flask.request.method, flask.request.path,
              _masked(e))
    return error_response(500, '%s: %s' % (e.exc_type, _first_line(e.value)))


def handle_database_unavailable(e):
    """No connection to the database, or none free in the pool: nothing ran (503)."""
    LOG.warning('Database unavailable for %s %s: %s', flask.request.method,
                flask.request.path, _first_line(e))
    return handle_anvil(exception.DatabaseUnavailable())


def handle_unexpected(e):
    LOG.error('Unexpected error for %s %s: %s', flask.request.method, flask.request.path,
              masking.traceback_text(e, flask.g.get('body_secrets', ())))
    return error_response(500, 'Internal error: %s' % (_first_line(e) or type(e).__name__))


def register(app):
    app.register_error_handler(exception.AnvilException, handle_anvil)
    app.register_error_handler(werkzeug.exceptions.HTTPException, handle_http)
    app.register_error_handler(microversion.NotAcceptable, handle_not_acceptable)
    app.register_error_handler(oslo_messaging.RemoteError, handle_remote)
    for db_unavailable in db_engine.UNAVAILABLE_ERRORS:
        app.register_error_handler(db_unavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
