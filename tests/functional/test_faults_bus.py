"""The message bus out of reach: 503 at once, never a hang, and the API stays healthy.

A second anvil-api of the deployment reaches RabbitMQ through a TCP relay run
by the test: not started, the broker was never reachable; stopped, the
broker went away mid-life (every connection dropped). The conductors keep
their own direct connections.
"""

import concurrent.futures
import socket
import time
import urllib.parse

import pytest
import requests

from tests.functional import services
from tests.functional.deployment import LATEST, fault, running_deployment, wait_for
from tests.functional.tcp_proxy import TcpProxy

NODE = '/v1/nodes/%s/vendor_passthru'
DRIVER = '/v1/drivers/fake-hardware/vendor_passthru'
#: "At once": [api] rpc_retry=1 costs one 2 s reconnect interval of the rabbit driver, up
#: to about 5 s when the send waits for the driver's heartbeat thread holding the same
#: pooled connection while it reconnects. A hang is 12 s (RPC timeout + slack) or more.
FAST = 6.5


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    with running_deployment(tmp_path_factory.mktemp('faults-bus')) as d:
        yield d


class Api:
    """An extra anvil-api whose transport_url goes through a TcpProxy."""

    def __init__(self, dep, name):
        rabbit = urllib.parse.urlsplit(services.RABBIT_URL.replace('rabbit://', 'amqp://'))
        with socket.socket() as sock:   # a port nothing listens on until proxy.start()
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self.proxy = TcpProxy((rabbit.hostname, rabbit.port or 5672), port)
        credentials = rabbit.netloc.rpartition('@')[0]
        netloc = '%s127.0.0.1:%d' % (credentials + '@' if credentials else '', port)
        transport_url = urllib.parse.urlunsplit(
            ('rabbit', netloc, rabbit.path or '/', '', ''))
        self.process, self.url = dep.start_extra_api(
            name, {'DEFAULT': {'transport_url': transport_url}})
        wait_for(self.healthy, 60, what='%s answering' % name)

    def request(self, verb, path, body=None, timeout=30):
        return requests.request(verb, self.url + path, json=body, headers=LATEST,
                                timeout=timeout)

    def healthy(self):
        try:
            return self.request('GET', '/v1', timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        self.proxy.stop()
        self.process.stop()


@pytest.fixture
def api(dep, request):
    extra = Api(dep, 'api-%s' % request.node.name.replace('_', '-')[:40])
    yield extra
    extra.stop()


def refused_at_once(api, dep, node):
    """Every kind of passthru call, all at once: 503 within FAST s, nothing ran, API healthy."""
    calls = [
        ('POST', NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'}),
        ('POST', NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'}),
        ('POST', NODE % node['uuid'] + '?method=fourth_method_shared_lock', {'bar': 'woof'}),
        ('POST', DRIVER + '/driver_echo', {'a': 1}),
        ('POST', DRIVER + '/driver_noop', {}),
        ('POST', NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'}),   # again
    ]

    def call(verb, path, body):
        start = time.monotonic()
        resp = api.request(verb, path, body, timeout=FAST + 15)
        return path, resp, time.monotonic() - start

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(lambda c: call(*c), calls))
    for path, resp, elapsed in results:
        assert resp.status_code == 503, (path, resp.status_code, resp.text)
        assert fault(resp)['faultstring'].startswith(
            'The message bus is unreachable, please retry later: '), resp.text
        assert elapsed < FAST, (path, elapsed)
    # the API itself is fine: it answers everything that needs no bus
    assert api.request('GET', '/v1').status_code == 200
    shown = api.request('GET', '/v1/nodes/%s' % node['uuid'])
    assert shown.status_code == 200
    assert shown.json()['reservation'] is None
    assert api.request('GET', NODE % node['uuid'] + '/methods').status_code == 200
    assert dep.history(node['uuid']) == []


def works_again(api, dep, node):
    """Once the broker is back, sync and async calls go through with no restart."""
    def answered():
        resp = api.request('POST', NODE % node['uuid'] + '/third_method_sync',
                           {'bar': 'meow'}, timeout=FAST + 15)
        assert resp.status_code in (200, 503), resp.text
        return resp.status_code == 200
    wait_for(answered, 30, interval=0.5, what='calls through the restored bus')
    resp = api.request('POST', NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']

    def succeeded():
        return [e for e in dep.history(node['uuid'])
                if e['request_id'] == request_id and e['event'].endswith('returned True')]
    wait_for(succeeded, 20, what='async call outcome')
    assert dep.node(node['uuid'])['reservation'] is None


def test_broker_never_reachable_is_503_at_once(dep, api):
    node = dep.create_node('never')
    refused_at_once(api, dep, node)
    api.proxy.start()
    works_again(api, dep, node)


def test_broker_lost_mid_life_is_503_at_once(dep, api):
    node = dep.create_node('lost')
    api.proxy.start()
    resp = api.request('POST', NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 200, resp.text
    api.proxy.stop()
    refused_at_once(api, dep, node)
    api.proxy.start()
    works_again(api, dep, node)
    # and a second outage is handled like the first
    api.proxy.stop()
    resp = api.request('POST', NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'},
                       timeout=FAST + 15)
    assert resp.status_code == 503, resp.text
