"""What the benchmark runs against: anvil multi-process, the all-in-one, the floor.

Each is a set of real processes started from the installed console scripts
(anvil) or ``python -m bench.floor`` (the floor), on the shared RabbitMQ and
PostgreSQL, each in a throwaway database and on a unique topic.
"""

import datetime
import os
import sys
import uuid

import requests
import sqlalchemy as sa

from anvil.db import models
from bench import procs
from tests.functional import services
from tests.functional.all_in_one import AllInOne
from tests.functional.deployment import LATEST, Deployment, Process, free_port, wait_for

NODES = models.Node.__table__
SOLO = 'solo'  # conductor group served by one conductor only (1 vs 2 conductors)


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _engine(url):
    if url.startswith('sqlite'):
        return sa.create_engine(url, connect_args={'timeout': 30})
    return sa.create_engine(url)


# -- enrollment -------------------------------------------------------------------


def node_template(base_url, db_url, group=''):
    """A node enrolled through the API (interface defaults filled in), as a DB row."""
    name = 'tmpl-%s' % uuid.uuid4().hex[:8]
    resp = requests.post(base_url + '/v1/nodes', json={
        'driver': 'fake-hardware', 'name': name, 'conductor_group': group}, headers=LATEST,
        timeout=30)
    assert resp.status_code == 201, resp.text
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            row = dict(conn.execute(sa.select(NODES).where(NODES.c.name == name)).one()._mapping)
    finally:
        engine.dispose()
    resp = requests.delete(base_url + '/v1/nodes/%s' % row['uuid'], headers=LATEST, timeout=30)
    assert resp.status_code == 204, resp.text
    for key in ('id', 'uuid', 'name', 'created_at', 'updated_at', 'reservation'):
        row.pop(key, None)
    return row


def add_nodes(db_url, template, prefix, start, count):
    """Insert nodes ``prefix%05d`` for start..start+count-1 in one bulk INSERT."""
    now = _utcnow()
    rows = [dict(template, uuid=str(uuid.uuid4()), name='%s%05d' % (prefix, i), created_at=now)
            for i in range(start, start + count)]
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(NODES), rows)
        _settle(engine, 'ANALYZE nodes')
    finally:
        engine.dispose()


def _settle(engine, maintenance):
    """Let PostgreSQL settle after a bulk change, before anything is measured.

    The scale scenario is about nodes enrolled, not nodes being enrolled: the
    bulk INSERT's dirty pages are flushed (CHECKPOINT) and the table analysed
    (or, after the DELETE, vacuumed) now rather than by a checkpoint or an
    autovacuum in the middle of a measured run.
    """
    if engine.dialect.name != 'postgresql':
        return
    with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as conn:
        conn.exec_driver_sql(maintenance)
        try:
            conn.exec_driver_sql('CHECKPOINT')
        except sa.exc.DBAPIError as e:  # not a superuser: the run measures the noise too
            print('bench: CHECKPOINT refused (%s)' % e.orig, flush=True)


def remove_nodes(db_url, prefix, start):
    """Delete nodes ``prefix%05d`` numbered ``start`` and up (they have no history)."""
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(NODES).where(NODES.c.name.like(prefix + '%'),
                                                NODES.c.name >= '%s%05d' % (prefix, start)))
        _settle(engine, 'VACUUM ANALYZE nodes')
    finally:
        engine.dispose()


def count_events(db_url, like, since, until=None):
    """History rows whose event matches ``like`` created in [since, until)."""
    hist = models.NodeHistory.__table__
    query = sa.select(sa.func.count()).where(hist.c.event.like(like), hist.c.created_at >= since)
    if until is not None:
        query = query.where(hist.c.created_at < until)
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar()
    finally:
        engine.dispose()


# -- anvil, multi-process ---------------------------------------------------------


class BenchDeployment(Deployment):
    """anvil-api (gunicorn gthread) + two conductors + one ``solo``-group conductor.

    Production defaults except the worker/thread counts given; the ``solo``
    conductor alone serves the nodes of conductor group ``solo``, so "1 vs 2
    conductors" is measured side by side without restarting anything.
    """

    def __init__(self, workdir, db_url, rabbit_url, workers, threads, extra=None):
        super().__init__(workdir, db_url, rabbit_url, conductors=2)
        self.overrides = extra or {}
        self.topic = 'anvil-bench-%s' % uuid.uuid4().hex[:8]
        services.QUEUES_MADE.add(self.topic)  # (Deployment registered the topic it replaced)
        self.conductor_names = ['cond-1', 'cond-2', 'cond-solo']
        self.workers = workers
        self.threads = threads

    def sections(self, host=None):
        sections = super().sections(host)
        sections['DEFAULT']['rpc_response_timeout'] = 30
        sections['api'].update(api_workers=self.workers, api_threads=self.threads,
                               metadata_cache_ttl=5.0, call_monitor_timeout=5)
        sections['conductor'].update(heartbeat_interval=10, heartbeat_timeout=60,
                                     graceful_shutdown_timeout=10)
        # PostgreSQL here allows 100 connections, shared with the floor and other
        # users: 3 conductors + 2 API workers at the default 10 + 20 overflow each
        # could take 150 ("too many clients" under the async load).
        sections['database'].update(max_pool_size=10, max_overflow=5)
        if host == 'cond-solo':
            sections['conductor']['conductor_group'] = SOLO
        for section, values in self.overrides.items():
            sections.setdefault(section, {}).update(values)
        return sections

    def processes(self):
        """{label: pid} of every anvil process: API master and workers, conductors."""
        found = {}
        if self.api and self.api.popen:
            found['api master'] = self.api.popen.pid
            for i, pid in enumerate(procs.children(self.api.popen.pid)):
                found['api worker %d' % (i + 1)] = pid
        for name, proc in self.conductors.items():
            found['%s launcher' % name] = proc.popen.pid
            for pid in procs.children(proc.popen.pid):
                found[name] = pid
        return found


class BenchAllInOne(AllInOne):
    """``anvil`` on SQLite with the in-process dispatcher, production defaults."""

    def __init__(self, workdir, threads):
        super().__init__(workdir, extra={
            'DEFAULT': {'rpc_response_timeout': 30},
            'api': {'metadata_cache_ttl': 5.0, 'call_monitor_timeout': 5,
                    'api_threads': threads},
            'conductor': {'heartbeat_interval': 10, 'heartbeat_timeout': 60}})

    def processes(self):
        return {'all-in-one': self.process.popen.pid}


# -- the floor ----------------------------------------------------------------------


class Floor:
    """The floor's processes (see bench/floor.py) on a database and topic of their own."""

    def __init__(self, workdir, rabbit_url, api_config, nodes=100):
        self.workdir = workdir
        self.rabbit_url = rabbit_url
        self.api_config = api_config
        self.nodes = nodes
        self.topic = 'anvil-bench-floor-%s' % uuid.uuid4().hex[:8]
        self.database = None
        self.procs = {}
        self.ping_url = self.composed_url = None

    def _python(self, role, *extra):
        return [sys.executable, '-m', 'bench.floor', role, '--transport', self.rabbit_url,
                '--topic', self.topic, '--db', self.database.url, *extra]

    def _start(self, name, argv):
        proc = Process(name, argv, os.path.join(self.workdir, 'floor-%s.log' % name))
        proc.start()
        self.procs[name] = proc
        return proc

    def start(self):
        self.database = services.TemporaryDatabase(services.PG_URL, 'anvil_bench_floor').create()
        engine = _engine(self.database.url)
        try:
            models.Base.metadata.create_all(engine)
        finally:
            engine.dispose()
        add_nodes(self.database.url, {'driver': 'fake-hardware', 'conductor_group': ''},
                  'bench-', 0, self.nodes)
        ping_port, composed_port = free_port(), free_port()
        self.ping_url = 'http://127.0.0.1:%d' % ping_port
        self.composed_url = 'http://127.0.0.1:%d' % composed_port
        self._start('server', self._python('server'))
        self._start('ping', self._python('ping', '--config-file', self.api_config,
                                         '--port', str(ping_port)))
        self._start('composed', self._python('composed', '--config-file', self.api_config,
                                             '--port', str(composed_port)))
        wait_for(lambda: self._answers('GET', self.ping_url + '/ping'), 60, what='floor ping')
        wait_for(lambda: self._answers(
            'POST', self.composed_url + '/v1/nodes/bench-00000/vendor_passthru/x'), 60,
            what='floor composed')
        return self

    @staticmethod
    def _answers(verb, url):
        try:
            return requests.request(verb, url, json={'bar': 'meow'}, timeout=5).status_code \
                == 200
        except requests.RequestException:
            return False

    def client_load(self, role, concurrency, duration):
        """Run ``rpc-load`` or ``db-load`` in a process of its own; its JSON result."""
        import json
        import subprocess
        out = subprocess.run(self._python(role, '--concurrency', str(concurrency),
                                          '--duration', str(duration),
                                          '--nodes', str(self.nodes)),
                             capture_output=True, text=True, timeout=duration + 120,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for line in reversed(out.stdout.splitlines()):
            if line.startswith('{'):
                return json.loads(line)
        raise RuntimeError('floor %s failed:\n%s\n%s' % (role, out.stdout, out.stderr[-3000:]))

    def processes(self):
        found = {}
        for name, proc in self.procs.items():
            found['floor %s' % name] = proc.popen.pid
            for i, pid in enumerate(procs.children(proc.popen.pid)):
                found['floor %s worker %d' % (name, i + 1)] = pid
        return found

    def stop(self):
        for proc in self.procs.values():
            proc.stop(timeout=15)
        if self.database is not None:
            self.database.drop()
