"""Helpers for API tests: version headers, Ironic's error body."""

import json

LATEST = {'X-OpenStack-Ironic-API-Version': 'latest'}


def version(v):
    return {'X-OpenStack-Ironic-API-Version': v}


def fault(resp):
    """The faultstring of an Ironic error body, after checking the body's shape."""
    body = resp.get_json()
    assert list(body) == ['error_message'], body
    inner = json.loads(body['error_message'])
    assert list(inner) == ['faultcode', 'faultstring', 'debuginfo'], inner
    assert inner['faultcode'] == ('Client' if resp.status_code < 500 else 'Server')
    assert inner['debuginfo'] is None
    return inner['faultstring']

