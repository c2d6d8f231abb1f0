"""The database lost and back, under every process at once.

anvil-api and two conductors reach PostgreSQL through a relay the test owns
(tests/functional/tcp_proxy.py); cutting it drops every connection and
refuses new ones, as a database failover does. While it is down a call is
answered promptly with 503 (nothing ran), never a 500 or a hang; the
conductors fence themselves (they cannot renew their leases). Once it is
back, everything recovers by itself: calls succeed, no node is left
reserved, both conductors are alive, without restarting anything.
"""

import time

import pytest

from tests.functional import services
from tests.functional.deployment import Deployment, fault
from tests.functional.tcp_proxy import relay
from tests.polling import wait_for

SYNC = '/v1/nodes/%s/vendor_passthru/third_method_sync'
ASYNC = '/v1/nodes/%s/vendor_passthru/second_method'
ANSWER_WITHIN = 15   # s: rpc_response_timeout (10) and slack; a hang fails the request


@pytest.fixture(scope='module')
def cut(tmp_path_factory):
    """(deployment, relay): every process's [database] connection goes through the relay."""
    services.require_rabbit()
    database = services.postgres_database()
    proxy, url = relay(database.url, 5432)
    proxy.start()
    dep = Deployment(tmp_path_factory.mktemp('faults-db'), url, services.RABBIT_URL)
    try:
        dep.start()
        yield dep, proxy
    except Exception:
        print(dep.logs())
        raise
    finally:
        dep.stop()
        dep.delete_queues()
        proxy.stop()
        database.drop()


def _reserved(dep):
    return [n['name'] for n in dep.get('/v1/nodes?fields=name,reservation').json()['nodes']
            if n['reservation']]


def test_database_lost_is_503_then_everything_recovers(cut):
    dep, proxy = cut
    nodes = [dep.create_node('db-cut-%d' % i)['uuid'] for i in range(4)]
    for uuid in nodes:  # every conductor has served, every route is cached
        assert dep.post(SYNC % uuid, {'bar': 'meow'}).status_code == 200

    proxy.stop()
    try:
        down_until = time.monotonic() + 8
        statuses = []
        while time.monotonic() < down_until:
            for uuid in nodes:
                started = time.monotonic()
                resp = dep.post(SYNC % uuid, {'bar': 'meow'}, timeout=ANSWER_WITHIN)
                assert time.monotonic() - started < ANSWER_WITHIN
                statuses.append(resp.status_code)
                assert resp.status_code in (200, 503), resp.text
                if resp.status_code == 503:
                    assert fault(resp)['faultstring']
        # the first calls may still succeed (a conductor mid-lease with a live
        # connection); once the leases are over, every one is refused
        assert statuses[-len(nodes):] == [503] * len(nodes), statuses
        resp = dep.get('/v1/nodes', timeout=ANSWER_WITHIN)
        assert resp.status_code == 503, resp.text
    finally:
        proxy.start()

    def recovered():
        return all(dep.post(SYNC % uuid, {'bar': 'meow'}).status_code == 200 for uuid in nodes)

    wait_for(recovered, 60, interval=0.5, what='sync calls answered 200 again')
    resp = dep.post(ASYNC % nodes[0], {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    wait_for(lambda: any(e['request_id'] == request_id and 'succeeded' in e['event']
                         for e in dep.history(nodes[0])), 30, what='the async outcome')
    for name in dep.conductor_names:
        dep.wait_conductor_alive(name)
    wait_for(lambda: not _reserved(dep), 30, what='no node reserved')
    for name, proc in dep.conductors.items():
        assert proc.popen.poll() is None, 'conductor %s exited' % name
    assert dep.api.popen.poll() is None
