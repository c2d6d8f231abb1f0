"""Per-call cost of redfish passthru calls against the (extended) sushy-tools emulator.

Starts the emulator (session auth, bcrypt rounds=4) and a multi-process
deployment (anvil-api + 2 anvil-conductors, RabbitMQ, PostgreSQL), enrolls
one redfish node and one fake-hardware node, then sends N sequential calls
of each kind over one keep-alive connection and prints p50/p90 in ms:

- fake third_method_sync: anvil's own cost (no BMC), for reference;
- get_all_subscriptions (sync GET, shared lock): 2 BMC requests;
- get_subscription (sync GET, shared lock): 3 BMC requests;
- create_subscription + delete_subscription (sync, exclusive lock);
- eject_vmedia (async): the 202, and the time until the outcome is in the
  node's history (polled every 5 ms, so +~2.5 ms);
- the same BMC work done directly with sushy in this process (no anvil).

    .venv/bin/python bench/redfish_cost.py [-n 200]

Ironic 39 spends ~450 ms per redfish call (a PBKDF2 cache key per call;
see ../shared/reference/ironic-39-http-transcript.md). A report, not a test.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from tests.functional import services  # noqa: E402
from tests.functional.deployment import LATEST  # noqa: E402
from tests.functional.redfish_bmc import Bmc, harness  # noqa: E402

HEADERS = dict(LATEST, **{'Content-Type': 'application/json'})


def percentiles(samples):
    samples = sorted(s * 1000 for s in samples)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {'p50': pick(0.5), 'p90': pick(0.9), 'mean': statistics.fmean(samples),
            'n': len(samples)}


def sample(count, fn, warmup=10):
    times = []
    for i in range(warmup + count):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return percentiles(times)


class Calls:
    """The measured calls, over one keep-alive HTTP session."""

    def __init__(self, url, node):
        self.session = requests.Session()
        self.base = '%s/v1/nodes/%s/vendor_passthru/' % (url, node)
        self.url = url
        self.node = node

    def request(self, verb, method, body=None, expect=200, node_base=None):
        resp = self.session.request(verb, (node_base or self.base) + method,
                                    data=json.dumps(body) if body is not None else None,
                                    headers=HEADERS)
        assert resp.status_code == expect, resp.text
        return resp

    def fake_sync(self, fake_base):
        self.request('POST', 'third_method_sync', {'bar': 'meow'}, node_base=fake_base)

    def get_all(self):
        self.request('GET', 'get_all_subscriptions')

    def get_one(self, sub_id):
        self.request('GET', 'get_subscription', {'id': sub_id})

    def create_delete(self):
        sub = self.request('POST', 'create_subscription',
                           {'Destination': 'https://192.0.2.10/events'}).json()
        self.request('DELETE', 'delete_subscription', {'id': sub['Id']})

    def eject(self):
        """(seconds to the 202, seconds until the outcome is in the history)."""
        start = time.perf_counter()
        resp = self.request('POST', 'eject_vmedia', {}, expect=202)
        accepted = time.perf_counter() - start
        request_id = resp.headers['x-openstack-request-id']
        history = '%s/v1/nodes/%s/history?detail=True' % (self.url, self.node)
        while True:
            events = self.session.get(history, headers=HEADERS).json()['history']
            if any(e['request_id'] == request_id and 'succeeded' in e['event']
                   for e in events):
                return accepted, time.perf_counter() - start
            time.sleep(0.005)


def sample_eject(calls, count, warmup=5):
    """Sequential ejects, each waited for (a second one would find the node locked)."""
    runs = [calls.eject() for _ in range(warmup + count)][warmup:]
    return {'eject_vmedia: 202': percentiles([a for a, _ in runs]),
            'eject_vmedia: 202 -> in history': percentiles([d for _, d in runs])}


def direct(bmc, count, sub_id):
    """The BMC work of get_all / get_subscription done with sushy, no anvil."""
    with bmc.sushy() as root:
        def get_all():
            root.get_event_service().subscriptions.json  # noqa: B018

        def get_one():
            subs = root.get_event_service().subscriptions
            subs.get_member('%s/%s' % (subs.path, sub_id))
        return {'sushy get_all (2 requests)': sample(count, get_all),
                'sushy get_subscription (3 requests)': sample(count, get_one)}


def run(dep, bmc, count):
    node = harness.create_node(dep, 'bench-rf', bmc.driver_info())['uuid']
    fake = dep.create_node('bench-fake')['uuid']
    calls = Calls(dep.url, node)
    fake_base = '%s/v1/nodes/%s/vendor_passthru/' % (dep.url, fake)
    sub_id = calls.request('POST', 'create_subscription',
                           {'Destination': 'https://192.0.2.10/keep'}).json()['Id']
    results = {
        'fake third_method_sync (no BMC)': sample(count, lambda: calls.fake_sync(fake_base)),
        'get_all_subscriptions (sync)': sample(count, calls.get_all),
        'get_subscription (sync)': sample(count, lambda: calls.get_one(sub_id)),
        'create+delete_subscription (2 sync)': sample(count // 2, calls.create_delete),
    }
    results.update(sample_eject(calls, count // 2))
    results.update(direct(bmc, count, sub_id))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-n', type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        bmc = Bmc(workdir).start()
        database = services.postgres_database()
        dep = None
        try:
            dep = harness.start_deployment(workdir, database.url)
            results = run(dep, bmc, args.n)
        finally:
            if dep is not None:
                dep.stop()
            bmc.stop()
            database.drop()
    print('%-40s %8s %8s %8s %5s' % ('call', 'p50 ms', 'p90 ms', 'mean', 'n'))
    for name, r in results.items():
        print('%-40s %8.2f %8.2f %8.2f %5d' % (name, r['p50'], r['p90'], r['mean'], r['n']))


if __name__ == '__main__':
    main()
