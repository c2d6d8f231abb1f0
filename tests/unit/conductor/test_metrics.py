"""The conductor's metrics: lock waits, the worker pool, async outcomes, its status port."""

import threading
import uuid

import prometheus_client
import pytest
import requests

from anvil.common import exception, rpc
from anvil.conductor import health, metrics, status_server
from tests.polling import wait_for


def value(name, **labels):
    return prometheus_client.REGISTRY.get_sample_value(name, labels) or 0.0


def test_lock_wait_acquired_and_locked(conductor, conf, node_id):
    conf.set_override('node_locked_retry_attempts', 2, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.05, group='conductor')
    locks = conductor.manager.locks
    acquired = value('anvil_conductor_lock_wait_seconds_count', outcome='acquired')
    locked = value('anvil_conductor_lock_wait_seconds_count', outcome='locked')
    locks.reserve(node_id)
    other = threading.Thread(target=lambda: pytest.raises(exception.NodeLocked,
                                                           locks.reserve, node_id))
    other.start()
    other.join(5)
    locks.release(node_id)
    assert value('anvil_conductor_lock_wait_seconds_count', outcome='acquired') == acquired + 1
    assert value('anvil_conductor_lock_wait_seconds_count', outcome='locked') == locked + 1
    # the refused one waited about (attempts - 1) x interval
    assert value('anvil_conductor_lock_wait_seconds_sum', outcome='locked') > 0.04


def test_running_and_queued_follow_the_pool(conductor):
    release = threading.Event()
    started = threading.Event()

    def job():
        started.set()
        release.wait(5)
    running = value('anvil_conductor_async_calls_running')
    future = conductor.manager.submit(job)
    started.wait(5)
    assert value('anvil_conductor_async_calls_running') == running + 1
    release.set()
    future.result(5)
    wait_for(lambda: value('anvil_conductor_async_calls_running') == running, 5)
    assert value('anvil_conductor_async_calls_queued') == 0


def test_full_pool_is_counted_as_rejected(make_conductor, conf):
    conf.set_override('workers_pool_size', 2, group='conductor')
    manager = make_conductor().manager
    release = threading.Event()
    rejected = value('anvil_conductor_worker_pool_rejected_total')
    futures = []
    with pytest.raises(exception.NoFreeConductorWorker):
        for _ in range(10):
            futures.append(manager.submit(release.wait, 5))
    release.set()
    for future in futures:
        future.result(5)
    assert value('anvil_conductor_worker_pool_rejected_total') == rejected + 1
    wait_for(lambda: value('anvil_conductor_async_calls_queued') == 0, 5)
    assert value('anvil_conductor_worker_pool_size') == 2


def test_history_pruned_counter(conductor):
    before = value('anvil_conductor_history_rows_pruned_total')
    metrics.history_pruned(7)
    metrics.history_pruned(0)
    assert value('anvil_conductor_history_rows_pruned_total') == before + 7


def test_driver_async_outcomes(conductor, ctx):
    import time
    before = value('anvil_conductor_async_calls_finished_total', scope='driver',
                   outcome='succeeded')
    conductor.manager.driver_vendor_passthru(ctx, 'fake-hardware', 'driver_echo', 'POST',
                                             {'a': 1}, sent_at=time.time())
    wait_for(lambda: value('anvil_conductor_async_calls_finished_total', scope='driver',
                           outcome='succeeded') == before + 1, 5)


# -- [conductor] metrics_port -------------------------------------------------

@pytest.fixture
def status(conductor, conf):
    conf.set_override('transport_url', 'fake://')
    rpc.cleanup()
    server = status_server.StatusServer('127.0.0.1', 0).start()
    yield 'http://127.0.0.1:%d' % server.port
    server.stop()
    rpc.cleanup()


def test_status_port_serves_metrics_and_health(status):
    resp = requests.get(status + '/metrics', timeout=5)
    assert resp.status_code == 200
    assert 'anvil_conductor_worker_pool_size 100.0' in resp.text
    health_resp = requests.get(status + '/healthcheck', timeout=5)
    assert health_resp.status_code == 200, health_resp.text
    assert health_resp.text == 'database OK\nmessage bus OK\nheartbeat OK'
    assert requests.get(status + '/elsewhere', timeout=5).status_code == 404


def test_status_port_tells_a_failing_heartbeat(status, conf, monkeypatch):
    monkeypatch.setattr(health._Liveness, 'last_heartbeat', -1e9)  # longer ago than any lease
    resp = requests.get(status + '/healthcheck', timeout=5)
    assert resp.status_code == 503
    assert resp.text.endswith('heartbeat failing')


def test_status_port_tells_a_stopping_conductor(status, monkeypatch):
    monkeypatch.setattr(health._Liveness, 'stopping', True)
    resp = requests.get(status + '/healthcheck', timeout=5)
    assert resp.status_code == 503
    assert resp.text.endswith('conductor stopping')


def test_status_server_is_off_by_default(conf):
    assert status_server.start_if_configured() is None


def _exemplars(accept):
    """{(scope, method): request ids} of the passthru histogram's buckets' exemplars."""
    from prometheus_client.openmetrics import parser

    from anvil.common import metrics as common_metrics
    body, content_type = common_metrics.exposition(accept)
    if not content_type.startswith('application/openmetrics-text'):
        return content_type, {}
    found = {}
    for family in parser.text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.name == 'anvil_conductor_passthru_duration_seconds_bucket' and s.exemplar:
                found.setdefault((s.labels['scope'], s.labels['method']), set()).add(
                    s.exemplar.labels['request_id'])
    return content_type, found


def test_passthru_latency_names_its_request_in_an_exemplar(conductor, node_id):
    """The bucket each call landed in names it (other buckets: earlier calls)."""
    from anvil.common.context import RequestContext
    ctx = RequestContext(request_id='req-%s' % uuid.uuid4())
    count = value('anvil_conductor_passthru_duration_seconds_count', scope='node',
                  method='third_method_sync')
    conductor.manager.vendor_passthru(ctx, node_id, 'third_method_sync', 'POST', {'bar': 'meow'})
    conductor.manager.driver_vendor_passthru(ctx, 'fake-hardware', 'driver_echo', 'POST', {})
    assert value('anvil_conductor_passthru_duration_seconds_count', scope='node',
                 method='third_method_sync') == count + 1
    content_type, found = _exemplars('application/openmetrics-text; version=1.0.0')
    assert content_type.startswith('application/openmetrics-text')
    assert ctx.request_id in found[('node', 'third_method_sync')]
    assert ctx.request_id in found[('driver', 'driver_echo')]
    # Prometheus' text format (no Accept, or text/plain) has no exemplars
    assert _exemplars(None)[0].startswith('text/plain')
