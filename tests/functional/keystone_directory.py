"""The identities the auth tests use, made in a real Keystone through its REST API.

``Directory.populate`` creates (as the bootstrap admin, system-scoped):

- project ``service`` and user ``anvil`` with roles ``service`` and ``admin``
  there: the account keystonemiddleware validates tokens with;
- projects ``project-a`` and ``project-b``;
- the personas of ``PERSONAS``: system-admin, system-reader (system scope
  ``all``), a-admin, a-member, a-reader (project-a), b-member (project-b).

``baremetal_endpoint(url)`` puts anvil in the service catalog (service type
``baremetal``, public endpoint) for as long as a block runs, so clients find it
through the catalog. ``anvil_auth_config()`` is the configuration anvil needs
to validate tokens against this Keystone (``extra`` of a Deployment).
"""

import contextlib
import secrets

import requests

from tests.functional.keystone_server import REGION

DOMAIN = 'default'
SERVICE_PROJECT = 'service'
SERVICE_USER = 'anvil'
PROJECTS = ('project-a', 'project-b')
#: persona -> (role, scope): scope 'system' (all) or a project name.
PERSONAS = {
    'system-admin': ('admin', 'system'),
    'system-reader': ('reader', 'system'),
    'a-admin': ('admin', 'project-a'),
    'a-member': ('member', 'project-a'),
    'a-reader': ('reader', 'project-a'),
    'b-member': ('member', 'project-b'),
}


class KeystoneError(AssertionError):
    """Keystone answered a directory request with an unexpected status."""


class Directory:
    """Users, projects, roles and catalog entries of one ``Keystone``."""

    def __init__(self, keystone):
        self.keystone = keystone
        self.url = keystone.url
        self.password = secrets.token_hex(12)  # every persona's and anvil's
        self.project_ids = {}
        self.user_ids = {}
        self.role_ids = {}
        self._admin_token = None
        self._tokens = {}

    # -- tokens -----------------------------------------------------------

    def token(self, username, password=None, project=None, system=False):
        """A token for ``username`` scoped to ``project`` (a name) or the system."""
        identity = {'methods': ['password'], 'password': {'user': {
            'name': username, 'domain': {'id': DOMAIN},
            'password': password or self.password}}}
        auth = {'identity': identity}
        if system:
            auth['scope'] = {'system': {'all': True}}
        elif project:
            auth['scope'] = {'project': {'name': project, 'domain': {'id': DOMAIN}}}
        resp = requests.post(self.url + '/auth/tokens', json={'auth': auth}, timeout=30)
        _expect(resp, 201, 'token for %s' % username)
        return resp.headers['X-Subject-Token']

    def persona_token(self, persona):
        """A token of one of ``PERSONAS``, scoped as the persona is (one per session)."""
        if persona not in self._tokens:
            _role, scope = PERSONAS[persona]
            if scope == 'system':
                self._tokens[persona] = self.token(persona, system=True)
            else:
                self._tokens[persona] = self.token(persona, project=scope)
        return self._tokens[persona]

    def _request(self, verb, path, body=None, expect=(200, 201, 204)):
        if self._admin_token is None:
            self._admin_token = self.token('admin', self.keystone.admin_password,
                                           system=True)
        resp = requests.request(verb, self.url + path, json=body, timeout=30,
                                headers={'X-Auth-Token': self._admin_token})
        _expect(resp, expect, '%s %s' % (verb, path))
        return resp.json() if resp.content else None

    # -- identities -------------------------------------------------------

    def populate(self):
        """Create the service account, both projects and every persona."""
        roles = self._request('GET', '/roles')['roles']
        self.role_ids = {role['name']: role['id'] for role in roles}
        for name in (SERVICE_PROJECT,) + PROJECTS:
            self.project_ids[name] = self._create('projects', {
                'name': name, 'domain_id': DOMAIN, 'description': 'anvil auth tests'})
        self._create_user(SERVICE_USER)
        for role in ('service', 'admin'):
            self.grant(SERVICE_USER, role, SERVICE_PROJECT)
        for persona, (role, scope) in PERSONAS.items():
            self._create_user(persona)
            self.grant(persona, role, scope)
        return self

    def _create(self, collection, body):
        singular = collection[:-1]
        return self._request('POST', '/' + collection, {singular: body})[singular]['id']

    def _create_user(self, name):
        self.user_ids[name] = self._create('users', {
            'name': name, 'domain_id': DOMAIN, 'password': self.password, 'enabled': True})

    def grant(self, user, role, scope):
        """Give ``user`` ``role`` on ``scope``: 'system' or a project name."""
        target = ('/system' if scope == 'system'
                  else '/projects/%s' % self.project_ids[scope])
        self._request('PUT', '%s/users/%s/roles/%s' % (
            target, self.user_ids[user], self.role_ids[role]))

    # -- catalog ----------------------------------------------------------

    def register_baremetal(self, anvil_url, region=REGION):
        """Add service ``baremetal`` with its public endpoint; returns the service id."""
        service_id = self._create('services', {'type': 'baremetal', 'name': 'anvil',
                                               'enabled': True})
        self._create('endpoints', {'service_id': service_id, 'interface': 'public',
                                   'url': anvil_url, 'region_id': region, 'enabled': True})
        return service_id

    def unregister_baremetal(self, service_id):
        """Remove a service added by ``register_baremetal`` (its endpoints go with it)."""
        self._request('DELETE', '/services/%s' % service_id)

    @contextlib.contextmanager
    def baremetal_endpoint(self, anvil_url, region=REGION):
        """anvil at ``anvil_url`` in the catalog while the block runs.

        One at a time: clients take the first ``baremetal`` entry they see, so
        a second registration in the same region is refused here.
        """
        existing = [s for s in self._request('GET', '/services?type=baremetal')['services']]
        if existing:
            raise KeystoneError('a baremetal service is already registered: %s' % existing)
        service_id = self.register_baremetal(anvil_url, region)
        try:
            yield service_id
        finally:
            self.unregister_baremetal(service_id)

    # -- anvil's side -----------------------------------------------------

    def anvil_auth_config(self):
        """``[DEFAULT] auth_strategy = keystone`` and ``[keystone_authtoken]`` for anvil.

        keystonemiddleware validates tokens as the ``anvil`` service user; no
        memcached (tokens are cached in the process).
        """
        return {
            'DEFAULT': {'auth_strategy': 'keystone'},
            'keystone_authtoken': {
                'www_authenticate_uri': self.url,
                'auth_url': self.url,
                'auth_type': 'password',
                'username': SERVICE_USER,
                'password': self.password,
                'project_name': SERVICE_PROJECT,
                'user_domain_id': DOMAIN,
                'project_domain_id': DOMAIN,
                'interface': 'public',
                'region_name': REGION,
                'http_connect_timeout': 10,
                'http_request_max_retries': 1,
            },
        }


def _expect(resp, statuses, what):
    statuses = (statuses,) if isinstance(statuses, int) else statuses
    if resp.status_code not in statuses:
        raise KeystoneError('Keystone: %s answered %s: %s'
                            % (what, resp.status_code, resp.text[:500]))
