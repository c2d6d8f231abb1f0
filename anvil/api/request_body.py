"""Reading request bodies: a JSON object or a clear 400."""

import json

import flask
import werkzeug.exceptions

from anvil.common import exception, masking


def _raw_body():
    """The body's bytes; 413 when it is larger than ``[api] max_request_body_size``.

    Werkzeug refuses a too-long Content-Length, but silently cuts a chunked
    body (no Content-Length) at the limit: a byte left past it means too large.
    """
    request = flask.request
    raw = request.get_data(cache=False)
    limit = request.max_content_length
    if (limit is not None and request.content_length is None and len(raw) >= limit
            and request.environ['wsgi.input'].read(1)):
        raise werkzeug.exceptions.RequestEntityTooLarge()
    return raw


def json_object(allow_empty=True):
    """The body as a dict ({} when empty and allowed). Raises InvalidParameterValue."""
    raw = _raw_body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise exception.InvalidParameterValue(err='A JSON object body is required')
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise exception.InvalidParameterValue(err='Request body is not valid JSON: %s' % e) \
            from None
    # the error handlers mask these wherever a message might echo the body
    flask.g.body_secrets = masking.secret_values(value)
    if not isinstance(value, dict):
        raise exception.InvalidParameterValue(
            err='Request body must be a JSON object, not %s' % type(value).__name__)
    return value
