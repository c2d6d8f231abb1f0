"""The API's metrics on the real app: what each request adds, and nothing more."""

import prometheus_client
import pytest

from anvil.api import app as api_app
from anvil.common import metrics
from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST
from tests.unit.history_events import wait_for_event

PASSTHRU = '/v1/nodes/<ident>/vendor_passthru/<method>'


def value(name, **labels):
    return prometheus_client.REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Sample values before and after: ``delta(name, **labels)``."""

    def __init__(self, *series):
        self.series = series
        self.before = {s: value(s[0], **dict(s[1])) for s in series}

    def __call__(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return value(name, **labels) - self.before[key]


def series(name, **labels):
    return (name, tuple(sorted(labels.items())))


def test_sync_call_is_counted_once_everywhere(client, node):
    req = dict(route=PASSTHRU, method='POST', status='200')
    call = dict(hardware_type='fake-hardware', method='third_method_sync', mode='sync')
    delta = Delta(series('anvil_api_requests_total', **req),
                  series('anvil_api_request_duration_seconds_count', route=PASSTHRU,
                         method='POST'),
                  series('anvil_api_passthru_calls_total', status='200', **call),
                  series('anvil_api_passthru_duration_seconds_count', **call),
                  series('anvil_api_rpc_duration_seconds_count', rpc_method='vendor_passthru',
                         kind='call', outcome='ok'),
                  series('anvil_conductor_lock_wait_seconds_count', outcome='acquired'))
    for _ in range(3):
        resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                           json={'bar': 'x'}, headers=LATEST)
        assert resp.status_code == 200, resp.data
    assert delta('anvil_api_requests_total', **req) == 3
    assert delta('anvil_api_request_duration_seconds_count', route=PASSTHRU, method='POST') == 3
    assert delta('anvil_api_passthru_calls_total', status='200', **call) == 3
    assert delta('anvil_api_passthru_duration_seconds_count', **call) == 3
    assert delta('anvil_api_rpc_duration_seconds_count', rpc_method='vendor_passthru',
                 kind='call', outcome='ok') == 3
    assert delta('anvil_conductor_lock_wait_seconds_count', outcome='acquired') == 3


def test_async_call_counts_queue_and_outcome(client, node):
    call = dict(hardware_type='fake-hardware', method='second_method', mode='async')
    delta = Delta(series('anvil_api_passthru_calls_total', status='202', **call),
                  series('anvil_api_rpc_duration_seconds_count', rpc_method='vendor_passthru',
                         kind='cast', outcome='ok'),
                  series('anvil_conductor_async_calls_finished_total', scope='node',
                         outcome='succeeded'))
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method', json={'bar': 'x'},
                       headers=LATEST)
    assert resp.status_code == 202
    wait_for_event(node['uuid'], 'succeeded')
    assert delta('anvil_api_passthru_calls_total', status='202', **call) == 1
    assert delta('anvil_api_rpc_duration_seconds_count', rpc_method='vendor_passthru',
                 kind='cast', outcome='ok') == 1
    from tests.polling import wait_for
    wait_for(lambda: delta('anvil_conductor_async_calls_finished_total', scope='node',
                           outcome='succeeded') == 1, 5)
    wait_for(lambda: value('anvil_conductor_async_calls_running') == 0, 5)
    assert value('anvil_conductor_async_calls_queued') == 0
    assert value('anvil_conductor_worker_pool_size') == 100


def test_node_locked_is_a_409_error_and_a_passthru_outcome(client, node):
    db_api.reserve_node('other-host', db_api.get_node(node['uuid'])['id'])
    call = dict(hardware_type='fake-hardware', method='second_method', mode='async')
    delta = Delta(series('anvil_api_errors_total', status='409', error='NodeLocked'),
                  series('anvil_api_passthru_calls_total', status='409', **call))
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method', json={'bar': 'x'},
                       headers=LATEST)
    assert resp.status_code == 409
    assert delta('anvil_api_errors_total', status='409', error='NodeLocked') == 1
    assert delta('anvil_api_passthru_calls_total', status='409', **call) == 1


def test_unknown_method_gets_no_method_label(client, node):
    before = _label_values('anvil_api_passthru_calls_total', 'method')
    delta = Delta(series('anvil_api_requests_total', route=PASSTHRU, method='POST',
                         status='400'))
    resp = client.post('/v1/nodes/fake1/vendor_passthru/no_such_%s' % node['uuid'],
                       json={}, headers=LATEST)
    assert resp.status_code == 400
    assert delta('anvil_api_requests_total', route=PASSTHRU, method='POST', status='400') == 1
    assert _label_values('anvil_api_passthru_calls_total', 'method') == before


def _label_values(name, label):
    return {s.labels[label] for m in prometheus_client.REGISTRY.collect()
            for s in m.samples if s.name == name}


@pytest.mark.parametrize('verb, path, route, status', [
    ('GET', '/v1/nodes/%s', '/v1/nodes/<ident>', '404'),      # a UUID never is a label
    ('GET', '/nowhere/%s', 'unmatched', '404'),
    ('BREW', '/v1/nodes', 'unmatched', '405'),                 # an odd verb is "other"
])
def test_labels_stay_bounded(client, verb, path, route, status):
    import uuid
    path = path % uuid.uuid4() if '%s' in path else path
    method = 'other' if verb == 'BREW' else verb
    delta = Delta(series('anvil_api_requests_total', route=route, method=method,
                         status=status))
    assert client.open(path, method=verb, headers=LATEST).status_code == int(status)
    assert delta('anvil_api_requests_total', route=route, method=method, status=status) == 1
    assert not any('-' in r and len(r) > 30
                   for r in _label_values('anvil_api_requests_total', 'route'))


def test_scrape_shows_what_was_counted(client, node):
    resp = client.get('/metrics')
    assert resp.status_code == 200
    assert resp.content_type.startswith('text/plain; version=')
    text = resp.data.decode()
    assert 'anvil_api_requests_total{method="POST",route="/v1/nodes",status="201"}' in text
    assert 'anvil_api_requests_created' not in text


@pytest.fixture
def basic_client(conductor_api, conf, tmp_path):
    import bcrypt
    path = tmp_path / 'htpasswd'
    path.write_text('alice:%s\n' % bcrypt.hashpw(b'pw', bcrypt.gensalt(4)).decode())
    conf.set_override('auth_strategy', 'http_basic')
    conf.set_override('http_basic_auth_user_file', str(path))

    def make():
        return api_app.create_app(conductor_api).test_client()
    return make


def test_scrape_needs_credentials_unless_public(basic_client, conf):
    import base64
    assert basic_client().get('/metrics').status_code == 401
    auth = {'Authorization': 'Basic ' + base64.b64encode(b'alice:pw').decode()}
    assert basic_client().get('/metrics', headers=auth).status_code == 200
    conf.set_override('public', True, group='metrics')
    assert basic_client().get('/metrics').status_code == 200


def test_metrics_off_records_and_serves_nothing(conductor_api, conf, node):
    conf.set_override('enabled', False, group='metrics')
    try:
        client = api_app.create_app(conductor_api).test_client()
        delta = Delta(series('anvil_api_requests_total', route=PASSTHRU, method='POST',
                             status='200'),
                      series('anvil_conductor_lock_wait_seconds_count', outcome='acquired'))
        resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                           json={'bar': 'x'}, headers=LATEST)
        assert resp.status_code == 200
        assert client.get('/metrics').status_code == 404
        assert delta('anvil_api_requests_total', route=PASSTHRU, method='POST',
                     status='200') == 0
        assert delta('anvil_conductor_lock_wait_seconds_count', outcome='acquired') == 0
    finally:
        conf.set_override('enabled', True, group='metrics')
        metrics.configure(conf)


def test_scrape_refused_by_policy_is_403(basic_client, conf, tmp_path):
    import base64
    import json

    from anvil.api import policy
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"baremetal:metrics:get": "!"\n')
    conf.set_override('policy_file', str(rules), group='oslo_policy')
    policy.reset()
    auth = {'Authorization': 'Basic ' + base64.b64encode(b'alice:pw').decode()}
    try:
        resp = basic_client().get('/metrics', headers=auth)
        post = basic_client().post('/metrics', headers=auth)
    finally:
        policy.reset()
    assert resp.status_code == 403
    assert json.loads(resp.get_json()['error_message'])['faultstring'].endswith(
        'baremetal:metrics:get')
    assert post.status_code == 405
