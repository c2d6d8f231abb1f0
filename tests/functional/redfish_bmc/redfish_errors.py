"""Redfish error responses (DSP0266 "Error responses"), as a BMC sends them."""

import json

import flask
import werkzeug

BASE = 'Base.1.15.0'


def body(message_id, message, related=(), severity='Warning'):
    """A Redfish error document: ``error`` with a code, message and ExtendedInfo."""
    return {'error': {
        'code': '%s.GeneralError' % BASE,
        'message': 'A general error has occurred. See ExtendedInfo for more information.',
        '@Message.ExtendedInfo': [{
            '@odata.type': '#Message.v1_1_1.Message',
            'MessageId': '%s.%s' % (BASE, message_id),
            'Message': message,
            'RelatedProperties': list(related),
            'Severity': severity,
            'MessageSeverity': severity,
            'Resolution': 'Correct the request and resubmit it.',
        }],
    }}


def error(status, message_id, message, related=(), severity='Warning'):
    """A Flask view's answer: the error document and its status."""
    return flask.jsonify(body(message_id, message, related, severity)), status


def not_found(path):
    return error(404, 'ResourceMissingAtURI',
                 'The resource at the URI %s was not found.' % path)


def wsgi_error(status, message_id, message, severity='Critical'):
    """The same document as a bare WSGI response, for middleware (no Flask context)."""
    return werkzeug.Response(json.dumps(body(message_id, message, severity=severity)),
                             status=status, content_type='application/json')
