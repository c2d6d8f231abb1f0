"""The README's console sessions, run as written against a real all-in-one.

See console_doc for how a session is run and compared. The README's address
is replaced by the test's; the all-in-one is named ``vm``, as the host the
README's output was taken on. Commands run from the repository root
(``.venv/bin/baremetal``).
"""

import os

import pytest

from tests.functional.all_in_one import AllInOne
from tests.functional.console_doc import console_sessions, run_session

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(REPO, 'README.md')
README_URL = 'http://127.0.0.1:6385'


def _sessions():
    with open(README) as f:
        return console_sessions(f.read())


def test_the_readme_has_console_sessions_with_commands():
    sessions = _sessions()
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


def test_readme_sessions_print_what_the_readme_shows(vm):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    for steps in _sessions():
        run_session(steps, env, REPO, lambda text: text.replace(README_URL, vm.url))
