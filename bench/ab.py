"""A/B: two anvil source trees as multi-process deployments side by side, same scenarios.

    git worktree add /tmp/anvil-before <commit>
    .venv/bin/python -m bench.ab /tmp/anvil-before [--scenarios sync_c1 sync_c8] [--reps 5]
    .venv/bin/python -m bench.ab --b-set metrics.enabled=false   # one tree, two configs

A is the tree the console scripts import by default (this checkout), B the
tree given (put first on PYTHONPATH of B's processes), or this checkout too
when none is given; ``--a-set``/``--b-set SECTION.OPTION=VALUE`` change one
side's configuration (e.g. metrics on against off). Both run on the same
RabbitMQ and PostgreSQL, each on its own database and topic; scenarios run
A, B, A, B, ... so both share the machine's noise. Prints per-scenario medians
and the B/A ratio of each repetition (req/s; p50 for c=1), and the CPU time
per request of each side's API and conductor processes (from /proc), which
the machine's noise disturbs much less than rates. Reports only.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import procs, targets, wrk  # noqa: E402
from bench import run as bench_run  # noqa: E402
from bench.scenarios import BY_KEY  # noqa: E402
from tests.functional import services  # noqa: E402


def _overrides(pairs):
    """{section: {option: value}} from SECTION.OPTION=VALUE strings."""
    sections = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        section, dot, option = key.partition('.')
        if not (sep and dot and section and option):
            raise SystemExit('expected SECTION.OPTION=VALUE, not %r' % pair)
        sections.setdefault(section, {})[option] = value
    return sections


def _start(workdir, name, tree, args, extra):
    old = os.environ.get('PYTHONPATH')
    if tree:
        os.environ['PYTHONPATH'] = os.pathsep.join([tree] + ([old] if old else []))
    try:
        database = services.TemporaryDatabase(services.PG_URL, 'anvil_bench_%s' % name).create()
        path = os.path.join(workdir, name)
        os.makedirs(path)
        dep = targets.BenchDeployment(path, database.url, services.RABBIT_URL, args.workers,
                                      args.threads, extra=extra)
        dep.start()
    finally:
        if old is None:
            os.environ.pop('PYTHONPATH', None)
        else:
            os.environ['PYTHONPATH'] = old
    template = targets.node_template(dep.url, database.url)
    targets.add_nodes(database.url, template, 'bench-', 0, args.nodes)
    solo = targets.node_template(dep.url, database.url, targets.SOLO)
    targets.add_nodes(database.url, solo, 'solo-', 0, 100)
    return dep, database


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('tree', nargs='?', help='source tree of B (a git worktree; default: '
                        'A\'s)')
    parser.add_argument('--a-set', nargs='*', default=[], metavar='SECTION.OPTION=VALUE',
                        help='configuration of A\'s processes')
    parser.add_argument('--b-set', nargs='*', default=[], metavar='SECTION.OPTION=VALUE',
                        help='configuration of B\'s processes')
    parser.add_argument('--a-tree', help='source tree of A (default: this checkout, with '
                        'whatever uncommitted changes it has)')
    parser.add_argument('--scenarios', nargs='*', default=['sync_c1', 'sync_c8'])
    parser.add_argument('--reps', type=int, default=4)
    parser.add_argument('--nodes', type=int, default=100,
                        help='nodes enrolled (10000 for sync_c8_10k)')
    parser.add_argument('--duration', type=int, default=5)
    parser.add_argument('--workers', type=int, default=bench_run.RECOMMENDED_WORKERS)
    parser.add_argument('--threads', type=int, default=bench_run.RECOMMENDED_THREADS)
    args = parser.parse_args(argv)
    os.chdir(REPO)
    a_tree = os.path.abspath(args.a_tree) if args.a_tree else None
    tree = os.path.abspath(args.tree) if args.tree else a_tree
    for source in filter(None, (tree, a_tree)):
        found = subprocess.run([sys.executable, '-c', 'import anvil; print(anvil.__file__)'],
                               capture_output=True, text=True, cwd='/',
                               env=dict(os.environ, PYTHONPATH=source)).stdout.strip()
        if not found.startswith(source + os.sep):
            raise SystemExit('would import anvil from %s, not from %s' % (found, source))
    wrk.ensure_wrk()
    workdir = tempfile.mkdtemp(prefix='anvil-ab-')
    started = []
    results = {}
    try:
        for name, source, extra in (('a', a_tree, _overrides(args.a_set)),
                                    ('b', tree, _overrides(args.b_set))):
            started.append(_start(workdir, name, source, args, extra))
        (dep_a, _), (dep_b, _) = started
        for key in args.scenarios:
            sc = BY_KEY[key]
            wrk.run(dep_a.url, sc.verb, sc.path, sc.nodes, sc.conns, 2, sc.body, sc.prefix)
            wrk.run(dep_b.url, sc.verb, sc.path, sc.nodes, sc.conns, 2, sc.body, sc.prefix)
        for _rep in range(args.reps):
            for key in args.scenarios:
                sc = BY_KEY[key]
                for name, dep in (('A', dep_a), ('B', dep_b)):
                    meter = procs.CpuMeter({
                        'api': lambda d=dep: [p for k, p in d.processes().items()
                                              if k.startswith('api')],
                        'cond': lambda d=dep: [p for k, p in d.processes().items()
                                               if k.startswith('cond-')]})
                    meter.start()
                    r = wrk.run(dep.url, sc.verb, sc.path, sc.nodes, sc.conns, args.duration,
                                sc.body, sc.prefix)
                    r['cpu_ms'] = {k: 1000.0 * v / max(1, r['requests'])
                                   for k, v in meter.stop().items()}
                    results.setdefault((key, name), []).append(r)
    finally:
        for dep, database in started:
            dep.stop()
            dep.delete_queues()
            database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    print('%-16s %22s %22s %18s' % ('scenario', 'A req/s | p50 ms', 'B req/s | p50 ms',
                                    'B/A (per rep)'))
    for key in args.scenarios:
        a, b = results[(key, 'A')], results[(key, 'B')]
        if BY_KEY[key].conns == 1:
            ratios = [y['latency_us']['p50'] / x['latency_us']['p50']
                      for x, y in zip(a, b, strict=True)]
            what = 'p50'
        else:
            ratios = [y['rps'] / x['rps'] for x, y in zip(a, b, strict=True)]
            what = 'req/s'
        med = lambda runs, f: statistics.median(f(r) for r in runs)  # noqa: E731
        print('%-16s %10.1f | %7.2f  %10.1f | %7.2f   %s %.2f (%s)' % (
            key, med(a, lambda r: r['rps']), med(a, lambda r: r['latency_us']['p50'] / 1000),
            med(b, lambda r: r['rps']), med(b, lambda r: r['latency_us']['p50'] / 1000),
            what, statistics.median(ratios), ' '.join('%.2f' % x for x in ratios)))
        for group in ('api', 'cond'):
            ca = statistics.median(r['cpu_ms'][group] for r in a)
            cb = statistics.median(r['cpu_ms'][group] for r in b)
            if ca or cb:
                print('%-16s   CPU ms/request, %-4s  A %.3f  B %.3f  B/A %.2f' % (
                    '', group, ca, cb, cb / ca if ca else float('nan')))


if __name__ == '__main__':
    main()
