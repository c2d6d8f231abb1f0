"""anvil-api's multiprocess metrics set-up, in fresh interpreters (the import order matters)."""

import os
import subprocess
import sys
import textwrap


def _python(code, **env):
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60,
                          env=dict(os.environ, **env))


def test_directory_is_emptied_and_shared_by_forked_workers(tmp_path):
    stale = tmp_path / 'counter_1.db'
    stale.write_bytes(b'old samples')
    proc = _python('''
        import os, sys
        from anvil.common import metrics
        directory, made = metrics.prepare_multiprocess(sys.argv[1] if len(sys.argv) > 1
                                                       else %r)
        assert not made and os.environ['PROMETHEUS_MULTIPROC_DIR'] == directory
        assert [f for f in os.listdir(directory) if f.endswith('.db')] == []
        import prometheus_client
        counter = prometheus_client.Counter('anvil_probe', 'probe')
        for _ in range(2):          # two "workers", each counts 3
            pid = os.fork()
            if pid == 0:
                counter.inc(3)
                os._exit(0)
            os.waitpid(pid, 0)
            metrics.worker_exited(pid)
        body, _ = metrics.exposition()
        print(body.decode())
    ''' % str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'anvil_probe_total 6.0' in proc.stdout
    assert not stale.exists()


def test_refused_once_prometheus_client_is_imported():
    proc = _python('''
        import prometheus_client
        from anvil.common import metrics
        try:
            metrics.prepare_multiprocess()
        except RuntimeError as e:
            print('refused:', e)
    ''')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('refused: prometheus_client was imported before')


def test_temporary_directory_is_removed_by_the_exit_hook():
    proc = _python('''
        import os
        from anvil.cmd import api
        options = {}
        api._multiprocess_metrics(options)
        directory = os.environ['PROMETHEUS_MULTIPROC_DIR']
        assert os.path.isdir(directory)
        options['on_exit'](None)
        print(os.path.exists(directory), sorted(options))
    ''', PROMETHEUS_MULTIPROC_DIR='')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False ['child_exit', 'on_exit']"



def test_a_directory_in_use_is_refused(tmp_path):
    holder = subprocess.Popen([sys.executable, '-c', textwrap.dedent('''
        import sys
        from anvil.common import metrics
        metrics.prepare_multiprocess(sys.argv[1])
        print('held', flush=True)
        sys.stdin.read()
    '''), str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == 'held\n'
        (tmp_path / 'counter_123.db').write_bytes(b'the holder\'s samples')
        proc = _python('''
            from anvil.common import metrics
            try:
                metrics.prepare_multiprocess(%r)
            except metrics.DirectoryInUse as e:
                print('refused:', e)
        ''' % str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith('refused: %s is the metrics directory of another' % tmp_path)
        assert (tmp_path / 'counter_123.db').exists()   # untouched
    finally:
        holder.communicate('', timeout=30)


def test_a_child_kept_before_the_fork_counts_apart_in_each_worker(tmp_path):
    # metrics.child keeps labelled children: one made in gunicorn's master (a
    # preloaded app) must still write to each worker's own file after the fork
    proc = _python('''
        import os
        from anvil.common import metrics
        metrics.prepare_multiprocess(%r)
        import prometheus_client
        counter = prometheus_client.Counter('anvil_probe', 'probe', ['route'])
        metrics.child(counter, '/v1').inc()
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                kept = metrics.child(counter, '/v1')
                kept.inc(3)
                os._exit(0 if kept is counter.labels('/v1') else 1)
            assert os.waitpid(pid, 0)[1] == 0
        body, _ = metrics.exposition()
        print(body.decode())
    ''' % str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'anvil_probe_total{route="/v1"} 7.0' in proc.stdout
