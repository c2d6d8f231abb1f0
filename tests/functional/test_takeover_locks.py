"""What a pause does to the locks of a conductor driving a BMC (default lease settings).

Every fake method takes ``VENDOR_DELAY`` seconds, so an async method holds
its node's lock for a known time while the test freezes its conductor with
SIGSTOP: for less than the fence time (nothing may change), and for longer
than the lease (a survivor takes the node over; the call that was running
gets exactly one outcome, and the thawed conductor neither records a second
one nor keeps a lock).
"""

import os
import signal
import time

import pytest

from anvil.drivers.fake import vendor as fake_vendor
from tests.functional.call_load import DEFAULTS
from tests.functional.deployment import running_deployment, wait_for

VENDOR_DELAY = 2
NODE = '/v1/nodes/%s/vendor_passthru'
FENCE_AFTER = (DEFAULTS['conductor']['heartbeat_timeout']
               - DEFAULTS['conductor']['lease_fence_margin'])


@pytest.fixture(scope='module')
def slow_module(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('takeover-locks')
    ledger = os.path.join(str(workdir), 'ledger.txt')
    extra = dict(DEFAULTS, fake={'execution_ledger': ledger,
                                 'vendor_delay': str(VENDOR_DELAY)})
    with running_deployment(workdir, extra=extra) as d:
        d.ledger = ledger
        yield d


@pytest.fixture
def slow(slow_module):
    return slow_module.ensure_conductors_running()


def outcomes(d, uuid, request_id):
    return [e for e in d.history(uuid) if e['request_id'] == request_id
            and not e['event'].endswith(' started')]


def start_async_on_victim(d, name):
    """A node owned by the first conductor, with second_method running on it."""
    victim = d.conductor_names[0]
    for i in range(50):
        node = d.create_node('%s-%d' % (name, i))
        if d.owner(node['uuid']) == victim:
            break
    uuid = node['uuid']
    resp = d.post(NODE % uuid + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    wait_for(lambda: d.node(uuid)['reservation'] == victim, 10, what='lock taken')
    return victim, uuid, resp.headers['x-openstack-request-id']


def test_a_pause_shorter_than_the_fence_time_keeps_every_lock(slow):
    victim, uuid, request_id = start_async_on_victim(slow, 'short-pause')
    survivor, = set(slow.conductor_names) - {victim}
    proc = slow.conductors[victim]
    proc.send_signal(signal.SIGSTOP)
    thaw_at = time.monotonic() + FENCE_AFTER - 0.5
    try:
        while time.monotonic() < thaw_at:   # the pause itself, watched all along
            assert slow.node(uuid)['reservation'] == victim
            assert slow.conductor_alive(victim)
    finally:
        proc.send_signal(signal.SIGCONT)
    event = wait_for(lambda: (outcomes(slow, uuid, request_id) or [None])[0], 20,
                     what='outcome')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == victim
    assert len(outcomes(slow, uuid, request_id)) == 1
    assert 'its nodes may have been taken over' not in proc.log()
    assert 'held by dead conductors' not in slow.conductors[survivor].log()
    assert slow.node(uuid)['reservation'] is None


def test_a_pause_longer_than_the_lease_hands_the_node_over_once(slow):
    victim, uuid, request_id = start_async_on_victim(slow, 'long-pause')
    survivor, = set(slow.conductor_names) - {victim}
    proc = slow.conductors[victim]
    proc.send_signal(signal.SIGSTOP)
    try:
        event = wait_for(lambda: (outcomes(slow, uuid, request_id) or [None])[0], 20,
                         interval=0.1, what='the survivor records the interrupted call')
        assert event['event'] == (
            'Vendor passthru second_method failed: conductor %s stopped renewing its '
            'lease while it ran; it may have run in part' % victim)
        # the outcome comes from the survivors' sweep or their release of the lock,
        # whichever is first: the lock may be freed a moment after it
        wait_for(lambda: slow.node(uuid)['reservation'] is None, 10, interval=0.1,
                 what='the survivor frees the lock')
        resp = slow.post(NODE % uuid + '/third_method_sync', {'bar': 'meow'}, timeout=30)
        assert resp.status_code == 200, resp.text
        sync_id = resp.headers['x-openstack-request-id']
    finally:
        proc.send_signal(signal.SIGCONT)
    slow.wait_conductor_alive(victim)
    wait_for(lambda: 'not held by %s at release' % victim in proc.log(), VENDOR_DELAY + 10,
             what='the thawed method finishes and finds its lock gone')
    assert 'its nodes may have been taken over' in proc.log()
    assert len(outcomes(slow, uuid, request_id)) == 1
    runs = fake_vendor.read_ledger(slow.ledger)
    assert [host for _m, _n, host in runs[request_id]] == [victim]
    assert [host for _m, _n, host in runs[sync_id]] == [survivor]
    wait_for(lambda: slow.node(uuid)['reservation'] is None, 10, what='no lock left')
