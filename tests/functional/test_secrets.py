"""Secrets pass through every path at debug level, and show up in no anvil log or answer.

anvil-api + two conductors with ``debug = true``, serving fake-hardware and
redfish against the BMC emulator. Each secret is registered (see
``secrets.py``), so besides this module's own checks the session-end scan
reads these debug logs too. The API's access log is checked here as well.
"""

import re

import pytest

from tests.functional import secrets
from tests.functional.deployment import Deployment
from tests.functional.redfish_bmc import Bmc, harness
from tests.functional.redfish_bmc.harness import call, fault, history_outcome

DEST = 'https://192.0.2.10:9000/events'
BMC_TOKEN = secrets.register('Bearer bmc-collector-t0ken', 'subscription header')
WRONG_BMC_PASSWORD = secrets.register('wrong-bmc-passw0rd', 'wrong BMC password')
ASYNC_PASSWORD = secrets.register('async-body-passw0rd', 'async method body password')
SYNC_PASSWORD = secrets.register('sync-body-passw0rd', 'sync method body password')
DRIVER_PASSWORD = secrets.register('driver-body-passw0rd', 'driver method body password')
PATCH_PASSWORD = secrets.register('patch-echo-passw0rd', 'password in a bad patch op')
QUERY_TOKEN = secrets.register('query-t0ken-value', 'token in a query string')
ALL = (BMC_TOKEN, WRONG_BMC_PASSWORD, ASYNC_PASSWORD, SYNC_PASSWORD, DRIVER_PASSWORD,
       PATCH_PASSWORD, QUERY_TOKEN)


@pytest.fixture(scope='module')
def bmc(tmp_path_factory):
    bmc = Bmc(tmp_path_factory.mktemp('bmc')).start()
    yield bmc
    bmc.stop()


@pytest.fixture(scope='module')
def dep(tmp_path_factory, pg_database):
    harness.services.require_rabbit()
    extra = {section: dict(values) for section, values in harness.SECTIONS.items()}
    extra['DEFAULT']['debug'] = 'true'
    dep = Deployment(tmp_path_factory.mktemp('deployment'), pg_database.url,
                     harness.services.RABBIT_URL, extra=extra)
    try:
        dep.start()
        harness.wait_for(lambda: set(dep.conductor_names) <= set(
            dep.get('/v1/drivers/redfish').json().get('hosts', [])), 30,
            what='both conductors serving redfish')
    except Exception:
        print(dep.logs())
        dep.stop()
        raise
    yield dep
    dep.stop()


def _no_secret(text):
    leaked = [s for s in ALL if s in text]
    assert not leaked, leaked


def test_secrets_through_every_path_are_masked(dep, bmc):
    rf_node = harness.create_node(dep, 'sec-rf', bmc.driver_info())['uuid']
    fake_node = dep.create_node('sec-fake')['uuid']

    # sync node method: a token in HttpHeaders reaches the BMC, and nothing else
    resp = call(dep, rf_node, 'create_subscription', body={
        'Destination': DEST, 'HttpHeaders': [{'Authorization': BMC_TOKEN}]})
    assert resp.status_code == 200, resp.text
    assert bmc.subscription_headers()[resp.json()['Id']] == [{'Authorization': BMC_TOKEN}]
    _no_secret(resp.text)

    # async node method with a password in its body: history and last_error masked
    resp = call(dep, fake_node, 'log_passthrough', body={'password': ASYNC_PASSWORD,
                                                         'HttpHeaders': [{'X-Key': BMC_TOKEN}]})
    assert resp.status_code == 202, resp.text
    outcome = history_outcome(dep, fake_node, resp.headers['X-OpenStack-Request-Id'])
    assert 'succeeded' in outcome['event']

    # sync node method refused for its body: the 400 names no value
    status, message = fault(call(dep, fake_node, 'third_method_sync',
                                 body={'bar': 'meow', 'password': SYNC_PASSWORD}))
    assert status == 400
    _no_secret(message)

    # driver methods: a BMC probe with the right, then a wrong password
    probe = {'redfish_address': bmc.url, 'redfish_username': 'admin',
             'redfish_password': bmc.users['admin']}
    resp = dep.post('/v1/drivers/redfish/vendor_passthru/probe_bmc', probe)
    assert resp.status_code == 200, resp.text
    probe_request = resp.headers['X-OpenStack-Request-Id']
    status, message = fault(dep.post('/v1/drivers/redfish/vendor_passthru/probe_bmc',
                                     dict(probe, redfish_password=WRONG_BMC_PASSWORD)))
    assert status == 502 and 'refused the credentials' in message
    resp = dep.post('/v1/drivers/fake-hardware/vendor_passthru/driver_echo',
                    {'redfish_password': DRIVER_PASSWORD})
    assert resp.status_code == 200, resp.text

    # an error that echoes the body: a bad JSON Patch op is quoted, its secret masked
    resp = dep.request('PATCH', '/v1/nodes/%s' % fake_node, [
        {'op': 'bogus', 'path': '/driver_info/redfish_password', 'value': PATCH_PASSWORD}])
    status, message = fault(resp)
    assert status == 400 and 'Invalid patch operation' in message and '******' in message
    _no_secret(message)

    # a token in a query string: the access log masks it
    assert dep.get('/v1/nodes?auth_token=%s' % QUERY_TOKEN).status_code == 400

    for node in (rf_node, fake_node):
        shown = dep.node(node)
        _no_secret(str(shown))
        _no_secret(str(dep.history(node)))

    api_log = dep.api.log()
    assert ' DEBUG ' in api_log  # the scan below covers debug lines
    assert re.search(r'anvil\.api\.access .*POST /v1/drivers/redfish/vendor_passthru/'
                     r'probe_bmc 200 [0-9.]+ ms request %s user - project -' % probe_request,
                     api_log), api_log[-3000:]
    assert 'GET /v1/nodes?auth_token=****** 400 ' in api_log
    assert ' DEBUG ' in dep.conductors[dep.conductor_names[0]].log()
    secrets.check(dep.workdir)
