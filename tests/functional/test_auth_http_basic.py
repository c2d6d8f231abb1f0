"""auth_strategy = http_basic against real processes, with the real CLI and SDK.

anvil-api + conductors on RabbitMQ and PostgreSQL, and the all-in-one, each
reading a bcrypt htpasswd file the test writes; the ``baremetal`` CLI with
``OS_AUTH_TYPE=http_basic`` and openstacksdk with the same credentials.
"""

import os
import subprocess

import bcrypt
import openstack
import pytest
import requests

from tests.functional import secrets, services
from tests.functional.all_in_one import AllInOne
from tests.functional.deployment import BIN, Deployment, fault

USER, PASSWORD = 'operator', 'http-basic-Pa55word-for-tests'
secrets.register(PASSWORD, 'http_basic password')


def _write_htpasswd(workdir):
    path = os.path.join(str(workdir), 'htpasswd')
    with open(path, 'w') as f:
        f.write('%s:%s\n' % (USER, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()))
    return path


class _BasicAuthMixin:
    """Requests carry the good credentials unless ``auth=`` says otherwise."""

    def request(self, verb, path, body=None, headers=None, raw=None, **kwargs):
        kwargs.setdefault('auth', (USER, PASSWORD))
        return super().request(verb, path, body, headers, raw, **kwargs)

    def conductor_alive(self, name):
        resp = self.get('/v1/conductors/%s' % name)
        return resp.status_code == 200 and resp.json()['alive']

    def cli(self, *args, timeout=120):
        env = dict(os.environ, OS_AUTH_TYPE='http_basic', OS_ENDPOINT=self.url,
                   OS_USERNAME=USER, OS_PASSWORD=PASSWORD)
        for key in ('OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN'):
            env.pop(key, None)
        return subprocess.run([os.path.join(BIN, 'baremetal'), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)


class BasicDeployment(_BasicAuthMixin, Deployment):
    pass


class BasicAllInOne(_BasicAuthMixin, AllInOne):
    pass


def _auth_sections(workdir):
    return {'DEFAULT': {'auth_strategy': 'http_basic',
                        'http_basic_auth_user_file': _write_htpasswd(workdir)}}


@pytest.fixture(scope='module', params=['multi-process', 'all-in-one'])
def basic_target(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp('basic')
    if request.param == 'all-in-one':
        target = BasicAllInOne(workdir, extra=_auth_sections(workdir))
        database = None
    else:
        services.require_rabbit()
        database = services.postgres_database()
        target = BasicDeployment(workdir, database.url, services.RABBIT_URL,
                                 extra=_auth_sections(workdir))
    try:
        target.start()
        yield target
    finally:
        target.stop()
        if database is not None:
            database.drop()


@pytest.mark.parametrize('auth', [None, (USER, 'wrong'), ('nobody', PASSWORD)],
                         ids=['none', 'wrong-password', 'unknown-user'])
def test_bad_or_missing_credentials_401_with_a_challenge(basic_target, auth):
    for path in ('/v1/nodes', '/v1/drivers', '/v1/nodes/x/vendor_passthru/second_method'):
        resp = basic_target.get(path, auth=auth)
        assert resp.status_code == 401, (path, resp.text)
        assert resp.headers['WWW-Authenticate'] == 'Basic realm="Baremetal API"'
        fault(resp)


@pytest.mark.parametrize('header', ['Basic', 'Basic ====', 'Basic \xff', 'Digest x=1',
                                    'Basic ' + 'A' * 4000])
def test_malformed_authorization_header_is_a_401_not_a_500(basic_target, header):
    resp = requests.get(basic_target.url + '/v1/nodes', headers={'Authorization': header},
                        timeout=30)
    assert resp.status_code == 401, resp.text


def test_public_paths_answer_without_credentials(basic_target):
    for path in ('/', '/v1'):
        assert basic_target.get(path, auth=None).status_code == 200


def test_cli_with_http_basic_calls_a_method_and_history_has_the_user(basic_target):
    out = basic_target.cli('node', 'create', '--driver', 'fake-hardware', '--name', 'hb1')
    assert out.returncode == 0, out.stderr
    out = basic_target.cli('node', 'passthru', 'call', 'hb1', 'second_method',
                           '--arg', 'bar=kazoo')
    assert out.returncode == 0, out.stderr
    out = basic_target.cli('node', 'history', 'list', 'hb1', '-f', 'value', '-c', 'event')
    assert out.returncode == 0, out.stderr
    resp = basic_target.get('/v1/nodes/hb1/history?detail=true')
    assert resp.status_code == 200, resp.text
    users = {event['user'] for event in resp.json()['history']}
    assert users == {USER}, resp.json()


def test_forged_identity_is_not_recorded(basic_target):
    basic_target.create_node('hb-forged')
    resp = basic_target.post('/v1/nodes/hb-forged/vendor_passthru/second_method',
                             {'bar': 'kazoo'}, headers={'X-User-Id': 'admin-forged'})
    assert resp.status_code == 202, resp.text
    resp = basic_target.get('/v1/nodes/hb-forged/history?detail=true')
    assert 'admin-forged' not in resp.text


def test_sdk_with_http_basic(basic_target):
    conn = openstack.connect(auth_type='http_basic', endpoint=basic_target.url,
                             username=USER, password=PASSWORD,
                             baremetal_endpoint_override=basic_target.url)
    try:
        names = [d.name for d in conn.baremetal.drivers()]
        assert 'fake-hardware' in names
    finally:
        conn.close()
