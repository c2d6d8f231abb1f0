"""docs/multi-host.md, done as written: three "hosts" on this machine.

The document is the test's input. Each ```ini block tagged ``host=H
file=PATH`` is written to H's directory, each ```sh block tagged ``host=H``
is run line by line on H (``anvil-api`` and ``anvil-conductor`` in the
background, as a service manager would), in the document's order, then the
```console session runs as the README's do (tests/functional/console_doc.py).
Untagged ```sh blocks (installing anvil, creating the broker user and the
database) are what the test environment provides instead: this venv, the local
RabbitMQ and a PostgreSQL database of the test's own.

Replaced in files and commands: the broker and database URLs, the API's port
and address, ``/etc/anvil`` (a directory per host), the placeholder passwords;
and each configuration file gets a ``[conductor] topic`` of this run, so that
the test meets nobody else on the shared broker.
"""

import os
import re
import secrets
import shlex
import signal
import subprocess
import uuid

import pytest
import requests

from tests.functional import services
from tests.functional.console_doc import console_sessions, run_session
from tests.functional.deployment import BIN, Process, free_port
from tests.polling import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(REPO, 'docs', 'multi-host.md')
DOC_RABBIT = 'rabbit://anvil:RABBIT_PASSWORD@rabbit.example.net:5672/'
DOC_DB = 'postgresql+psycopg2://anvil:DB_PASSWORD@db.example.net/anvil'
DAEMONS = ('anvil-api', 'anvil-conductor')
_TAGGED = re.compile(r'```(ini|sh) ([^\n]*)\n(.*?)```', re.S)


def tagged_blocks(text):
    """[(kind, {tag: value}, body)] of the ```ini / ```sh blocks with tags, in order."""
    return [(kind, dict(tag.split('=', 1) for tag in tags.split()), body)
            for kind, tags, body in _TAGGED.findall(text)]


class Hosts:
    """The document's hosts as directories on this machine, and what runs on them."""

    def __init__(self, workdir, database_url):
        self.workdir = str(workdir)
        self.port = free_port()
        self.topic = 'anvil-quickstart-%s' % uuid.uuid4().hex[:8]
        self.password = secrets.token_hex(8)
        self.database_url = database_url
        self.processes = []
        self.hosts = set()

    def etc(self, host):
        return os.path.join(self.workdir, host, 'etc', 'anvil')

    def substitute(self, text, host=None):
        text = (text.replace(DOC_RABBIT, services.RABBIT_URL)
                .replace(DOC_DB, self.database_url)
                .replace('port = 6385', 'port = %d' % self.port)
                .replace('http://api-1.example.net:6385', 'http://127.0.0.1:%d' % self.port)
                .replace('OPERATOR_PASSWORD', self.password))
        return text.replace('/etc/anvil', self.etc(host)) if host else text

    def write(self, host, path, body):
        self.hosts.add(host)
        os.makedirs(self.etc(host), exist_ok=True)
        target = self.substitute(path, host)
        with open(target, 'w') as f:
            f.write(self.substitute(body, host) + '\n[conductor]\ntopic = %s\n' % self.topic)

    def run(self, host, line):
        command = self.substitute(line, host)
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
        if command.split()[0] in DAEMONS:
            argv = [os.path.join(BIN, command.split()[0])] + shlex.split(command)[1:]
            proc = Process('%s-%s' % (host, argv[0].rsplit('/', 1)[1]), argv,
                           os.path.join(self.workdir, host, 'daemon.log'))
            self.processes.append(proc.start())
            return
        subprocess.run(['bash', '-c', command], env=env, check=True, timeout=120,
                       cwd=os.path.join(self.workdir, host))

    def stop(self):
        for proc in self.processes:  # all at once: each takes a moment to stop
            proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            proc.stop()
        services.delete_queues([self.topic] + ['%s.%s' % (self.topic, h) for h in self.hosts])

    def logs(self):
        return '\n'.join('==== %s ====\n%s' % (p.name, p.log()[-4000:]) for p in self.processes)


@pytest.fixture
def hosts(tmp_path):
    services.require_rabbit()
    database = services.postgres_database()
    hosts = Hosts(tmp_path, database.url)
    try:
        yield hosts
    finally:
        hosts.stop()
        database.drop()


def _api_up(hosts):
    try:
        return requests.get('http://127.0.0.1:%d/v1' % hosts.port, timeout=2).ok
    except requests.RequestException:
        return False


def test_the_quickstart_works_as_written(hosts):
    with open(DOC) as f:
        text = f.read()
    blocks = tagged_blocks(text)
    assert {tags['host'] for _k, tags, _b in blocks} == {'api-1', 'cond-1', 'cond-2'}
    try:
        for kind, tags, body in blocks:
            if kind == 'ini':
                hosts.write(tags['host'], tags['file'], body)
                continue
            for line in body.strip().splitlines():
                hosts.run(tags['host'], line)
        wait_for(lambda: _api_up(hosts), 60, what='anvil-api of the quickstart answering')
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env['PATH'] = BIN + os.pathsep + os.environ['PATH']
        (session,) = console_sessions(text)
        run_session(session, env, hosts.workdir, hosts.substitute)
    except BaseException:
        print(hosts.logs())
        raise
