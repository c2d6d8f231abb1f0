"""ShellCheck on every shell script of the repository (the devstack plugin included).

ShellCheck comes from Debian (tools/ci-packages.sh installs it in CI). Without
it the test skips, saying so, unless ANVIL_TEST_REQUIRE_SERVICES=1 (CI).
"""

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SKIP_DIRS = {'.git', '.venv', '.venv-keystone', '.tox', '__pycache__', '.pytest_cache',
              '.ruff_cache', 'build', 'dist', 'node_modules'}
#: devstack sources these without a shebang; they must be among the scripts found
DEVSTACK_FILES = {'devstack/plugin.sh', 'devstack/settings', 'devstack/lib/anvil'}


def _is_shell_script(path):
    if path.endswith('.sh'):
        return True
    try:
        with open(path, 'rb') as f:
            first = f.readline(200)
    except OSError:
        return False
    return (first.startswith(b'#!') and first.split()[-1].endswith((b'sh', b'bash'))
            or first.startswith(b'# shellcheck shell='))


def shell_scripts():
    """Repository-relative paths of the shell scripts, sorted."""
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.endswith('.egg-info')]
        for name in files:
            path = os.path.join(root, name)
            if _is_shell_script(path):
                found.append(os.path.relpath(path, REPO))
    return sorted(found)


def test_every_script_is_found():
    scripts = shell_scripts()
    assert DEVSTACK_FILES <= set(scripts), scripts
    assert {'.ci/run', 'tools/venv.sh'} <= set(scripts)
    assert not any(s.endswith('.py') for s in scripts)


def test_shellcheck_passes():
    shellcheck = shutil.which('shellcheck')
    if shellcheck is None:
        message = 'shellcheck is not installed (tools/ci-packages.sh installs it)'
        if os.environ.get('ANVIL_TEST_REQUIRE_SERVICES') == '1':
            pytest.fail(message)
        pytest.skip(message)
    # -x follows "source" to the files named by "# shellcheck source=" (from REPO)
    result = subprocess.run([shellcheck, '-x', '--shell=bash', *shell_scripts()], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
