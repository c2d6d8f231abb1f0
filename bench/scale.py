"""Scale on this machine: 100 against 10,000 nodes over four conductors, side by side.

    .venv/bin/python -m bench.scale [--reps 4] [--duration 8] [--nodes 10000]

Two real deployments on the shared RabbitMQ and PostgreSQL, alike but for
the nodes enrolled: anvil-api (gunicorn 2 x 8) + four anvil-conductors each,
with the production lease and cache defaults, each on a database and topic
of its own. A gets 100 nodes, B ``--nodes``; the first ``--api-enroll`` of
B's go through the API (the rate is reported), the rest are inserted in bulk
(``bench.targets.add_nodes``, anvil's table). Sync passthru calls sweep every
enrolled node at c=1 and c=8, A and B alternately (the order flips each
repetition); per repetition the B/A ratios are printed, then the median and
spread, with the CPU per call of the API and the conductors (from /proc, net
of what each side burns idle, measured in one window before the runs).
Then: the load of the API's route table (``api/node_routes.py``) timed in
this process against both databases; resident memory of every process; on
B, the share of nodes whose owner changed when a fifth conductor joins and
when one of the first four stops, read from the API (calls keep running
meanwhile; their statuses are printed). Reports only.
"""

import argparse
import concurrent.futures
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from anvil.api import node_routes  # noqa: E402
from anvil.common.config import CONF  # noqa: E402
from anvil.db import engine as db_engine  # noqa: E402
from bench import procs, targets, wrk  # noqa: E402
from bench.scenarios import MEOW, SYNC  # noqa: E402
from tests.functional import services  # noqa: E402
from tests.functional.deployment import LATEST, wait_for  # noqa: E402

CONDUCTORS = 4
PREFIX = 'bench-'


class ScaleDeployment(targets.BenchDeployment):
    """anvil-api + ``CONDUCTORS`` conductors, lease and cache options at their defaults."""

    def __init__(self, workdir, db_url):
        super().__init__(workdir, db_url, services.RABBIT_URL, workers=2, threads=8)
        self.conductor_names = ['cond-%d' % (i + 1) for i in range(CONDUCTORS)]

    def sections(self, host=None):
        sections = super().sections(host)
        for option in ('heartbeat_interval', 'heartbeat_timeout'):
            sections['conductor'].pop(option)  # the defaults: 1 s, 3 s
        # two deployments of six database users each (API workers, conductors) on a
        # server of 100 connections, shared with other users
        sections['database'].update(max_pool_size=3, max_overflow=3)
        return sections


def _enroll_via_api(dep, count):
    """Enroll ``count`` nodes through POST /v1/nodes, 8 at a time; returns nodes/s."""
    def create(i):
        def created():  # 503: nothing was done (the shared server was out of connections)
            resp = requests.post(dep.url + '/v1/nodes', json={
                'driver': 'fake-hardware', 'name': '%s%05d' % (PREFIX, i)}, headers=LATEST,
                timeout=60)
            assert resp.status_code in (201, 503), resp.text
            return resp.status_code == 201
        wait_for(created, 120, interval=0.5, what='node %d enrolled' % i)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))
    return count / (time.monotonic() - started)


def enroll(dep, db_url, count, via_api):
    """``count`` nodes, the first ``via_api`` through the API; returns its nodes/s."""
    rate = _enroll_via_api(dep, min(count, via_api))
    if count > via_api:
        template = targets.node_template(dep.url, db_url)
        targets.add_nodes(db_url, template, PREFIX, via_api, count - via_api)
    return rate


def _cpu_meter(dep):
    def group(prefix):
        return lambda: [p for k, p in dep.processes().items() if k.startswith(prefix)]
    return procs.CpuMeter({'api': group('api'), 'cond': group('cond-')})


def idle_cpu(sides, seconds=10):
    """{label: {group: CPU seconds per second}} of each deployment with no calls.

    Heartbeats, conductor lists, the API's topology and route-table loads cost
    CPU whether calls come or not; per call they weigh more the fewer calls
    a run gets, which on a shared machine is noise. Measured on both sides in
    the same window and subtracted from each run's CPU.
    """
    meters = {label: _cpu_meter(dep) for label, dep, _nodes in sides}
    for meter in meters.values():
        meter.start()
    time.sleep(seconds)  # a measuring window, as wrk's duration
    return {label: {k: v / seconds for k, v in meter.stop().items()}
            for label, meter in meters.items()}


def one_run(dep, nodes, conns, duration, idle):
    """One wrk run; ``cpu_ms`` is CPU per call with the ``idle`` rate taken out."""
    meter = _cpu_meter(dep)
    meter.start()
    result = wrk.run(dep.url, 'POST', SYNC, nodes, conns, duration, MEOW, PREFIX)
    seconds = result['duration_us'] / 1e6
    result['cpu_ms'] = {k: 1000.0 * max(0.0, v - idle[k] * seconds) / max(1, result['requests'])
                        for k, v in meter.stop().items()}
    return result


def _ms(result, key):
    return result['latency_us'][key] / 1000.0


def measure(sides, conns_list, reps, duration):
    """{(conns, label): [result per rep]}, A and B alternately, order flipped per rep."""
    idle = idle_cpu(sides)
    for label, rates in idle.items():
        _say('%s idle: API %.1f ms CPU/s, conductors %.1f ms CPU/s' % (
            label, 1000 * rates['api'], 1000 * rates['cond']))
    results = {}
    for rep in range(reps):
        order = sides if rep % 2 == 0 else list(reversed(sides))
        for conns in conns_list:
            for label, dep, nodes in order:
                r = one_run(dep, nodes, conns, duration, idle[label])
                results.setdefault((conns, label), []).append(r)
                _say('rep %d c=%d %s (%5d nodes): %7.1f req/s  p50 %6.2f  p99 %6.2f  max %7.2f '
                     'ms  %s' % (rep + 1, conns, label, nodes, r['rps'], _ms(r, 'p50'),
                                 _ms(r, 'p99'), _ms(r, 'max'), r['codes']))
    return results


def _spread(values):
    return '%.3f (%.3f-%.3f; %s)' % (statistics.median(values), min(values), max(values),
                                     ' '.join('%.2f' % v for v in values))


def print_latency(results, conns_list, nodes_b):
    print('\n## Sync passthru, 100 vs %d nodes (medians over repetitions)\n' % nodes_b)
    print('| c | nodes | req/s | p50 ms | p99 ms | max ms | API CPU ms/call (net of idle) | '
          'conductors CPU ms/call (net of idle) | non-2xx |')
    print('|---|---|---|---|---|---|---|---|---|')
    for conns in conns_list:
        for label, nodes in (('A', 100), ('B', nodes_b)):
            runs = results[(conns, label)]
            med = lambda f, runs=runs: statistics.median(f(r) for r in runs)  # noqa: E731
            non2xx = {}
            for r in runs:
                for code, n in r['non2xx'].items():
                    non2xx[code] = non2xx.get(code, 0) + n
            print('| %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |' % (
                conns, nodes, med(lambda r: r['rps']), med(lambda r: _ms(r, 'p50')),
                med(lambda r: _ms(r, 'p99')), med(lambda r: _ms(r, 'max')),
                med(lambda r: r['cpu_ms']['api']), med(lambda r: r['cpu_ms']['cond']),
                non2xx or '-'))
    print('\nB/A per repetition: median (min-max; each rep). CPU per call, read from '
          '/proc, is what the machine\'s noise disturbs least.\n')
    print('| c | req/s | p50 | p99 | API CPU/call | conductors CPU/call |')
    print('|---|---|---|---|---|---|')
    for conns in conns_list:
        pairs = list(zip(results[(conns, 'A')], results[(conns, 'B')], strict=True))
        print('| %d | %s | %s | %s | %s | %s |' % (
            conns, _spread([b['rps'] / a['rps'] for a, b in pairs]),
            _spread([_ms(b, 'p50') / _ms(a, 'p50') for a, b in pairs]),
            _spread([_ms(b, 'p99') / _ms(a, 'p99') for a, b in pairs]),
            _spread([b['cpu_ms']['api'] / a['cpu_ms']['api'] for a, b in pairs]),
            _spread([b['cpu_ms']['cond'] / a['cpu_ms']['cond'] for a, b in pairs])))


def route_table_load_ms(db_url, times=5):
    """Median (wall ms, CPU ms of this process) to load an API process's route table."""
    CONF.set_override('connection', db_url, group='database')
    db_engine.dispose()
    samples = []
    try:
        for _ in range(times):
            node_routes.clear()
            started, cpu = time.perf_counter(), time.process_time()
            assert node_routes.get(PREFIX + '00000') is not None
            samples.append(((time.perf_counter() - started) * 1000,
                            (time.process_time() - cpu) * 1000))
    finally:
        node_routes.clear()
        db_engine.dispose()
        CONF.clear_override('connection', group='database')
    return (statistics.median(wall for wall, _ in samples),
            statistics.median(cpu for _, cpu in samples))


def print_memory(sides):
    print('\n## Resident memory (MiB) after the runs\n')
    labels = ['api master', 'api worker 1', 'api worker 2'] + [
        'cond-%d' % (i + 1) for i in range(CONDUCTORS)]
    print('| nodes | %s |' % ' | '.join(labels))
    print('|---|%s' % ('---|' * len(labels)))
    for _label, dep, nodes in sides:
        rss = {k: procs.rss_mib(p) for k, p in dep.processes().items()}
        print('| %d | %s |' % (nodes, ' | '.join(
            '%.1f' % rss[k] if rss.get(k) else '-' for k in labels)))


# -- ring moves -------------------------------------------------------------------


def owners(dep):
    """{uuid: conductor} of every node, as the API reports it (pages of 1,000)."""
    found, marker = {}, None
    while True:
        path = '/v1/nodes?fields=uuid,conductor&limit=1000'
        if marker:
            path += '&marker=' + marker
        page = dep.get(path).json()['nodes']
        found.update((n['uuid'], n['conductor']) for n in page)
        if len(page) < 1000:
            return found
        marker = page[-1]['uuid']


def settled_owners(dep, done):
    """Owners once ``done(owners)`` holds for two reads in a row that agree."""
    last = {}

    def agreed():
        current = owners(dep)
        same = current == last.get('owners')
        last['owners'] = current
        return current if same and done(current) else None
    return wait_for(agreed, 90, interval=0.2, what='the owners to settle')


def _moves(before, after, who):
    moved = [u for u in before if before[u] != after.get(u)]
    involving = sum(1 for u in moved if who in (before[u], after.get(u)))
    return len(moved), involving


class Background:
    """Sync calls over every node of ``dep`` while a membership change happens."""

    def __init__(self, dep, nodes):
        self.dep, self.nodes = dep, nodes
        self.stop = threading.Event()
        self.codes = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            r = wrk.run(self.dep.url, 'POST', SYNC, self.nodes, 4, 2, MEOW, PREFIX)
            for code, n in r['codes'].items():
                self.codes[code] = self.codes.get(code, 0) + n

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self._thread.join()


def ring_moves(dep, nodes):
    print('\n## Ring moves over %d nodes (owners as the API reports them)\n' % nodes)
    print('| change | conductors | moved | share | expected | moves not to/from it | '
          'calls meanwhile |')
    print('|---|---|---|---|---|---|---|')
    before = settled_owners(dep, lambda o: len(set(o.values())) == CONDUCTORS)
    joiner = 'cond-%d' % (CONDUCTORS + 1)
    with Background(dep, nodes) as load:
        dep.start_conductor(joiner)
        dep.wait_conductor_alive(joiner)
        after = settled_owners(dep, lambda o: joiner in o.values())
    moved, involving = _moves(before, after, joiner)
    print('| %s joins | %d -> %d | %d | %.1f %% | %.1f %% | %d | %s |' % (
        joiner, CONDUCTORS, CONDUCTORS + 1, moved, 100.0 * moved / nodes,
        100.0 / (CONDUCTORS + 1), moved - involving, load.codes))
    leaver = 'cond-1'
    share = sum(1 for c in after.values() if c == leaver)
    with Background(dep, nodes) as load:
        dep.conductors[leaver].stop()
        final = settled_owners(dep, lambda o: leaver not in o.values())
    moved, involving = _moves(after, final, leaver)
    print('| %s stops (SIGTERM) | %d -> %d | %d | %.1f %% | %.1f %% (its share) | %d | %s |' % (
        leaver, CONDUCTORS + 1, CONDUCTORS, moved, 100.0 * moved / nodes,
        100.0 * share / nodes, moved - involving, load.codes))


# -- the run --------------------------------------------------------------------------


def _say(text):
    print('[scale %s] %s' % (time.strftime('%H:%M:%S'), text), file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, default=10000, help='nodes of deployment B')
    parser.add_argument('--api-enroll', type=int, default=500,
                        help='of which enrolled through the API (the rest in bulk)')
    parser.add_argument('--reps', type=int, default=4)
    parser.add_argument('--duration', type=int, default=8, help='seconds per run')
    parser.add_argument('--no-moves', action='store_true', help='skip the ring moves')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (logs)')
    args = parser.parse_args(argv)
    os.chdir(REPO)
    CONF([], project='anvil')
    wrk.ensure_wrk()
    workdir = tempfile.mkdtemp(prefix='anvil-scale-')
    started = []
    try:
        sides = []
        for label, nodes in (('A', 100), ('B', args.nodes)):
            database = services.TemporaryDatabase(services.PG_URL, 'anvil_scale').create()
            path = os.path.join(workdir, label)
            os.makedirs(path)
            dep = ScaleDeployment(path, database.url)
            started.append((dep, database))
            _say('starting %s: anvil-api + %d conductors' % (label, CONDUCTORS))
            dep.start()
            rate = enroll(dep, database.url, nodes, min(nodes, args.api_enroll))
            _say('%s: %d nodes, %d of them through the API at %.1f nodes/s' % (
                label, nodes, min(nodes, args.api_enroll), rate))
            sides.append((label, dep, nodes))
        for _label, dep, nodes in sides:  # the route tables loaded, PostgreSQL's cache warm
            wrk.run(dep.url, 'POST', SYNC, nodes, 8, 5, MEOW, PREFIX)
        conns_list = [1, 8]
        results = measure(sides, conns_list, args.reps, args.duration)
        print_latency(results, conns_list, args.nodes)
        print('\n## Route table load, one API process (in-process, anvil\'s db layer)\n')
        for (_label, _dep, nodes), (_d, database) in zip(sides, started, strict=True):
            print('- %d nodes: %.1f ms (CPU %.1f ms)' % (nodes, *route_table_load_ms(database.url)))
        print_memory(sides)
        if not args.no_moves:
            ring_moves(sides[1][1], args.nodes)
    finally:
        for dep, _database in started:  # all at once: each conductor drains for seconds
            for proc in list(dep.conductors.values()) + [dep.api]:
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
        for dep, database in started:
            dep.stop()
            dep.delete_queues()
            database.drop()
        if args.keep:
            print('work directory (logs): %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
