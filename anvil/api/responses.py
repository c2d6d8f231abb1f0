"""Response shapes shared by the handlers: JSON as Ironic writes it, 202, attachments."""

import base64
import json

import flask


def json_response(value, status=200):
    """``json.dumps`` with Ironic's separators; the value is not wrapped."""
    return flask.Response(json.dumps(value), status=status, mimetype='application/json')


def accepted():
    """202 with an empty body and no Content-Type, as Ironic answers an async call."""
    response = flask.Response(status=202)
    del response.headers['Content-Type']
    return response


def no_content():
    response = flask.Response(status=204)
    del response.headers['Content-Type']
    return response


def passthru_result(reply):
    """Shape a sync method's reply: JSON value, or raw bytes when ``attach``."""
    value = reply.get('return')
    if not reply.get('attach'):
        return json_response(value)
    if reply.get('encoding') == 'base64':
        data = base64.b64decode(value)
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = json.dumps(value).encode()
    response = flask.Response(data, status=200, mimetype='application/octet-stream')
    response.headers['Content-Disposition'] = 'attachment'
    return response
