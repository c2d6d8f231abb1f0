"""The default policy rules: Ironic's names and secure-RBAC check strings.

Only the rules of what anvil implements are declared, with the names and
check strings Ironic uses, so an operator's existing policy file carries over
unchanged. Personas, as in Ironic: a system-scoped admin, member or reader; a
project member or reader of the node's ``owner`` or ``lessee`` project; the
``service`` role (in the project named by ``rbac_service_project_name``).

Per method, ``baremetal:node:vendor_passthru:<method>`` and
``baremetal:driver:vendor_passthru:<method>`` may be set in the policy file;
a method without its own rule falls under the generic one (see ``policy.py``).
"""

from oslo_policy import policy

# -- personas ------------------------------------------------------------------
SYSTEM_ADMIN = 'role:admin and system_scope:all'
SYSTEM_MEMBER = '(role:member and system_scope:all) or rule:service_role'
SYSTEM_READER = ('(role:reader and system_scope:all) or (role:service and system_scope:all) '
                 'or rule:service_role')
SYSTEM_SERVICE = 'role:service and system_scope:all'
PROJECT_SERVICE = 'role:service and project_id:%(node.owner)s'
PROJECT_ADMIN = 'role:admin and project_id:%(node.owner)s'
PROJECT_MEMBER = 'role:member and (project_id:%(node.owner)s or project_id:%(node.lessee)s)'
PROJECT_READER = 'role:reader and (project_id:%(node.owner)s or project_id:%(node.lessee)s)'
OWNER_ADMIN = 'role:admin and project_id:%(node.owner)s'
OWNER_MANAGER = 'role:manager and project_id:%(node.owner)s'
OWNER_MEMBER = 'role:member and project_id:%(node.owner)s'
OWNER_READER = 'role:reader and project_id:%(node.owner)s'
API_READER = '(role:reader) or (role:service)'


def _any(*checks):
    return ' or '.join('(%s)' % check for check in checks)


SYSTEM_OR_PROJECT_MEMBER = _any(SYSTEM_MEMBER, PROJECT_MEMBER, SYSTEM_SERVICE)
SYSTEM_OR_PROJECT_READER = _any(SYSTEM_READER, PROJECT_READER, PROJECT_SERVICE)
SYSTEM_OR_OWNER_READER = _any(SYSTEM_READER, SYSTEM_SERVICE, OWNER_READER, PROJECT_SERVICE)
SYSTEM_MEMBER_OR_OWNER_MEMBER = _any(SYSTEM_MEMBER, SYSTEM_SERVICE, OWNER_MEMBER,
                                     PROJECT_SERVICE)
SYSTEM_MEMBER_OR_OWNER_ADMIN = _any(SYSTEM_MEMBER, SYSTEM_SERVICE, OWNER_ADMIN, OWNER_MANAGER,
                                    PROJECT_SERVICE)
SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN = _any(
    SYSTEM_MEMBER, SYSTEM_SERVICE, OWNER_MEMBER, 'role:admin and project_id:%(node.lessee)s',
    'role:manager and project_id:%(node.lessee)s', PROJECT_SERVICE)

_BOTH = ['system', 'project']
_NODE = '/nodes/{node_ident}'
_PASSTHRU_VERBS = ('GET', 'PUT', 'POST', 'PATCH', 'DELETE')


def _rule(name, check, description, operations, scope_types=None):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{'path': path, 'method': verb} for verb, path in operations],
        scope_types=scope_types or _BOTH)


GENERAL = [
    policy.RuleDefault('service_role',
                       'role:service and project_name:%(config.service_project_name)s',
                       description='Who counts as a service: the "service" role in the '
                                   'project named by [DEFAULT] rbac_service_project_name.'),
]

NODES = [
    _rule('baremetal:node:create', _any(SYSTEM_ADMIN, SYSTEM_SERVICE),
          'Enroll a node.', [('POST', '/nodes')]),
    _rule('baremetal:node:create:self_owned_node', '(role:admin) or (role:service)',
          'Enroll a node owned by the caller\'s project (project-scoped callers).',
          [('POST', '/nodes')]),
    _rule('baremetal:node:list', API_READER,
          'List nodes, limited to those the caller\'s project owns or leases.',
          [('GET', '/nodes'), ('GET', '/nodes/detail')]),
    _rule('baremetal:node:list_all', SYSTEM_READER,
          'List every node, whatever its owner.',
          [('GET', '/nodes'), ('GET', '/nodes/detail')]),
    _rule('baremetal:node:get', SYSTEM_OR_PROJECT_READER,
          'Show a node; also needed to see that it exists (404 otherwise) and to list '
          'its vendor methods.',
          [('GET', _NODE), ('GET', _NODE + '/vendor_passthru/methods')]),
    _rule('baremetal:node:get:last_error', SYSTEM_OR_OWNER_READER,
          'See a node\'s last_error (masked otherwise).', [('GET', _NODE)]),
    _rule('baremetal:node:get:reservation', SYSTEM_OR_OWNER_READER,
          'See which conductor holds a node\'s lock (masked otherwise).', [('GET', _NODE)]),
    _rule('baremetal:node:get:driver_info', SYSTEM_OR_OWNER_READER,
          'See a node\'s driver_info (masked otherwise).', [('GET', _NODE)]),
    _rule('baremetal:node:update', SYSTEM_OR_PROJECT_MEMBER,
          'Update a node (JSON patch).', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:driver_info', SYSTEM_MEMBER_OR_OWNER_MEMBER,
          'Change a node\'s driver_info.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:properties', SYSTEM_MEMBER_OR_OWNER_MEMBER,
          'Change a node\'s properties.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:name', SYSTEM_MEMBER_OR_OWNER_MEMBER,
          'Rename a node.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:lessee', SYSTEM_MEMBER_OR_OWNER_MEMBER,
          'Change a node\'s lessee.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:owner', SYSTEM_MEMBER,
          'Change a node\'s owner.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:driver_interfaces', SYSTEM_MEMBER_OR_OWNER_ADMIN,
          'Change a node\'s driver or interfaces.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update:conductor_group', SYSTEM_MEMBER,
          'Move a node to another conductor group.', [('PATCH', _NODE)]),
    _rule('baremetal:node:update_extra', SYSTEM_OR_PROJECT_MEMBER,
          'Change a node\'s extra field.', [('PATCH', _NODE)]),
    _rule('baremetal:node:delete', SYSTEM_ADMIN, 'Delete a node.', [('DELETE', _NODE)]),
    _rule('baremetal:node:delete:self_owned_node', PROJECT_ADMIN,
          'Delete a node owned by the caller\'s project.', [('DELETE', _NODE)]),
    _rule('baremetal:node:set_maintenance', SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
          'Put a node in maintenance.', [('PUT', _NODE + '/maintenance')]),
    _rule('baremetal:node:clear_maintenance', SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
          'Take a node out of maintenance.', [('DELETE', _NODE + '/maintenance')]),
    _rule('baremetal:node:history:get', SYSTEM_OR_OWNER_READER,
          'Read a node\'s history.',
          [('GET', _NODE + '/history'), ('GET', _NODE + '/history/{event_ident}')]),
]

PASSTHRU = [
    _rule('baremetal:node:vendor_passthru', SYSTEM_ADMIN,
          'Call a node vendor method. A method M may have its own rule, '
          '"baremetal:node:vendor_passthru:M", which then replaces this one for M.',
          [(verb, _NODE + '/vendor_passthru?method={method_name}')
           for verb in _PASSTHRU_VERBS]),
    _rule('baremetal:driver:vendor_passthru', SYSTEM_ADMIN,
          'Call a driver vendor method. A method M may have its own rule, '
          '"baremetal:driver:vendor_passthru:M", which then replaces this one for M.',
          [(verb, '/drivers/{driver_name}/vendor_passthru?method={method_name}')
           for verb in _PASSTHRU_VERBS], scope_types=['system']),
]

CALLS = [
    _rule('baremetal:passthru_call:get', SYSTEM_OR_PROJECT_READER,
          'Follow an async vendor call from its 202 (an anvil extension). A '
          'project-scoped caller must also be able to see the call\'s node; a call '
          'it may not see answers 404.',
          [('GET', '/passthru_calls/{request_id}')]),
]

DRIVERS_AND_CONDUCTORS = [
    _rule('baremetal:driver:get', SYSTEM_READER,
          'List hardware types and their vendor methods.',
          [('GET', '/drivers'), ('GET', '/drivers/{driver_name}'),
           ('GET', '/drivers/{driver_name}/vendor_passthru/methods')],
          scope_types=['system']),
    _rule('baremetal:conductor:get', SYSTEM_READER, 'List and show conductors.',
          [('GET', '/conductors'), ('GET', '/conductors/{hostname}')],
          scope_types=['system']),
]


#: anvil's own: Ironic has no policy on its health endpoint nor metrics on its API.
OPERATIONS = [
    _rule('baremetal:healthcheck:detailed', SYSTEM_ADMIN,
          'See the detailed /healthcheck (each check\'s details, threads); others get '
          'the reasons only. Needs [healthcheck] detailed = true.',
          [('GET', '/healthcheck')], scope_types=['system']),
    _rule('baremetal:metrics:get', SYSTEM_READER,
          'Scrape the API\'s Prometheus metrics (unless [metrics] public = true).',
          [('GET', '/metrics')], scope_types=['system']),
]


def list_rules():
    """Every default rule (entry point ``oslo.policy.policies``)."""
    return GENERAL + NODES + PASSTHRU + CALLS + DRIVERS_AND_CONDUCTORS + OPERATIONS
