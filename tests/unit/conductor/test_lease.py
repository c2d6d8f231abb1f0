"""Leases: renewal, self-fencing, who may take over, and the outcome of interrupted calls."""

import time

import pytest

from anvil.api import hash_ring
from anvil.common import exception, local_rpc
from anvil.conductor import async_outcome
from anvil.conductor.lease import Lease
from anvil.db import api as db_api
from anvil.db import conductors as db_conductors
from anvil.db import history
from tests import reservation_race
from tests.polling import wait_for
from tests.unit.history_events import event_texts, wait_for_event


@pytest.fixture
def short_lease(conf):
    """A lease of 1 s that fences 0.7 s before its end."""
    conf.set_override('heartbeat_timeout', 1.0, group='conductor')
    conf.set_override('lease_fence_margin', 0.7, group='conductor')


def _ok():
    return None


def _fail():
    raise ConnectionError('database gone')


def test_a_lease_never_renewed_is_fenced(short_lease):
    lease = Lease('h1')
    assert not lease.valid()
    with pytest.raises(exception.ConductorFenced) as e:
        lease.check()
    assert e.value.code == 503


def test_a_renewed_lease_fences_itself_before_it_ends(short_lease):
    lease = Lease('h1')
    lease.renew(_ok)
    lease.check()
    wait_for(lambda: not lease.valid(), 2, what='lease fenced')
    assert lease.age() < 1.0   # fenced while the others still count it as held
    with pytest.raises(exception.ConductorFenced):
        lease.check()
    lease.renew(_ok)
    lease.check()


def test_a_failed_renewal_is_raised_and_extends_nothing(short_lease):
    lease = Lease('h1')
    lease.renew(_ok)
    with pytest.raises(ConnectionError):
        lease.renew(_fail)
    wait_for(lambda: not lease.valid(), 2, what='lease fenced')


def test_judging_others_needs_a_whole_lease_without_a_gap(short_lease):
    lease = Lease('h1')
    lease.renew(_ok)
    assert not lease.may_judge_others()

    def renewed_and_judging():
        lease.renew(_ok)
        return lease.may_judge_others()
    wait_for(renewed_and_judging, 3, what='a whole lease of renewals')
    with pytest.raises(ConnectionError):
        lease.renew(_fail)
    assert not lease.may_judge_others()   # after a gap, a whole lease again
    lease.renew(_ok)
    assert not lease.may_judge_others()


def test_a_fenced_conductor_runs_nothing(conductor, ctx, node_id, conf, short_lease):
    lease = Lease(conductor.host)   # never renewed: a conductor cut from its database
    conductor.manager.lease = lease
    rpc = local_rpc.LocalClient(conductor.manager)
    with pytest.raises(exception.ConductorFenced):
        rpc.prepare(timeout=5).call(ctx, 'vendor_passthru', node_id=node_id,
                                    driver_method='third_method_sync', http_method='POST',
                                    info={'bar': 'meow'})
    with pytest.raises(exception.ConductorFenced):
        rpc.prepare(timeout=5).call(ctx, 'driver_vendor_passthru', driver_name='fake-hardware',
                                    driver_method='driver_echo', http_method='POST', info={})
    rpc.prepare().cast(ctx, 'vendor_passthru', node_id=node_id, driver_method='second_method',
                       http_method='POST', info={'bar': 'kazoo'}, sent_at=time.time(),
                       driver='fake-hardware', vendor_interface='fake')
    event = wait_for_event(node_id, 'second_method refused')
    assert 'could not renew its lease' in event['event']
    assert db_api.get_node_by_id(node_id)['reservation'] is None
    lease.renew(_ok)   # the database is back: work again
    reply = rpc.prepare(timeout=5).call(ctx, 'vendor_passthru', node_id=node_id,
                                        driver_method='third_method_sync', http_method='POST',
                                        info={'bar': 'meow'})
    assert reply['return'] is True


def test_a_fenced_conductor_answers_503_through_the_api(client, conductor, make_node,
                                                        short_lease):
    node = make_node('fenced')
    conductor.manager.lease = Lease(conductor.host)
    resp = client.post('/v1/nodes/%s/vendor_passthru/third_method_sync' % node['uuid'],
                       json={'bar': 'meow'})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert 'could not renew its lease' in resp.get_data(as_text=True)


def test_an_async_call_cut_short_by_a_death_gets_one_outcome(db, make_node):
    node = make_node('interrupted')
    started = {'event': 'Vendor passthru second_method started', 'conductor': 'dead',
               'user': 'alice', 'request_id': 'req-1'}
    reservation_race.register('dead')
    db_api.reserve_node('dead', node['id'], history=started)
    reservation_race.age_conductor('dead', 120)

    released = db_conductors.release_stale_reservations(60)
    assert [(n, h) for n, h, _ in released] == [(node['id'], 'dead')]
    async_outcome.record_interrupted(released)
    assert event_texts(node['id']) == [
        'Vendor passthru second_method started',
        'Vendor passthru second_method failed: conductor dead stopped renewing its lease '
        'while it ran; it may have run in part']
    assert db_api.get_node_by_id(node['id'])['last_error'].startswith(
        'Vendor passthru second_method failed')
    # the frozen holder thaws, finishes and releases: no second outcome
    finished = {'event': 'Vendor passthru second_method succeeded: returned True',
                'conductor': 'dead', 'user': 'alice', 'request_id': 'req-1'}
    assert db_api.release_node('dead', node['id'], history=finished) is False
    assert len(history.list_events(node['id'])) == 2


def test_a_lock_released_by_a_survivor_without_a_started_event_records_nothing(db, make_node):
    node = make_node('sync-held')
    reservation_race.register('dead')
    db_api.reserve_node('dead', node['id'])    # a sync call: no history
    reservation_race.age_conductor('dead', 120)
    async_outcome.record_interrupted(db_conductors.release_stale_reservations(60))
    assert event_texts(node['id']) == []


def test_the_topology_is_read_again_when_a_lease_in_it_may_be_over(db, conf):
    conf.set_override('heartbeat_timeout', 1.0, group='conductor')
    reservation_race.register('c1')
    reservation_race.register('c2')
    cache = hash_ring.TopologyCache(ttl=3600)
    assert set(cache.get().conductors) == {'c1', 'c2'}
    assert 0 < cache.get().valid_for <= 1.0

    def c2_gone():
        db_conductors.heartbeat('c1')   # c1 renews, c2 has fallen silent
        return set(cache.get().conductors) == {'c1'}
    wait_for(c2_gone, 3, what='c2 leaves the cached topology')


def test_lease_left_follows_the_database_clock(db):
    reservation_race.register('c1')
    reservation_race.register('c2')
    reservation_race.age_conductor('c2', 100)
    left = {c['hostname']: c['lease_left'] for c in db_conductors.list_conductors(60)}
    assert 55 < left['c1'] <= 60
    assert -45 < left['c2'] < -35
    db_conductors.unregister_conductor('c1')
    assert db_conductors.get_conductor('c1', 60)['lease_left'] == 0.0
