"""Latency of one sync passthru call, all-in-one vs multi-process, measured side by side.

Starts an all-in-one ``anvil`` (SQLite, in-process dispatcher) and a
multi-process deployment (anvil-api under gunicorn + 2 anvil-conductors,
RabbitMQ, PostgreSQL), then sends N sequential ``third_method_sync`` calls to
each over one keep-alive connection and prints p50/p90/p99 in ms.

    .venv/bin/python bench/sync_latency.py [-n 500]

This is a report, not a test: it never fails on a number.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from tests.functional import services  # noqa: E402
from tests.functional.deployment import BIN, LATEST, Deployment, free_port, wait_for, write_config  # noqa: E402

BODY = '{"bar": "meow"}'


def measure(url, count, warmup=30):
    session = requests.Session()
    headers = dict(LATEST, **{'Content-Type': 'application/json'})
    resp = session.post(url + '/v1/nodes', json={'driver': 'fake-hardware', 'name': 'bench1'},
                        headers=headers)
    assert resp.status_code in (201, 409), resp.text
    target = url + '/v1/nodes/bench1/vendor_passthru/third_method_sync'
    samples = []
    for i in range(warmup + count):
        start = time.perf_counter()
        resp = session.post(target, data=BODY, headers=headers)
        elapsed = time.perf_counter() - start
        assert resp.status_code == 200, resp.text
        if i >= warmup:
            samples.append(elapsed * 1000)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {'p50': pick(0.5), 'p90': pick(0.9), 'p99': pick(0.99),
            'mean': statistics.fmean(samples), 'n': len(samples)}


def start_all_in_one(workdir):
    port = free_port()
    conf = write_config(os.path.join(workdir, 'aio.conf'), {
        'DEFAULT': {'state_path': os.path.join(workdir, 'state'), 'host': 'bench-aio'},
        'api': {'port': port}})
    proc = subprocess.Popen([os.path.join(BIN, 'anvil'), '--config-file', conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = 'http://127.0.0.1:%d' % port

    def up():
        try:
            return requests.get(url + '/v1/drivers/fake-hardware', headers=LATEST,
                                timeout=1).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 60, what='all-in-one up')
    return proc, url


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-n', type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        aio, aio_url = start_all_in_one(workdir)
        database = services.postgres_database()
        dep = Deployment(workdir, database.url, services.RABBIT_URL,
                         extra={'api': {'api_workers': 2}})
        try:
            dep.start()
            results = {}
            for _ in range(2):  # interleaved, to share the machine's noise
                results.setdefault('all-in-one', []).append(measure(aio_url, args.n))
                results.setdefault('multi-process', []).append(measure(dep.url, args.n))
        finally:
            dep.stop()
            aio.send_signal(signal.SIGTERM)
            aio.wait(30)
            database.drop()
    print('%-14s %8s %8s %8s %8s' % ('setup', 'p50 ms', 'p90 ms', 'p99 ms', 'mean'))
    for name, runs in results.items():
        for r in runs:
            print('%-14s %8.2f %8.2f %8.2f %8.2f' % (name, r['p50'], r['p90'], r['p99'],
                                                     r['mean']))


if __name__ == '__main__':
    main()
