"""Vendor passthru on a node whose lock another host holds."""

import threading
import time

import pytest

from anvil.db import api as db_api
from tests.polling import wait_for
from tests.unit.api.helpers import LATEST, fault
from tests.unit.history_events import events, wait_for_event

NODE_URL = '/v1/nodes/fake1/vendor_passthru'


@pytest.fixture
def locked(node, conf):
    """fake1 reserved by other-host; lock retries 3 × 0.2 s (a 0.4 s window)."""
    conf.set_override('node_locked_retry_attempts', 3, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.2, group='conductor')
    db_api.update_node(node['uuid'], {'reservation': 'other-host'})
    return node


def _locked_message(node):
    return ('Node %s is locked by host other-host, please retry after the current '
            'operation is completed.' % node['uuid'])


def _timed_post(client, method, body):
    start = time.monotonic()
    resp = client.post('%s/%s' % (NODE_URL, method), json=body, headers=LATEST)
    return resp, time.monotonic() - start


def test_async_exclusive_method_409_at_once(client, locked, conf):
    # a 4 s retry window: answering in under half of it means it did not wait
    # (a margin no loaded machine eats up)
    conf.set_override('node_locked_retry_interval', 2, group='conductor')
    resp, elapsed = _timed_post(client, 'second_method', {'bar': 'kazoo'})
    assert resp.status_code == 409
    assert fault(resp) == _locked_message(locked)
    assert elapsed < 2
    assert events(locked['uuid']) == []


def test_sync_method_409_after_the_retry_window(client, locked):
    resp, elapsed = _timed_post(client, 'third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 409
    assert fault(resp) == _locked_message(locked)
    assert elapsed >= 0.4
    assert db_api.get_node('fake1')['reservation'] == 'other-host'


def test_sync_method_gets_a_lock_freed_within_the_window(client, conductor, locked, conf):
    conf.set_override('node_locked_retry_attempts', 100, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.05, group='conductor')
    result = {}
    thread = threading.Thread(target=lambda: result.update(
        resp=client.post(NODE_URL + '/third_method_sync', json={'bar': 'meow'},
                         headers=LATEST)))
    thread.start()
    node_id = db_api.get_node(locked['uuid'])['id']
    wait_for(lambda: conductor.manager.locks._local.waiting(node_id) == 1)  # it is waiting
    db_api.update_node(locked['uuid'], {'reservation': None})
    thread.join(5)
    assert (result['resp'].status_code, result['resp'].data) == (200, b'true')


def test_shared_lock_method_202_and_runs(client, locked):
    resp, _ = _timed_post(client, 'fourth_method_shared_lock', {'bar': 'woof'})
    assert resp.status_code == 202
    event = wait_for_event(locked['uuid'], 'fourth_method_shared_lock succeeded')
    assert event['event'].endswith('returned True')
    assert db_api.get_node('fake1')['reservation'] == 'other-host'


@pytest.mark.parametrize('verb,url', [('GET', NODE_URL + '/methods'),
                                      ('GET', NODE_URL + '/download_log')])
def test_reads_on_a_locked_node_succeed(client, locked, verb, url):
    assert client.open(url, method=verb, headers=LATEST).status_code == 200


def test_node_shows_the_reservation(client, locked):
    body = client.get('/v1/nodes/fake1?fields=reservation', headers=LATEST).get_json()
    assert body['reservation'] == 'other-host'
