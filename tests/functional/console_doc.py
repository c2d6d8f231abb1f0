"""Running the console sessions of a document (README.md, docs/*.md) as tests.

A ```console block is a script: each ``$ command`` (with its ``\\``
continuation lines) runs in bash, and what it prints (stdout and stderr) must
be the lines shown under it. ``export`` lines set the environment of the
commands after them. What differs from run to run is compared by shape:
UUIDs, timestamps and request ids. Listings (`` list`` commands) are polled
until they match, with a deadline, since an async call's outcome lands a
moment after its 202; anything else runs once.
"""

import re
import shlex
import subprocess

from tests.polling import wait_for

_VARYING = [
    (re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), 'req-ID'),
    (re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), 'UUID'),
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00'), 'TIME'),
]


def console_sessions(text):
    """[[(command, [expected lines])]] of every ```console block, in order."""
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


def _run(command, env, cwd):
    proc = subprocess.run(['bash', '-c', command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    return (proc.stdout + proc.stderr).splitlines()


def run_session(steps, env, cwd, substitute=lambda text: text, poll_timeout=30):
    """Run one session's steps; assert each prints what the document shows.

    ``env`` is updated by ``export`` lines; ``substitute`` maps the document's
    addresses and secrets to the test's in commands and exported values.
    """
    for command, expected in steps:
        command = substitute(command)
        if command.startswith('export '):
            for assignment in shlex.split(command)[1:]:
                key, _, value = assignment.partition('=')
                env[key] = value
            continue
        want, seen = normalized(expected), []

        def matches(command=command, want=want, seen=seen):
            seen.append(normalized(_run(command, env, cwd)))
            return seen[-1] == want

        if ' list' not in command:
            assert matches(), '%s\nprinted:\n%s\nthe document shows:\n%s' % (
                command, seen[-1], want)
            continue
        try:
            wait_for(matches, poll_timeout, interval=0.5, what='output of %r' % command)
        except AssertionError:
            assert seen[-1] == want, '%s\nprinted:\n%s\nthe document shows:\n%s' % (
                command, seen[-1], want)
