"""The devstack plugin, every phase, without devstack (see devstack_harness).

``stack`` installs, configures (http_basic: Keystone is not enabled),
creates the database, starts anvil-api, anvil-cond and the Redfish emulator
and enrolls its systems; the real ``baremetal`` CLI then enrolls a
fake-hardware node and calls passthru methods on it and on a redfish node.
``unstack`` stops everything, ``clean`` removes every file.
"""

import contextlib
import os
import re
import signal
import socket
import stat
import time

import pytest
import requests

from tests.functional import secrets, services
from tests.functional.devstack_harness import (
    DevstackHarness,
    Target,
    exercise,
    reap,
    reaping_orphans,
    running,
)
from tests.functional.keystone_server import REGION

PASSWORD = secrets.register('devstack-Admin-pa55word', 'devstack ADMIN_PASSWORD')


def _require_servers():
    services.require_rabbit()
    services.require('PostgreSQL', services.PG_URL, 5432)


def _ok(completed):
    assert completed.returncode == 0, completed.stdout + getattr(completed, 'stderr', '')
    return completed.stdout


def _port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(('127.0.0.1', port)) == 0


def _read_conf(harness):
    with open(os.path.join(harness.conf_dir, 'anvil.conf')) as f:
        return f.read()


def _check_common_configuration(harness):
    conf = _read_conf(harness)
    for line in ('topic = %s' % harness.topic, 'host = %s' % harness.conductor,
                 'port = %d' % harness.port, 'transport_url = rabbit://'):
        assert line in conf, conf
    assert 'postgresql+psycopg2://' in conf
    with open(os.path.join(harness.conf_dir, 'functional-tests.env')) as f:
        test_env = dict(line.strip().split('=', 1) for line in f if line.strip())
    assert test_env['ANVIL_TEST_DEVSTACK_URL'] == harness.url
    assert test_env['ANVIL_TEST_RABBIT_URL'].startswith('rabbit://')
    assert test_env['ANVIL_TEST_PG_URL'].startswith('postgresql://')


def _check_http_basic_configuration(harness):
    assert 'auth_strategy = http_basic' in _read_conf(harness)
    htpasswd = os.path.join(harness.conf_dir, 'htpasswd')
    assert stat.S_IMODE(os.stat(htpasswd).st_mode) == 0o600
    with open(htpasswd) as f:
        assert re.fullmatch(r'admin:\$2[aby]\$\d\d\$\S{53}\n', f.read())


@contextlib.contextmanager
def _stacked(harness, target, services_started, redfish, record_property):
    """``stack``, the CLI, the block's checks, then ``unstack`` and ``clean`` (checked).

    Leaves nothing but the database and RPC queues, which the caller removes.
    """
    with reaping_orphans():
        started = time.monotonic()
        stack = harness.run('stack')
        pids = harness.pids()
        try:
            _ok(stack)
            assert sorted(pids) == services_started
            seconds = exercise(target, 'ds-fake', redfish=redfish) - started
            record_property('stack_to_first_passthru_s', round(seconds, 1))
            print('devstack harness: stack to first passthru answer %.1f s' % seconds)
            print('\n'.join(line for line in stack.stdout.splitlines()
                            if line.startswith('harness: ')))
            _check_common_configuration(harness)
            yield  # the caller's checks of the stacked state
        finally:
            unstack = harness.run('unstack')
            reap(pids.values())
        _ok(unstack)
        left_running = [service for service, pid in pids.items() if running(pid)]
        for service in left_running:  # the test fails, but leaves nothing behind
            os.killpg(pids[service], signal.SIGKILL)
            reap([pids[service]], block=True)
        assert left_running == []
        assert not _port_open(harness.port)
        assert harness.pids() == {}
    _ok(harness.run('clean'))
    assert not os.path.exists(harness.conf_dir)
    assert not os.path.exists(os.path.join(harness.data_dir, 'anvil'))
    assert harness.database_exists()  # devstack's database server keeps it; the test drops it


def test_stack_passthru_unstack_clean(tmp_path, record_property):
    """Keystone disabled: http_basic; the Redfish emulator with its nodes enrolled."""
    _require_servers()
    harness = DevstackHarness(tmp_path, PASSWORD)
    try:
        with _stacked(harness, harness.target(), ['anvil-api', 'anvil-cond', 'anvil-redfish'],
                      True, record_property):
            _check_http_basic_configuration(harness)
    finally:
        harness.remove_server_state()
    assert not harness.database_exists()


def test_stack_with_keystone_and_catalog(tmp_path, keystone, record_property):
    """Keystone enabled, ANVIL_REGISTER_ENDPOINT: the CLI finds anvil in the catalog."""
    _require_servers()
    harness = DevstackHarness(
        tmp_path, keystone.keystone.admin_password, ENABLED_SERVICES='keystone',
        KEYSTONE_SERVICE_URI=keystone.url[:-len('/v3')], SERVICE_PASSWORD=keystone.password,
        SERVICE_DOMAIN_NAME='Default', SERVICE_PROJECT_NAME='service',
        ANVIL_REGISTER_ENDPOINT='True')
    target = Target(None, auth_env={  # no OS_ENDPOINT: the catalog says where anvil is
        'OS_AUTH_TYPE': 'password', 'OS_AUTH_URL': keystone.url,
        'OS_USERNAME': 'system-admin', 'OS_PASSWORD': keystone.password,
        'OS_USER_DOMAIN_ID': 'default', 'OS_SYSTEM_SCOPE': 'all',
        'OS_REGION_NAME': REGION})
    try:
        with _stacked(harness, target, ['anvil-api', 'anvil-cond'], False, record_property):
            conf = _read_conf(harness)
            assert 'auth_strategy = keystone' in conf
            assert '[keystone_authtoken]\n' in conf and 'username = anvil' in conf
            assert not os.path.exists(os.path.join(harness.conf_dir, 'htpasswd'))
            resp = requests.get(harness.url + '/v1/nodes', timeout=10)
            assert resp.status_code == 401  # no token, no nodes
    finally:
        harness.remove_server_state()
        harness.keystone_admin('delete-service', 'baremetal', 'anvil')


@pytest.mark.parametrize('setting, message', [
    ({'ANVIL_AUTH_STRATEGY': 'kerberos'},
     'ANVIL_AUTH_STRATEGY must be keystone, http_basic or noauth'),
    ({'ADMIN_PASSWORD': ''}, 'http_basic needs ANVIL_ADMIN_PASSWORD'),
])
def test_stack_refuses_bad_settings(tmp_path, setting, message):
    """A bad local.conf stops ``stack`` at configuration, saying why; nothing starts."""
    _require_servers()
    harness = DevstackHarness(tmp_path, PASSWORD, **setting)
    result = harness.run('stack')
    assert result.returncode == 1
    assert message in result.stdout
    assert harness.pids() == {}
    assert not harness.database_exists()
