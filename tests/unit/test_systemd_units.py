"""The systemd units in etc/systemd: valid for systemd, and stop timeouts that let a
clean stop finish before systemd's SIGKILL.
"""

import configparser
import os
import re
import shutil
import subprocess
import sys

import pytest
from oslo_service import _options as service_options

from anvil.common import config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(REPO, 'etc', 'systemd')
BIN = os.path.dirname(sys.executable)
_TIME_UNITS = {'': 1, 's': 1, 'sec': 1, 'm': 60, 'min': 60, 'h': 3600}


def unit(name):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    with open(os.path.join(UNITS, name)) as f:
        parser.read_file(f)
    return parser


def seconds(value):
    """A systemd time span ("90", "90s", "1min 30s") in seconds."""
    parts = re.findall(r'(\d+)\s*([a-z]*)', value)
    assert parts and ''.join(n + u for n, u in parts) == value.replace(' ', ''), value
    return sum(int(number) * _TIME_UNITS[suffix] for number, suffix in parts)


def _default(opts, name):
    return next(opt.default for opt in opts if opt.name == name)


def test_seconds_parses_systemd_spans():
    assert [seconds(v) for v in ('90', '45s', '1min 30s', '2m')] == [90, 45, 90, 120]
    with pytest.raises(KeyError):
        seconds('3 weeks')


def test_conductor_stop_timeout_outlasts_its_graceful_stop():
    service = unit('anvil-conductor.service')['Service']
    timeout = seconds(service['TimeoutStopSec'])
    graceful = _default(config.conductor_opts, 'graceful_shutdown_timeout')
    # after the running methods, the RPC server drains for up to metadata_cache_ttl + 1 s
    drain = min(_default(config.api_opts, 'metadata_cache_ttl') + 1, graceful)
    launcher_bound = _default(service_options.service_opts, 'graceful_shutdown_timeout')
    assert timeout > graceful + drain
    assert timeout > launcher_bound
    # SIGTERM to the launcher only: it stops its worker; SIGKILL reaches all
    assert service['KillMode'] == 'mixed'


def _gunicorn_graceful_timeout():
    """anvil-api's gunicorn graceful_timeout, from a fresh interpreter: anvil.cmd
    registers logging options, which this process's parsed CONF refuses."""
    code = 'from anvil.cmd import api; print(api.gunicorn_options()["graceful_timeout"])'
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, check=True)
    return int(result.stdout)


def test_api_stop_timeout_outlasts_gunicorn_graceful_timeout():
    service = unit('anvil-api.service')['Service']
    assert seconds(service['TimeoutStopSec']) > _gunicorn_graceful_timeout()
    assert service['KillMode'] == 'mixed'


@pytest.mark.parametrize('name, script', [('anvil-api.service', 'anvil-api'),
                                          ('anvil-conductor.service', 'anvil-conductor')])
def test_units_run_the_console_scripts_with_the_config_file(name, script):
    argv = unit(name)['Service']['ExecStart'].split()
    assert os.path.basename(argv[0]) == script
    assert argv[1:] == ['--config-file', '/etc/anvil/anvil.conf']
    with open(os.path.join(REPO, 'setup.cfg')) as f:
        assert re.search(r'^\s+%s = anvil\.cmd\.' % script, f.read(), re.M)


def test_systemd_analyze_verify(tmp_path):
    """systemd's own check, on copies whose ExecStart points at this venv's scripts.

    (verify fails on an ExecStart that does not exist, and only warns, exit 0,
    about a value it cannot parse: any output fails the test.)
    """
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        pytest.skip('systemd-analyze is not installed (the parsing tests above still ran)')
    copies = []
    for name in ('anvil-api.service', 'anvil-conductor.service'):
        with open(os.path.join(UNITS, name)) as f:
            text = f.read().replace('/usr/local/bin/', BIN + '/')
        copies.append(tmp_path / name)
        copies[-1].write_text(text)
    result = subprocess.run([analyze, 'verify', *map(str, copies)], capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, '')
