"""The devstack plugin, every phase, without devstack (see devstack_harness).

``stack`` installs, configures (http_basic: Keystone is not enabled),
creates the database, starts anvil-api, anvil-cond and the Redfish emulator
and enrolls its systems; the real ``baremetal`` CLI then enrolls a
fake-hardware node and calls passthru methods on it and on a redfish node.
``unstack`` stops everything, ``clean`` removes every file.
"""

import os
import re
import socket
import stat
import time

import pytest

from tests.functional import secrets, services
from tests.functional.devstack_harness import (
    DevstackHarness,
    exercise,
    reap,
    reaping_orphans,
    running,
)

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


def _check_configuration(harness):
    with open(os.path.join(harness.conf_dir, 'anvil.conf')) as f:
        conf = f.read()
    for line in ('auth_strategy = http_basic', 'topic = %s' % harness.topic,
                 'host = %s' % harness.conductor, 'port = %d' % harness.port,
                 'transport_url = rabbit://'):
        assert line in conf, conf
    assert 'postgresql+psycopg2://' in conf
    htpasswd = os.path.join(harness.conf_dir, 'htpasswd')
    assert stat.S_IMODE(os.stat(htpasswd).st_mode) == 0o600
    with open(htpasswd) as f:
        assert re.fullmatch(r'admin:\$2[aby]\$\d\d\$\S{53}\n', f.read())
    with open(os.path.join(harness.conf_dir, 'functional-tests.env')) as f:
        test_env = dict(line.strip().split('=', 1) for line in f if line.strip())
    assert test_env['ANVIL_TEST_DEVSTACK_URL'] == harness.url
    assert test_env['ANVIL_TEST_RABBIT_URL'].startswith('rabbit://')
    assert test_env['ANVIL_TEST_PG_URL'].startswith('postgresql://')


def test_stack_passthru_unstack_clean(tmp_path, record_property):
    _require_servers()
    harness = DevstackHarness(tmp_path, PASSWORD)
    try:
        with reaping_orphans():
            started = time.monotonic()
            stack = harness.run('stack')
            pids = harness.pids()
            try:
                _ok(stack)
                assert sorted(pids) == ['anvil-api', 'anvil-cond', 'anvil-redfish']
                seconds = exercise(harness.target(), 'ds-fake') - started
                record_property('stack_to_first_passthru_s', round(seconds, 1))
                print('devstack harness: stack to first passthru answer %.1f s' % seconds)
                print('\n'.join(line for line in stack.stdout.splitlines()
                                if line.startswith('harness: ')))
                _check_configuration(harness)
            finally:
                unstack = harness.run('unstack')
                reap(pids.values())
            _ok(unstack)
            assert [s for s, pid in pids.items() if running(pid)] == []
            assert not _port_open(harness.port)
            assert harness.pids() == {}
        _ok(harness.run('clean'))
        assert not os.path.exists(harness.conf_dir)
        assert not os.path.exists(os.path.join(harness.data_dir, 'anvil'))
        assert harness.database_exists()  # devstack's database server keeps it ...
    finally:
        harness.remove_server_state()     # ... the test drops it, and its queues
    assert not harness.database_exists()


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
