"""The all-in-one ``anvil`` command as a real process: API + one conductor, SQLite.

A fresh ``state_path`` gets its database created and migrated at start; sync,
async and driver passthru work over HTTP through the in-process dispatcher
(``rpc_transport = local``); SIGTERM stops it with exit status 0 and leaves no
node lock behind, even with a method running; a restart on the same
``state_path`` keeps everything. Once more over RabbitMQ (``rpc_transport =
oslo``).
"""

import os
import re
import subprocess

import pytest

from anvil.db import migration
from tests.functional import services
from tests.functional.all_in_one import running_all_in_one
from tests.functional.deployment import BIN, error_text, wait_for

# Every node method of the fake driver first sleeps [fake] vendor_delay.
SLOW = {'fake': {'vendor_delay': '3'}}


@pytest.fixture(scope='module')
def aio(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('aio')
    assert not os.path.exists(os.path.join(workdir, 'state'))
    with running_all_in_one(workdir) as aio:
        yield aio


def wait_for_outcome(target, node, request_id, word='succeeded', timeout=30):
    """The history event of ``request_id`` whose text contains ``word``."""
    def event():
        events = target.get('/v1/nodes/%s/history?detail=True' % node).json()['history']
        return [e for e in events if e['request_id'] == request_id and word in e['event']]
    return wait_for(event, timeout, what='%s %s in history' % (request_id, word))[0]


def exercise_passthru(target):
    """Sync, async and driver passthru over HTTP; returns the node's UUID."""
    node = target.create_node('aio-calls')['uuid']
    resp = target.post('/v1/nodes/aio-calls/vendor_passthru/third_method_sync', {'bar': 'meow'})
    assert (resp.status_code, resp.json()) == (200, True), resp.text
    resp = target.post('/v1/nodes/aio-calls/vendor_passthru?method=third_method_sync',
                       {'bar': 'woof'})
    assert (resp.status_code, resp.json()) == (200, False), resp.text

    resp = target.post('/v1/nodes/aio-calls/vendor_passthru/second_method', {'bar': 'kazoo'})
    assert (resp.status_code, resp.content) == (202, b''), resp.text
    event = wait_for_outcome(target, node, resp.headers['x-openstack-request-id'])
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == target.host

    resp = target.post('/v1/nodes/aio-calls/vendor_passthru/second_method', {})
    assert resp.status_code == 400
    assert error_text(resp) == "Parameter 'bar' not passed to method 'second_method'."

    resp = target.post('/v1/drivers/fake-hardware/vendor_passthru/driver_echo', {'a': 1})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {'echo': {'a': 1}, 'conductor': target.host}
    # no version header at all, as openstacksdk sends for driver passthru
    resp = target.post('/v1/drivers/fake-hardware/vendor_passthru?method=driver_noop', {},
                       headers={'X-OpenStack-Ironic-API-Version': None})
    assert resp.status_code == 202, resp.text
    assert target.node(node)['reservation'] is None
    return node


def test_fresh_state_path_is_created_and_migrated(aio):
    assert os.path.isfile(aio.sqlite_path)
    assert aio.query('SELECT version_num FROM alembic_version') == [(migration.head(),)]
    tables = {name for (name,) in aio.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {'nodes', 'conductors', 'node_history', 'vendor_methods'} <= tables
    assert re.search(r'Running upgrade [0-9a-f]* *-> %s' % migration.head(), aio.process.log())
    assert aio.query('SELECT online FROM conductors WHERE hostname = ?', aio.host) == [(1,)]


def test_a_second_anvil_on_the_same_port_says_so_in_one_line(aio):
    """Same config (port, state_path, host): it exits at once, and leaves the first
    one serving with its conductor alive."""
    proc = subprocess.run([os.path.join(BIN, 'anvil'), '--config-file',
                           aio.config_path('anvil')], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        'anvil: cannot listen on 127.0.0.1:%d (Address already in use)' % aio.port), proc.stderr
    assert 'Traceback' not in proc.stdout + proc.stderr
    assert aio.get('/v1').status_code == 200
    assert aio.conductor_alive(aio.host)
    assert aio.query('SELECT online FROM conductors WHERE hostname = ?', aio.host) == [(1,)]


def test_the_start_banner_names_the_cli_that_is_installed(aio):
    banner = aio.process.log()
    assert 'OS_ENDPOINT=%s %s driver list' % (aio.url, os.path.relpath(
        os.path.join(BIN, 'baremetal'))) in banner, banner[:2000]


def test_passthru_over_http_with_local_dispatcher(aio):
    exercise_passthru(aio)
    download = aio.get('/v1/nodes/aio-calls/vendor_passthru/download_log')
    assert download.status_code == 200
    assert download.headers['Content-Disposition'] == 'attachment'
    assert len(download.content) == 1024


def test_sigterm_with_a_method_running_then_restart(aio):
    node = aio.create_node('aio-persist')['uuid']
    # Restart (asserting exit 0) so that node methods take 3 s: long enough to
    # stop the process while one holds the node's lock.
    aio.restart(extra=SLOW)
    assert aio.node('aio-persist')['uuid'] == node
    resp = aio.post('/v1/nodes/aio-persist/vendor_passthru/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    wait_for(lambda: aio.node(node)['reservation'] == aio.host, 10, what='lock taken')

    assert aio.stop() == 0, aio.logs()

    # Straight from the SQLite file: no lock left, conductor offline, and the
    # running method was allowed to finish (graceful_shutdown_timeout = 10 s).
    assert aio.query('SELECT reservation FROM nodes WHERE reservation IS NOT NULL') == []
    assert aio.query('SELECT online FROM conductors WHERE hostname = ?', aio.host) == [(0,)]
    events = [e for (e,) in aio.query('SELECT event FROM node_history WHERE request_id = ? '
                                      'ORDER BY id', request_id)]
    assert events == ['Vendor passthru second_method started',
                      'Vendor passthru second_method succeeded: returned True']

    upgrades_before = len(re.findall(r'Running upgrade', aio.process.log()))
    aio.extra = {}
    aio.start()
    log = aio.process.log()
    assert len(re.findall(r'Running upgrade', log)) == upgrades_before, \
        'migrated again on restart'
    since_stop = log.split('Stopping anvil')[-1]  # the last stop and this start
    # the lock was released by the finished method, not forced by the stop or the restart
    assert 'stopped; released 0 locks' in since_stop
    assert 'Released' not in since_stop
    assert aio.node('aio-persist')['reservation'] is None
    assert {n['name'] for n in aio.get('/v1/nodes').json()['nodes']} >= {'aio-persist'}
    history = aio.get('/v1/nodes/aio-persist/history').json()['history']
    assert request_id in {e['request_id'] for e in history}
    resp = aio.post('/v1/nodes/aio-persist/vendor_passthru/third_method_sync', {'bar': 'meow'})
    assert (resp.status_code, resp.json()) == (200, True)


# -- rpc_transport = oslo -------------------------------------------------------

def test_all_in_one_over_rabbitmq(tmp_path):
    services.require_rabbit()
    with running_all_in_one(tmp_path, rpc_transport='oslo',
                            rabbit_url=services.RABBIT_URL) as aio:
        queue = '%s.%s' % (aio.topic, aio.host)
        try:
            # the conductor really listens on the bus, on this run's own topic
            assert services.queue_consumers(queue) >= 1
            exercise_passthru(aio)
            assert aio.stop() == 0, aio.logs()
            assert services.queue_consumers(queue) in (0, None)  # no consumer left (or queue gone)
            assert aio.query('SELECT reservation FROM nodes WHERE reservation IS NOT NULL') == []
        finally:
            with services.amqp_channel() as channel:
                for name in (queue, aio.topic):
                    channel.queue_delete(name)
