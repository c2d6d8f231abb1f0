"""The redfish hardware type through real processes, against a real Redfish BMC emulator.

anvil-api + two anvil-conductors (RabbitMQ, PostgreSQL) and the sushy-tools
emulator extended with EventService and SessionService
(``tests/functional/redfish_bmc``), driven by the ``baremetal`` CLI and HTTP
the way Ironic users do. BMC state is checked on the BMC itself, with sushy.
"""

import ast
import json

import pytest

from tests.functional.redfish_bmc import Bmc, harness
from tests.functional.redfish_bmc.harness import call, fault
from tests.functional.redfish_bmc.tiny_servers import ImageServer

SHOWN = {'Id', 'Destination', 'EventTypes', 'Context', 'Protocol'}
DEST = 'https://192.0.2.10:9000/events'


@pytest.fixture(scope='module')
def bmc(tmp_path_factory):
    bmc = Bmc(tmp_path_factory.mktemp('bmc')).start()
    yield bmc
    bmc.stop()


@pytest.fixture(scope='module')
def rf(tmp_path_factory, pg_database):
    dep = harness.start_deployment(tmp_path_factory.mktemp('deployment'), pg_database.url)
    yield dep
    dep.stop()


@pytest.fixture(scope='module')
def node(rf, bmc):
    return harness.create_node(rf, 'rf1', bmc.driver_info())['uuid']


# -- enrollment ----------------------------------------------------------------

def test_enroll_as_ironic_users_write_it(rf, bmc):
    created = harness.cli_json(rf.cli(
        'node', 'create', '--driver', 'redfish', '--name', 'rf-cli',
        '--deploy-interface', 'ramdisk', '--boot-interface', 'redfish-virtual-media',
        '--driver-info', 'redfish_address=%s' % bmc.url,
        '--driver-info', 'redfish_system_id=%s' % bmc.system_path,
        '--driver-info', 'redfish_username=admin',
        '--driver-info', 'redfish_password=%s' % bmc.users['admin'], '-f', 'json'))
    shown = rf.node(created['uuid'])
    assert (shown['driver'], shown['boot_interface'], shown['deploy_interface'],
            shown['vendor_interface'], shown['power_interface']) == (
        'redfish', 'redfish-virtual-media', 'ramdisk', 'redfish', 'redfish')
    assert shown['driver_info']['redfish_password'] == '******'
    assert shown['driver_info']['redfish_address'] == bmc.url
    listed = harness.cli_json(rf.cli('node', 'passthru', 'list', 'rf-cli', '-f', 'json'))
    assert {m['Name'] for m in listed} == {'create_subscription', 'delete_subscription',
                                          'eject_vmedia', 'get_all_subscriptions',
                                          'get_subscription'}


def test_unknown_interface_is_refused(rf, bmc):
    resp = rf.post('/v1/nodes', {'name': 'rf-bad-if', 'driver': 'redfish',
                                 'boot_interface': 'floppy-boot',
                                 'driver_info': bmc.driver_info()})
    status, message = fault(resp)
    assert status == 400
    assert 'does not support boot interface floppy-boot' in message
    assert 'redfish-virtual-media' in message


# -- method listings -----------------------------------------------------------

def test_methods_listed_with_locks_and_verbs(rf, node):
    methods = rf.get('/v1/nodes/%s/vendor_passthru/methods' % node).json()
    assert {name: (m['http_methods'], m['async'], m['require_exclusive_lock'])
            for name, m in methods.items()} == {
        'create_subscription': (['POST'], False, True),
        'delete_subscription': (['DELETE'], False, True),
        'eject_vmedia': (['POST'], True, True),
        'get_all_subscriptions': (['GET'], False, False),
        'get_subscription': (['GET'], False, False)}


def _debug_reply(stderr):
    """The JSON reply in the CLI's --debug log."""
    line = next(x for x in stderr.splitlines() if 'RESP BODY: ' in x)
    return json.loads(line.split('RESP BODY: ', 1)[1])


def test_driver_probe_through_the_cli(rf, bmc):
    listed = rf.cli('driver', 'passthru', 'list', 'redfish')
    assert listed.returncode == 0 and 'probe_bmc' in listed.stdout
    # ironicclient 6.3.0 cannot print any object a driver method returns (it
    # wraps it in a Resource and fails with "id", against Ironic too): read the
    # reply in its debug log
    done = rf.cli('--debug', 'driver', 'passthru', 'call', 'redfish', 'probe_bmc',
                  '--arg', 'redfish_address=%s' % bmc.url, '--arg', 'redfish_username=admin',
                  '--arg', 'redfish_password=%s' % bmc.users['admin'])
    assert 'RESP: [200]' in done.stderr
    report = _debug_reply(done.stderr)
    assert report['redfish_version'] == '1.5.0'
    assert report['systems_count'] == 1
    assert report['systems'][0]['id'] == bmc.system_path
    assert report['managers_count'] == 1


def test_driver_probe_errors(rf, bmc):
    resp = rf.post('/v1/drivers/redfish/vendor_passthru/probe_bmc',
                   {'redfish_address': bmc.url, 'redfish_username': 'admin',
                    'redfish_password': 'wrong'})
    status, message = fault(resp)
    assert status == 502 and 'refused the credentials' in message
    assert 'wrong' not in message
    status, message = fault(rf.post('/v1/drivers/redfish/vendor_passthru/probe_bmc', {}))
    assert status == 400 and "Parameter 'redfish_address' not passed" in message


# -- subscriptions -------------------------------------------------------------

def test_subscription_lifecycle(rf, bmc, node):
    created = call(rf, node, 'create_subscription', body={'Destination': DEST,
                                                          'Context': 'anvil'})
    assert created.status_code == 200, created.text
    sub = created.json()
    assert set(sub) == SHOWN
    assert (sub['Destination'], sub['EventTypes'], sub['Context'], sub['Protocol']) == (
        DEST, ['Alert'], 'anvil', 'Redfish')
    everything = call(rf, node, 'get_all_subscriptions', 'GET')
    assert everything.status_code == 200
    assert {'@odata.id': '/redfish/v1/EventService/Subscriptions/%s' % sub['Id']} in \
        everything.json()['Members']
    one = call(rf, node, 'get_subscription', 'GET', body={'id': sub['Id']})
    assert one.status_code == 200 and one.json() == sub
    deleted = call(rf, node, 'delete_subscription', 'DELETE', body={'id': sub['Id']})
    assert (deleted.status_code, deleted.text) == (200, 'null')
    status, message = fault(call(rf, node, 'delete_subscription', 'DELETE',
                                 body={'id': sub['Id']}))
    assert status == 404
    assert 'Subscriptions/%s was not found' % sub['Id'] in message
    status, message = fault(call(rf, node, 'get_subscription', 'GET', body={'id': sub['Id']}))
    assert status == 404 and 'not found on the BMC' in message
    assert rf.node(node)['reservation'] is None


def test_explicit_event_types_work_and_headers_are_not_echoed(rf, bmc, node):
    resp = call(rf, node, 'create_subscription', body={
        'Destination': DEST, 'EventTypes': ['Alert', 'StatusChange'],
        'HttpHeaders': [{'Authorization': 'Bearer collector-token'}]})
    assert resp.status_code == 200, resp.text
    sub = resp.json()
    assert sub['EventTypes'] == ['Alert', 'StatusChange']
    assert set(sub) == SHOWN and 'collector-token' not in resp.text
    assert bmc.subscription_headers()[sub['Id']] == [
        {'Authorization': 'Bearer collector-token'}]
    on_bmc = call(rf, node, 'get_subscription', 'GET', body={'id': sub['Id']})
    assert 'collector-token' not in on_bmc.text


def test_subscriptions_through_the_cli(rf, bmc, node):
    done = rf.cli('node', 'passthru', 'call', node, 'create_subscription',
                  '--arg', 'Destination=%s' % DEST, '--arg', 'EventTypes=["ResourceAdded"]')
    assert done.returncode == 0, done.stderr
    sub = ast.literal_eval(done.stdout.strip())
    assert sub['EventTypes'] == ['ResourceAdded']
    listed = rf.cli('node', 'passthru', 'call', node, 'get_all_subscriptions',
                    '--http-method', 'GET')
    assert listed.returncode == 0, listed.stderr
    assert sub['Id'] in listed.stdout
    # the CLI drops --arg for GET and DELETE: a clear 400, not Ironic's 500
    for method, verb in (('get_subscription', 'GET'), ('delete_subscription', 'DELETE')):
        done = rf.cli('node', 'passthru', 'call', node, method, '--http-method', verb,
                      '--arg', 'id=%s' % sub['Id'])
        assert done.returncode == 1
        assert "Parameter 'id' not passed to method '%s'. (HTTP 400)" % method in done.stderr


def test_bmc_refusal_comes_back_with_its_message(rf, node):
    status, message = fault(call(rf, node, 'create_subscription', body={
        'Destination': DEST, 'EventTypes': ['Bogus']}))
    assert status == 400
    assert 'the BMC refused the request (HTTP 400)' in message
    assert 'The value Bogus for the property EventTypes is not in the list' in message


@pytest.mark.parametrize('method, verb, body, words', [
    ('create_subscription', 'POST', {}, "Parameter 'Destination' not passed"),
    ('create_subscription', 'POST', {'Destination': 'not a uri'}, "'Destination'"),
    ('create_subscription', 'POST', {'Destination': 'ftp://192.0.2.1/x'}, "'Destination'"),
    ('create_subscription', 'POST', {'Destination': DEST, 'Foo': 1}, "'Foo'"),
    ('get_subscription', 'GET', None, "Parameter 'id' not passed"),
    ('delete_subscription', 'DELETE', {}, "Parameter 'id' not passed"),
    ('eject_vmedia', 'POST', {'boot_device': 'tape'}, "'tape' is not one of"),
    ('get_all_subscriptions', 'POST', {}, 'does not support HTTP POST'),
])
def test_bad_arguments_are_400_before_the_bmc(rf, bmc, node, method, verb, body, words):
    before = bmc.stats()
    status, message = fault(call(rf, node, method, verb, body=body))
    assert status == 400 and words in message
    after = bmc.stats()
    assert after['token_requests'] == before['token_requests']  # nothing reached the BMC


# -- virtual media -------------------------------------------------------------

@pytest.fixture
def image():
    server = ImageServer().start()
    yield server
    server.stop()


def _inserted(bmc):
    with bmc.sushy() as root:
        system = root.get_system(bmc.system_path)
        return {d.identity: bool(d.inserted) for d in system.virtual_media.get_members()}


def _eject(rf, node, body):
    resp = call(rf, node, 'eject_vmedia', body=body)
    assert resp.status_code == 202 and resp.text == '', resp.text
    return harness.history_outcome(rf, node, resp.headers['x-openstack-request-id'])


def test_eject_vmedia_really_ejects(rf, bmc, node, image):
    with bmc.sushy() as root:
        cd = root.get_system(bmc.system_path).virtual_media.get_member(
            bmc.system_path + '/VirtualMedia/Cd')
        cd.insert_media(image.image_url)
    assert _inserted(bmc) == {'Cd': True, 'Floppy': False}
    event = _eject(rf, node, {'boot_device': 'floppy'})
    assert 'succeeded' in event['event'] and "'ejected': []" in event['event']
    assert _inserted(bmc)['Cd'] is True
    event = _eject(rf, node, {})
    assert "'ejected': ['Cd']" in event['event']
    assert _inserted(bmc) == {'Cd': False, 'Floppy': False}
    assert rf.node(node)['reservation'] is None


# -- locks and connections -----------------------------------------------------

def test_reads_run_while_the_node_is_locked(rf, node):
    rf.set_reservation(node, 'another-conductor')
    try:
        assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200
        status, message = fault(call(rf, node, 'create_subscription',
                                     body={'Destination': DEST}))
        assert status == 409 and 'locked by host another-conductor' in message
    finally:
        rf.set_reservation(node, None)


def test_one_session_reused_across_calls(rf, bmc, node):
    call(rf, node, 'get_all_subscriptions', 'GET')  # the owner has its client now
    before = bmc.stats()
    for _ in range(5):
        assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200
    after = bmc.stats()
    assert after['sessions_created'] == before['sessions_created']
    assert after['token_requests'] >= before['token_requests'] + 10


def test_expired_session_is_renewed(rf, bmc, node):
    call(rf, node, 'get_all_subscriptions', 'GET')
    bmc.expire_sessions()
    before = bmc.stats()
    resp = call(rf, node, 'get_all_subscriptions', 'GET')
    assert resp.status_code == 200, resp.text
    after = bmc.stats()
    assert after['refused_tokens'] > before['refused_tokens']
    assert after['sessions_created'] == before['sessions_created'] + 1


def test_password_never_logged(rf, bmc):
    """Last in this module: after every call above, no process log holds the password."""
    secret = bmc.users['admin']
    procs = list(rf.conductors.values()) + [rf.api]
    assert all(secret not in proc.log() for proc in procs)
    shown = rf.get('/v1/nodes/rf1').json()['driver_info']
    assert shown['redfish_password'] == '******'
