"""Run the devstack plugin (``devstack/``) without devstack.

``devstack.sh`` runs the plugin's phases in devstack's order with the devstack
functions of ``functions.sh``: real files in a work directory, real processes
(pid files instead of systemd units), the real RabbitMQ and PostgreSQL of the
functional tests. ``DevstackHarness`` gives it a database name, RPC topic and
conductor name of its own, and removes the database and the RPC queues after.

The services outlive ``devstack.sh stack`` (as devstack's units do), so
their parent is gone when they exit; ``reaping_orphans`` makes this process
the one that inherits and reaps them (this machine's PID 1 does not reap).
"""

import contextlib
import ctypes
import os
import subprocess
import time
import urllib.parse
import uuid

import sqlalchemy as sa

from tests.functional import services
from tests.functional.deployment import BIN, free_port, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SERVICES = ('anvil-api', 'anvil-cond', 'anvil-redfish')
#: anvil.conf lines devstack would take from local.conf's [[post-config]]:
#: quicker heartbeats and shutdown, so the test does not wait for defaults
POST_CONFIG = ('api metadata_cache_ttl 0.5', 'conductor heartbeat_interval 1',
               'conductor graceful_shutdown_timeout 3')
_PR_SET_CHILD_SUBREAPER = 36


class DevstackHarness:
    """One devstack "host" in ``workdir``: settings, phases, and the CLI against it."""

    def __init__(self, workdir, password, **settings):
        self.workdir = str(workdir)
        suffix = uuid.uuid4().hex[:10]
        self.database = 'anvil_devstack_%s' % suffix
        self.topic = 'anvil-devstack-%s' % suffix
        self.conductor = 'devstack-%s' % suffix
        self.password = password
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf_dir = os.path.join(self.workdir, 'etc', 'anvil')
        self.data_dir = os.path.join(self.workdir, 'data')
        self.service_dir = os.path.join(self.workdir, 'services')
        self.env = self._environment(settings)
        # the session checks they are gone at its end (tests/functional/conftest.py)
        services.QUEUES_MADE.update({self.topic, '%s.%s' % (self.topic, self.conductor)})

    def _environment(self, settings):
        pg = urllib.parse.urlparse(services.PG_URL)
        rabbit = urllib.parse.urlparse(services.RABBIT_URL.replace('rabbit://', 'amqp://'))
        env = {
            'PATH': os.environ['PATH'], 'HOME': os.environ.get('HOME', self.workdir),
            'PLUGIN_DIR': os.path.join(REPO, 'devstack'), 'ANVIL_DIR': REPO,
            'DEST': os.path.join(self.workdir, 'opt'), 'DATA_DIR': self.data_dir,
            'ANVIL_CONF_DIR': self.conf_dir,
            'SERVICE_DIR': self.service_dir, 'HARNESS_PYTHON': os.path.join(BIN, 'python'),
            'PYTHON': os.path.join(BIN, 'python'), 'STACK_USER': str(os.getuid()),
            'SERVICE_HOST': '127.0.0.1', 'SERVICE_TIMEOUT': '60',
            'ENABLE_DEBUG_LOG_LEVEL': 'False', 'REGION_NAME': 'RegionOne',
            'ENABLED_SERVICES': 'anvil-redfish', 'ADMIN_PASSWORD': self.password,
            'ANVIL_SERVICE_PORT': str(self.port), 'ANVIL_REDFISH_PORT': str(free_port()),
            'ANVIL_DATABASE_NAME': self.database, 'ANVIL_RPC_TOPIC': self.topic,
            'ANVIL_CONDUCTOR_HOST': self.conductor, 'ANVIL_API_WORKERS': '1',
            'DATABASE_TYPE': 'postgresql', 'DATABASE_USER': pg.username or 'postgres',
            'DATABASE_PASSWORD': pg.password or '',
            'DATABASE_HOST': '%s:%d' % (pg.hostname, pg.port or 5432),
            'RABBIT_HOST': rabbit.hostname, 'RABBIT_USERID': rabbit.username or 'guest',
            'RABBIT_PASSWORD': rabbit.password or 'guest',
            'HARNESS_POST_CONFIG': '\n'.join(POST_CONFIG),
        }
        env.update(settings)
        return env

    def run(self, mode, timeout=180):
        """``devstack.sh <mode>``; the CompletedProcess (output and errors together)."""
        return subprocess.run(['bash', os.path.join(HERE, 'devstack.sh'), mode], env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, cwd=self.workdir)

    def pids(self):
        """{service: pid} of the services whose pid file exists."""
        found = {}
        for service in SERVICES:
            path = os.path.join(self.service_dir, '%s.pid' % service)
            if os.path.exists(path):
                with open(path) as f:
                    found[service] = int(f.read())
        return found

    def target(self):
        """The anvil this harness stacks, for the CLI (http_basic, user admin)."""
        return Target(self.url, password=self.password)

    def keystone_admin(self, *args):
        """keystone_admin.py with this harness's Keystone settings; its output."""
        return subprocess.run([os.path.join(BIN, 'python'), os.path.join(HERE, 'keystone_admin.py'),
                               *args], env=self.env, check=True, capture_output=True,
                              text=True, timeout=60).stdout.strip()

    def remove_server_state(self):
        """Drop the database and the RPC queues this run made (whatever state it is in)."""
        server = services.PG_URL.rstrip('/')
        engine = sa.create_engine(server + '/postgres', isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % self.database)
        finally:
            engine.dispose()
        queues = {self.topic, '%s.%s' % (self.topic, self.conductor)}
        services.delete_queues(queues)
        services.QUEUES_MADE.difference_update(queues)

    def database_exists(self):
        engine = sa.create_engine(services.PG_URL.rstrip('/') + '/postgres')
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text('SELECT 1 FROM pg_database WHERE datname = :name'),
                                    {'name': self.database}).first() is not None
        finally:
            engine.dispose()


class Target:
    """An anvil the plugin deployed, driven by the real ``baremetal`` CLI.

    Credentials: ``auth_env`` (OS_* variables, e.g. Keystone's without
    OS_ENDPOINT, so the CLI finds anvil in the catalog), a clouds.yaml
    ``cloud``, or http_basic ``user`` and ``password``.
    """

    def __init__(self, url, cloud=None, user='admin', password=None, auth_env=None):
        self.url = url
        self.cloud = cloud
        self.user = user
        self.password = password
        self.auth_env = auth_env

    def cli(self, *args, timeout=120):
        env = dict(os.environ)
        for key in [k for k in env if k.startswith('OS_')]:
            env.pop(key)
        if self.auth_env:
            env.update(self.auth_env)
        elif self.cloud:
            env.update(OS_CLOUD=self.cloud, OS_ENDPOINT=self.url)
        else:
            env.update(OS_AUTH_TYPE='http_basic', OS_ENDPOINT=self.url,
                       OS_USERNAME=self.user, OS_PASSWORD=self.password)
        return subprocess.run([os.path.join(BIN, 'baremetal'), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args):
        """The CLI's output; AssertionError with its errors when it exits non-zero."""
        result = self.cli(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def outcome(self, node, method):
        """The node's history event telling how ``method`` ended, once there is one."""
        def ended():
            events = self.ok('node', 'history', 'list', node, '-f', 'value', '-c', 'event')
            return next((event for event in events.splitlines() if method in event and (
                'succeeded' in event or 'failed' in event)), None)
        return wait_for(ended, 30, 0.2, what='outcome of %s on %s' % (method, node))


def exercise(target, node, redfish=True):
    """Enroll ``node`` (fake-hardware), call it, call a redfish node the plugin enrolled.

    Returns time.monotonic() when the first passthru call was answered.
    """
    target.ok('node', 'create', '--driver', 'fake-hardware', '--name', node)
    target.ok('node', 'passthru', 'call', node, 'second_method', '--arg', 'bar=kazoo')
    answered = time.monotonic()
    assert 'succeeded' in target.outcome(node, 'second_method')
    if not redfish:
        return answered
    names = set(target.ok('node', 'list', '-f', 'value', '-c', 'Name').split())
    assert {'anvil-redfish-1', 'anvil-redfish-2', node} <= names, names
    # an enrolled redfish node really reaches its emulated BMC
    target.ok('node', 'passthru', 'call', 'anvil-redfish-1', 'eject_vmedia')
    assert "succeeded: returned {'ejected': " in target.outcome('anvil-redfish-1',
                                                               'eject_vmedia')
    return answered


def running(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def reaping_orphans():
    """Be the subreaper of the processes started within; reap them with ``reap``."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'prctl(PR_SET_CHILD_SUBREAPER)')
    try:
        yield
    finally:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def reap(pids, block=False):
    """Collect the exit status of those of ``pids`` that ended (and are ours);
    ``block``: wait for them to end."""
    for pid in pids:
        try:
            os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            pass
