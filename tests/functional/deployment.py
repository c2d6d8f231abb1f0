"""A real multi-process anvil for functional tests: anvil-api + N anvil-conductors.

Each ``Deployment`` has its own PostgreSQL database and its own RPC topic on
the shared RabbitMQ, so runs never collide. Processes are started with the
installed console scripts and stopped with signals, as an operator would.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid

import requests
import sqlalchemy

from tests import polling
from tests.functional import services

BIN = os.path.dirname(sys.executable)
LATEST = {'X-OpenStack-Ironic-API-Version': 'latest'}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.05, what='condition'):
    """``tests.polling.wait_for`` with the longer defaults real processes need."""
    return polling.wait_for(predicate, timeout, interval, what)


def write_config(path, sections):
    with open(path, 'w') as f:
        for section, values in sections.items():
            f.write('[%s]\n' % section)
            for key, value in values.items():
                f.write('%s = %s\n' % (key, value))
            f.write('\n')
    return path


class Process:
    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.env = env  # None: this process's environment
        self.popen = None
        self.run_starts_at = 0  # where this run's lines begin in the log file

    def start(self):
        log = open(self.log_path, 'ab')
        self.run_starts_at = log.tell()
        self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True, env=self.env)
        log.close()
        return self

    def send_signal(self, sig):
        """Signal the whole process group (the launcher and its forked child)."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.popen.wait(10)
        return self.popen.returncode

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def running_log(self):
        """What the running process has logged ('' once it has exited)."""
        if self.popen is None or self.popen.poll() is not None:
            return ''
        with open(self.log_path, 'rb') as f:
            f.seek(self.run_starts_at)
            return f.read().decode(errors='replace')


class Deployment:
    """anvil-api + conductors on RabbitMQ and a database URL, in ``workdir``."""

    ca_file = None  # set by use_tls: the CA that verifies the API's certificate
    conductor_env = None  # {name: value} added to the conductors' environment

    def __init__(self, workdir, db_url, rabbit_url, conductors=2, extra=None):
        self.workdir = str(workdir)
        self.db_url = db_url
        self.rabbit_url = rabbit_url
        self.topic = 'anvil-test-%s' % uuid.uuid4().hex[:8]
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.extra = extra or {}
        self.conductor_names = ['cond-%d-%s' % (i + 1, self.topic[-8:])
                                for i in range(conductors)]
        self.conductors = {}
        self.api = None
        services.QUEUES_MADE.add(self.topic)

    def use_tls(self, ca_file):
        """Speak https to the API and verify it with ``ca_file`` (before ``start``).

        The API's own TLS options go in ``extra``; requests, ``_api_up`` and the
        CLI (``--os-cacert``) then use this CA.
        """
        self.ca_file = ca_file
        self.url = 'https://127.0.0.1:%d' % self.port

    # -- configuration ----------------------------------------------------

    def sections(self, host=None):
        sections = {
            'DEFAULT': {'transport_url': self.rabbit_url, 'rpc_response_timeout': 10,
                        'debug': 'false', 'auth_strategy': 'noauth'},
            'database': {'connection': self.db_url},
            'api': {'host_ip': '127.0.0.1', 'port': self.port, 'api_workers': 1,
                    'call_monitor_timeout': 3, 'metadata_cache_ttl': 0.5},
            'conductor': {'topic': self.topic, 'heartbeat_interval': 1,
                          'heartbeat_timeout': 6, 'graceful_shutdown_timeout': 10,
                          'max_clock_skew': 0},  # one host, one clock
            # oslo.messaging leaves its reply and fanout queues behind at any stop (a
            # SIGKILL or a clean one): the broker is as the tests found it a minute
            # after the run, not half an hour
            'oslo_messaging_rabbit': {'rabbit_transient_queues_ttl': 60},
        }
        if host:
            sections['DEFAULT']['host'] = host
        for section, values in self.extra.items():
            sections.setdefault(section, {}).update(values)
        return sections

    def config_path(self, name):
        return os.path.join(self.workdir, '%s.conf' % name)

    # -- lifecycle ----------------------------------------------------------

    def dbsync(self):
        path = write_config(self.config_path('dbsync'), self.sections())
        subprocess.run([os.path.join(BIN, 'anvil-dbsync'), '--config-file', path, 'upgrade'],
                       check=True, capture_output=True, timeout=120)

    def start_conductor(self, name):
        services.QUEUES_MADE.add('%s.%s' % (self.topic, name))
        path = write_config(self.config_path(name), self.sections(host=name))
        env = dict(os.environ, **self.conductor_env) if self.conductor_env else None
        proc = Process(name, [os.path.join(BIN, 'anvil-conductor'), '--config-file', path],
                       os.path.join(self.workdir, '%s.log' % name), env=env).start()
        self.conductors[name] = proc
        return proc

    def ensure_conductors_running(self):
        """Start again any of its conductors an earlier test stopped or killed, and
        wait until every one serves. Returns the deployment."""
        for name in self.conductor_names:
            proc = self.conductors.get(name)
            if proc is None or proc.popen.poll() is not None:
                self.start_conductor(name)
        for name in self.conductor_names:
            self.wait_conductor_alive(name)
        return self

    def start_api(self):
        path = write_config(self.config_path('api'), self.sections(host='api'))
        self.api = Process('api', [os.path.join(BIN, 'anvil-api'), '--config-file', path],
                           os.path.join(self.workdir, 'api.log')).start()
        return self.api

    def start(self):
        self.dbsync()
        for name in self.conductor_names:
            self.start_conductor(name)
        self.start_api()
        wait_for(self._api_up, 60, what='anvil-api answering')
        for name in self.conductor_names:
            self.wait_conductor_alive(name)
        return self

    def stop(self):
        """SIGTERM every process at once, then wait for each: a conductor takes
        seconds to drain and stop, and one after the other they add up."""
        procs = [p for p in list(self.conductors.values()) + [self.api] if p is not None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.stop()

    def delete_queues(self):
        """Delete this deployment's RPC queues (after its processes are gone)."""
        names = {q for q in services.QUEUES_MADE if q == self.topic
                 or q.startswith(self.topic + '.')}
        if self.rabbit_url:
            delete_count = services.delete_queues(names)
            services.QUEUES_MADE.difference_update(names)
            return delete_count
        return 0

    def logs(self):
        procs = list(self.conductors.values()) + ([self.api] if self.api else [])
        return '\n'.join('==== %s ====\n%s' % (p.name, p.log()[-6000:]) for p in procs)

    def _api_up(self):
        try:
            return requests.get(self.url + '/v1', timeout=2,
                                verify=self.ca_file or True).status_code == 200
        except requests.RequestException:
            return False

    def conductor_alive(self, name):
        resp = self.get('/v1/conductors/%s' % name)
        return resp.status_code == 200 and resp.json()['alive']

    def wait_conductor_alive(self, name, timeout=60):
        wait_for(lambda: self.conductor_alive(name), timeout, what='%s alive' % name)
        # the API re-reads the topology after metadata_cache_ttl
        wait_for(lambda: name in self.get('/v1/drivers/fake-hardware').json().get('hosts', []),
                 timeout, what='%s serving fake-hardware' % name)
        # and it is the only reader of its queue: no survivor still reads it from
        # the time it was dead (a survivor that does may take the next call for
        # one of its nodes). The count alone is not enough: it is 1 too while
        # the survivor reads and the restarted conductor has not started its
        # RPC server yet (it heartbeats first). No queue at all: the in-process
        # dispatcher of the all-in-one.
        queue = '%s.%s' % (self.topic, name)
        wait_for(lambda: (not self.survivors_reading(name)
                          and services.queue_consumers(queue) in (1, None)), timeout,
                 what='%s the only reader of its queue' % name)

    def survivors_reading(self, name):
        """The other conductors whose logs say they read ``name``'s queue now."""
        pattern = re.compile(r'(now reads|stopped reading) the RPC queue of %s\b'
                             % re.escape(name))
        reading = []
        for other, proc in self.conductors.items():
            said = pattern.findall(proc.running_log()) if other != name else []
            if said and said[-1] == 'now reads':
                reading.append(other)
        return reading

    # -- HTTP -------------------------------------------------------------

    def request(self, verb, path, body=None, headers=None, raw=None, **kwargs):
        all_headers = dict(LATEST)
        all_headers.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            all_headers.setdefault('Content-Type', 'application/json')
        kwargs.setdefault('timeout', 60)
        kwargs.setdefault('verify', self.ca_file or True)
        return requests.request(verb, self.url + path, data=data, headers=all_headers,
                                **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request('POST', path, body, **kwargs)

    def create_node(self, name, driver='fake-hardware', **fields):
        resp = self.post('/v1/nodes', dict(fields, name=name, driver=driver))
        assert resp.status_code == 201, resp.text
        return resp.json()

    def node(self, ident):
        resp = self.get('/v1/nodes/%s' % ident)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def owner(self, ident):
        return self.node(ident)['conductor']

    def owners(self, uuids):
        """{uuid: conductor} of the nodes ``uuids`` (one list call, up to 1,000 nodes)."""
        resp = self.get('/v1/nodes?fields=uuid,conductor&limit=1000')
        assert resp.status_code == 200, resp.text
        return {n['uuid']: n['conductor'] for n in resp.json()['nodes'] if n['uuid'] in uuids}

    def history(self, ident):
        """The node's history events (detail), oldest first."""
        resp = self.get('/v1/nodes/%s/history?detail=True' % ident)
        assert resp.status_code == 200, resp.text
        return resp.json()['history']

    def set_reservation(self, node_uuid, host):
        """Write the node's ``reservation`` straight into the database (None frees it)."""
        engine = sqlalchemy.create_engine(self.db_url)
        try:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text('UPDATE nodes SET reservation = :host '
                                             'WHERE uuid = :uuid'),
                             {'host': host, 'uuid': node_uuid})
        finally:
            engine.dispose()

    def start_extra_api(self, name, sections=None):
        """Another anvil-api on this database, on a port of its own.

        ``sections`` ({section: {key: value}}) override the configuration, e.g.
        another ``transport_url``. Returns (Process, base URL); stop it yourself.
        """
        port = free_port()
        config = self.sections(host=name)
        config['api']['port'] = port
        for section, values in (sections or {}).items():
            config.setdefault(section, {}).update(values)
        path = write_config(self.config_path(name), config)
        proc = Process(name, [os.path.join(BIN, 'anvil-api'), '--config-file', path],
                       os.path.join(self.workdir, '%s.log' % name)).start()
        return proc, 'http://127.0.0.1:%d' % port

    # -- CLI ------------------------------------------------------------------

    def cli(self, *args, timeout=120):
        """Run the real ``baremetal`` CLI against this deployment."""
        env = dict(os.environ, OS_AUTH_TYPE='none', OS_ENDPOINT=self.url)
        for key in ('OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN'):
            env.pop(key, None)
        if self.ca_file:
            args = ('--os-cacert', self.ca_file, *args)
        return subprocess.run([os.path.join(BIN, 'baremetal'), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)


def error_text(resp):
    """The faultstring of an Ironic-shaped error body."""
    return json.loads(resp.json()['error_message'])['faultstring']


def fault(resp):
    """The decoded Ironic error body, checked for shape: faultcode, faultstring, debuginfo."""
    assert resp.headers.get('Content-Type', '').startswith('application/json'), resp.headers
    outer = resp.json()
    assert list(outer) == ['error_message'], outer
    inner = json.loads(outer['error_message'])
    assert sorted(inner) == ['debuginfo', 'faultcode', 'faultstring'], inner
    assert inner['faultcode'] == ('Client' if resp.status_code < 500 else 'Server'), inner
    assert inner['debuginfo'] is None, inner
    return inner


class StatusPortsDeployment(Deployment):
    """Each conductor serves its metrics and health on a port of its own (``status_ports``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status_ports = {name: free_port() for name in self.conductor_names}

    def sections(self, host=None):
        sections = super().sections(host)
        if host in self.conductor_names:
            sections['conductor']['metrics_port'] = self.status_ports[host]
        return sections

    def status_url(self, name=None):
        """Base URL of conductor ``name``'s status server (default: the first conductor)."""
        return 'http://127.0.0.1:%d' % self.status_ports[name or self.conductor_names[0]]


@contextlib.contextmanager
def running_deployment(workdir, extra=None, conductors=2, cls=None, **attributes):
    """A started Deployment on a PostgreSQL database of its own; stopped and dropped after.

    ``cls``: a Deployment subclass to start instead; ``attributes`` are set on
    it before it starts.
    """
    services.require_rabbit()
    database = services.postgres_database()
    dep = (cls or Deployment)(workdir, database.url, services.RABBIT_URL, conductors, extra)
    for name, value in attributes.items():
        setattr(dep, name, value)
    try:
        try:
            dep.start()
        except Exception:
            print(dep.logs())
            raise
        yield dep
    finally:
        dep.stop()
        dep.delete_queues()
        database.drop()
