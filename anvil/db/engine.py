"""The process's database engine, created lazily (after any fork).

We build the SQLAlchemy engine ourselves rather than through oslo.db's
enginefacade because the facade forces ``pool_pre_ping`` (one extra round trip
per checkout), a NullPool and a deferred ``BEGIN`` on SQLite (lost updates
under threads). oslo.db still provides the options (``[database]``), the
exception translation (``exc_filters``: DBDeadlock, DBDuplicateEntry,
DBConnectionError) and the deadlock retry decorator used in ``db/api.py``.

``reader()`` / ``writer()`` give a Connection in one transaction. On SQLite a
writer transaction starts with ``BEGIN IMMEDIATE`` so read-then-write
transactions serialise instead of silently losing updates. ``autocommit()``
gives one whose statements each commit on their own: a lock taken or dropped
by one UPDATE needs no BEGIN and COMMIT round trips (a third of its cost on
PostgreSQL); elsewhere it is a writer transaction.
"""

import collections
import contextlib
import os
import threading

import sqlalchemy as sa
from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import exc_filters

from anvil.common import exception
from anvil.common.config import CONF
from anvil.common.per_process import PerProcess

#: What a statement raises when there is no database to talk to: the connection
#: was lost or refused, or the pool had none free in time.
UNAVAILABLE_ERRORS = (db_exc.DBConnectionError, sa.exc.TimeoutError, sa.exc.OperationalError)


@contextlib.contextmanager
def unavailable_as_503():
    """Turn a lost or unreachable database into DatabaseUnavailable (503).

    Only around work that has changed nothing yet, so that 503 keeps its
    meaning: nothing ran, the caller may retry.
    """
    try:
        yield
    except UNAVAILABLE_ERRORS as e:
        raise exception.DatabaseUnavailable() from e

#: Retry a whole transaction function on deadlock (MariaDB/PostgreSQL).
retry_on_deadlock = oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True,
                                              retry_interval=0.05, inc_retry_interval=True)


#: the engine, and the same engine with the option that makes SQLite writers BEGIN IMMEDIATE
_Engines = collections.namedtuple('_Engines', 'engine writer')


def _sqlite_events(engine):
    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_con, _record):
        dbapi_con.isolation_level = None  # we emit BEGIN ourselves
        dbapi_con.execute('PRAGMA journal_mode=WAL')
        dbapi_con.execute('PRAGMA busy_timeout=30000')
        dbapi_con.execute('PRAGMA foreign_keys=ON')
        dbapi_con.execute('PRAGMA synchronous=NORMAL')

    @sa.event.listens_for(engine, 'begin')
    def _on_begin(conn):
        if conn.get_execution_options().get('anvil_writer'):
            conn.exec_driver_sql('BEGIN IMMEDIATE')
        else:
            conn.exec_driver_sql('BEGIN')


def _create(url):
    url = sa.engine.make_url(url)
    kwargs = {'pool_recycle': CONF.database.connection_recycle_time}
    if url.get_backend_name() == 'sqlite':
        kwargs = {'connect_args': {'check_same_thread': False}}
        if url.database in (None, '', ':memory:'):
            kwargs['poolclass'] = sa.pool.StaticPool
        else:
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
            kwargs.update(pool_size=8, max_overflow=16)
    else:
        kwargs.update(pool_size=CONF.database.max_pool_size or 10,
                      max_overflow=CONF.database.max_overflow or 20,
                      pool_timeout=CONF.database.pool_timeout or 30)
        if url.get_backend_name() == 'mysql':
            kwargs['connect_args'] = {'charset': 'utf8mb4'}
    engine = sa.create_engine(url, **kwargs)
    if url.get_backend_name() == 'sqlite':
        _sqlite_events(engine)
    exc_filters.register_engine(engine)
    return engine


def _engines():
    engine = _create(CONF.database.connection)
    return _Engines(engine, engine.execution_options(anvil_writer=True))


_engines_of_process = PerProcess(_engines)


def get_engine():
    """The engine of this process (re-created in a forked child)."""
    return _engines_of_process.get().engine


def dispose():
    """Drop the engine and its pool (tests, shutdown, config changes)."""
    _engines_of_process.reset(close=lambda engines: engines.engine.dispose())


@contextlib.contextmanager
def reader():
    """A Connection inside a read transaction."""
    with get_engine().begin() as conn:
        yield conn


#: SQLite writers of this process take turns here: SQLite lets one writer in at a
#: time and makes the others poll with growing sleeps (up to 100 ms each), which
#: ruined the all-in-one's tail latency under concurrency (bench/PROFILE.md); a
#: lock hands over at once.
_sqlite_writers = threading.RLock()


@contextlib.contextmanager
def writer():
    """A Connection inside a write transaction (BEGIN IMMEDIATE on SQLite)."""
    engines = _engines_of_process.get()
    if engines.engine.dialect.name != 'sqlite':
        with engines.writer.begin() as conn:
            yield conn
        return
    with _sqlite_writers, engines.writer.begin() as conn:
        yield conn


@contextlib.contextmanager
def autocommit(readonly=False):
    """A Connection whose statements each commit at once (PostgreSQL); elsewhere a
    writer transaction, or with ``readonly`` a read transaction.

    Only for work that one statement does whole, or whose statements need not
    see each other atomically. psycopg2's ``autocommit`` is switched on the
    checked-out connection and back: a client-side switch, where SQLAlchemy's
    AUTOCOMMIT isolation level costs a ``SET default_transaction_isolation``
    round trip at every check-in.
    """
    engine = get_engine()
    if engine.dialect.driver != 'psycopg2':
        with reader() if readonly else writer() as conn:
            yield conn
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.autocommit = True
        try:
            yield conn
        finally:
            if not raw.closed:  # a connection lost meanwhile is discarded anyway
                raw.autocommit = False
