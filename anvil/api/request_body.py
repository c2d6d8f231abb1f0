"""Reading request bodies: strict JSON (see json_body) or a clear 4xx.

The body is read as bytes whatever its Content-Type, as Ironic does (it
decodes every body as JSON): clients such as ``curl -d`` send JSON labelled
``application/x-www-form-urlencoded``. It is never parsed as a form, so a
form-encoded body is just text that is not JSON (400).
"""

import flask
import werkzeug.exceptions

from anvil.api import json_body
from anvil.common import exception, masking
from anvil.common.config import CONF


def _raw_body():
    """The body's bytes.

    :raises: RequestEntityTooLarge (413) past ``[api] max_request_body_size``;
        RequestTimeout (408) when the client stops sending before the end of
        its body (the server's read deadline, see anvil/cmd/gunicorn_worker.py,
        or cheroot's read timeout in the all-in-one); werkzeug's
        ClientDisconnected (400) when it closes the connection early.

    Werkzeug refuses a too-long Content-Length, but silently cuts a chunked
    body (no Content-Length) at the limit: a byte left past it means too large.
    """
    request = flask.request
    try:
        raw = request.get_data(cache=False)
        limit = request.max_content_length
        if (limit is not None and request.content_length is None and len(raw) >= limit
                and request.environ['wsgi.input'].read(1)):
            raise werkzeug.exceptions.RequestEntityTooLarge()
    except TimeoutError:
        raise _read_timeout() from None
    except werkzeug.exceptions.ClientDisconnected as exc:
        # werkzeug reports any error of a read of a known length as a
        # disconnection; the error it replaces tells a timeout apart
        if isinstance(exc.__context__, TimeoutError):
            raise _read_timeout() from None
        raise
    return raw


def _read_timeout():
    return werkzeug.exceptions.RequestTimeout('The request body was not received in time.')


def json_value():
    """The body decoded as JSON, of any type; None when the body is empty.

    :raises: InvalidParameterValue (400) for anything json_body.loads refuses,
        and the errors of ``_raw_body``.
    """
    raw = _raw_body()
    if not raw.strip():
        return None
    return json_body.loads(raw, CONF.api.max_json_depth)


def json_object(allow_empty=True):
    """The body as a dict ({} when empty and allowed). Raises InvalidParameterValue."""
    value = json_value()
    if value is None:
        if allow_empty:
            return {}
        raise exception.InvalidParameterValue(err='A JSON object body is required')
    # the error handlers mask these wherever a message might echo the body
    flask.g.body_secrets = masking.secret_values(value)
    if not isinstance(value, dict):
        raise exception.InvalidParameterValue(
            err='Request body must be a JSON object, not %s' % type(value).__name__)
    return value
