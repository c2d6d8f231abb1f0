"""anvil-status upgrade check: each check on real state (SQLite, a real conductor
service, real files), and the command end to end in a process of its own.
"""

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest
from oslo_upgradecheck.upgradecheck import Code

from anvil.cmd import status
from anvil.db import conductors as db_conductors
from anvil.db import engine as db_engine
from anvil.db import online_migrations


@pytest.fixture
def connect_to(conf):
    """Point anvil's engine at another database URL for one test."""
    def connect(url):
        conf.set_override('connection', url, group='database')
        db_engine.dispose()
    yield connect
    db_engine.dispose()


# -- database schema ------------------------------------------------------------

def test_schema_at_head(db):
    result = status.Checks()._check_schema()
    assert result.code == Code.SUCCESS, result.details


def test_schema_empty_database_fails_naming_dbsync(connect_to, tmp_path):
    connect_to('sqlite:///%s' % (tmp_path / 'empty.sqlite'))
    result = status.Checks()._check_schema()
    assert result.code == Code.FAILURE
    assert 'none (empty)' in result.details and 'anvil-dbsync upgrade' in result.details


def test_schema_unreachable_database_fails(connect_to):
    connect_to('postgresql+psycopg2://nobody@127.0.0.1:1/anvil')  # port 1: refused
    result = status.Checks()._check_schema()
    assert result.code == Code.FAILURE
    assert result.details.startswith('Cannot read the database')


# -- policy file -------------------------------------------------------------------

@pytest.mark.parametrize('content, code, words', [
    (None, Code.SUCCESS, 'No policy file'),
    ('"baremetal:node:get": "role:reader"\n', Code.SUCCESS, '1 rules'),
    ('# only comments\n', Code.SUCCESS, '0 rules'),
    ('{"baremetal:node:get": "role:reader"}', Code.FAILURE, 'JSON-formatted'),
    ('rules: [unclosed\n', Code.FAILURE, 'cannot be read as YAML'),
    ('- a list\n', Code.FAILURE, 'must map rule names'),
    ('"baremetal:node:get": {"nested": 1}\n', Code.FAILURE, 'must map rule names'),
])
def test_policy_file(conf, tmp_path, content, code, words):
    path = tmp_path / 'policy.yaml'
    if content is not None:
        path.write_text(content)
    conf.set_override('policy_file', str(path), group='oslo_policy')
    result = status.Checks()._check_policy_file()
    assert (result.code, words in (result.details or '')) == (code, True), result.details


# -- hardware types ------------------------------------------------------------------

def test_hardware_types_loadable(conf):
    conf.set_override('enabled_hardware_types', ['fake-hardware', 'redfish'])
    assert status.Checks()._check_hardware_types().code == Code.SUCCESS


def test_hardware_type_that_does_not_load_fails_naming_it(conf):
    conf.set_override('enabled_hardware_types', ['fake-hardware', 'no-such-type'])
    result = status.Checks()._check_hardware_types()
    assert result.code == Code.FAILURE
    assert result.details.endswith(': no-such-type.')


# -- live conductors -------------------------------------------------------------------

def test_live_conductor_serves_every_enabled_type(conductor, conf):
    conf.set_override('enabled_hardware_types', ['fake-hardware'])
    result = status.Checks()._check_live_conductors()
    assert (result.code, result.details) == (Code.SUCCESS, '1 live conductors.')


def test_enabled_type_without_live_conductor_fails(conductor, conf):
    conf.set_override('enabled_hardware_types', ['fake-hardware', 'redfish'])
    result = status.Checks()._check_live_conductors()
    assert result.code == Code.FAILURE
    assert result.details.startswith('No live conductor serves redfish:')


def test_stopped_conductor_is_not_live(conductor, conf):
    conductor.stop()  # marks itself offline
    result = status.Checks()._check_live_conductors()
    assert result.code == Code.FAILURE
    assert 'fake-hardware' in result.details


# -- release pin ---------------------------------------------------------------------

def _old_release_conductor(hostname, rpc_version):
    db_conductors.register_conductor(hostname, '', {'fake-hardware': {}}, [],
                                     rpc_version=rpc_version)


def test_unpinned_with_every_conductor_current(conductor):
    result = status.Checks()._check_release_pin()
    assert result.code == Code.SUCCESS, result.details


def test_pin_left_set_after_the_upgrade_warns(conductor, conf):
    conf.set_override('pin_release_version', '0.1')
    result = status.Checks()._check_release_pin()
    assert result.code == Code.WARNING
    assert result.details.startswith('[DEFAULT] pin_release_version is 0.1, but every live')


@pytest.mark.parametrize('recorded', [None, '1.0'])  # None: a release before the column
def test_older_conductor_without_a_pin_warns(conductor, conf, recorded):
    _old_release_conductor('old-host', recorded)
    result = status.Checks()._check_release_pin()
    assert result.code == Code.WARNING
    assert result.details.startswith('A live conductor serves RPC 1.0, older than the 1.1')
    conf.set_override('pin_release_version', '0.1')
    assert status.Checks()._check_release_pin().code == Code.SUCCESS


# -- online data migrations -----------------------------------------------------------

def test_no_online_migration_pending(db):
    result = status.Checks()._check_online_migrations()
    assert (result.code, result.details) == (Code.SUCCESS, 'No online data migration pending.')


def test_pending_online_migration_warns(db, monkeypatch):
    rows = {'left': 3}

    def fill_column(max_count):
        done = min(max_count, rows['left'])
        needed, rows['left'] = rows['left'], rows['left'] - done
        return needed, done
    monkeypatch.setattr(online_migrations, 'MIGRATIONS', [('fill_column', fill_column)])
    result = status.Checks()._check_online_migrations()
    assert result.code == Code.WARNING
    assert 'fill_column: 3 rows' in result.details and rows['left'] == 3
    online_migrations.run()
    assert status.Checks()._check_online_migrations().code == Code.SUCCESS


# -- noauth exposure ---------------------------------------------------------------------

@pytest.mark.parametrize('strategy, host, code', [
    ('noauth', '0.0.0.0', Code.WARNING),
    ('noauth', '192.0.2.10', Code.WARNING),
    ('noauth', '127.0.0.1', Code.SUCCESS),
    ('noauth', '::1', Code.SUCCESS),
    ('noauth', 'localhost', Code.SUCCESS),
    ('http_basic', '0.0.0.0', Code.SUCCESS),
    ('keystone', '0.0.0.0', Code.SUCCESS),
])
def test_noauth_exposure(conf, strategy, host, code):
    conf.set_override('auth_strategy', strategy)
    conf.set_override('host_ip', host, group='api')
    assert status.Checks()._check_noauth_exposure().code == code


# -- the command --------------------------------------------------------------------------

def _command(tmp_path, connection, *extra_lines):
    """Run the command; the fixture's conductor (heartbeat every hour) counts as alive."""
    config = tmp_path / 'status.conf'
    config.write_text('[DEFAULT]\nauth_strategy = http_basic\n%s\n[database]\nconnection = %s\n'
                      '[conductor]\nheartbeat_timeout = 3600\n'
                      % ('\n'.join(extra_lines), connection))
    env = dict(os.environ)
    env.pop('ANVIL_CONFIG_FILE', None)
    result = subprocess.run([sys.executable, '-m', 'anvil.cmd.status', '--config-file',
                             str(config), 'upgrade', 'check', '--json'],
                            capture_output=True, text=True, timeout=120, env=env)
    return result.returncode, {c['check']: c['result'] for c in
                               json.loads(result.stdout)['checks']}


def test_command_all_good_exits_0(conductor, conf, tmp_path):
    code, results = _command(tmp_path, conf.database.connection)
    assert code == 0, results
    assert results == dict.fromkeys(['Database schema', 'Policy file', 'Hardware types',
                                     'Live conductors', 'No authentication', 'Release pin',
                                     'Online data migrations'], 0)


def test_command_exits_with_the_worst_result(tmp_path):
    code, results = _command(tmp_path, 'sqlite:///%s' % (tmp_path / 'new.sqlite'),
                             'enabled_hardware_types = fake-hardware,no-such-type')
    assert code == 2
    assert results == {'Database schema': 2, 'Policy file': 0, 'Hardware types': 2,
                       'Live conductors': 2, 'No authentication': 0, 'Release pin': 2,
                       'Online data migrations': 0}


def test_help_and_version():
    env = {'PATH': '/usr/bin:/bin'}
    helped = subprocess.run([sys.executable, '-m', 'anvil.cmd.status', '--help'],
                            capture_output=True, text=True, timeout=60, env=env)
    assert helped.returncode == 0, helped.stderr
    assert 'ready to serve or to be upgraded' in helped.stdout
    assert 'Changed first: ' in helped.stdout
    version = subprocess.run([sys.executable, '-m', 'anvil.cmd.status', '--version'],
                             capture_output=True, text=True, timeout=60, env=env)
    assert version.stdout.strip() == importlib.metadata.version('anvil')
