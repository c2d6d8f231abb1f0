"""The access log: one line per request on the real app, secrets in the query masked."""

import logging

import pytest

from anvil.api import access_log
from anvil.api import app as api_app
from tests.unit.api.helpers import LATEST

LOGGER = 'anvil.api.access'


def _lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def access(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def test_one_line_with_status_duration_and_request_id(client, access):
    resp = client.get('/v1/nodes?fields=uuid,name', headers=LATEST)
    assert resp.status_code == 200
    [line] = _lines(access)
    request_id = resp.headers['X-OpenStack-Request-Id']
    method, path, status, duration, unit, rest = line.split(' ', 5)
    assert (method, path, status, unit) == ('GET', '/v1/nodes?fields=uuid,name', '200', 'ms')
    assert float(duration) >= 0
    assert rest == 'request %s user - project -' % request_id


@pytest.fixture
def health_lines(caplog, conf, tmp_path):
    """(levels of the /healthcheck access lines, drain file); no earlier answer known."""
    access_log._HealthStatus.last = None
    conf.set_override('transport_url', 'fake://')
    drain = tmp_path / 'drain'
    conf.set_override('disable_by_file_path', str(drain), group='healthcheck')
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    def levels():
        return [(r.levelname, r.getMessage().split()[2]) for r in caplog.records
                if r.name == LOGGER and r.getMessage().startswith('GET /healthcheck ')]
    return levels, drain


def test_healthcheck_polls_are_debug_unless_health_changed(client, health_lines):
    levels, drain = health_lines
    for _ in range(3):
        assert client.get('/healthcheck').status_code == 200
    drain.touch()
    for _ in range(2):
        assert client.get('/healthcheck').status_code == 503
    drain.unlink()
    assert client.get('/healthcheck').status_code == 200
    assert levels() == [('INFO', '200'), ('DEBUG', '200'), ('DEBUG', '200'),
                        ('INFO', '503'), ('DEBUG', '503'), ('INFO', '200')]


def test_log_healthcheck_logs_every_poll_at_info(client, health_lines, conf):
    conf.set_override('log_healthcheck', True, group='api')
    levels, _ = health_lines
    for _ in range(3):
        assert client.get('/healthcheck').status_code == 200
    assert levels() == [('INFO', '200')] * 3


def test_error_status_and_masked_query(client, access):
    resp = client.get('/v1/nodes?auth_token=tok-s3cr3t&password=pw-s3cr3t&limit=x',
                      headers=LATEST)
    assert resp.status_code == 400
    [line] = _lines(access)
    assert 'tok-s3cr3t' not in line and 'pw-s3cr3t' not in line
    assert line.startswith('GET /v1/nodes?auth_token=******&password=******&limit=x 400 ')


def test_unknown_path_is_logged_as_404(client, access):
    assert client.get('/v1/nowhere', headers=LATEST).status_code == 404
    assert _lines(access)[0].startswith('GET /v1/nowhere 404 ')


def test_identity_is_read_after_the_inner_app_ran(access):
    """The auth layer sets the identity while the request runs; the line shows it."""
    def authenticated_app(environ, start_response):
        environ['HTTP_X_USER_ID'] = 'user-1'
        environ['HTTP_X_PROJECT_ID'] = 'project-1'
        start_response('204 No Content', [])
        return [b'']

    wrapped = access_log.AccessLog(authenticated_app)
    wrapped({'REQUEST_METHOD': 'DELETE', 'PATH_INFO': '/v1/nodes/n1'}, lambda s, h, e=None: None)
    [line] = _lines(access)
    assert line.startswith('DELETE /v1/nodes/n1 204 ')
    assert line.endswith('request - user user-1 project project-1')


def test_off_when_configured(conf, conductor_api, access):
    conf.set_override('access_log', False, group='api')
    app = api_app.create_app(conductor_api)
    assert app.test_client().get('/v1', headers=LATEST).status_code == 200
    assert _lines(access) == []


def test_query_kept_as_sent_and_control_characters_escaped(client, access):
    client.get('/v1/nodes%0Aforged?fields=uuid%2Cname&x=a%20b', headers=LATEST)
    [line] = _lines(access)
    assert '\n' not in line
    assert line.startswith('GET /v1/nodes%0Aforged?fields=uuid%2Cname&x=a%20b 404 ')
