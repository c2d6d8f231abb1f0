"""wrk: install it when missing, run it, read the JSON line bench/lua/bench.lua prints."""

import json
import os
import shutil
import subprocess

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lua', 'bench.lua')


def ensure_wrk():
    """The path of wrk, installed from Debian's packages when it is not there."""
    path = shutil.which('wrk')
    if path:
        return path
    sudo = [] if os.geteuid() == 0 else ['sudo', '-n']
    print('wrk not found: installing it (apt-get install wrk)', flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(sudo + ['apt-get', 'update', '-qq'], check=True, env=env)
    subprocess.run(sudo + ['apt-get', 'install', '-y', '-qq', 'wrk'], check=True, env=env)
    path = shutil.which('wrk')
    if not path:
        raise RuntimeError('wrk is still missing after apt-get install wrk')
    return path


def run(url, verb, path, nodes, connections, duration, body=None, prefix='bench-', timeout=30,
        header=''):
    """One wrk run: ``connections`` clients (a thread each) for ``duration`` seconds.

    ``header``: one more request header, "Name: value" (credentials).

    Returns the dict of bench.lua (requests, codes, latency_us, ...) plus
    ``rps`` and ``non2xx`` ({code: count}), or raises with wrk's output.
    """
    argv = [ensure_wrk(), '-t', str(connections), '-c', str(connections),
            '-d', '%ds' % duration, '--timeout', '%ds' % timeout, '-s', LUA, url,
            '--', verb, path, str(nodes), str(connections), prefix, body or '', header]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + timeout + 30)
    for line in proc.stdout.splitlines():
        if line.startswith('BENCH_JSON '):
            result = json.loads(line[len('BENCH_JSON '):])
            break
    else:
        raise RuntimeError('wrk failed (%s):\n%s\n%s' % (proc.returncode, proc.stdout,
                                                          proc.stderr))
    seconds = result['duration_us'] / 1e6
    result['rps'] = result['requests'] / seconds if seconds else 0.0
    result['code_rps'] = {code: n / seconds for code, n in result['codes'].items()}
    result['non2xx'] = {code: n for code, n in result['codes'].items()
                        if not code.startswith('2')}
    result['socket_errors'] = {k: v for k, v in result['errors'].items()
                               if k != 'status' and v}
    return result
