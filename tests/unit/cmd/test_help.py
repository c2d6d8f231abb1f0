"""Each console script says what it does and the options changed first; --version works."""

import importlib.metadata
import subprocess
import sys

import pytest

SCRIPTS = {'all_in_one': 'All of anvil in one process', 'api': 'The anvil API',
           'conductor': 'One anvil conductor', 'dbsync': 'Create or upgrade the database'}


def _run(module, *args):
    code = 'import sys; from anvil.cmd.%s import main; sys.exit(main(%r))' % (module, list(args))
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60, env={'PATH': '/usr/bin:/bin'})


@pytest.mark.parametrize('module', sorted(SCRIPTS))
def test_help_says_what_the_command_does(module):
    proc = _run(module, '--help')
    assert proc.returncode == 0, proc.stderr
    assert SCRIPTS[module] in proc.stdout
    assert 'Changed first: ' in proc.stdout and 'anvil.conf.sample' in proc.stdout
    assert '\n:\n' not in proc.stdout  # no empty section heading
    assert 'Traceback' not in proc.stderr


@pytest.mark.parametrize('module', sorted(SCRIPTS))
def test_version(module):
    proc = _run(module, '--version')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == importlib.metadata.version('anvil')
