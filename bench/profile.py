"""Profile anvil under load with py-spy: where the time of one passthru call goes, hop by hop.

    .venv/bin/python -m bench.profile [--scenario sync_c1] [--duration 20] [--rate 100]

Starts the multi-process deployment as bench/run.py does, drives one scenario
with wrk, and meanwhile runs ``py-spy record --format raw`` on every API worker
and every conductor. Samples are sorted into hops by the frames they contain
(first matching rule wins; see HOPS) and printed as shares, per process kind.
py-spy samples every thread, waiting or not (``--idle``; its own idle detection
does not work in this container): API request threads are counted whole, so at
c=1 they give the wall-clock split of a call, RPC wait included; conductor
threads are counted when inside a call and not waiting for work.
Collapsed stacks are kept in bench/results/profile-<scenario>-<kind>.txt for
flame graphs (e.g. speedscope).
"""

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import run as bench_run  # noqa: E402
from bench import wrk  # noqa: E402
from bench.scenarios import BY_KEY  # noqa: E402

PY_SPY = shutil.which('py-spy') or os.path.join(os.path.dirname(sys.executable), 'py-spy')

#: Hops, as (name, frame substrings). A sample goes to the first hop one of whose
#: substrings is in a frame, searching from the innermost frame outwards: first
#: among anvil's own frames (SPECIFIC), then among the libraries' (GENERIC).
SPECIFIC = {
    'api': [
        ('node lookup (DB)', ['find_node (', 'get_node (anvil']),
        ('metadata + hash ring (cached topology)', ['_node_methods (', 'hash_ring.py']),
        ('argument checks (deny list, verb, jsonschema)', ['_check (anvil', 'check_args (']),
        ('request body (read, JSON decode)', ['json_object (', '_raw_body (']),
        ('RPC out + wait for the reply', ['ConductorAPI.', 'LocalClient']),
        ('response (JSON, status, headers)', ['passthru_result (', 'json_response (',
                                              '_after_request (', 'accepted (']),
        ('microversion + request context', ['_before_request (']),
    ],
    'conductor': [
        ('node read before reserving (DB)', ['get_node_by_id (']),
        ('reserve (DB, lock queue)', ['LockManager.reserve (', 'reserve_node (']),
        ('release (DB)', ['LockManager.release (', 'release_node (']),
        ('driver (validate + method)', ['run_driver (', 'FakeVendor.', '.validate (anvil']),
        ('method lookup + argument checks', ['ConductorManager._method (', 'check_args (',
                                             '_bind_args (']),
        ('history (DB)', ['history.py']),
        ('context (de)serialisation', ['RequestContextSerializer', 'context.py']),
    ],
}
GENERIC = {
    'api': [
        ('request id middleware (webob)', ['request_id.py', 'webob']),
        ('HTTP parse + WSGI (gunicorn, werkzeug, flask)', ['gunicorn', 'werkzeug', 'flask']),
    ],
    'conductor': [
        ('RPC reply (send)', ['AMQPIncomingMessage.reply', '_send_reply']),
        ('RPC dispatch (endpoint lookup, executor)', ['RPCDispatcher', 'RPCServer',
                                                     'futurist']),
        ('RPC receive (poll, decode, ack)', ['oslo_messaging', 'kombu', 'amqp']),
    ],
}
#: Innermost frames of a thread that waits for work (not part of any call).
IDLE = ('Condition.wait', 'Event.wait', 'EpollSelector.select', 'TCPTransport._read',
        '_worker (concurrent', 'Connection._recv (multiprocessing', 'SignalManager._wait')
#: A sample belongs to a call when its stack has one of these frames.
IN_CALL = {'api': ('handle_request (',),
           'conductor': ('RPCServer._process_incoming (', 'Consumer._callback (',
                         'AMQPListener.poll (')}


def classify(kind, frames):
    for rules in (SPECIFIC[kind], GENERIC[kind]):
        for frame in reversed(frames):
            for hop, needles in rules:
                if any(n in frame for n in needles):
                    return hop
    return 'other'


def analyse(kind, path):
    """{hop: samples} of the samples of one collapsed-stack file that belong to a call.

    API request threads count whole (waiting included: their wall time);
    conductor threads count only when not idle at the innermost frame.
    """
    hops = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip('\n').rpartition(' ')
            if not count.isdigit() or not any(m in stack for m in IN_CALL[kind]):
                continue
            frames = stack.split(';')
            if kind == 'conductor' and any(frames[-1].startswith(i) for i in IDLE):
                continue
            hops[classify(kind, frames)] += int(count)
    return hops


def _traces(trace_dir):
    """Summed {timer: [calls, seconds]} over every traced process."""
    import json
    totals = collections.defaultdict(lambda: [0, 0.0])
    for name in os.listdir(trace_dir):
        if name.endswith('.json'):
            try:
                with open(os.path.join(trace_dir, name)) as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            for timer, (calls, seconds) in data.items():
                totals[timer][0] += calls
                totals[timer][1] += seconds
    return totals


def print_traces(before, after, requests):
    print('\nhop timers (wall clock, ms per request; nested timers overlap):')
    for timer in sorted(after):
        calls = after[timer][0] - before.get(timer, [0, 0.0])[0]
        seconds = after[timer][1] - before.get(timer, [0, 0.0])[1]
        if calls:
            print('  %8.3f ms  %6.2f calls/req  %s' % (1000.0 * seconds / requests,
                                                     calls / requests, timer))


def _package(path):
    """'sqlalchemy', 'anvil', 'stdlib threading' ... for a code path."""
    if 'site-packages/' in path:
        return path.split('site-packages/')[1].split('/')[0]
    if '/anvil/' in path and '/bench/' not in path:
        return 'anvil'
    if '/bench/' in path:
        return 'bench tracer (overhead)'
    return 'stdlib %s' % os.path.basename(path).replace('.py', '')


def print_yappi(trace_dir, processes, requests, out_stem):
    """Top functions by CPU time (own and cumulative) per process kind, ms per request."""
    import pstats
    for kind, prefix in (('api', 'api worker'), ('conductor', 'cond-')):
        files = [os.path.join(trace_dir, 'yappi-%d.pstat' % pid)
                 for label, pid in processes.items()
                 if label.startswith(prefix) and 'launcher' not in label]
        files = [f for f in files if os.path.exists(f)]
        if not files:
            continue
        stats = pstats.Stats(*files)
        stats.dump_stats('%s-%s.pstat' % (out_stem, kind))
        total = sum(v[2] for v in stats.stats.values())
        print('\nyappi %s: %.2f ms CPU per request (own time summed)' % (
            kind, 1000.0 * total / requests))
        packages = collections.Counter()
        for (path, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
            packages[_package(path)] += tt
        print('  own CPU time by package:')
        for package, tt in packages.most_common(14):
            print('    %5.1f %%  %s' % (100.0 * tt / total, package))
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][3], reverse=True)[:45]
        for (path, line, func), (_cc, _nc, tt, ct, _callers) in rows:
            print('  cum %6.3f  own %6.3f ms/req  %s (%s:%d)' % (
                1000.0 * ct / requests, 1000.0 * tt / requests, func,
                '/'.join(path.split('/')[-2:]), line))


#: The hops of one sync call, from the hop timers: (hop, + timers, - timers).
HOP_TABLE = [
    ('HTTP parse + write (gunicorn)', ['api.total'], ['api.middleware+flask']),
    ('request id middleware (webob)', ['api.middleware+flask'], ['api.flask']),
    ('Flask routing, hooks (microversion, context, headers)', ['api.flask'],
     ['api.request body', 'api.node lookup', 'api.metadata', 'api.checks', 'api.rpc (',
      'api.response']),
    ('request body + argument checks (JSON, jsonschema)', ['api.request body', 'api.checks'],
     []),
    ('node lookup (DB)', ['api.node lookup'], []),
    ('metadata + hash ring (cached)', ['api.metadata'], []),
    ('RPC client (prepare, context, hand-off)', ['api.rpc ('], ['api.rpc oslo call']),
    ('RPC out + back: bus, rabbit, poll and executor hand-offs', ['api.rpc oslo call'],
     ['cond.total']),
    ('conductor: ack, dispatch, context', ['cond.total'], ['cond.endpoint', 'cond.reply']),
    ('conductor: method lookup + checks', ['cond.method lookup'], []),
    ('reserve (DB)', ['cond.reserve'], []),
    ('driver (validate + run)', ['cond.endpoint'], ['cond.method lookup', 'cond.reserve',
                                                   'cond.release']),
    ('release (DB)', ['cond.release'], []),
    ('RPC back: reply publish (with broker confirm)', ['cond.reply'], []),
    ('response (JSON)', ['api.response'], []),
]


def hop_table(before, after, requests):
    """[(hop, ms per request)] of HOP_TABLE from two trace snapshots."""
    def ms(prefix):
        total = 0.0
        for timer in after:
            if timer.startswith(prefix):
                total += after[timer][1] - before.get(timer, [0, 0.0])[1]
        return 1000.0 * total / requests
    rows = [(hop, sum(ms(p) for p in plus) - sum(ms(m) for m in minus))
            for hop, plus, minus in HOP_TABLE]
    total = ms('api.total')
    print('\none sync call, hop by hop (wall clock, ms per request; total %.2f ms):' % total)
    for hop, value in rows:
        print('  %7.3f ms  %5.1f %%  %s' % (value, 100.0 * value / total if total else 0, hop))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scenario', default='sync_c1')
    parser.add_argument('--duration', type=int, default=20)
    parser.add_argument('--rate', type=int, default=20, help='py-spy samples per second')
    parser.add_argument('--no-spy', action='store_true', help='hop timers only')
    parser.add_argument('--no-trace', action='store_true', help='py-spy only')
    parser.add_argument('--yappi', action='store_true',
                        help='CPU time per function with yappi (instead of py-spy)')
    parser.add_argument('--serve', action='store_true',
                        help='only start the deployment, print its URL and pids, and wait')
    parser.add_argument('--workers', type=int, default=bench_run.RECOMMENDED_WORKERS)
    parser.add_argument('--threads', type=int, default=bench_run.RECOMMENDED_THREADS)
    args = parser.parse_args(argv)
    os.chdir(REPO)
    sc = BY_KEY[args.scenario]
    workdir = tempfile.mkdtemp(prefix='anvil-profile-')
    trace_dir = os.path.join(workdir, 'trace')
    os.makedirs(trace_dir)
    if args.yappi:
        os.environ['ANVIL_BENCH_YAPPI'] = '1'
        args.no_spy = True
    if not args.no_trace:
        os.environ['ANVIL_BENCH_TRACE_DIR'] = trace_dir
        os.environ['PYTHONPATH'] = os.pathsep.join(
            [os.path.join(REPO, 'bench', 'trace'), REPO] +
            [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])
    opts = argparse.Namespace(workers=args.workers, threads=args.threads)
    bench = bench_run.Bench(opts, workdir)
    out_dir = os.path.join(REPO, 'bench', 'results')
    os.makedirs(out_dir, exist_ok=True)
    try:
        bench.start_multiprocess()
        url = bench.dep.url
        if args.serve:
            print('anvil at %s, processes %s; Ctrl-C stops' % (url, bench.dep.processes()),
                  flush=True)
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            while not stop.wait(1):
                pass
            return
        wrk.run(url, sc.verb, sc.path, sc.nodes, sc.conns, 3, sc.body, sc.prefix)  # warm up
        time.sleep(1.5)
        before = _traces(trace_dir)
        if args.yappi:
            open(os.path.join(trace_dir, 'yappi-start'), 'w').close()
            time.sleep(1.5)
        spies = []
        if not args.no_spy:
            for label, pid in bench.dep.processes().items():
                if 'launcher' in label or 'master' in label or label == 'cond-solo':
                    continue
                kind = 'api' if label.startswith('api') else 'conductor'
                path = os.path.join(workdir, '%s.txt' % label.replace(' ', '-'))
                log = open(path + '.log', 'w')
                spies.append((kind, label, path, subprocess.Popen(
                    [PY_SPY, 'record', '--pid', str(pid), '--duration', str(args.duration),
                     '--rate', str(args.rate), '--format', 'raw', '--output', path, '--idle'],
                    stdout=log, stderr=subprocess.STDOUT)))
            time.sleep(1)
        result = wrk.run(url, sc.verb, sc.path, sc.nodes, sc.conns,
                         args.duration - (2 if spies else 0), sc.body, sc.prefix)
        time.sleep(1.5)
        after = _traces(trace_dir)
        if args.yappi:
            open(os.path.join(trace_dir, 'yappi-stop'), 'w').close()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(
                    [f for f in os.listdir(trace_dir) if f.endswith('.pstat')]) < 4:
                time.sleep(0.5)
            print(sorted(os.listdir(trace_dir)))
            print_yappi(trace_dir, bench.dep.processes(), result['requests'],
                        os.path.join(out_dir, 'yappi-%s' % sc.key))
        for spy in spies:
            try:
                spy[3].wait(30)
            except subprocess.TimeoutExpired:  # behind on samples: stop it, it writes out
                spy[3].send_signal(signal.SIGINT)
                spy[3].wait(30)
        print('%s: %.1f req/s, p50 %.2f ms (profiled)' % (
            sc.key, result['rps'], result['latency_us']['p50'] / 1000))
        if not args.no_trace:
            print_traces(before, after, result['requests'])
            hop_table(before, after, result['requests'])
        totals = {'api': collections.Counter(), 'conductor': collections.Counter()}
        for kind, label, path, _ in spies:
            if not os.path.exists(path):
                print('no samples from %s: %s' % (label, open(path + '.log').read()[-500:]))
                continue
            totals[kind].update(analyse(kind, path))
            shutil.copyfile(path, os.path.join(out_dir, 'profile-%s-%s.txt' % (
                sc.key, label.replace(' ', '-'))))
        for kind, hops in totals.items():
            if not hops:
                continue
            total = sum(hops.values())
            print('\npy-spy %s: %d samples in calls, %.2f ms per call' % (
                kind, total, 1000.0 * total / args.rate / result['requests']))
            for hop, n in hops.most_common():
                print('  %5.1f %%  %6.2f ms  %s' % (100.0 * n / total,
                                                   1000.0 * n / args.rate / result['requests'],
                                                   hop))
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
