"""A real all-in-one ``anvil`` process for functional tests.

``AllInOne`` runs the installed ``anvil`` console script with its own
``state_path`` (so its own SQLite file, created on first start), a free API
port and a unique host name and RPC topic. It offers the same HTTP and CLI
helpers as ``Deployment``, so a test can be parametrized over both.
"""

import contextlib
import os
import signal
import sqlite3
import uuid

from tests.functional import services
from tests.functional.deployment import BIN, Deployment, Process, wait_for, write_config


class AllInOne(Deployment):
    """``anvil --config-file <conf>`` in ``workdir``; state under ``workdir/state``."""

    def __init__(self, workdir, rpc_transport='local', rabbit_url=None, extra=None):
        self.state_path = os.path.join(str(workdir), 'state')
        super().__init__(workdir, 'sqlite:///%s/anvil.sqlite' % self.state_path, rabbit_url,
                         conductors=0, extra=extra)
        self.rpc_transport = rpc_transport
        self.host = 'aio-%s' % uuid.uuid4().hex[:8]
        self.conductor_names = [self.host]
        self.process = None
        self.starts = 0

    @property
    def sqlite_path(self):
        return os.path.join(self.state_path, 'anvil.sqlite')

    def sections(self, host=None):
        # No [database] connection: the default (SQLite under state_path) is under test.
        sections = {
            'DEFAULT': {'host': self.host, 'state_path': self.state_path,
                        'rpc_transport': self.rpc_transport, 'rpc_response_timeout': 10},
            'api': {'host_ip': '127.0.0.1', 'port': self.port, 'call_monitor_timeout': 3,
                    'metadata_cache_ttl': 0.5},
            'conductor': {'topic': self.topic, 'heartbeat_interval': 1,
                          'heartbeat_timeout': 6, 'graceful_shutdown_timeout': 10},
        }
        if self.rabbit_url:
            sections['DEFAULT']['transport_url'] = self.rabbit_url
        for section, values in self.extra.items():
            sections.setdefault(section, {}).update(values)
        return sections

    def start(self):
        """Start and wait until ``/v1`` answers and the conductor serves fake-hardware."""
        self.starts += 1
        services.QUEUES_MADE.add('%s.%s' % (self.topic, self.host))
        path = write_config(self.config_path('anvil'), self.sections())
        self.process = Process('anvil', [os.path.join(BIN, 'anvil'), '--config-file', path],
                               os.path.join(self.workdir, 'anvil.log')).start()
        wait_for(lambda: self._api_up() or self.process.popen.poll() is not None, 60,
                 what='anvil answering /v1')
        if self.process.popen.poll() is not None:
            raise AssertionError('anvil exited with %s:\n%s'
                                 % (self.process.popen.returncode, self.logs()))
        self.wait_conductor_alive(self.host)
        return self

    def running(self):
        return self.process is not None and self.process.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal anvil and return its exit status (SIGKILL, so -9, after ``timeout``)."""
        if self.process is None:
            return None
        return self.process.stop(sig, timeout)

    def restart(self, extra=None):
        """Stop (asserting a clean exit) and start again on the same state_path."""
        code = self.stop()
        assert code == 0, 'anvil exited with %s\n%s' % (code, self.logs())
        if extra is not None:
            self.extra = extra
        return self.start()

    def logs(self):
        return '==== anvil ====\n%s' % (self.process.log()[-8000:] if self.process else '')

    def query(self, sql, *params):
        """Rows from the SQLite file, read directly (for checks after a stop)."""
        with contextlib.closing(sqlite3.connect(self.sqlite_path)) as conn:
            return conn.execute(sql, params).fetchall()


@contextlib.contextmanager
def running_all_in_one(workdir, **kwargs):
    """An ``AllInOne`` started for the block; stopped with SIGTERM, which must exit 0."""
    aio = AllInOne(workdir, **kwargs)
    try:
        aio.start()
    except Exception:
        print(aio.logs())
        aio.stop()
        raise
    try:
        yield aio
    except BaseException:
        aio.stop()
        raise
    if aio.running():
        code = aio.stop()
        assert code == 0, 'anvil exited with %s on SIGTERM\n%s' % (code, aio.logs())
