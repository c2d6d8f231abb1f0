"""anvil's benchmark: every scenario of issue 6 and the floor, side by side, in one run.

    .venv/bin/python -m bench.run            # full: 8 s per scenario, 3 repetitions
    .venv/bin/python -m bench.run --quick    # 3 s, 1 repetition (for iteration)

Starts anvil multi-process (anvil-api under gunicorn gthread, two conductors
plus a ``solo``-group one, RabbitMQ, a throwaway PostgreSQL database, a unique
topic), the all-in-one (SQLite, in-process dispatcher) and the floor
(bench/floor.py); enrolls fake-hardware nodes in bulk; drives each scenario
with wrk from a separate process, repetitions interleaved; reads RSS and CPU
time from /proc. Writes bench/results/bench-<time>.{json,md} (and latest.*).
It reports and checks the targets; it never fails on a number.
"""

import argparse
import datetime
import os
import resource
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import procs, report, targets, wrk  # noqa: E402
from bench.scenarios import BY_KEY, RUN_ORDER, SCALE_NODES, SCENARIOS  # noqa: E402
from tests.functional import services  # noqa: E402

RECOMMENDED_WORKERS = 2
RECOMMENDED_THREADS = 8


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.database = None
        self.dep = self.aio = self.floor = None
        self.template = None
        self.results = {'runs': {s.key: [] for s in SCENARIOS}, 'rss': {}}

    # -- setup -------------------------------------------------------------------

    def start(self):
        self.start_multiprocess()
        self._say('starting the all-in-one')
        aio_dir = os.path.join(self.workdir, 'aio')
        os.makedirs(aio_dir)
        self.aio = targets.BenchAllInOne(aio_dir, self.args.threads)
        self.aio.start()
        targets.add_nodes(self.aio.db_url, targets.node_template(self.aio.url, self.aio.db_url),
                          'bench-', 0, 100)
        self._say('starting the floor')
        self.floor = targets.Floor(self.workdir, services.RABBIT_URL, self.dep.config_path('api'))
        self.floor.start()

    def start_multiprocess(self):
        for name, url, port in (('RabbitMQ', services.RABBIT_URL, 5672),
                                ('PostgreSQL', services.PG_URL, 5432)):
            if not services._reachable(url, port):
                raise SystemExit('%s is not reachable at %s' % (name, url))
        self.database = services.TemporaryDatabase(services.PG_URL, 'anvil_bench').create()
        mp_dir = os.path.join(self.workdir, 'mp')
        os.makedirs(mp_dir)
        self._say('starting anvil multi-process (%d API workers x %d threads, 3 conductors)'
                  % (self.args.workers, self.args.threads))
        self.dep = targets.BenchDeployment(mp_dir, self.database.url, services.RABBIT_URL,
                                           self.args.workers, self.args.threads)
        self.dep.start()
        self.template = targets.node_template(self.dep.url, self.database.url)
        targets.add_nodes(self.database.url, self.template, 'bench-', 0, 100)
        solo = targets.node_template(self.dep.url, self.database.url, targets.SOLO)
        targets.add_nodes(self.database.url, solo, 'solo-', 0, 100)

    def stop(self):
        for name, stop in (('floor', self.floor and self.floor.stop),
                           ('all-in-one', self.aio and self.aio.stop),
                           ('deployment', self.dep and self.dep.stop),
                           ('queues', self.dep and self.dep.delete_queues),
                           ('database', self.database and self.database.drop)):
            if stop:
                try:
                    stop()
                except Exception as e:  # keep stopping the others
                    self._say('stopping %s failed: %s' % (name, e))

    # -- measuring ---------------------------------------------------------------

    def processes(self):
        found = {}
        for target in (self.dep, self.aio, self.floor):
            if target is not None:
                found.update(target.processes())
        return found

    def rss(self):
        return {label: procs.rss_mib(pid) for label, pid in self.processes().items()}

    def cpu_meter(self):
        def group(prefix):
            return lambda: [pid for label, pid in self.processes().items()
                            if label.startswith(prefix)]
        return procs.CpuMeter({
            'anvil-api': group('api'), 'conductors': group('cond-'),
            'all-in-one': group('all-in-one'), 'floor-ping': group('floor ping'),
            'floor-composed': group('floor composed'), 'floor-server': group('floor server'),
            'rabbitmq': lambda: procs.pids_named('beam.smp'),
            'postgres': lambda: procs.pids_of_user('postgres')})

    def url(self, target):
        return {'mp': self.dep.url, 'aio': self.aio.url, 'ping': self.floor.ping_url,
                'composed': self.floor.composed_url}[target]

    def run_one(self, sc):
        duration = self.args.duration
        meter = self.cpu_meter()
        if sc.hook == 'scale':
            targets.add_nodes(self.database.url, self.template, 'bench-', 100,
                              SCALE_NODES - 100)
        meter.start()
        client_cpu = _children_cpu()
        t0 = _now()
        if sc.target in ('rpc', 'db'):
            result = self.floor.client_load('%s-load' % sc.target, sc.conns, duration)
            result.update(codes={'200': result['requests']}, non2xx={}, socket_errors={},
                          code_rps={'200': result['rps']})
        else:
            result = wrk.run(self.url(sc.target), sc.verb, sc.path, sc.nodes, sc.conns,
                             duration, sc.body, sc.prefix)
        t1 = _now()
        result['cpu_s'] = meter.stop()
        result['cpu_s']['client'] = _children_cpu() - client_cpu
        if sc.hook == 'scale':
            targets.remove_nodes(self.database.url, 'bench-', 100)
        if sc.hook == 'async':
            result.update(self._async_outcomes(result, t0, t1))
        return result

    def _async_outcomes(self, result, t0, t1):
        """Methods completed from the conductors' side during the run, then the drain."""
        db = self.database.url
        done = targets.count_events(db, 'Vendor passthru second_method succeeded%', t0, t1)
        accepted = result['codes'].get('202', 0)
        deadline = time.monotonic() + 60
        while True:
            outcomes = (targets.count_events(db, 'Vendor passthru second_method %', t0)
                        - targets.count_events(db, 'Vendor passthru second_method started%', t0))
            if outcomes >= accepted or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        drain = (_now() - t1).total_seconds()
        return {'completed': done, 'completed_rps': done / (t1 - t0).total_seconds(),
                'outcomes': outcomes, 'accepted': accepted,
                'refused': targets.count_events(
                    db, 'Vendor passthru second_method refused%', t0),
                'succeeded_total': targets.count_events(
                    db, 'Vendor passthru second_method succeeded%', t0),
                'drain_s': drain}

    def warm_up(self):
        for target, path, body in (('mp', BY_KEY['sync_c8'].path, BY_KEY['sync_c8'].body),
                                   ('aio', BY_KEY['sync_c8'].path, BY_KEY['sync_c8'].body),
                                   ('composed', BY_KEY['sync_c8'].path, BY_KEY['sync_c8'].body),
                                   ('ping', '/ping', '')):
            wrk.run(self.url(target), 'POST' if body else 'GET', path, 100, 8, 2, body)
        wrk.run(self.url('mp'), 'POST', BY_KEY['sync_c8'].path, 100, 8, 2, BY_KEY['sync_c8'].body,
                'solo-')

    def run(self):
        time.sleep(2)  # let start-up work settle before reading idle memory
        self.results['rss']['idle'] = self.rss()
        self._say('warming up')
        self.warm_up()
        order = [k for k in RUN_ORDER if not self.args.only or k in self.args.only]
        for rep in range(self.args.reps):
            for key in order:
                sc = BY_KEY[key]
                result = self.run_one(sc)
                self.results['runs'][key].append(result)
                self._say('rep %d/%d %-20s %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  %s%s' % (
                    rep + 1, self.args.reps, key, result['rps'],
                    result['latency_us']['p50'] / 1000, result['latency_us']['p99'] / 1000,
                    ' '.join('%s:%d' % kv for kv in sorted(result['codes'].items())),
                    '  completed %.1f/s' % result['completed_rps']
                    if 'completed_rps' in result else ''))
        self.results['rss']['after'] = self.rss()

    @staticmethod
    def _say(text):
        print('[bench %s] %s' % (time.strftime('%H:%M:%S'), text), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='3 s per scenario, 1 repetition')
    parser.add_argument('--duration', type=int, help='seconds per scenario (default 8)')
    parser.add_argument('--reps', type=int, help='repetitions, interleaved (default 3)')
    parser.add_argument('--workers', type=int, default=RECOMMENDED_WORKERS,
                        help='gunicorn workers of anvil-api and the floor\'s Flask apps')
    parser.add_argument('--threads', type=int, default=RECOMMENDED_THREADS,
                        help='threads per gunicorn worker (and the all-in-one\'s cheroot)')
    parser.add_argument('--only', nargs='*', help='run only these scenario keys')
    parser.add_argument('--out-dir', default=os.path.join(REPO, 'bench', 'results'))
    parser.add_argument('--keep', action='store_true', help='keep the work directory (logs)')
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 8)
    args.reps = args.reps or (1 if args.quick else 3)
    os.chdir(REPO)
    wrk.ensure_wrk()
    workdir = tempfile.mkdtemp(prefix='anvil-bench-')
    bench = Bench(args, workdir)
    started = time.monotonic()
    ok = False
    try:
        bench.start()
        bench.run()
        ok = True
    finally:
        bench.stop()
        if ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print('work directory (logs): %s' % workdir)
    bench.results['meta'] = {
        'date': time.strftime('%Y-%m-%d %H:%M:%S'), 'duration_s': args.duration,
        'reps': args.reps, 'workers': args.workers, 'threads': args.threads,
        'command': ' '.join(['python -m bench.run'] + (argv if argv is not None
                                                         else sys.argv[1:])),
        'elapsed_s': round(time.monotonic() - started), 'cpus': os.cpu_count(),
        'loadavg': os.getloadavg()}
    paths = report.write(bench.results, args.out_dir)
    print(open(paths[1]).read())
    print('results: %s' % ', '.join(paths))
    return 0


if __name__ == '__main__':
    sys.exit(main())
