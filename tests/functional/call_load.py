"""Passthru load against a real deployment while a test hurts it, and the audit after.

``CallLoad`` runs threads that call sync and async fake methods on chosen nodes
and note every call: when it was sent and answered, its status, its request
id. ``audit`` then proves, with the fake driver's execution ledger
(``[fake] execution_ledger``) and the nodes' history, what the fault suite
promises: no node left reserved, every node owned by a live conductor, every
call answered, each 200 ran exactly once, each 202 ran at most once and has
exactly one outcome on record.
"""

import dataclasses
import itertools
import threading
import time

import requests

from anvil.common import config
from anvil.drivers.fake import vendor as fake_vendor
from tests.functional.deployment import LATEST, wait_for

NODE = '/v1/nodes/%s/vendor_passthru'
SYNC = 'third_method_sync'
ASYNC = 'second_method'

#: Deployment ``extra``: lease, call-monitor and cache options at their defaults.
DEFAULTS = {
    'conductor': {opt.name: opt.default for opt in config.conductor_opts
                  if opt.name in ('heartbeat_interval', 'heartbeat_timeout',
                                  'lease_fence_margin')},
    'api': {opt.name: opt.default for opt in config.api_opts
            if opt.name in ('call_monitor_timeout', 'metadata_cache_ttl')},
}


@dataclasses.dataclass
class Call:
    node: str
    method: str
    sent: float             # time.monotonic() when sent
    answered: float = None
    status: int = None      # None: no HTTP answer (a client-side timeout or error)
    request_id: str = None


class CallLoad:
    """Threads calling ``nodes`` round robin until ``stop()``; every call is kept."""

    def __init__(self, deployment, nodes, sync_threads=3, async_threads=1, timeout=30):
        self.d = deployment
        self.nodes = list(nodes)
        self.timeout = timeout
        self.calls = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(SYNC, i), daemon=True)
                         for i in range(sync_threads)]
        self._threads += [threading.Thread(target=self._run, args=(ASYNC, i), daemon=True)
                          for i in range(async_threads)]
        self._probes = []

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for thread in self._threads + self._probes:
            thread.join(self.timeout + 10)

    def start_probes(self, interval=0.1, count=100):
        """From now on, also send one sync call every ``interval`` s, each on its own thread.

        The load's threads may all wait on calls sent before a fault; probes
        show when a call sent at a given moment is answered, whatever came before.
        """
        def probe_loop():
            for i in range(count):
                if self._stop.wait(interval):
                    return
                thread = threading.Thread(target=self._call, daemon=True,
                                          args=(requests, SYNC, self.nodes[i % len(self.nodes)]))
                self._probes.append(thread)
                thread.start()
        thread = threading.Thread(target=probe_loop, daemon=True)
        self._probes.append(thread)
        thread.start()

    def _run(self, method, offset):
        session = requests.Session()
        for i in itertools.count(offset):
            if self._stop.is_set():
                return
            self._call(session, method, self.nodes[i % len(self.nodes)])
            if method == ASYNC:  # casts return at once: keep them from flooding the pool
                self._stop.wait(0.05)

    def _call(self, session, method, node):
        body = {'bar': 'meow' if method == SYNC else 'kazoo'}
        call = Call(node, method, time.monotonic())
        try:
            resp = session.post(self.d.url + NODE % node + '/' + method, json=body,
                                headers=LATEST, timeout=self.timeout)
            call.status = resp.status_code
            call.request_id = resp.headers.get('x-openstack-request-id')
        except requests.RequestException:
            pass
        call.answered = time.monotonic()
        with self._lock:
            self.calls.append(call)

    def wait_for_calls(self, count, after, timeout=30):
        """Wait until ``count`` sync calls sent after ``after`` got 200."""
        def enough():
            with self._lock:
                return sum(1 for c in self.calls if c.method == SYNC and c.sent > after
                           and c.status == 200) >= count
        wait_for(enough, timeout, interval=0.1, what='%d sync calls answered 200' % count)

    def sync_calls(self):
        with self._lock:
            return [c for c in self.calls if c.method == SYNC]

    def async_calls(self):
        with self._lock:
            return [c for c in self.calls if c.method == ASYNC]


def first_success_after(calls, moment, hosts, ledger):
    """The first sync call sent after ``moment`` answered 200 by one of ``hosts``."""
    ok = [c for c in calls if c.sent >= moment and c.status == 200
          and ledger.get(c.request_id, [('', '', '')])[0][2] in hosts]
    return min(ok, key=lambda c: c.answered, default=None)


def statuses(calls):
    counts = {}
    for call in calls:
        counts[call.status] = counts.get(call.status, 0) + 1
    return counts


def _outcomes(d, node, request_id):
    return [e for e in d.history(node) if e['request_id'] == request_id
            and not e['event'].endswith(' started')]


def audit(d, load, ledger_path, nodes, crash_at=None):
    """The checks every fault test ends with; returns the ledger ({request id: runs}).

    ``crash_at``: when a conductor was killed. A cast that its conductor had
    taken from the queue, but not yet started, when it was killed gets its
    outcome from the survivors' sweep: "expired" once ``async_cast_ttl +
    max_clock_skew`` (65 s by default) have passed since it was accepted, or
    "failed: ... before it started the method; it did not run" once the
    dead conductor's lease is over if it had claimed it. The audit does not
    wait that long: such a 202 (sent within a second before the kill, never
    run) is reported as lost rather than failing it.
    """
    wait_for(lambda: all(d.node(n)['reservation'] is None for n in nodes), 30,
             interval=0.2, what='no node reserved')
    live = {c['hostname'] for c in d.get('/v1/conductors').json()['conductors']
            if c['alive']}
    owners = {n: d.node(n)['conductor'] for n in nodes}
    assert all(owner in live for owner in owners.values()), (owners, live)

    calls = load.sync_calls() + load.async_calls()
    assert all(c.status is not None for c in calls), [c for c in calls if c.status is None]
    assert not [c for c in calls if c.status == 500], statuses(calls)

    accepted = [c for c in load.async_calls() if c.status == 202]

    def missing():
        return [c for c in accepted if not _outcomes(d, c.node, c.request_id)]

    def excusable(call):
        return (crash_at is not None and crash_at - 1 <= call.sent <= crash_at
                and call.request_id not in fake_vendor.read_ledger(ledger_path))
    try:
        wait_for(lambda: all(excusable(c) for c in missing()), 60, interval=0.5,
                 what='an outcome for every 202')
    except AssertionError:
        raise AssertionError('no outcome for %s' % missing()) from None
    lost = missing()
    if lost:
        print('\n[takeover] casts lost at the kill: %d of %d accepted: %s'
              % (len(lost), len(accepted), [c.request_id for c in lost]))
        accepted = [c for c in accepted if c not in lost]
    ledger = fake_vendor.read_ledger(ledger_path)
    for call in accepted:
        outcomes = _outcomes(d, call.node, call.request_id)
        assert len(outcomes) == 1, (call, outcomes)
        runs = len(ledger.get(call.request_id, []))
        assert runs <= 1, (call, ledger[call.request_id])
        if 'succeeded' in outcomes[0]['event']:
            assert runs == 1, (call, outcomes)
    for call in load.sync_calls():
        runs = len(ledger.get(call.request_id, []))
        if call.status == 200:
            assert runs == 1, (call, ledger.get(call.request_id))
        elif call.status in (409, 503):  # "nothing ran"
            assert runs == 0, (call, ledger.get(call.request_id))
        else:
            assert runs <= 1, (call, ledger.get(call.request_id))
    assert all(len(runs) == 1 for runs in ledger.values()), [
        (r, runs) for r, runs in ledger.items() if len(runs) > 1]
    return ledger
