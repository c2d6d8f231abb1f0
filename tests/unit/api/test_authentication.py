"""The auth strategies in front of the real app: noauth, http_basic (real bcrypt file)."""

import base64

import bcrypt
import pytest

from anvil.api import http_basic
from anvil.db import history
from tests.polling import wait_for
from tests.unit.conftest import LATEST


def _basic(user, password):
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return {'Authorization': 'Basic ' + token, **LATEST}


@pytest.mark.parametrize('headers', [
    {}, {'Authorization': 'Basic'}, {'Authorization': 'Basic !!!notbase64'},
    {'Authorization': 'Basic ' + base64.b64encode(b'no-colon').decode()},
    {'Authorization': 'Basic ' + base64.b64encode(b'\xff\xfe:x').decode()},
    {'Authorization': 'Bearer abc'}, _basic('alice', 'wrong'), _basic('nobody', 'x'),
    _basic('bob', 'notbcrypt')])
def test_http_basic_refuses_with_a_challenge(basic_client, headers):
    resp = basic_client.get('/v1/nodes', headers=headers)
    assert resp.status_code == 401
    assert resp.headers['WWW-Authenticate'] == 'Basic realm="Baremetal API"'
    assert 'faultstring' in resp.get_json()['error_message']


def test_http_basic_good_credentials_and_the_user_in_history(basic_client):
    headers = dict(_basic('alice', 's3cret-pw'), **{'X-User-Id': 'admin-forged',
                                                     'X-Roles': 'reader'})
    resp = basic_client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'n1'},
                             headers=headers)
    assert resp.status_code == 201, resp.data
    resp = basic_client.post('/v1/nodes/n1/vendor_passthru/second_method',
                             json={'bar': 'kazoo'}, headers=headers)
    assert resp.status_code == 202, resp.data
    events = wait_for(lambda: _finished_events('n1'), 10, 0.02, 'the async outcome')
    assert {e['user'] for e in events} == {'alice'}


def _finished_events(name):
    events = history.list_events(_node_id(name))
    return events if len(events) >= 2 else None


def _node_id(name):
    from anvil.db import api as db_api
    return db_api.get_node(name)['id']


@pytest.mark.parametrize('path', ['/', '/v1', '/v1/'])
def test_public_paths_need_no_credentials(basic_client, path):
    assert basic_client.get(path).status_code == 200


def test_good_credentials_are_checked_by_bcrypt_once(basic_client, monkeypatch):
    calls = []
    real = http_basic._bcrypt_check
    monkeypatch.setattr(http_basic, '_bcrypt_check', lambda p, h: calls.append(1) or real(p, h))
    for _ in range(5):
        assert basic_client.get('/v1/nodes', headers=_basic('alice', 's3cret-pw')).status_code \
            == 200
    assert len(calls) == 1


def test_wrong_passwords_stop_costing_bcrypt_after_a_few(basic_client, monkeypatch):
    assert basic_client.get('/v1/nodes', headers=_basic('alice', 's3cret-pw')).status_code \
        == 200  # remembered before the attack
    calls = []
    real = http_basic._bcrypt_check
    monkeypatch.setattr(http_basic, '_bcrypt_check', lambda p, h: calls.append(1) or real(p, h))
    for i in range(50):
        assert basic_client.get('/v1/nodes', headers=_basic('alice', 'guess%d' % i)) \
            .status_code == 401
    assert len(calls) == http_basic._MAX_FAILURES
    # a client already holding good credentials is not locked out
    assert basic_client.get('/v1/nodes', headers=_basic('alice', 's3cret-pw')).status_code \
        == 200


def test_a_user_removed_from_the_file_is_refused(basic_client, htpasswd, monkeypatch):
    assert basic_client.get('/v1/nodes', headers=_basic('alice', 's3cret-pw')).status_code \
        == 200
    htpasswd.write_text('carol:%s\n' % bcrypt.hashpw(b'x', bcrypt.gensalt(4)).decode())
    monkeypatch.setattr(http_basic, '_STAT_INTERVAL', 0.0)
    assert basic_client.get('/v1/nodes', headers=_basic('alice', 's3cret-pw')).status_code \
        == 401


def test_noauth_ignores_forged_identity(client):
    resp = client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'n2'},
                       headers=dict(LATEST, **{'X-User-Id': 'admin-forged',
                                               'X-Project-Id': 'p', 'X-Roles': 'reader'}))
    assert resp.status_code == 201
    client.post('/v1/nodes/n2/vendor_passthru/second_method', json={'bar': 'kazoo'},
                headers=dict(LATEST, **{'X-User-Id': 'admin-forged'}))
    events = wait_for(lambda: _finished_events('n2'), 10, 0.02, 'the async outcome')
    assert {e['user'] for e in events} == {None}


def test_noauth_on_a_public_address_warns(conf, caplog):
    from anvil.api import authentication
    conf.set_override('auth_strategy', 'noauth')
    authentication.warn_if_open('0.0.0.0')
    assert 'anyone who can reach that address' in caplog.text
    caplog.clear()
    authentication.warn_if_open('127.0.0.1')
    assert caplog.text == ''
