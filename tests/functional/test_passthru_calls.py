"""Async calls followed from their 202 to their outcome, on real processes.

anvil-api and three anvil-conductors on RabbitMQ and PostgreSQL, each
conductor with a configuration of its own so that every outcome can be
provoked by choosing whom a call goes to: the first fails every vendor
method (a bad ``[fake] vendor_delay``), the second runs them, the third
denies the async methods (a deny list only the conductor has, as when the
operator changed it after the API accepted the call). Node calls go to the
owner of the node; driver calls go round robin over the three.
"""

import signal

import pytest
import sqlalchemy

from tests.functional.deployment import Deployment, fault, running_deployment, wait_for

NODE_CALL = '/v1/nodes/%s/vendor_passthru/second_method'
DRIVER_CALL = '/v1/drivers/fake-hardware/vendor_passthru/driver_noop'
FINISHED = ('succeeded', 'failed', 'refused', 'expired')
DENIED = ('The method %s of driver fake-hardware is disabled by the operator.')


class Personalities(Deployment):
    """Conductor 1 fails, 2 succeeds, 3 refuses (see the module docstring)."""

    def sections(self, host=None):
        sections = super().sections(host)
        if host == self.conductor_names[0]:
            sections['fake'] = {'vendor_delay': 'soon'}
        elif host == self.conductor_names[2]:
            # a multi-valued option: two lines (oslo.config strips the key's space)
            sections['api']['passthru_deny'] = 'fake-hardware:second_method'
            sections['api']['passthru_deny '] = 'fake-hardware:driver_noop'
        return sections

    def expected(self, host):
        outcomes = ('failed', 'succeeded', 'refused')
        return dict(zip(self.conductor_names, outcomes, strict=True))[host]


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    with running_deployment(tmp_path_factory.mktemp('calls'), conductors=3,
                            cls=Personalities) as d:
        yield d


@pytest.fixture(scope='module')
def nodes(dep):
    """{conductor name: a node it owns}."""
    owned = {}
    for i in range(60):
        node = dep.create_node('call-%d' % i)
        owned.setdefault(dep.owner(node['uuid']), node)
        if len(owned) == len(dep.conductor_names):
            return owned
    raise AssertionError('no node for every conductor: %s' % sorted(owned))


def accepted(resp):
    """The Location of a 202, after checking it names the request id."""
    assert resp.status_code == 202, resp.text
    assert resp.content == b''
    request_id = resp.headers['x-openstack-request-id']
    location = resp.headers['Location']
    assert location.endswith('/v1/passthru_calls/%s' % request_id), location
    return location


def final(dep, location, timeout=30):
    def finished():
        call = _get(dep, location)
        return call if call['state'] in FINISHED else None
    return wait_for(finished, timeout, what='an outcome at %s' % location)


def _get(dep, location):
    assert location.startswith(dep.url + '/'), location
    resp = dep.get(location[len(dep.url):])
    assert resp.status_code == 200, resp.text
    return resp.json()


def check_outcome(dep, call, host, method):
    assert call['conductor'] == host, call
    state = dep.expected(host)
    assert call['state'] == state, call
    assert call['accepted_at'] <= call['finished_at']
    if state == 'succeeded':
        assert call['error'] is None and call['started_at'] is not None
    elif state == 'failed':
        assert call['error'].startswith('[fake] vendor_delay must be'), call
    else:
        assert call['error'] == DENIED % method, call
        assert call['started_at'] is None


def test_node_calls_reach_every_outcome(dep, nodes):
    for host, node in nodes.items():
        location = accepted(dep.post(NODE_CALL % node['uuid'], {'bar': 'kazoo'}))
        call = final(dep, location)
        assert (call['node_uuid'], call['driver'], call['method'], call['http_method']) == (
            node['uuid'], 'fake-hardware', 'second_method', 'POST')
        check_outcome(dep, call, host, 'second_method')
        if call['state'] == 'succeeded':
            assert call['result'] is True
        # the node's history tells the same story under the same request id
        outcome = [e for e in dep.history(node['uuid'])
                   if e['request_id'] == call['request_id'] and 'started' not in e['event']]
        assert [e['event'].split(':')[0] for e in outcome] == [
            'Vendor passthru second_method %s' % call['state']]


def test_driver_calls_reach_every_outcome(dep):
    seen = {}
    for _ in range(4 * len(dep.conductor_names)):
        call = final(dep, accepted(dep.post(DRIVER_CALL, {})))
        assert call['node_uuid'] is None and call['method'] == 'driver_noop'
        check_outcome(dep, call, call['conductor'], 'driver_noop')
        seen[call['conductor']] = call['state']
        if len(seen) == len(dep.conductor_names):
            break
    assert sorted(seen) == sorted(dep.conductor_names)


def test_refused_when_the_node_is_locked_after_the_202(dep, nodes):
    """The owner is paused, so the call waits in its queue while another host takes the
    node's lock; resumed, the owner cannot lock the node and refuses the call."""
    host = dep.conductor_names[1]
    node = nodes[host]
    proc = dep.conductors[host]
    proc.send_signal(signal.SIGSTOP)
    try:
        location = accepted(dep.post(NODE_CALL % node['uuid'], {'bar': 'kazoo'}))
        assert _get(dep, location)['state'] == 'queued'
        assert _get(dep, location)['conductor'] == host
        dep.set_reservation(node['uuid'], 'other-host')
    finally:
        proc.send_signal(signal.SIGCONT)
    try:
        call = final(dep, location)
    finally:
        dep.set_reservation(node['uuid'], None)
    assert call['state'] == 'refused', call
    assert 'locked by host other-host' in call['error']
    assert call['started_at'] is not None  # taken up, then refused at the lock


def test_unknown_call_is_404(dep):
    resp = dep.get('/v1/passthru_calls/req-00000000-0000-0000-0000-000000000000')
    assert resp.status_code == 404
    assert fault(resp)['faultstring'] == ('Passthru call req-00000000-0000-0000-0000-'
                                          '000000000000 could not be found.')


# -- a conductor dies ----------------------------------------------------------------------

def test_calls_of_a_killed_conductor_expire_or_fail(tmp_path):
    """SIGKILL the owner while one call runs on it and just before another is sent:
    the queued one expires unstarted (never runs, even once a survivor reads the dead
    queue), the running one is marked failed once the owner's heartbeat is stale."""
    extra = {'conductor': {'async_cast_ttl': 2}, 'fake': {'vendor_delay': '4'}}
    with running_deployment(tmp_path, extra=extra) as dep:
        owned = {}
        for i in range(40):
            node = dep.create_node('k-%d' % i)
            owned.setdefault(dep.owner(node['uuid']), []).append(node)
            if any(len(v) >= 2 for v in owned.values()):
                break
        owner, (busy, idle) = next((h, v[:2]) for h, v in owned.items() if len(v) >= 2)
        running = accepted(dep.post(NODE_CALL % busy['uuid'], {'bar': 'kazoo'}))
        # "running" is the claim; the method starts once the node is locked, in the
        # transaction that writes "started": killed in between, it did not run
        request_id = _get(dep, running)['request_id']
        wait_for(lambda: [e for e in dep.history(busy['uuid'])
                          if e['request_id'] == request_id and 'started' in e['event']],
                 10, what='started')
        proc = dep.conductors[owner]
        proc.send_signal(signal.SIGKILL)
        proc.popen.wait(10)
        queued = accepted(dep.post(NODE_CALL % idle['uuid'], {'bar': 'kazoo'}))

        call = final(dep, queued, timeout=20)
        assert call['state'] == 'expired', call
        assert call['started_at'] is None
        call = final(dep, running, timeout=40)
        assert call['state'] == 'failed', call
        assert 'while it ran; it may have run in part' in call['error']
        # the survivor reads the dead owner's queue, and still does not run the call
        wait_for(lambda: not dep.conductor_alive(owner), 30, what='owner dead')
        wait_for(lambda: dep.node(idle['uuid'])['conductor'] != owner, 30, what='moved')
        resp = dep.post(NODE_CALL % idle['uuid'], {'bar': 'kazoo'})
        final(dep, accepted(resp), timeout=30)  # the survivor serves the node
        assert not [e for e in dep.history(idle['uuid'])
                    if e['request_id'] == call['request_id'] and 'started' in e['event']]
        assert _get(dep, queued)['state'] == 'expired'


# -- the all-in-one ------------------------------------------------------------------------

def test_all_in_one_node_and_driver_calls(all_in_one):
    node = all_in_one.create_node('aio-call')
    for path, body in ((NODE_CALL % node['uuid'], {'bar': 'kazoo'}), (DRIVER_CALL, {})):
        call = final(all_in_one, accepted(all_in_one.post(path, body)))
        assert call['state'] == 'succeeded', call
        assert call['conductor'] is not None


# -- pruning --------------------------------------------------------------------------------

def _age_rows(dep, table, column, ids, days):
    """Make rows ``days`` old, straight in the deployment's database."""
    engine = sqlalchemy.create_engine(dep.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(
                'UPDATE %s SET %s = %s - make_interval(days => :days) WHERE id = ANY(:ids)'
                % (table, column, column)), {'days': days, 'ids': list(ids)})
    finally:
        engine.dispose()


def _ids(dep, table, where, **params):
    engine = sqlalchemy.create_engine(dep.db_url)
    try:
        with engine.begin() as conn:
            return [r[0] for r in conn.execute(sqlalchemy.text(
                'SELECT id FROM %s WHERE %s ORDER BY id' % (table, where)), params)]
    finally:
        engine.dispose()


def test_the_conductor_prunes_old_entries_past_the_newest(tmp_path):
    """Keep 2 per node, and anything younger than a day: only rows both old and past
    the newest 2 go, history events and finished call records alike."""
    extra = {'conductor': {'node_history_max_entries': 2, 'node_history_minimum_days': 1,
                           'node_history_cleanup_interval': 1}}
    with running_deployment(tmp_path, extra=extra, conductors=1) as dep:
        node = dep.create_node('pruned')
        locations, calls = [], []
        for _ in range(4):  # one after the other: a call still holding the lock is a 409
            locations.append(accepted(dep.post(NODE_CALL % node['uuid'], {'bar': 'kazoo'})))
            calls.append(final(dep, locations[-1]))
            wait_for(lambda: dep.node(node['uuid'])['reservation'] is None, 30,
                     what='the node released')
        assert [c['state'] for c in calls] == ['succeeded'] * 4
        node_id = _ids(dep, 'nodes', 'uuid = :uuid', uuid=node['uuid'])[0]
        events = _ids(dep, 'node_history', 'node_id = :n', n=node_id)
        records = _ids(dep, 'passthru_calls', 'node_id = :n', n=node_id)
        assert (len(events), len(records)) == (8, 4)
        # all younger than a day: the runs (every second) keep them all
        assert 'Pruned' not in dep.conductors[dep.conductor_names[0]].log()
        # the oldest 5 events and the oldest record become two days old: of the rows
        # past the newest 2, those still younger than a day stay (events[5], records[1])
        _age_rows(dep, 'node_history', 'created_at', events[:5], 2)
        _age_rows(dep, 'passthru_calls', 'accepted_at', records[:1], 2)
        wait_for(lambda: len(_ids(dep, 'node_history', 'node_id = :n', n=node_id)) == 3, 30,
                 what='old history pruned')
        wait_for(lambda: len(_ids(dep, 'passthru_calls', 'node_id = :n', n=node_id)) == 3,
                 30, what='old call records pruned')
        assert _ids(dep, 'node_history', 'node_id = :n', n=node_id) == events[5:]
        assert _ids(dep, 'passthru_calls', 'node_id = :n', n=node_id) == records[1:]
        assert dep.get(locations[0][len(dep.url):]).status_code == 404
        assert _get(dep, locations[3])['state'] == 'succeeded'
