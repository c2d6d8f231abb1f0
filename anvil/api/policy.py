"""Who may do what: oslo.policy over the rules of ``policy_defaults``.

Handlers call ``authorize`` (or the node and passthru helpers below) before
they act. A refusal is ``Forbidden`` (403). A node the caller may not even
see answers 404 to a project-scoped caller, as Ironic does, so a project
cannot probe which nodes exist. The policy file (``[oslo_policy]
policy_file``) is re-read when it changes (oslo.policy checks its mtime).
"""

import sys
import threading

from oslo_policy import opts as policy_opts
from oslo_policy import policy

from anvil.api import policy_defaults
from anvil.common import exception
from anvil.common.config import CONF

# As Ironic: scopes and the new (secure-RBAC) defaults enforced.
policy_opts.set_defaults(CONF, 'policy.yaml', enforce_scope=True, enforce_new_defaults=True)

_ENFORCER = None
_LOCK = threading.Lock()


def get_enforcer():
    """The process's enforcer with anvil's defaults registered."""
    global _ENFORCER
    if _ENFORCER is None:
        with _LOCK:
            if _ENFORCER is None:
                enforcer = policy.Enforcer(CONF)
                enforcer.register_defaults(policy_defaults.list_rules())
                _ENFORCER = enforcer
    return _ENFORCER


def get_oslo_policy_enforcer():
    """Entry point ``oslo.policy.enforcer`` (oslopolicy-policy-generator & co.)."""
    if CONF._namespace is None:  # the tool's own arguments are not ours
        CONF([a for a in sys.argv[1:] if a.startswith('--config-')], project='anvil')
    return get_enforcer()


def _credentials(context):
    return context.to_policy_values()


def _target(context, node=None):
    target = {'config.service_project_name': CONF.rbac_service_project_name,
              'project_id': context.project_id, 'user_id': context.user_id}
    if node is not None:
        target['node.owner'] = node.get('owner')
        target['node.lessee'] = node.get('lessee')
    return target


def allowed(rule, context, node=None):
    """True when ``rule`` allows ``context`` (on ``node``, a row dict, if given)."""
    enforcer = get_enforcer()
    try:
        return bool(enforcer.enforce(rule, _target(context, node), _credentials(context)))
    except policy.InvalidScope:
        return False


def authorize(rule, context, node=None):
    """Raises Forbidden (403) unless ``rule`` allows ``context``."""
    if not allowed(rule, context, node):
        raise exception.Forbidden(resource=rule)


def authorize_node(rule, context, node, ident):
    """``rule`` on ``node``; 404 instead of 403 when the caller may not see the node.

    Raises NodeNotFound for a project-scoped caller who cannot read the node
    (as if it did not exist), Forbidden when the node is visible but ``rule``
    refuses.
    """
    if context.project_id and not allowed('baremetal:node:get', context, node):
        raise exception.NodeNotFound(node=ident)
    authorize(rule, context, node)


def passthru_rule(kind, method):
    """The rule that governs vendor ``method`` of ``kind`` ('node' or 'driver').

    ``baremetal:<kind>:vendor_passthru:<method>`` when the policy file sets
    it, else the generic ``baremetal:<kind>:vendor_passthru``.
    """
    generic = 'baremetal:%s:vendor_passthru' % kind
    specific = '%s:%s' % (generic, method)
    enforcer = get_enforcer()
    enforcer.load_rules()
    return specific if specific in enforcer.rules else generic


def sees_all_nodes(context):
    """True when a node list need not be limited to the caller's project.

    Raises Forbidden when the caller may not list nodes at all.
    """
    if allowed('baremetal:node:list_all', context):
        return True
    authorize('baremetal:node:list', context)
    if not context.project_id:
        raise exception.Forbidden(resource='baremetal:node:list')
    return False


def list_rules():
    """Entry point ``oslo.policy.policies`` (oslopolicy-sample-generator)."""
    return policy_defaults.list_rules()


def reset():
    """Drop the enforcer (tests that change policy options)."""
    global _ENFORCER
    _ENFORCER = None

