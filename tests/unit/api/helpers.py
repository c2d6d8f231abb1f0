"""Helpers for API tests: Ironic's error body, history polling."""

import json

from anvil.db import api as db_api
from anvil.db import history
from tests.polling import wait_for

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


def events(node_uuid):
    """The node's history events (oldest first)."""
    return history.list_events(db_api.get_node(node_uuid)['id'])


def wait_for_event(node_uuid, text, timeout=5.0):
    """The first event whose text contains ``text``, polling until it appears."""
    return wait_for(lambda: next((e for e in events(node_uuid) if text in e['event']), None),
                    timeout)
