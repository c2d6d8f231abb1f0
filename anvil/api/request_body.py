"""Reading request bodies: a JSON object or a clear 400."""

import json

import flask

from anvil.common import exception


def json_object(allow_empty=True):
    """The body as a dict ({} when empty and allowed). Raises InvalidParameterValue."""
    raw = flask.request.get_data(cache=False)
    if not raw.strip():
        if allow_empty:
            return {}
        raise exception.InvalidParameterValue(err='A JSON object body is required')
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise exception.InvalidParameterValue(err='Request body is not valid JSON: %s' % e) \
            from None
    if not isinstance(value, dict):
        raise exception.InvalidParameterValue(
            err='Request body must be a JSON object, not %s' % type(value).__name__)
    return value
