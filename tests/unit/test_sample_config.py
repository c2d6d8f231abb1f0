"""etc/anvil/anvil.conf.sample is current: regenerate it and compare.

If this fails after a change to an option, run ``make sample-config`` and
commit the result.
"""

import os
import pathlib
import re
import socket
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATOR_CONF = ROOT / 'tools' / 'config-generator.conf'
SAMPLE = ROOT / 'etc' / 'anvil' / 'anvil.conf.sample'
_VALUE = re.compile(r'^#?\s*[\w.-]+ = (.*)$')


def _generator():
    script = os.path.join(os.path.dirname(sys.executable), 'oslo-config-generator')
    return [script] if os.path.exists(script) else [sys.executable, '-m', 'oslo_config.generator']


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    output = tmp_path_factory.mktemp('sample') / 'anvil.conf.sample'
    proc = subprocess.run(_generator() + ['--config-file', str(GENERATOR_CONF),
                                          '--output-file', str(output)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return output.read_text()


def test_sample_is_current(generated):
    assert SAMPLE.read_text() == generated, 'run "make sample-config" and commit the result'


def _values(text):
    return [m.group(1) for m in map(_VALUE.match, text.splitlines()) if m]


def test_sample_has_no_value_of_this_machine(generated):
    values = _values(generated)
    assert values, 'no option found: has the sample format changed?'
    home = os.path.expanduser('~')
    names = {socket.gethostname(), socket.getfqdn()} - {'localhost', 'localhost.localdomain'}
    assert [v for v in values if home in v or v in names] == []


@pytest.mark.parametrize('line', [
    '#host = localhost',
    '#state_path = ~/.local/share/anvil',
    '#connection = sqlite:///$state_path/anvil.sqlite',
    '#rpc_response_timeout = 30',
])
def test_sample_shows_anvils_defaults(generated, line):
    assert line in generated.splitlines()
