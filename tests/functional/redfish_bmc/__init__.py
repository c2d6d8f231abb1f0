"""A Redfish BMC to test against: sushy-tools' emulator, extended (see ``server``).

``Bmc(workdir).start()`` runs the extended emulator with the fake systems
driver on a free loopback port, with an htpasswd file (bcrypt rounds=4, so
each Basic-auth request costs ~1 ms, not ~0.3 s) and its state in
``workdir``; ``stock=True`` runs the unextended ``sushy-emulator`` instead.
Helpers read its counters, inject faults and expire sessions through the
``/_test/`` controls.
"""

import contextlib
import os
import subprocess
import sys
import uuid

import bcrypt
import requests
import sushy
from sushy import auth as sushy_auth

from tests.functional import secrets
from tests.functional.deployment import BIN, Process, free_port, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
USER, PASSWORD = 'admin', 'redfish-secret'


def write_htpasswd(path, users):
    with open(path, 'w') as f:
        for user, password in users.items():
            digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4))
            f.write('%s:%s\n' % (user, digest.decode()))
    return path


class _RepoProcess(Process):
    """A Process started in the repository root, so ``-m tests...`` imports this tree."""

    def start(self):
        with open(self.log_path, 'ab') as log:
            self.popen = subprocess.Popen(self.argv, cwd=REPO, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        return self


class Bmc:
    """One extended sushy-emulator process with one fake system."""

    def __init__(self, workdir, users=None, name='bmc', stock=False):
        self.workdir = str(workdir)
        self.stock = stock  # the plain sushy-emulator: no EventService, no SessionService
        self.name = name
        self.users = users or {USER: PASSWORD}
        for user, password in self.users.items():
            secrets.register(password, 'BMC password of %s' % user)
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.system_uuid = str(uuid.uuid4())
        self.system_path = '/redfish/v1/Systems/%s' % self.system_uuid
        self.process = None

    def _config(self):
        state = os.path.join(self.workdir, '%s-state' % self.name)
        auth = write_htpasswd(os.path.join(self.workdir, '%s.htpasswd' % self.name),
                              self.users)
        systems = [{'uuid': self.system_uuid, 'name': 'anvil-%s' % self.name,
                    'power_state': 'Off',
                    'nics': [{'mac': '00:5c:52:31:3a:9c', 'ip': '172.22.0.100'}]}]
        path = os.path.join(self.workdir, '%s.conf' % self.name)
        with open(path, 'w') as f:
            f.write('SUSHY_EMULATOR_STATE_DIR = %r\n' % state)
            f.write('SUSHY_EMULATOR_AUTH_FILE = %r\n' % auth)
            f.write('SUSHY_EMULATOR_FAKE_SYSTEMS = %r\n' % systems)
        return path

    def start(self):
        program = ([os.path.join(BIN, 'sushy-emulator')] if self.stock else
                   [sys.executable, '-m', 'tests.functional.redfish_bmc.server'])
        argv = program + ['--fake', '--config', self._config(), '-i', '127.0.0.1',
                          '-p', str(self.port)]
        log_path = os.path.join(self.workdir, '%s.log' % self.name)
        secrets.not_anvils(log_path)  # the emulator's own log: it is told the passwords
        self.process = _RepoProcess(self.name, argv, log_path).start()
        wait_for(self._up, 30, what='%s answering' % self.name)
        return self

    def _up(self):
        try:
            return requests.get(self.url + '/redfish/v1/', timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def log(self):
        return self.process.log() if self.process else ''

    def driver_info(self, **overrides):
        info = {'redfish_address': self.url, 'redfish_system_id': self.system_path,
                'redfish_username': USER, 'redfish_password': self.users[USER]}
        info.update(overrides)
        return info

    # -- test controls -----------------------------------------------------

    def stats(self):
        return requests.get(self.url + '/_test/stats', timeout=5).json()

    def inject(self, path, **fault):
        requests.post(self.url + '/_test/faults', json=dict(fault, path=path),
                      timeout=5).raise_for_status()

    def clear_faults(self):
        requests.delete(self.url + '/_test/faults', timeout=5).raise_for_status()

    def expire_sessions(self):
        requests.delete(self.url + '/_test/sessions', timeout=5).raise_for_status()

    def subscription_headers(self):
        return requests.get(self.url + '/_test/subscription_headers', timeout=5).json()

    @contextlib.contextmanager
    def sushy(self):
        """A sushy root of the test's own, to look at the BMC's state; logged out after.

        (Left to sushy's ``__del__``, the logout would run at some later garbage
        collection, maybe after this BMC stopped, retrying for ~30 s.)
        """
        auth = sushy_auth.SessionOrBasicAuth(username=USER, password=self.users[USER])
        root = sushy.Sushy(self.url, auth=auth, read_timeout=10, server_side_retries=1,
                           server_side_retries_delay=0.1)
        try:
            yield root
        finally:
            auth.close()
