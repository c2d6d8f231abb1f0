"""The driver author's example package (examples/anvil-example-driver), installed and used.

The package is installed with pip into a directory of the test's own, which
only the conductors get on their PYTHONPATH: the API never loads driver code,
it learns the methods, their verbs and argument checks from what the
conductors publish. Then the real CLI enrolls a node of the new hardware type
and calls its methods, and bad calls are refused by the API.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.functional.deployment import fault, running_deployment
from tests.polling import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, 'examples', 'anvil-example-driver')
TYPES = 'fake-hardware,example-hardware'


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    target = str(tmp_path_factory.mktemp('example-driver-site'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
                    '--target', target, EXAMPLE],
                   check=True, capture_output=True, timeout=300)
    with running_deployment(tmp_path_factory.mktemp('example-driver'),
                            extra={'DEFAULT': {'enabled_hardware_types': TYPES}},
                            conductor_env={'PYTHONPATH': target}) as d:
        wait_for(lambda: d.get('/v1/drivers/example-hardware').status_code == 200, 30,
                 what='example-hardware registered')
        yield d


def test_the_api_itself_cannot_import_the_package():
    proc = subprocess.run([sys.executable, '-c', 'import anvil_example_driver'],
                          capture_output=True, timeout=60)
    assert proc.returncode != 0  # only the conductors have it


def test_enroll_and_call_with_the_cli(dep):
    create = dep.cli('node', 'create', '--driver', 'example-hardware', '--name', 'chassis-1',
                     '--driver-info', 'example_address=10.0.0.7', '-f', 'json')
    assert create.returncode == 0, create.stderr
    assert json.loads(create.stdout)['vendor_interface'] == 'example'
    listing = dep.cli('node', 'passthru', 'list', 'chassis-1', '-f', 'json')
    assert listing.returncode == 0, listing.stderr
    assert {m['Name'] for m in json.loads(listing.stdout)} == {
        'set_indicator', 'get_indicator', 'reset_indicator'}
    drivers = dep.cli('driver', 'passthru', 'list', 'example-hardware', '-f', 'json')
    assert [m['name'] for m in json.loads(drivers.stdout)] == ['indicator_states']

    resp = dep.post('/v1/nodes/chassis-1/vendor_passthru/set_indicator', {'state': 'blinking'})
    assert (resp.status_code, resp.json()) == (200, {'state': 'blinking', 'previous': 'off'})
    resp = dep.get('/v1/nodes/chassis-1/vendor_passthru/get_indicator')
    assert (resp.status_code, resp.json()) == (200, {'state': 'blinking'})
    resp = dep.post('/v1/nodes/chassis-1/vendor_passthru/reset_indicator', {})
    assert resp.status_code == 202, resp.text
    wait_for(lambda: dep.get('/v1/nodes/chassis-1/vendor_passthru/get_indicator').json()
             == {'state': 'off'}, 30, what='the light reset in the background')
    resp = dep.get('/v1/drivers/example-hardware/vendor_passthru/indicator_states')
    assert (resp.status_code, resp.json()) == (200, ['off', 'on', 'blinking'])


@pytest.mark.parametrize('verb,method,body,message', [
    ('POST', 'set_indicator', {'state': 'purple'}, "'purple' is not one of"),
    ('POST', 'set_indicator', {}, "Parameter 'state' not passed to method 'set_indicator'."),
    ('POST', 'get_indicator', {}, 'does not support HTTP POST'),
    ('POST', 'no_such_method', {}, 'No handler for method no_such_method'),
])
def test_bad_calls_are_refused_by_the_api(dep, verb, method, body, message):
    if dep.get('/v1/nodes/chassis-bad').status_code == 404:
        dep.create_node('chassis-bad', driver='example-hardware',
                        driver_info={'example_address': 'x'})
    resp = dep.request(verb, '/v1/nodes/chassis-bad/vendor_passthru/%s' % method, body)
    assert resp.status_code == 400, resp.text
    assert message in fault(resp)['faultstring']
    assert dep.history('chassis-bad') == []  # nothing reached the driver



def test_driver_info_is_checked_against_the_published_schema(dep):
    resp = dep.post('/v1/nodes', {'name': 'chassis-no-address', 'driver': 'example-hardware'})
    assert resp.status_code == 400, resp.text
    assert 'example_address' in fault(resp)['faultstring']
