"""The real services functional tests need: RabbitMQ and PostgreSQL (MariaDB for DB tests).

URLs come from the environment, with this machine's defaults:
ANVIL_TEST_RABBIT_URL, ANVIL_TEST_PG_URL, ANVIL_TEST_MYSQL_URL (server URLs,
no database). Without a service the tests skip with the reason, unless
ANVIL_TEST_REQUIRE_SERVICES=1 (as .ci/run sets), where a missing one fails.
"""

import contextlib
import os
import shutil
import socket
import tempfile
import urllib.parse
import uuid

import kombu
import pytest
import sqlalchemy as sa
from amqp import exceptions as amqp_exceptions

RABBIT_URL = os.environ.get('ANVIL_TEST_RABBIT_URL', 'rabbit://guest:guest@127.0.0.1:5672/')
PG_URL = os.environ.get('ANVIL_TEST_PG_URL', 'postgresql+psycopg2://postgres@127.0.0.1:5432')
MYSQL_URL = os.environ.get('ANVIL_TEST_MYSQL_URL', 'mysql+pymysql://root@127.0.0.1:3306')
REQUIRED = os.environ.get('ANVIL_TEST_REQUIRE_SERVICES') == '1'


def _reachable(url, default_port):
    parsed = urllib.parse.urlparse(url.replace('rabbit://', 'amqp://'))
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), 2):
            return True
    except OSError:
        return False


def require(name, url, default_port):
    """Skip (or fail, in CI) when the service at ``url`` does not answer."""
    if _reachable(url, default_port):
        return
    message = '%s is not reachable at %s' % (name, url)
    if REQUIRED:
        pytest.fail(message + ' (ANVIL_TEST_REQUIRE_SERVICES=1)')
    pytest.skip(message)


def require_rabbit():
    require('RabbitMQ', RABBIT_URL, 5672)


def rabbit_reachable():
    return _reachable(RABBIT_URL, 5672)


class TemporaryDatabase:
    """A database of its own for one test run, dropped at the end."""

    def __init__(self, server_url, prefix='anvil_test'):
        self.server_url = server_url.rstrip('/')
        self.name = '%s_%s' % (prefix, uuid.uuid4().hex[:12])
        self.url = '%s/%s' % (self.server_url, self.name)
        admin_db = 'postgres' if server_url.startswith('postgresql') else ''
        self._admin = sa.create_engine('%s/%s' % (self.server_url, admin_db),
                                       isolation_level='AUTOCOMMIT')

    def create(self):
        with self._admin.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE %s' % self.name)
        return self

    def drop(self):
        with self._admin.connect() as conn:
            if self.server_url.startswith('postgresql'):
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % self.name)
            else:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s' % self.name)
        self._admin.dispose()


class SqliteFile:
    """A SQLite database file of its own, in the role of a server's TemporaryDatabase."""

    def __init__(self):
        self._dir = tempfile.mkdtemp(prefix='anvil-sqlite-')
        self.url = 'sqlite:///%s/anvil.sqlite' % self._dir

    def drop(self):
        shutil.rmtree(self._dir, ignore_errors=True)


def sqlite_database():
    return SqliteFile()


def postgres_database():
    require('PostgreSQL', PG_URL, 5432)
    return TemporaryDatabase(PG_URL).create()


def mysql_database():
    require('MariaDB', MYSQL_URL, 3306)
    return TemporaryDatabase(MYSQL_URL).create()


@contextlib.contextmanager
def amqp_channel():
    with kombu.Connection(RABBIT_URL.replace('rabbit://', 'amqp://', 1)) as conn:
        yield conn.channel()


#: The RPC queues the tests' deployments made (topic and topic.host): they have no
#: expiry, so the session deletes them at its end (tests/functional/conftest.py).
QUEUES_MADE = set()


def delete_queues(names):
    """Delete RabbitMQ queues by name (a missing one is fine); returns how many existed."""
    existed = 0
    for name in sorted(names):
        if queue_consumers(name) is None:
            continue
        existed += 1
        with amqp_channel() as channel:
            channel.queue_delete(name)
    return existed


def queue_consumers(queue):
    """Consumers of ``queue`` on RabbitMQ (None when there is no such queue)."""
    with amqp_channel() as channel:
        try:
            return channel.queue_declare(queue=queue, passive=True).consumer_count
        except amqp_exceptions.NotFound:
            return None
