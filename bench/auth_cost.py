"""The cost of authentication on a sync passthru call: noauth, http_basic, keystone.

    tools/keystone-venv.sh && .venv/bin/python -m bench.auth_cost [--reps 5] [--duration 5]

One deployment (RabbitMQ, PostgreSQL, two conductors) with three anvil-api
servers on the same database and conductors, one per ``[DEFAULT]
auth_strategy``; a real Keystone (gunicorn, SQLite) for the third. wrk sends
the same sync call to each in turn (c=1, then c=8), repetition after
repetition, so the three share the machine's noise; each request carries the
credentials of its strategy (the same good ones every time, as a client with
a session does). Prints medians, the ratio to noauth of each repetition, and
the API's CPU time per request (from /proc). Reports only.
"""

import argparse
import base64
import os
import shutil
import statistics
import sys
import tempfile

import bcrypt
import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import procs, targets, wrk  # noqa: E402
from bench import run as bench_run  # noqa: E402
from bench.scenarios import MEOW, NODES, SYNC  # noqa: E402
from tests.functional import services  # noqa: E402
from tests.functional.deployment import LATEST, wait_for  # noqa: E402
from tests.functional.keystone_directory import Directory  # noqa: E402
from tests.functional.keystone_server import Keystone  # noqa: E402

USER, PASSWORD = 'bench', 'bench-password'
STRATEGIES = ('noauth', 'http_basic', 'keystone')


def _basic_sections(workdir):
    path = os.path.join(workdir, 'htpasswd')
    with open(path, 'w') as f:
        # cost 12: bcrypt's usual production factor (about 0.2 s a check here)
        f.write('%s:%s\n' % (USER, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()))
    header = 'Authorization: Basic ' + base64.b64encode(
        ('%s:%s' % (USER, PASSWORD)).encode()).decode()
    return {'DEFAULT': {'auth_strategy': 'http_basic', 'http_basic_auth_user_file': path}}, header


def _start_apis(dep, workdir, directory):
    """{strategy: (url, header, pids callable, Process or None)} of the three APIs."""
    basic, basic_header = _basic_sections(workdir)
    apis = {'noauth': (dep.url, '', dep.api, None)}
    for strategy, sections, header in (
            ('http_basic', basic, basic_header),
            ('keystone', directory.anvil_auth_config(),
             'X-Auth-Token: ' + directory.persona_token('system-admin'))):
        sections.setdefault('api', {}).update(api_workers=dep.workers, api_threads=dep.threads)
        proc, url = dep.start_extra_api('api-' + strategy, sections)
        apis[strategy] = (url, header, proc, proc)
    for strategy, (url, header, _proc, _own) in apis.items():
        wait_for(lambda u=url, h=header: _answers(u, h), 60, what='%s API up' % strategy)
    return apis


def _answers(url, header):
    headers = dict(LATEST)
    if header:
        name, _, value = header.partition(': ')
        headers[name] = value
    try:
        return requests.get(url + '/v1/drivers', headers=headers, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _api_pids(proc):
    return [proc.popen.pid] + procs.children(proc.popen.pid)


def _measure(apis, conns, duration):
    results = {}
    for strategy in STRATEGIES:
        url, header, proc, _own = apis[strategy]
        meter = procs.CpuMeter({'api': lambda p=proc: _api_pids(p)})
        meter.start()
        r = wrk.run(url, 'POST', SYNC, NODES, conns, duration, MEOW,
                    header=header)
        r['api_cpu_ms'] = 1000.0 * meter.stop()['api'] / max(1, r['requests'])
        if r['non2xx']:
            raise SystemExit('%s answered %s' % (strategy, r['non2xx']))
        results[strategy] = r
    return results


def _report(runs, conns):
    print('\nsync passthru, c=%d (%d repetitions)' % (conns, len(runs)))
    print('%-11s %9s %9s %13s %22s' % ('strategy', 'req/s', 'p50 ms', 'API CPU ms/req',
                                       'vs noauth (per rep)'))
    for strategy in STRATEGIES:
        mine = [r[strategy] for r in runs]
        if conns == 1:
            ratios = [r[strategy]['latency_us']['p50'] / r['noauth']['latency_us']['p50']
                      for r in runs]
            what = 'p50'
        else:
            ratios = [r[strategy]['rps'] / r['noauth']['rps'] for r in runs]
            what = 'req/s'
        print('%-11s %9.1f %9.2f %13.3f   %s %.3f (%s)' % (
            strategy, statistics.median(r['rps'] for r in mine),
            statistics.median(r['latency_us']['p50'] for r in mine) / 1000,
            statistics.median(r['api_cpu_ms'] for r in mine), what,
            statistics.median(ratios), ' '.join('%.2f' % x for x in ratios)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--duration', type=int, default=5)
    parser.add_argument('--workers', type=int, default=bench_run.RECOMMENDED_WORKERS)
    parser.add_argument('--threads', type=int, default=bench_run.RECOMMENDED_THREADS)
    args = parser.parse_args(argv)
    wrk.ensure_wrk()
    workdir = tempfile.mkdtemp(prefix='anvil-auth-cost-')
    keystone = Keystone(os.path.join(workdir, 'keystone'))
    os.makedirs(keystone.workdir)
    database = services.TemporaryDatabase(services.PG_URL, 'anvil_bench_auth').create()
    dep = targets.BenchDeployment(os.path.join(workdir, 'anvil'), database.url,
                                  services.RABBIT_URL, args.workers, args.threads)
    os.makedirs(dep.workdir)
    apis = {}
    try:
        keystone.start()
        directory = Directory(keystone).populate()
        dep.start()
        template = targets.node_template(dep.url, database.url)
        targets.add_nodes(database.url, template, 'bench-', 0, NODES)
        apis = _start_apis(dep, workdir, directory)
        for conns in (1, 8):
            _measure(apis, conns, 2)  # warm-up: pools, caches, the first bcrypt
            runs = [_measure(apis, conns, args.duration) for _rep in range(args.reps)]
            _report(runs, conns)
    finally:
        for _url, _header, _proc, own in apis.values():
            if own is not None:
                own.stop()
        dep.stop()
        dep.delete_queues()
        database.drop()
        keystone.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
