"""Polling with a deadline, and reading a node's history."""

from anvil.db import history
from tests.polling import wait_for


def event_texts(node_id):
    return [e['event'] for e in history.list_events(node_id)]


def wait_for_event(node_id, text, timeout=5.0):
    """The first event of the node containing ``text``, polling until it appears."""
    return wait_for(lambda: next((e for e in history.list_events(node_id)
                                  if text in e['event']), None), timeout)
