"""Hold a row lock in one transaction and watch another one wait for it.

Without sleeps: the holder commits only once the server reports a
transaction of this database waiting on a lock.
"""

import threading

import sqlalchemy as sa

from anvil.common import exception
from anvil.db import api as db_api

_LOCK_WAITS = {
    'postgresql': "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                  " AND datname = current_database()",
    'mysql': "SELECT count(*) FROM information_schema.innodb_trx t"
             " JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id"
             " WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()",
}

#: InnoDB refreshes information_schema.innodb_trx only when it was last read
#: more than 0.1 s ago: polling faster would read a stale table forever.
_POLL_INTERVAL = 0.15


def wait_for_lock_wait(conn, deadline=30.0):
    """Poll until some transaction of this database waits on a lock."""
    query = sa.text(_LOCK_WAITS[conn.dialect.name])
    pause = threading.Event()
    for _ in range(int(deadline / _POLL_INTERVAL)):
        if conn.execute(query).scalar():
            return
        pause.wait(_POLL_INTERVAL)
    raise AssertionError('nobody ever waited for the row lock')


def destroy_during_reservation(url, node, host='other-host'):
    """Destroy ``node`` while ``host``'s reserving transaction is in flight.

    The reservation commits once destroy_node waits on the row. Returns what
    destroy_node raised (None if it deleted the node).
    """
    engine = sa.create_engine(url)
    outcome = {}

    def destroy():
        try:
            db_api.destroy_node(node['uuid'])
        except exception.AnvilException as e:
            outcome['error'] = e

    thread = threading.Thread(target=destroy)
    try:
        with engine.connect() as holder, engine.connect().execution_options(
                isolation_level='AUTOCOMMIT') as observer:
            with holder.begin():
                holder.execute(sa.update(db_api.NODES).where(db_api.NODES.c.id == node['id'])
                               .values(reservation=host))
                thread.start()
                wait_for_lock_wait(observer)
            thread.join(timeout=60)
    finally:
        engine.dispose()
    assert not thread.is_alive(), 'destroy_node hung'
    return outcome.get('error')
