"""ConductorService: registration, and a clean stop that leaves nothing behind."""

import time

import pytest

from anvil.common import exception, local_rpc
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from tests.unit.api.helpers import LATEST, fault
from tests.unit.history_events import event_texts, wait_for_event


def _conductor_row(host='test-host'):
    return db_conductors.get_conductor(host, 60)


def _reserve(node, host):
    db_api.update_node(node['uuid'], {'reservation': host})


def test_start_registers_alive_with_drivers(conductor):
    row = _conductor_row()
    assert (row['alive'], row['online'], row['drivers']) == (True, True, ['fake-hardware'])


def test_start_releases_locks_left_by_an_earlier_run(make_conductor, make_node):
    node = make_node('n1')
    _reserve(node, 'test-host')
    make_conductor()
    assert db_api.get_node(node['uuid'])['reservation'] is None


def test_start_gives_an_outcome_to_the_async_call_its_crashed_run_held(make_conductor,
                                                                        make_node):
    """Restarted at once after a crash, before any survivor judged it dead, the
    conductor frees its old locks itself; an async call that held one (its
    "started" is the node's newest event) gets its failed outcome in history, as
    when a survivor frees the lock. Before, the history kept "started" and
    nothing after it (found reading the restart path while auditing the chaos soak)."""
    node, sync_held = make_node('n1'), make_node('n2')
    started = {'event': 'Vendor passthru second_method started', 'conductor': 'test-host',
               'user': 'alice', 'request_id': 'req-1'}
    db_api.reserve_node('test-host', node['id'], history=started)
    db_api.reserve_node('test-host', sync_held['id'])    # a sync call: no history
    make_conductor()
    assert db_api.get_node(node['uuid'])['reservation'] is None
    assert db_api.get_node(sync_held['uuid'])['reservation'] is None
    assert event_texts(node['id']) == [
        'Vendor passthru second_method started',
        'Vendor passthru second_method failed: conductor test-host stopped while it ran; '
        'it may have run in part']
    assert event_texts(sync_held['id']) == []


def test_stop_releases_its_reservations_only(conductor, make_node):
    mine, theirs = make_node('mine'), make_node('theirs')
    _reserve(mine, 'test-host')
    _reserve(theirs, 'other-host')
    conductor.stop()
    assert db_api.get_node('mine')['reservation'] is None
    assert db_api.get_node('theirs')['reservation'] == 'other-host'


def test_stop_marks_the_conductor_offline(conductor):
    conductor.stop()
    row = _conductor_row()
    assert (row['alive'], row['online']) == (False, False)


@pytest.mark.parametrize('method,kwargs', [
    ('vendor_passthru', {'driver_method': 'third_method_sync', 'info': {'bar': 'x'}}),
    ('driver_vendor_passthru', {'driver_name': 'fake-hardware', 'driver_method': 'driver_echo',
                                'info': {}}),
])
def test_stopped_conductor_refuses_new_work(conductor, ctx, node_id, method, kwargs):
    conductor.stop()
    if method == 'vendor_passthru':
        kwargs = dict(kwargs, node_id=node_id)
    rpc = local_rpc.LocalClient(conductor.manager)
    with pytest.raises(exception.ConductorShuttingDown) as e:
        rpc.prepare(timeout=5).call(ctx, method, http_method='POST', **kwargs)
    rpc.shutdown()
    assert e.value.code == 503


def test_stop_lets_running_methods_finish(conductor, conf, ctx, node_id):
    conf.set_override('vendor_delay', '0.3', group='fake')
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', {'bar': 'kazoo'},
                                      sent_at=time.time())
    wait_for_event(node_id, 'started')
    conductor.stop()
    wait_for_event(node_id, 'succeeded', timeout=0)
    assert db_api.get_node_by_id(node_id)['reservation'] is None


def test_stop_twice_is_harmless(conductor):
    conductor.stop()
    conductor.stop()
    assert _conductor_row()['online'] is False


def test_api_answers_503_while_the_conductor_shuts_down(client, conductor, node):
    conductor.manager.stop_accepting()
    resp = client.post('/v1/nodes/fake1/vendor_passthru/third_method_sync',
                       json={'bar': 'meow'}, headers=LATEST)
    assert resp.status_code == 503
    assert fault(resp) == 'Conductor test-host is shutting down, please retry.'


def test_api_answers_503_once_the_conductor_is_gone(client, conductor, node):
    conductor.stop()
    resp = client.post('/v1/nodes/fake1/vendor_passthru/second_method',
                       json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 503
    assert fault(resp) == ('No conductor is alive to serve driver fake-hardware, '
                           'please retry later.')
