"""Conductors that stop, freeze, die or hold a lock, against real processes.

Two deployments: ``dep`` (fake methods answer at once) and ``slow`` (every fake
method takes ``VENDOR_DELAY`` seconds, so an async method holds its node's
lock for a known time). A test that stops a conductor leaves it stopped;
the next test restarts whatever is down before it begins.
"""

import re
import signal
import time

import pytest

from tests.functional.deployment import fault, running_deployment, wait_for

VENDOR_DELAY = 3
CALL_MONITOR_TIMEOUT = 3    # [api] call_monitor_timeout, as the harness sets it
HEARTBEAT_TIMEOUT = 6       # [conductor] heartbeat_timeout, as the harness sets it
NODE = '/v1/nodes/%s/vendor_passthru'
DRIVER = '/v1/drivers/fake-hardware/vendor_passthru'


@pytest.fixture(scope='module')
def dep_module(tmp_path_factory):
    with running_deployment(tmp_path_factory.mktemp('faults-processes')) as d:
        yield d


@pytest.fixture(scope='module')
def slow_module(tmp_path_factory):
    with running_deployment(tmp_path_factory.mktemp('faults-slow'),
                            extra={'fake': {'vendor_delay': str(VENDOR_DELAY)}}) as d:
        yield d


@pytest.fixture
def dep(dep_module):
    return dep_module.ensure_conductors_running()


@pytest.fixture
def slow(slow_module):
    return slow_module.ensure_conductors_running()


def timed(call, *args, **kwargs):
    start = time.monotonic()
    resp = call(*args, **kwargs)
    return resp, time.monotonic() - start


def outcome(d, uuid, request_id):
    """The final history event (succeeded/failed/refused) of one async request, or None."""
    for event in d.history(uuid):
        if event['request_id'] == request_id and not event['event'].endswith(' started'):
            return event
    return None


def wait_reserved_by(d, uuid, host):
    wait_for(lambda: d.node(uuid)['reservation'] == host, 10,
             what='node %s reserved by %s' % (uuid, host))


def locked_message(uuid, host):
    return ('Node %s is locked by host %s, please retry after the current operation is '
            'completed.' % (uuid, host))


# -- 5. no live conductor ------------------------------------------------------------


def test_no_live_conductor_is_503_at_once(dep):
    node = dep.create_node('orphan')
    held = dep.create_node('held')
    holder = dep.conductor_names[0]
    dep.set_reservation(held['uuid'], holder)   # a lock it holds when told to stop

    for proc in dep.conductors.values():
        proc.send_signal(signal.SIGTERM)
    for proc in dep.conductors.values():
        assert proc.popen.wait(30) == 0, proc.log()[-3000:]

    listing = dep.get('/v1/conductors').json()['conductors']
    assert {c['hostname']: c['alive'] for c in listing} == {
        name: False for name in dep.conductor_names}
    assert dep.node(held['uuid'])['reservation'] is None   # released by the clean stop
    wait_for(lambda: dep.get('/v1/drivers').json()['drivers'] == [], 10,
             what='API sees no live conductor')

    message = 'No conductor is alive to serve driver fake-hardware, please retry later.'
    calls = [
        ('POST', NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'}),
        ('POST', NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'}),
        ('POST', NODE % node['uuid'] + '?method=fourth_method_shared_lock', {'bar': 'woof'}),
        ('GET', NODE % node['uuid'] + '/methods', None),
        ('POST', DRIVER + '/driver_echo', {'a': 1}),
        ('POST', DRIVER + '/driver_noop', {}),
        ('GET', DRIVER + '/methods', None),
    ]
    refused = []
    for verb, path, body in calls:
        resp, elapsed = timed(dep.request, verb, path, body, timeout=15)
        assert resp.status_code == 503, (path, resp.text)
        assert fault(resp)['faultstring'] == message
        assert elapsed < 1, (path, elapsed)
        refused.append(resp.headers['x-openstack-request-id'])
    assert dep.node(node['uuid'])['reservation'] is None

    for name in dep.conductor_names:
        dep.start_conductor(name)
    for name in dep.conductor_names:
        dep.wait_conductor_alive(name)
    resp = dep.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 200, resp.text
    resp = dep.post(NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    event = wait_for(lambda: outcome(dep, node['uuid'], request_id), 20, what='outcome')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    # nothing that was refused with 503 ran later either
    assert {e['request_id'] for e in dep.history(node['uuid'])} == {request_id}
    assert not set(refused) & {e['request_id'] for e in dep.history(node['uuid'])}
    assert dep.node(node['uuid'])['reservation'] is None


# -- 7. a frozen owner, a killed owner ----------------------------------------------


def test_frozen_owner_is_504_within_the_call_monitor_timeout(dep):
    node = dep.create_node('frozen')
    owner = dep.owner(node['uuid'])
    proc = dep.conductors[owner]
    proc.send_signal(signal.SIGSTOP)    # the launcher and its forked child
    try:
        resp, elapsed = timed(dep.post, NODE % node['uuid'] + '/third_method_sync',
                              {'bar': 'meow'}, timeout=30)
        cast, cast_elapsed = timed(dep.post, NODE % node['uuid'] + '/second_method',
                                   {'bar': 'kazoo'}, timeout=30)
    finally:
        proc.send_signal(signal.SIGCONT)
    assert resp.status_code == 504, resp.text
    assert fault(resp)['faultstring'].startswith('Conductor %s did not answer' % owner)
    assert CALL_MONITOR_TIMEOUT - 0.5 <= elapsed < CALL_MONITOR_TIMEOUT + 3, elapsed
    # a cast to the frozen owner is queued, not lost: it runs once the owner thaws
    assert cast.status_code == 202, cast.text
    assert cast_elapsed < 1
    # the thawed owner reads the call whose caller got 504 and does not run it
    abandoned = re.compile(r'Call of third_method_sync not run: read .* after its caller '
                           r'gave up \(request %s\)' % resp.headers['x-openstack-request-id'])
    wait_for(lambda: abandoned.search(proc.log()), 20, what='abandoned call dropped')
    request_id = cast.headers['x-openstack-request-id']
    event = wait_for(lambda: outcome(dep, node['uuid'], request_id), 20, what='outcome')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == owner

    def answers():
        return dep.post(NODE % node['uuid'] + '/third_method_sync', {'bar': 'meow'},
                        timeout=30).status_code == 200
    wait_for(answers, 30, interval=0.2, what='owner answers again')
    wait_for(lambda: dep.node(node['uuid'])['reservation'] is None, 10,
             what='node not left reserved')
    assert dep.conductor_alive(owner)


def test_killed_owner_calls_fail_fast_then_survivor_takes_over(slow):
    node = slow.create_node('killed')
    uuid = node['uuid']
    owner = slow.owner(uuid)
    survivor, = set(slow.conductor_names) - {owner}
    resp = slow.post(NODE % uuid + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    wait_reserved_by(slow, uuid, owner)

    proc = slow.conductors[owner]
    proc.send_signal(signal.SIGKILL)
    proc.popen.wait(10)
    killed_at = time.monotonic()
    resp, elapsed = timed(slow.post, NODE % uuid + '/third_method_sync', {'bar': 'meow'},
                          timeout=30)
    assert resp.status_code in (503, 504), resp.text
    fault(resp)
    assert elapsed < CALL_MONITOR_TIMEOUT + 3, elapsed

    # after heartbeat_timeout the survivor owns the node and has dropped the dead lock
    def moved():
        current = slow.node(uuid)
        return current['conductor'] == survivor and current['reservation'] is None
    wait_for(moved, HEARTBEAT_TIMEOUT + 15, what='node moved to %s and released' % survivor)
    assert time.monotonic() - killed_at >= HEARTBEAT_TIMEOUT - 2   # stale, not sooner
    # the survivor logs the release just after committing it
    wait_for(lambda: re.search(r'Released \d+ locks held by dead conductors',
                               slow.conductors[survivor].log()), 5, what='release logged')
    assert not slow.conductor_alive(owner)

    # The call that got 504 may still sit in the dead owner's queue, which the
    # survivor now reads: it runs (VENDOR_DELAY s under the lock), and a call
    # meanwhile gets 409 "nothing ran", which clients retry.
    def answered():
        resp = slow.post(NODE % uuid + '/third_method_sync', {'bar': 'meow'}, timeout=30)
        assert resp.status_code in (200, 409), resp.text
        return resp if resp.status_code == 200 else None
    resp = wait_for(answered, VENDOR_DELAY + 10, interval=0.5, what='a call through the survivor')
    assert resp.json() is True
    wait_for(lambda: slow.node(uuid)['reservation'] is None, VENDOR_DELAY + 5,
             what='node released')


# -- 3b. a lock held by a running method -----------------------------------------------


def test_running_async_method_holds_the_lock(slow):
    node = slow.create_node('busy')
    uuid = node['uuid']
    owner = slow.owner(uuid)
    resp = slow.post(NODE % uuid + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    wait_reserved_by(slow, uuid, owner)

    resp, elapsed = timed(slow.post, NODE % uuid + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 409, resp.text
    assert fault(resp)['faultstring'] == locked_message(uuid, owner)
    assert 1.8 <= elapsed < VENDOR_DELAY + 1, elapsed

    resp, elapsed = timed(slow.post, NODE % uuid + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 409, resp.text
    assert fault(resp)['faultstring'] == locked_message(uuid, owner)
    assert elapsed < 1

    resp = slow.post(NODE % uuid + '/fourth_method_shared_lock', {'bar': 'woof'})
    assert resp.status_code == 202, resp.text
    shared_id = resp.headers['x-openstack-request-id']

    event = wait_for(lambda: outcome(slow, uuid, request_id), 20, what='outcome')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == owner
    wait_for(lambda: outcome(slow, uuid, shared_id), 20, what='shared-lock outcome')
    assert slow.node(uuid)['reservation'] is None
    resp = slow.post(NODE % uuid + '/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 200, resp.text


def test_a_sync_method_longer_than_the_call_monitor_timeout_answers(slow):
    """The conductor's call-monitor heartbeats (anvil/common/call_monitor.py) keep
    the caller waiting: without them this call would be a 504 after 3 s."""
    node = slow.create_node('long-sync')
    resp, elapsed = timed(slow.post, NODE % node['uuid'] + '/third_method_sync',
                          {'bar': 'meow'}, timeout=30)
    assert resp.status_code == 200, resp.text
    assert elapsed >= VENDOR_DELAY >= CALL_MONITOR_TIMEOUT


# -- 9. SIGTERM while an async method runs ------------------------------------------------


def test_sigterm_lets_the_running_method_finish_under_its_lock(slow):
    node = slow.create_node('draining')
    uuid = node['uuid']
    owner = slow.owner(uuid)
    proc = slow.conductors[owner]
    resp = slow.post(NODE % uuid + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    wait_reserved_by(slow, uuid, owner)
    proc.send_signal(signal.SIGTERM)

    def finished():
        # reservation first: the outcome is written in the transaction that releases it
        reservation = slow.node(uuid)['reservation']
        event = outcome(slow, uuid, request_id)
        if event is None:
            assert reservation == owner, 'lock lost while %s still runs' % request_id
        return event
    event = wait_for(finished, VENDOR_DELAY + 15, what='outcome')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == owner
    assert proc.popen.wait(30) == 0, proc.log()[-3000:]
    assert not slow.conductor_alive(owner)
    assert slow.node(uuid)['reservation'] is None
    assert slow.owner(uuid) != owner
