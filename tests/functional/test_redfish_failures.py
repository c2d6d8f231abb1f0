"""Redfish failures through real processes: each is a clear error, within the bound, unlocked.

A BMC that refuses connections, one that never answers (a tiny server that
waits longer than ``[redfish] read_timeout``), one answering Redfish errors,
the stock emulator without an EventService or SessionService, and wrong
credentials. Every call must end with the driver's own error well inside
the RPC timeout (10 s here; the bound is ``harness.BOUND``), leave the node
unreserved, and — for the async eject — be recorded in the node's history
with ``last_error``. Bad ``driver_info`` is refused at enrollment.
"""

import gc
import threading
import time

import pytest
from sushy import exceptions as sushy_exc

from anvil.drivers.redfish import connection, driver_info
from tests.functional.deployment import free_port
from tests.functional.redfish_bmc import Bmc, harness
from tests.functional.redfish_bmc.harness import BOUND, call, fault
from tests.functional.redfish_bmc.tiny_servers import SilentBmc

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


def timed(request_fn):
    start = time.monotonic()
    resp = request_fn()
    return resp, time.monotonic() - start


def unreserved(rf, node):
    return rf.node(node)['reservation'] is None


# -- BMC down ------------------------------------------------------------------

def test_bmc_refusing_connections(rf):
    node = harness.create_node(rf, 'rf-down', {
        'redfish_address': 'http://127.0.0.1:%d' % free_port()})['uuid']
    for method, verb, body in (('create_subscription', 'POST', {'Destination': DEST}),
                               ('get_all_subscriptions', 'GET', None)):
        resp, took = timed(lambda: call(rf, node, method, verb, body=body))  # noqa: B023
        status, message = fault(resp)
        assert status == 503 and 'the BMC is unreachable' in message, message
        assert 'Connection refused' in message
        assert took < BOUND
    assert unreserved(rf, node)


def test_async_eject_on_a_dead_bmc_is_recorded(rf):
    node = harness.create_node(rf, 'rf-down-async', {
        'redfish_address': 'http://127.0.0.1:%d' % free_port()})['uuid']
    resp = call(rf, node, 'eject_vmedia', body={})
    assert resp.status_code == 202
    event = harness.history_outcome(rf, node, resp.headers['x-openstack-request-id'])
    assert 'Vendor passthru eject_vmedia failed' in event['event']
    assert 'the BMC is unreachable' in event['event']
    assert event['severity'] == 'ERROR'
    shown = rf.node(node)
    assert 'the BMC is unreachable' in shown['last_error']
    assert shown['reservation'] is None


# -- BMC silent ----------------------------------------------------------------

@pytest.fixture
def silent():
    server = SilentBmc(delay=60).start()
    yield server
    server.stop()


def _peer_on_same_conductor(rf, bmc, owner):
    """A healthy node owned by ``owner``, so a blocked conductor would show."""
    for i in range(16):
        node = harness.create_node(rf, 'rf-peer-%d' % i, bmc.driver_info())['uuid']
        if rf.owner(node) == owner:
            return node
    raise AssertionError('no node hashed onto %s' % owner)


def test_silent_bmc_times_out_without_blocking_other_nodes(rf, bmc, silent):
    slow = harness.create_node(rf, 'rf-silent', {'redfish_address': silent.url})['uuid']
    peer = _peer_on_same_conductor(rf, bmc, rf.owner(slow))
    assert call(rf, peer, 'get_all_subscriptions', 'GET').status_code == 200  # warm
    result = {}

    def slow_call():
        result['resp'], result['took'] = timed(lambda: call(
            rf, slow, 'create_subscription', body={'Destination': DEST}))
    waiter = threading.Thread(target=slow_call)
    waiter.start()
    assert silent.seen.wait(10), 'the conductor never reached the silent BMC'
    peer_resp, peer_took = timed(lambda: call(rf, peer, 'get_all_subscriptions', 'GET'))
    assert peer_resp.status_code == 200 and peer_took < 1.0
    waiter.join(30)
    status, message = fault(result['resp'])
    assert status == 504, message
    assert 'the BMC did not answer within %s s' % float(harness.READ_TIMEOUT) in message
    assert result['took'] < BOUND
    assert unreserved(rf, slow)


# -- BMC errors ----------------------------------------------------------------

def test_bmc_server_errors_after_bounded_retries(rf, bmc):
    node = harness.create_node(rf, 'rf-500', bmc.driver_info())['uuid']
    assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200
    bmc.inject('/redfish/v1/EventService/Subscriptions', method='GET', status=500,
               message='Subscription store is rebuilding', times=2)
    try:
        resp, took = timed(lambda: call(rf, node, 'get_all_subscriptions', 'GET'))
        status, message = fault(resp)
        assert status == 502 and 'the BMC answered HTTP 500' in message
        assert 'Subscription store is rebuilding' in message
        assert took < BOUND
    finally:
        bmc.clear_faults()
    assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200
    assert unreserved(rf, node)


def test_wrong_password_then_fixed(rf, bmc):
    node = harness.create_node(rf, 'rf-badpw', bmc.driver_info(
        redfish_password='not-the-password'))['uuid']
    status, message = fault(call(rf, node, 'get_all_subscriptions', 'GET'))
    assert status == 502
    assert 'refused the credentials in driver_info (HTTP 401)' in message
    assert 'not-the-password' not in message
    assert unreserved(rf, node)
    patched = rf.request('PATCH', '/v1/nodes/%s' % node, [
        {'op': 'replace', 'path': '/driver_info/redfish_password',
         'value': bmc.users['admin']}])
    assert patched.status_code == 200, patched.text
    assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200


@pytest.fixture(scope='module')
def stock(tmp_path_factory):
    bmc = Bmc(tmp_path_factory.mktemp('stock'), name='stock', stock=True).start()
    yield bmc
    bmc.stop()


def test_stock_emulator_without_event_service(rf, stock):
    node = harness.create_node(rf, 'rf-stock', stock.driver_info())['uuid']
    status, message = fault(call(rf, node, 'create_subscription', body={'Destination': DEST}))
    assert status == 400
    assert 'the BMC does not offer it' in message and 'EventService' in message
    # falling back to Basic auth (no SessionService) is fine for everything else
    resp = call(rf, node, 'eject_vmedia', body={})
    event = harness.history_outcome(rf, node, resp.headers['x-openstack-request-id'])
    assert "succeeded: returned {'ejected': []}" in event['event']


def test_session_only_auth_on_a_bmc_without_sessions(rf, stock):
    node = harness.create_node(rf, 'rf-stock-session', stock.driver_info(
        redfish_auth_type='session'))['uuid']
    status, message = fault(call(rf, node, 'get_all_subscriptions', 'GET'))
    # no SessionService: the stock emulator's Basic-auth guard answers the login 401
    assert status == 502
    assert 'logging in with redfish_auth_type session: the BMC refused' in message


def test_logout_from_a_vanished_bmc_is_quick_and_final(tmp_path):
    """Closing a client whose BMC is gone fails once, fast, and leaves nothing for
    sushy's ``__del__`` to retry (~30 s) in whatever thread collects the garbage."""
    doomed = Bmc(tmp_path, name='doomed').start()
    try:
        info = driver_info.parse(doomed.driver_info())
        client = connection.build(info.key())
        assert client.auth.get_session_resource_id()
    finally:
        doomed.stop()
    start = time.monotonic()
    with pytest.raises(sushy_exc.ConnectionError):
        client.close()
    assert client.auth.get_session_resource_id() is None
    del client
    gc.collect()
    assert time.monotonic() - start < 2


# -- driver_info ---------------------------------------------------------------

def test_node_without_bmc_address(rf):
    node = harness.create_node(rf, 'rf-empty', {})['uuid']
    status, message = fault(call(rf, node, 'get_all_subscriptions', 'GET'))
    assert status == 400 and 'driver_info is missing redfish_address' in message
    resp = call(rf, node, 'eject_vmedia', body={})
    assert resp.status_code == 202
    event = harness.history_outcome(rf, node, resp.headers['x-openstack-request-id'])
    assert 'driver_info is missing redfish_address' in event['event']
    assert 'driver_info is missing redfish_address' in rf.node(node)['last_error']


@pytest.mark.parametrize('driver_info, words', [
    ({'redfish_address': 'ftp://192.0.2.1'}, "Invalid driver_info 'redfish_address'"),
    ({'redfish_address': 'https://root:calvin@192.0.2.1'}, "'redfish_address'"),
    ({'redfish_auth_type': 'kerberos'}, "Invalid driver_info 'redfish_auth_type'"),
    ({'redfish_verify_ca': 1}, "Invalid driver_info 'redfish_verify_ca'"),
])
def test_bad_driver_info_refused_at_enrollment(rf, driver_info, words):
    resp = rf.post('/v1/nodes', {'driver': 'redfish', 'driver_info': driver_info})
    status, message = fault(resp)
    assert status == 400 and words in message
    assert 'calvin' not in message


def test_bad_driver_info_refused_on_update(rf, bmc):
    node = harness.create_node(rf, 'rf-patch', bmc.driver_info())['uuid']
    resp = rf.request('PATCH', '/v1/nodes/%s' % node, [
        {'op': 'add', 'path': '/driver_info/redfish_auth_type', 'value': 'ntlm'}])
    status, message = fault(resp)
    assert status == 400 and "'redfish_auth_type'" in message
    assert 'redfish_auth_type' not in rf.node(node)['driver_info']


# -- last: stops the deployment's conductors -----------------------------------

def test_stopping_conductors_logs_out_of_the_bmc(rf, bmc):
    """A BMC has few session slots: a conductor going down must free its sessions."""
    node = harness.create_node(rf, 'rf-logout', bmc.driver_info())['uuid']
    assert call(rf, node, 'get_all_subscriptions', 'GET').status_code == 200
    assert bmc.stats()['active_sessions'] >= 1
    for conductor in rf.conductors.values():
        assert conductor.stop() == 0
    stats = bmc.stats()
    assert stats['active_sessions'] == 0
    assert stats['sessions_deleted'] >= 1
