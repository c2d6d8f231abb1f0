"""CPU cost of metrics on one sync passthru call, on against off, in one process.

The end-to-end A/B (``bench/ab.py --b-set metrics.enabled=false``) is
dominated by the machine's noise when the metrics cost a few microseconds
per call. This measures the difference directly: the real app (create_app,
every WSGI layer) and a real conductor manager (in-process dispatcher,
SQLite) answer ``POST .../vendor_passthru/third_method_sync`` through
Flask's test client, in batches that alternate metrics on and off; the
process CPU time per call is compared batch by batch. Run twice: values in
memory (conductor, all-in-one) and in multiprocess files (anvil-api's
gunicorn workers, ``PROMETHEUS_MULTIPROC_DIR``).

    .venv/bin/python bench/metrics_cost.py [--calls 400] [--batches 10] [--control]

Prints per mode: CPU us per call with metrics off and on (medians of the
batches), the difference, and the ratio. ``--control`` adds an A/A run: the
same two apps, both built with metrics off, measured the same way;
its ratio is what this bench reports when metrics cost nothing (the noise
floor the on/off ratio is to be read against). A report, not a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def _measure(calls, batches, control=False):
    """In this process: [(off us/call, on us/call)] per batch pair.

    ``control``: the "on" app is built with metrics off too (A/A).
    """
    import anvil.common.startup  # noqa: F401  (first: the threading backend)
    from anvil.common import local_rpc, metrics, startup
    from anvil.common.config import CONF
    workdir = tempfile.mkdtemp(prefix='anvil-metrics-cost-')
    startup.parse_args([], prog='metrics-cost')
    CONF.set_override('auth_strategy', 'noauth')
    CONF.set_override('access_log', False, group='api')
    CONF.set_override('connection', 'sqlite:///%s/anvil.sqlite' % workdir, group='database')
    CONF.set_override('heartbeat_interval', 3600, group='conductor')
    CONF.set_override('heartbeat_timeout', 7200, group='conductor')  # no heartbeat runs here
    from anvil.api import app as api_app
    from anvil.api import hash_ring, rpcapi
    from anvil.conductor.service import ConductorService
    from anvil.db import migration
    migration.upgrade()
    conductor = ConductorService(rpc_server=False, status_server=False)
    conductor.start()
    api = rpcapi.ConductorAPI(hash_ring.TopologyCache(), local_rpc.LocalClient(conductor.manager))
    clients = {}
    for on in (False, True):
        CONF.set_override('enabled', on and not control, group='metrics')
        clients[on] = api_app.create_app(api).test_client()
    headers = {'X-OpenStack-Ironic-API-Version': 'latest'}
    resp = clients[True].post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'n1'},
                              headers=headers)
    assert resp.status_code == 201, resp.data
    url = '/v1/nodes/n1/vendor_passthru/third_method_sync'

    def batch(on):
        CONF.set_override('enabled', on and not control, group='metrics')
        metrics.configure(CONF)   # the conductor's hooks read the switch at call time
        client = clients[on]
        start = time.process_time()
        for _ in range(calls):
            assert client.post(url, json={'bar': 'x'}, headers=headers).status_code == 200
        return 1e6 * (time.process_time() - start) / calls

    batch(True), batch(False)   # warm up both
    pairs = []
    for i in range(batches):    # the order flips each pair: what a batch leaves behind
        if i % 2:               # (garbage, caches) weighs on both sides alike
            on = batch(True)
            pairs.append((batch(False), on))
        else:
            pairs.append((batch(False), batch(True)))
    conductor.stop()
    return pairs


def _report(label, pairs):
    off = statistics.median(p[0] for p in pairs)
    on = statistics.median(p[1] for p in pairs)
    diffs = statistics.median(p[1] - p[0] for p in pairs)
    print('%-28s off %7.1f us  on %7.1f us  on-off %+6.1f us  on/off %.3f'
          % (label, off, on, diffs, on / off))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--calls', type=int, default=400)
    parser.add_argument('--batches', type=int, default=10)
    parser.add_argument('--control', action='store_true',
                        help='also measure A/A (both apps with metrics off)')
    parser.add_argument('--child', choices=['memory', 'multiprocess', 'control'])
    args = parser.parse_args(argv)
    if args.child:
        for off, on in _measure(args.calls, args.batches, args.child == 'control'):
            print('PAIR %f %f' % (off, on))
        return
    modes = ('memory', 'multiprocess') + (('control',) if args.control else ())
    for mode in modes:
        env = dict(os.environ)
        env.pop('PROMETHEUS_MULTIPROC_DIR', None)
        with tempfile.TemporaryDirectory(prefix='anvil-prom-') as directory:
            if mode == 'multiprocess':
                env['PROMETHEUS_MULTIPROC_DIR'] = directory
            out = subprocess.run([sys.executable, __file__, '--child', mode, '--calls',
                                  str(args.calls), '--batches', str(args.batches)],
                                 env=env, capture_output=True, text=True, check=True).stdout
        pairs = [tuple(map(float, line.split()[1:])) for line in out.splitlines()
                 if line.startswith('PAIR ')]
        _report('sync call, %s' % mode if mode != 'control' else 'A/A control, both off',
                pairs)


if __name__ == '__main__':
    main()
