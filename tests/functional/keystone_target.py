"""anvil deployments behind Keystone, and the clients' credentials for them.

``KeystoneDeployment`` and ``KeystoneAllInOne`` are the functional test targets
(``Deployment``, ``AllInOne``) configured with ``auth_strategy = keystone``
against a real Keystone (``keystone_directory.Directory``). Their HTTP helpers
send the system admin's token unless told ``token=None`` (no credentials) or
another token; ``cli`` logs the real ``baremetal`` CLI in with a persona's
password and lets it find anvil through the service catalog (no OS_ENDPOINT),
so a test must register anvil there first (``Directory.baremetal_endpoint``).
"""

import contextlib
import os
import subprocess

import yaml

from tests.functional.all_in_one import AllInOne
from tests.functional.deployment import BIN, Deployment, running_deployment
from tests.functional.keystone_directory import DOMAIN, PERSONAS
from tests.functional.keystone_server import REGION

#: ``token=`` default of the HTTP helpers: the system admin's token.
ADMIN = object()


def password_auth(directory, persona):
    """keystoneauth ``password`` options (clouds.yaml ``auth``) for ``persona``."""
    auth = {'auth_url': directory.url, 'username': persona, 'password': directory.password,
            'user_domain_id': DOMAIN}
    _role, scope = PERSONAS[persona]
    if scope == 'system':
        auth['system_scope'] = 'all'
    else:
        auth.update(project_name=scope, project_domain_id=DOMAIN)
    return auth


def password_env(directory, persona):
    """The process environment of a client logging in as ``persona`` (no OS_ENDPOINT)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(OS_AUTH_TYPE='password', OS_REGION_NAME=REGION, OS_INTERFACE='public')
    for key, value in password_auth(directory, persona).items():
        env['OS_' + key.upper()] = value
    return env


def clouds_yaml_env(directory, persona, path, cloud='anvil-test'):
    """Write a clouds.yaml for ``persona`` at ``path``; the env that selects it (OS_CLOUD)."""
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': {cloud: {
            'auth_type': 'password', 'auth': password_auth(directory, persona),
            'region_name': REGION, 'interface': 'public'}}}, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(OS_CLIENT_CONFIG_FILE=str(path), OS_CLOUD=cloud)
    return env


class KeystoneAuth:
    """Mixin over a test target: requests carry a token, the CLI logs in."""

    directory = None

    def request(self, verb, path, body=None, headers=None, raw=None, token=ADMIN, **kwargs):
        """As ``Deployment.request``; ``token``: a token, None (none) or ADMIN."""
        headers = dict(headers or {})
        if token is ADMIN:
            token = self.directory.persona_token('system-admin')
        if token is not None:
            headers['X-Auth-Token'] = token
        return super().request(verb, path, body, headers=headers, raw=raw, **kwargs)

    def cli(self, *args, persona='system-admin', env=None, timeout=120):
        """The real ``baremetal`` CLI as ``persona`` (or with ``env`` as given)."""
        env = env or password_env(self.directory, persona)
        return subprocess.run([os.path.join(BIN, 'baremetal'), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)


class KeystoneDeployment(KeystoneAuth, Deployment):
    """anvil-api + conductors validating Keystone tokens."""


class KeystoneAllInOne(KeystoneAuth, AllInOne):
    """The all-in-one ``anvil`` validating Keystone tokens."""


def running_keystone_deployment(workdir, directory, conductors=2):
    """A started KeystoneDeployment on a PostgreSQL database of its own; all removed after."""
    return running_deployment(workdir, directory.anvil_auth_config(), conductors,
                              cls=KeystoneDeployment, directory=directory)


@contextlib.contextmanager
def running_keystone_all_in_one(workdir, directory):
    """A started KeystoneAllInOne (SQLite, in-process dispatcher), stopped after."""
    aio = KeystoneAllInOne(workdir, extra=directory.anvil_auth_config())
    aio.directory = directory
    try:
        try:
            aio.start()
        except Exception:
            print(aio.logs())
            raise
        yield aio
    finally:
        aio.stop()
