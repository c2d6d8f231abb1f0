"""Reading a node's history in unit tests, and waiting for an event to appear."""

from anvil.db import api as db_api
from anvil.db import history
from tests.polling import wait_for


def _node_id(node):
    """The node's database id, from its id (int) or its UUID (str)."""
    return node if isinstance(node, int) else db_api.get_node(node)['id']


def events(node):
    """The node's history events (oldest first)."""
    return history.list_events(_node_id(node))


def event_texts(node):
    return [e['event'] for e in events(node)]


def wait_for_event(node, text, timeout=5.0):
    """The first event of the node containing ``text``, polling until it appears."""
    node_id = _node_id(node)
    return wait_for(lambda: next((e for e in history.list_events(node_id)
                                  if text in e['event']), None), timeout)
