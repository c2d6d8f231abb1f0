"""Finding the node a request names, and whether the caller may act on it.

A node is named by UUID, or by name from API 1.5 on (Ironic's rule). What a
caller may not see answers as if it did not exist (404), so a project cannot
learn which nodes other projects have; a caller who may read no node at all
gets 403 either way.
"""

import flask

from anvil.api import microversion, policy
from anvil.common import exception
from anvil.db import api as db_api


def find_node(ident):
    """The node by UUID, or by name from API 1.5 on. Raises NodeNotFound (404)."""
    return db_api.get_node(ident, allow_name=microversion.at_least(microversion.NODE_NAMES))


def find_node_for(rule, ident):
    """The node ``ident`` names, if the request's caller passes ``rule`` on it.

    Raises NodeNotFound (404) for an unknown node or one the caller may not
    see, Forbidden (403) when the caller may read no node at all or sees the
    node but ``rule`` refuses.
    """
    node = find_existing(ident)
    policy.authorize_node(rule, flask.g.context, node, ident)
    return node


def find_existing(ident):
    """The node ``ident`` names; for an unknown one, 404 only to a node reader (else 403)."""
    try:
        return find_node(ident)
    except exception.NodeNotFound:
        policy.authorize('baremetal:node:list', flask.g.context)
        raise
