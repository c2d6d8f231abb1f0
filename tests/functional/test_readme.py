"""The README's console sessions, run as written against a real all-in-one.

Every ```console block of README.md is a script: each ``$ command`` (with its
``\\`` continuation lines) runs in bash from the repository root, and what it
prints (stdout and stderr) must be the lines shown under it. ``export`` lines
set the environment of the commands after them, with the README's address
replaced by the test's. What differs from run to run is compared by shape:
UUIDs, timestamps and request ids. The all-in-one is named ``vm``, as the
host the README's output was taken on.
"""

import os
import re
import shlex
import subprocess

import pytest

from tests.functional.all_in_one import AllInOne
from tests.polling import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(REPO, 'README.md')
README_URL = 'http://127.0.0.1:6385'
_VARYING = [
    (re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), 'req-ID'),
    (re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), 'UUID'),
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00'), 'TIME'),
]


def console_sessions(text):
    """[[(command, [expected lines])]] of every console block, in order."""
    sessions = []
    for block in re.findall(r'```console\n(.*?)```', text, re.S):
        steps, lines = [], block.splitlines()
        i = 0
        while i < len(lines):
            command = lines[i][2:]
            while command.endswith('\\'):
                i += 1
                command = command[:-1] + lines[i].strip()
            i += 1
            output = []
            while i < len(lines) and not lines[i].startswith('$ '):
                output.append(lines[i])
                i += 1
            steps.append((command, output))
        sessions.append(steps)
    return sessions


def normalized(lines):
    text = '\n'.join(line.rstrip() for line in lines).strip('\n')
    for pattern, placeholder in _VARYING:
        text = pattern.sub(lambda m, p=placeholder: p.ljust(len(m.group(0)), '_'), text)
    return text


def test_every_console_line_starts_with_a_prompt_or_follows_one():
    with open(README) as f:
        sessions = console_sessions(f.read())
    assert sessions, 'README.md has no console session'
    for steps in sessions:
        for command, _output in steps:
            assert command.strip(), steps


@pytest.fixture(scope='module')
def vm(tmp_path_factory):
    aio = AllInOne(tmp_path_factory.mktemp('readme'))
    aio.host = 'vm'
    aio.conductor_names = ['vm']
    try:
        yield aio.start()
    finally:
        assert aio.stop() == 0, aio.logs()


def _only_reads(command):
    """A listing, safe to run again until the state it shows has settled."""
    return ' list' in command


def _run(command, env):
    proc = subprocess.run(['bash', '-c', command], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    return (proc.stdout + proc.stderr).splitlines()


def test_readme_sessions_print_what_the_readme_shows(vm):
    with open(README) as f:
        sessions = console_sessions(f.read())
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    for steps in sessions:
        for command, expected in steps:
            if command.startswith('export '):
                for assignment in shlex.split(command)[1:]:
                    key, _, value = assignment.partition('=')
                    env[key] = value.replace(README_URL, vm.url)
                continue
            want, seen = normalized(expected), []

            def matches(command=command, want=want, seen=seen):
                seen.append(normalized(_run(command, env)))
                return seen[-1] == want

            if not _only_reads(command):
                assert matches(), '%s\n%s' % (command, seen[-1])
                continue
            # an async call's outcome lands a moment after its 202: poll, with a deadline
            try:
                wait_for(matches, 30, interval=0.5, what='output of %r' % command)
            except AssertionError:
                assert seen[-1] == want, command
