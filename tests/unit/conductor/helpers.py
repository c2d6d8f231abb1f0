"""Polling with a deadline, and reading a node's history."""

import time

from anvil.db import history


def wait_for(predicate, timeout=5.0):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('condition not met within %s s' % timeout)
        time.sleep(0.01)


def event_texts(node_id):
    return [e['event'] for e in history.list_events(node_id)]


def wait_for_event(node_id, text, timeout=5.0):
    """The first event of the node containing ``text``, polling until it appears."""
    return wait_for(lambda: next((e for e in history.list_events(node_id)
                                  if text in e['event']), None), timeout)
