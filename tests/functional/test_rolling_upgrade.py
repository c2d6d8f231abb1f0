"""Rolling upgrade: APIs and conductors of two releases on one RabbitMQ and PostgreSQL.

Release 0.1's conductor is the real anvil-conductor serving 0.1's RPC
version (tests/functional/old_release_conductor.py says why). Node calls
here are sync and routed by the API's route cache, so the current release
sends them as RPC 1.1 (with ``expect``) unless pinned.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.functional import deployment
from tests.functional.deployment import LATEST, Process, running_deployment, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PINNED = {'DEFAULT': {'pin_release_version': '0.1'}}
EXTRA = {'api': {'node_route_cache_ttl': 60}}


class OldConductorsDeployment(deployment.Deployment):
    """Every conductor runs as release 0.1 sees the RPC API."""

    def start_conductor(self, name):
        deployment.services.QUEUES_MADE.add('%s.%s' % (self.topic, name))
        path = deployment.write_config(self.config_path(name), self.sections(host=name))
        env = dict(os.environ, PYTHONPATH=ROOT)
        proc = Process(name, [sys.executable, '-m', 'tests.functional.old_release_conductor',
                              '--config-file', path],
                       os.path.join(self.workdir, '%s.log' % name), env=env).start()
        self.conductors[name] = proc
        return proc


def _call(url, node, method='third_method_sync'):
    return deployment.requests.post('%s/v1/nodes/%s/vendor_passthru/%s' % (url, node, method),
                                    json={'bar': 'meow'}, headers=LATEST, timeout=30)


@pytest.fixture
def extra_api(request):
    procs = []

    def start(dep, name, sections):
        proc, url = dep.start_extra_api(name, sections)
        procs.append(proc)
        wait_for(lambda: _up(url), 60, what='%s answering' % name)
        return url
    yield start
    for proc in procs:
        proc.stop()


def _up(url):
    try:
        return deployment.requests.get(url + '/v1', timeout=2).status_code == 200
    except deployment.requests.RequestException:
        return False


def _release_pin_check(dep, name):
    """anvil-status's 'Release pin' check with the config of process ``name``: (code, details)."""
    result = subprocess.run([os.path.join(deployment.BIN, 'anvil-status'), '--config-file',
                             dep.config_path(name), 'upgrade', 'check', '--json'],
                            capture_output=True, text=True, timeout=120)
    checks = {c['check']: c for c in json.loads(result.stdout)['checks']}
    return checks['Release pin']['result'], checks['Release pin']['details']


def test_api_pinned_to_old_release_talks_to_new_conductors(tmp_path, extra_api):
    with running_deployment(tmp_path, extra=EXTRA, conductors=1) as dep:
        dep.create_node('n1')
        pinned = extra_api(dep, 'api-pinned', PINNED)
        for url in (pinned, pinned, dep.url):
            resp = _call(url, 'n1')
            assert resp.status_code == 200, resp.text
            assert resp.json() is True
        resp = deployment.requests.post(
            '%s/v1/drivers/fake-hardware/vendor_passthru/driver_echo' % pinned,
            json={'x': 1}, headers=LATEST, timeout=30)
        assert resp.status_code == 200, resp.text
        # the upgrade is over: anvil-status says the pin should go
        code, details = _release_pin_check(dep, 'api-pinned')
        assert code == 1 and 'pin_release_version is 0.1, but every live' in details, details
        assert _release_pin_check(dep, 'api')[0] == 0


def test_old_conductor_serves_a_pinned_api_and_refuses_an_unpinned_one(tmp_path, extra_api):
    with running_deployment(tmp_path, extra=EXTRA, conductors=1,
                            cls=OldConductorsDeployment) as dep:
        dep.create_node('n1')
        pinned = extra_api(dep, 'api-pinned', PINNED)
        resp = _call(pinned, 'n1')
        assert resp.status_code == 200, resp.text + dep.logs()

        resp = _call(dep.url, 'n1')  # unpinned: sent as 1.1, which 0.1 does not serve
        assert resp.status_code == 503, resp.text
        message = resp.json()['error_message']
        assert 'version 1.1 of vendor_passthru' in message, message
        assert 'pin_release_version' in message and '0.1' in message, message
        assert dep.node('n1')['reservation'] is None
        # what needs nothing new (driver methods, RPC 1.0) still runs there
        resp = deployment.requests.post(
            '%s/v1/drivers/fake-hardware/vendor_passthru/driver_echo' % dep.url,
            json={'x': 1}, headers=LATEST, timeout=30)
        assert resp.status_code == 200, resp.text
        # anvil-status: the unpinned API's config lacks the pin this conductor needs
        code, details = _release_pin_check(dep, 'api')
        assert code == 1 and 'serves RPC 1.0, older than the 1.1' in details, details
        assert _release_pin_check(dep, 'api-pinned')[0] == 0
