"""/healthcheck on the real app: each check's failure, draining, the detailed view."""

import base64
import json
import socket

import bcrypt
import pytest
import sqlalchemy as sa

from anvil.api import app as api_app
from anvil.api import health_checks
from anvil.common import rpc
from anvil.db import engine as db_engine

JSON = {'Accept': 'application/json'}
#: Nothing listens there: a connection is refused at once.
CLOSED = '127.0.0.1:1'


@pytest.fixture
def bus(conf):
    """A message bus that takes messages (oslo.messaging's fake driver)."""
    conf.set_override('transport_url', 'fake://')
    rpc.cleanup()
    yield
    rpc.cleanup()


def _reasons(resp):
    return resp.get_json()['reasons']


def _details(resp):
    return {r['reason']: r['details'] for r in resp.get_json()['reasons']}


def test_healthy(client, bus):
    resp = client.get('/healthcheck', headers=JSON)
    assert resp.status_code == 200, resp.data
    assert [r['reason'] for r in resp.get_json()['reasons']] == [
        'database OK', 'message bus OK', 'conductors OK', 'OK']
    assert _details(resp)['conductors OK'] == 'fake-hardware: test-host'
    plain = client.get('/healthcheck')
    assert plain.status_code == 200, plain.data
    assert plain.data == b'database OK\nmessage bus OK\nconductors OK\nOK'
    assert client.head('/healthcheck').status_code == 204


def test_database_unreachable(client, bus, conf, db):
    conf.set_override('connection', 'postgresql+psycopg2://postgres@%s/anvil' % CLOSED,
                      group='database')
    db_engine.dispose()
    try:
        resp = client.get('/healthcheck', headers=JSON)
    finally:  # the conductor needs its database back to stop
        conf.set_override('connection', 'sqlite:///%s' % db, group='database')
        db_engine.dispose()
    assert resp.status_code == 503
    details = _details(resp)
    assert list(details) == ['database unreachable', 'message bus OK',
                             'conductors unknown (database unreachable)', 'OK']
    assert details['database unreachable'].startswith('OperationalError: ')


def test_message_bus_unreachable(client, conf):
    conf.set_override('transport_url', 'rabbit://guest:guest@%s/' % CLOSED)
    rpc.cleanup()
    try:
        resp = client.get('/healthcheck')
    finally:
        rpc.cleanup()
    assert resp.status_code == 503
    assert resp.data == b'database OK\nmessage bus unreachable\nconductors OK\nOK'


@pytest.fixture
def silent_port(conf):
    """A port that takes connections (the kernel's backlog) and never answers.

    Closing it resets what waits there, so probes stuck on it end.
    """
    conf.set_override('check_timeout', 0.5, group='healthcheck')
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_silent_database_fails_within_the_timeout(client, bus, conf, db, silent_port):
    conf.set_override('connection', 'postgresql+psycopg2://postgres@127.0.0.1:%d/anvil'
                      % silent_port, group='database')
    db_engine.dispose()
    try:
        first = client.get('/healthcheck', headers=JSON)
        again = client.get('/healthcheck')   # the stuck checks are not run again
    finally:
        conf.set_override('connection', 'sqlite:///%s' % db, group='database')
        db_engine.dispose()
    assert first.status_code == 503
    details = _details(first)
    assert list(details) == ['database not answering', 'message bus OK',
                             'conductors unknown (database not answering)', 'OK']
    assert details['database not answering'].startswith('no answer for ')
    assert (again.status_code, again.data) == (503, b'database not answering\nmessage bus OK'
                                                     b'\nconductors unknown (database not '
                                                     b'answering)\nOK')


def test_silent_message_bus_fails_within_the_timeout(client, conf, silent_port):
    conf.set_override('transport_url', 'rabbit://guest:guest@127.0.0.1:%d/' % silent_port)
    rpc.cleanup()
    resp = client.get('/healthcheck')
    assert resp.status_code == 503
    assert resp.data == b'database OK\nmessage bus not answering\nconductors OK\nOK'


def test_in_process_bus_needs_no_broker(client, conf, monkeypatch):
    monkeypatch.setattr(health_checks._Bus, 'in_process', False)
    health_checks.use_in_process_bus()
    conf.set_override('transport_url', 'rabbit://guest:guest@%s/' % CLOSED)
    resp = client.get('/healthcheck', headers=JSON)
    assert resp.status_code == 200
    assert _details(resp)['message bus not used'].startswith('in-process dispatcher')


def test_no_conductor_registered(db, conf, bus):
    conf.set_override('auth_strategy', 'noauth')
    resp = api_app.create_app().test_client().get('/healthcheck')
    assert resp.status_code == 503
    assert resp.data == b'database OK\nmessage bus OK\nno conductor registered\nOK'


def test_no_live_conductor_for_a_type(client, bus):
    with db_engine.writer() as conn:  # the conductor's heartbeat, long ago
        conn.execute(sa.text("UPDATE conductors SET heartbeat_at = '2000-01-01 00:00:00'"))
    resp = client.get('/healthcheck', headers=JSON)
    assert resp.status_code == 503
    assert _details(resp)['no live conductor for fake-hardware'] == 'fake-hardware: none'


def test_disable_by_file_drains(client, bus, conf, tmp_path):
    flag = tmp_path / 'drain'
    conf.set_override('disable_by_file_path', str(flag), group='healthcheck')
    assert client.get('/healthcheck').status_code == 200
    flag.write_text('')
    resp = client.get('/healthcheck')
    assert resp.status_code == 503
    assert resp.data.endswith(b'DISABLED BY FILE')
    flag.unlink()
    assert client.get('/healthcheck').status_code == 200


def test_disabled_healthcheck_is_404(conductor_api, conf):
    conf.set_override('auth_strategy', 'noauth')
    conf.set_override('enabled', False, group='healthcheck')
    resp = api_app.create_app(conductor_api).test_client().get('/healthcheck')
    assert resp.status_code == 404


# -- who sees the detailed view -----------------------------------------------

def _basic(user, password):
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return {'Authorization': 'Basic ' + token, **JSON}


@pytest.fixture
def basic_client(conductor_api, conf, tmp_path, bus):
    path = tmp_path / 'htpasswd'
    path.write_text('alice:%s\n' % bcrypt.hashpw(b'pw', bcrypt.gensalt(4)).decode())
    conf.set_override('auth_strategy', 'http_basic')
    conf.set_override('http_basic_auth_user_file', str(path))
    return api_app.create_app(conductor_api).test_client()


def test_anonymous_gets_reasons_only(basic_client):
    resp = basic_client.get('/healthcheck', headers=JSON)
    assert resp.status_code == 200
    assert json.loads(resp.data) == {
        'detailed': False, 'reasons': ['database OK', 'message bus OK', 'conductors OK', 'OK']}


def test_admin_gets_details(basic_client):
    resp = basic_client.get('/healthcheck', headers=_basic('alice', 'pw'))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body['detailed'] is True
    assert body['threads']
    assert _details(resp)['conductors OK'] == 'fake-hardware: test-host'


def test_wrong_credentials_are_401(basic_client):
    assert basic_client.get('/healthcheck', headers=_basic('alice', 'no')).status_code == 401


def test_policy_can_refuse_details(basic_client, conf, tmp_path):
    from anvil.api import policy
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"baremetal:healthcheck:detailed": "!"\n')
    conf.set_override('policy_file', str(rules), group='oslo_policy')
    policy.reset()
    try:
        resp = basic_client.get('/healthcheck', headers=_basic('alice', 'pw'))
    finally:
        policy.reset()
    assert resp.get_json()['detailed'] is False


def test_details_off_by_configuration(basic_client, conf):
    conf.set_override('detailed', False, group='healthcheck')
    # the option is read when the app is built
    from anvil.api import app as fresh
    client = fresh.create_app(basic_client.application.config['CONDUCTOR_API']).test_client()
    assert client.get('/healthcheck', headers=_basic('alice', 'pw')).get_json()[
        'detailed'] is False
