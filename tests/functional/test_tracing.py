"""One request id across processes, and JSON logs, on real processes.

A deployment (anvil-api with two gunicorn workers, one anvil-conductor with
its [conductor] metrics_port) logging JSON (``[DEFAULT] use_json``, with
debug lines). One sync and one async passthru call, each sent with a
client's own ``X-Openstack-Request-Id``: anvil answers with an id of its
own (the client's becomes the global request id), and that answered id is
found in the API's log, the conductor's log, the node's history, the call's
record and the exemplars of the conductor's latency histogram. The
all-in-one, one process, shows exemplars on the API's histogram too.
"""

import json
import uuid

import pytest
import requests
from prometheus_client.openmetrics import parser as openmetrics_parser

from tests.functional.all_in_one import running_all_in_one
from tests.functional.deployment import StatusPortsDeployment, running_deployment, wait_for

NODE = '/v1/nodes/%s/vendor_passthru/%s'
OPENMETRICS = {'Accept': 'application/openmetrics-text; version=1.0.0'}
JSON_LOGS = {'DEFAULT': {'use_json': 'true', 'debug': 'true'}}


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('tracing')
    extra = dict(JSON_LOGS, api={'api_workers': 2})
    with running_deployment(workdir, extra, conductors=1, cls=StatusPortsDeployment) as d:
        yield d


def client_request_id():
    return 'req-%s' % uuid.uuid4()


def json_lines(process, strict=True):
    """Every line of ``process``'s log as a JSON object.

    ``strict``: fail on any other line; else skip it (the all-in-one prints
    its address on stdout).
    """
    lines = []
    for number, line in enumerate(process.log().splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            if not strict:
                continue
            raise AssertionError('%s log, line %d is not JSON: %r'
                                 % (process.name, number, line)) from None
        assert isinstance(record, dict), line
        lines.append(record)
    return lines


def logged_under(process, request_id, strict=True):
    """The JSON log lines of ``process`` whose context carries ``request_id``."""
    return [r for r in json_lines(process, strict)
            if (r.get('context') or {}).get('request_id') == request_id]


def exemplars(url, metric):
    """(content type, {method label: exemplar request ids}) of ``metric``'s buckets in
    one OpenMetrics scrape."""
    resp = requests.get(url + '/metrics', headers=OPENMETRICS, timeout=10)
    assert resp.status_code == 200, resp.text
    found = {}
    for family in openmetrics_parser.text_string_to_metric_families(resp.text):
        for sample in family.samples:
            if sample.name == metric + '_bucket' and sample.exemplar is not None:
                found.setdefault(sample.labels['method'], set()).add(
                    sample.exemplar.labels['request_id'])
    return resp.headers['Content-Type'], found


def test_one_request_id_everywhere(dep):
    node = dep.create_node('traced')
    sent_sync, sent_async = client_request_id(), client_request_id()
    resp = dep.post(NODE % (node['uuid'], 'third_method_sync'), {'bar': 'meow'},
                    headers={'X-Openstack-Request-Id': sent_sync})
    assert resp.status_code == 200, resp.text
    sync_id = resp.headers['x-openstack-request-id']
    resp = dep.post(NODE % (node['uuid'], 'second_method'), {'bar': 'kazoo'},
                    headers={'X-Openstack-Request-Id': sent_async})
    assert resp.status_code == 202, resp.text
    async_id = resp.headers['x-openstack-request-id']
    # anvil names each request itself; the client's id is kept as the global one
    assert sync_id.startswith('req-') and sync_id not in (sent_sync, sent_async)

    record = wait_for(lambda: _finished(dep, resp.headers['Location']), 30,
                      what='the async call finished')
    assert (record['request_id'], record['state']) == (async_id, 'succeeded')
    assert [e['event'] for e in dep.history(node['uuid']) if e['request_id'] == async_id] == [
        'Vendor passthru second_method started',
        'Vendor passthru second_method succeeded: returned True']

    for request_id, sent, method, code in ((sync_id, sent_sync, 'third_method_sync', '200'),
                                           (async_id, sent_async, 'second_method', '202')):
        access = [r for r in logged_under(dep.api, request_id) if r['name'] == 'anvil.api.access']
        assert len(access) == 1 and '/%s %s ' % (method, code) in access[0]['message'] \
            and request_id in access[0]['message'], access
        assert access[0]['context']['global_request_id'] == sent
        conductor = logged_under(dep.conductors[dep.conductor_names[0]], request_id)
        assert 'Vendor method %s ran' % method in [r['message'].rsplit(' ', 2)[0]
                                                     for r in conductor], conductor
        assert {r['context']['global_request_id'] for r in conductor} == {sent}

    content_type, found = exemplars(dep.status_url(), 'anvil_conductor_passthru_duration_seconds')
    assert content_type.startswith('application/openmetrics-text'), content_type
    assert found == {'third_method_sync': {sync_id}, 'second_method': {async_id}}
    # Prometheus' text format has no exemplars; anvil-api's gunicorn workers keep none
    # (prometheus_client's multiprocess mode), though they speak OpenMetrics
    plain = requests.get(dep.status_url() + '/metrics', timeout=10)
    assert plain.headers['Content-Type'].startswith('text/plain')
    assert 'anvil_conductor_passthru_duration_seconds_bucket' in plain.text
    assert 'request_id' not in plain.text
    content_type, found = exemplars(dep.url, 'anvil_api_passthru_duration_seconds')
    assert content_type.startswith('application/openmetrics-text') and found == {}


def _finished(dep, location):
    record = requests.get(location, headers={'X-OpenStack-Ironic-API-Version': 'latest'},
                          timeout=10).json()
    return record if record['state'] not in ('queued', 'running') else None


def test_every_line_is_json_and_access_lines_carry_their_request(dep):
    """gunicorn's own lines too; and requests Flask never sees (/healthcheck,
    /metrics, an unknown path) log under their own request id, not a stale one."""
    ids = []
    for path in ('/healthcheck', '/metrics', '/nowhere', '/v1', '/healthcheck'):
        ids.append(requests.get(dep.url + path, timeout=30).headers['x-openstack-request-id'])
    wait_for(lambda: all(logged_under(dep.api, rid) for rid in ids[1:4]), 10,
             what='the access lines')
    api_lines = json_lines(dep.api)
    assert any(r['name'].startswith('gunicorn') for r in api_lines)
    access = [r for r in api_lines if r['name'] == 'anvil.api.access']
    assert access and all(r['context']['request_id'] in r['message'] for r in access), [
        (r['message'], r['context']['request_id']) for r in access
        if r['context']['request_id'] not in r['message']]
    assert json_lines(dep.conductors[dep.conductor_names[0]])


def test_all_in_one_exemplars(tmp_path):
    """One process, one registry: the API's passthru histogram has exemplars too."""
    with running_all_in_one(tmp_path, extra=JSON_LOGS) as aio:
        node = aio.create_node('aio-traced')
        resp = aio.post(NODE % (node['uuid'], 'third_method_sync'), {'bar': 'meow'})
        assert resp.status_code == 200, resp.text
        request_id = resp.headers['x-openstack-request-id']
        for metric in ('anvil_api_passthru_duration_seconds',
                       'anvil_conductor_passthru_duration_seconds'):
            assert exemplars(aio.url, metric)[1] == {'third_method_sync': {request_id}}
        assert any(r['name'] == 'anvil.api.access'
                   for r in logged_under(aio.process, request_id, strict=False))
