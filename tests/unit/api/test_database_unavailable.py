"""A database the API cannot reach answers 503 with Ironic's error body, not 500."""

from anvil.common.config import CONF
from anvil.db import engine as db_engine
from tests.unit.api.helpers import LATEST, fault


def test_unreachable_database_is_503_and_retryable(client, node):
    working = CONF.database.connection
    # nothing listens on port 1: every connection is refused
    CONF.set_override('connection', 'postgresql+psycopg2://postgres@127.0.0.1:1/anvil',
                      group='database')
    db_engine.dispose()
    try:
        resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                           json={'bar': 'meow'}, headers=LATEST)
    finally:
        CONF.set_override('connection', working, group='database')
        db_engine.dispose()
    assert resp.status_code == 503
    assert 'database' in fault(resp).lower()
    assert resp.headers['Retry-After'] == '1'
