"""A real Keystone for the functional auth tests, in a temporary directory.

Keystone runs from ``.venv-keystone`` (``tools/keystone-venv.sh`` installs it: a
venv of its own so that Keystone's dependencies never move the versions anvil is
tested with, nor hide a dependency anvil forgot to declare). ``Keystone.start``
writes ``keystone.conf`` (SQLite database, fernet and credential key
repositories, all under ``workdir``), runs ``keystone-manage`` fernet_setup,
credential_setup, db_sync and bootstrap (user ``admin``, region ``RegionOne``,
the identity endpoints), then serves Keystone's WSGI application with gunicorn
on a free loopback port. ``stop`` ends gunicorn and its workers.

The identities the tests use (projects, users, role assignments, the
``baremetal`` catalog entry) are made through Keystone's REST API by
``keystone_directory``.
"""

import os
import secrets
import signal
import subprocess

import pytest
import requests

from tests.functional import services
from tests.functional.deployment import Process, free_port, wait_for, write_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.environ.get('ANVIL_TEST_KEYSTONE_VENV', os.path.join(REPO, '.venv-keystone'))
#: Keystone's WSGI entry point (keystone.server.wsgi.initialize_public_application,
#: called once on import).
WSGI_APP = 'keystone.wsgi.api:application'
REGION = 'RegionOne'


def require_keystone():
    """Skip (or fail, with ANVIL_TEST_REQUIRE_SERVICES=1) without .venv-keystone."""
    if os.access(os.path.join(VENV, 'bin', 'keystone-manage'), os.X_OK):
        return
    message = ('Keystone is not installed in %s: run tools/keystone-venv.sh' % VENV)
    if services.REQUIRED:
        pytest.fail(message + ' (ANVIL_TEST_REQUIRE_SERVICES=1)')
    pytest.skip(message)


class Keystone:
    """One Keystone (gunicorn + SQLite) in ``workdir``; ``url`` is its identity root."""

    def __init__(self, workdir, threads=4):
        self.workdir = str(workdir)
        self.threads = threads
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d/v3' % self.port
        self.admin_password = secrets.token_hex(12)
        self.process = None

    # -- configuration ----------------------------------------------------

    def _path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def sections(self):
        keys = {name: self._path(name) for name in ('fernet-keys', 'credential-keys')}
        for path in keys.values():
            os.makedirs(path, mode=0o700, exist_ok=True)
        return {
            'DEFAULT': {'debug': 'false', 'use_stderr': 'true'},
            'database': {'connection': 'sqlite:///%s' % self._path('keystone.sqlite')},
            'token': {'provider': 'fernet', 'expiration': 7200},
            'fernet_tokens': {'key_repository': keys['fernet-keys']},
            'fernet_receipts': {'key_repository': keys['fernet-keys']},
            'credential': {'key_repository': keys['credential-keys']},
            # bcrypt's least cost: every test login hashes a password
            'identity': {'password_hash_rounds': 4},
            'cache': {'enabled': 'false'},
        }

    def config_file(self):
        return self._path('keystone.conf')

    def manage(self, *commands):
        """Run ``keystone-manage`` COMMANDS (each an argv tuple) side by side.

        Raises AssertionError naming the first command that failed.
        """
        runs = []
        for args in commands:
            argv = [os.path.join(VENV, 'bin', 'keystone-manage'), '--config-file',
                    self.config_file(), *args]
            runs.append((args, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True)))
        failed = []
        for args, popen in runs:
            output, _ = popen.communicate(timeout=180)
            if popen.returncode != 0:
                failed.append('keystone-manage %s failed (%s):\n%s'
                              % (args[0], popen.returncode, output[-3000:]))
        if failed:
            raise AssertionError('\n'.join(failed))

    def _prepare(self):
        write_config(self.config_file(), self.sections())
        owner = ('--keystone-user', str(os.getuid()), '--keystone-group', str(os.getgid()))
        # each keystone-manage spends seconds importing Keystone: the three
        # independent steps run at once, bootstrap needs the database after
        self.manage(('fernet_setup', *owner), ('credential_setup', *owner), ('db_sync',))
        self.manage(('bootstrap', '--bootstrap-password', self.admin_password,
                     '--bootstrap-admin-url', self.url, '--bootstrap-public-url', self.url,
                     '--bootstrap-internal-url', self.url, '--bootstrap-region-id', REGION))

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout=60):
        """Prepare the database and keys, start gunicorn, wait until /v3 answers."""
        require_keystone()
        self._prepare()
        # Keystone parses the process's command line as its own options, so
        # gunicorn takes everything from ./gunicorn.conf.py (cwd: workdir).
        with open(self._path('gunicorn.conf.py'), 'w') as f:
            f.write('wsgi_app = %r\nbind = %r\nworker_class = "gthread"\nworkers = 1\n'
                    'threads = %d\ntimeout = 120\ngraceful_timeout = 5\n'
                    'control_socket_disable = True\n'
                    % (WSGI_APP, '127.0.0.1:%d' % self.port, self.threads))
        argv = [os.path.join(VENV, 'bin', 'gunicorn')]
        self.process = _KeystoneProcess(self.workdir, argv).start()
        wait_for(lambda: self._up() or self.process.popen.poll() is not None, timeout,
                 what='Keystone answering %s' % self.url)
        if self.process.popen.poll() is not None:
            raise AssertionError('Keystone exited with %s:\n%s'
                                 % (self.process.popen.returncode, self.log()))
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop(signal.SIGTERM, timeout=20)

    def log(self):
        return self.process.log()[-8000:] if self.process else ''

    def _up(self):
        try:
            return requests.get(self.url, timeout=2).status_code == 200
        except requests.RequestException:
            return False


class _KeystoneProcess(Process):
    """gunicorn with OS_KEYSTONE_CONFIG_DIR pointing at the Keystone's workdir."""

    def __init__(self, workdir, argv):
        super().__init__('keystone', argv, os.path.join(workdir, 'keystone.log'))
        self.env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=workdir,
                        OS_KEYSTONE_CONFIG_FILES='keystone.conf')
        # anvil's venv must not leak into Keystone's interpreter
        self.env.pop('PYTHONPATH', None)
        self.env.pop('VIRTUAL_ENV', None)

    def start(self):
        log = open(self.log_path, 'ab')
        self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                      env=self.env, cwd=os.path.dirname(self.log_path),
                                      start_new_session=True,
                                      stdin=subprocess.DEVNULL)
        log.close()
        return self

