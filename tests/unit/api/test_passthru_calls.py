"""Async calls followed from their 202 to their outcome: GET /v1/passthru_calls/<id>.

The real app and a real conductor (in-process dispatcher). Refusals that the
API's own checks would catch first (deny list, lock) are provoked at the
conductor, as they happen when the node or the configuration changes after
the 202; the record is then read through the API.
"""

import datetime
import time

import flask
import pytest
from oslo_utils.timeutils import utcnow
from werkzeug.exceptions import HTTPException

from anvil.api import passthru_calls as calls_api
from anvil.common import exception
from anvil.common.context import RequestContext
from anvil.db import api as db_api
from anvil.db import passthru_calls
from tests.polling import wait_for
from tests.unit.api.helpers import LATEST, fault
from tests.unit.history_events import events

NODE_CALL = '/v1/nodes/fake1/vendor_passthru/second_method'
DRIVER_CALL = '/v1/drivers/fake-hardware/vendor_passthru/driver_noop'


def _call(client, url, body):
    """POST an async call; returns (request id, Location) after checking the 202."""
    resp = client.post(url, json=body, headers=LATEST)
    assert resp.status_code == 202, resp.data
    assert resp.data == b''
    request_id = resp.headers['x-openstack-request-id']
    assert resp.headers['Location'] == 'http://localhost/v1/passthru_calls/%s' % request_id
    return request_id, resp.headers['Location']


def _final(client, location, timeout=5.0):
    """The call once it has an outcome (polled)."""
    def finished():
        body = client.get(location, headers=LATEST).get_json()
        return body if body['state'] in passthru_calls.FINISHED else None
    return wait_for(finished, timeout, what='an outcome at %s' % location)


def _times_in_order(call):
    accepted, started, finished = (datetime.datetime.fromisoformat(call[k]) for k in
                                   ('accepted_at', 'started_at', 'finished_at'))
    assert accepted <= started <= finished


def test_node_call_from_202_to_success(client, node):
    request_id, location = _call(client, NODE_CALL, {'bar': 'kazoo'})
    call = _final(client, location)
    assert call['state'] == 'succeeded'
    assert {k: call[k] for k in ('request_id', 'node_uuid', 'driver', 'method', 'http_method',
                                 'conductor', 'result', 'result_truncated', 'error')} == {
        'request_id': request_id, 'node_uuid': node['uuid'], 'driver': 'fake-hardware',
        'method': 'second_method', 'http_method': 'POST', 'conductor': 'test-host',
        'result': True, 'result_truncated': False, 'error': None}
    _times_in_order(call)
    assert call['links'][0]['href'] == location
    assert {e['request_id'] for e in events(node['uuid'])} == {request_id}


def test_node_call_failure_carries_the_error(client, node, conf):
    conf.set_override('vendor_delay', 'soon', group='fake')
    _, location = _call(client, NODE_CALL, {'bar': 'kazoo'})
    call = _final(client, location)
    assert call['state'] == 'failed'
    assert call['error'].startswith('[fake] vendor_delay must be')
    assert call['result'] is None
    _times_in_order(call)


def test_driver_call_from_202_to_success(client, conductor):
    _, location = _call(client, DRIVER_CALL, {})
    call = _final(client, location)
    assert (call['state'], call['node_uuid'], call['driver'], call['method'],
            call['conductor'], call['result']) == (
        'succeeded', None, 'fake-hardware', 'driver_noop', 'test-host', None)
    _times_in_order(call)


def test_driver_call_failure(client, conductor, conf):
    conf.set_override('vendor_delay', 'soon', group='fake')
    _, location = _call(client, DRIVER_CALL, {})
    call = _final(client, location)
    assert call['state'] == 'failed'
    assert '[fake] vendor_delay must be' in call['error']


def test_a_cast_that_cannot_be_sent_leaves_no_record(client, node, conductor):
    conductor.stop()
    resp = client.post(NODE_CALL, json={'bar': 'kazoo'}, headers=LATEST)
    assert resp.status_code == 503
    assert 'Location' not in resp.headers
    assert passthru_calls.get(resp.headers['x-openstack-request-id']) is None


def test_unknown_call_is_404(client, conductor):
    resp = client.get('/v1/passthru_calls/req-nosuch', headers=LATEST)
    assert resp.status_code == 404
    assert fault(resp) == 'Passthru call req-nosuch could not be found.'


# -- refusals and expiry at the conductor ----------------------------------------------

def _accepted(node_id, method='second_method', accepted_at=None, driver='fake-hardware'):
    """A call recorded as the API records it; returns its context."""
    ctx = RequestContext(user_id='alice')
    passthru_calls.accept(ctx.request_id, accepted_at=accepted_at, node_id=node_id,
                          driver=driver, method=method, http_method='POST',
                          conductor='test-host')
    return ctx


def _id(node):
    return db_api.get_node(node['uuid'])['id']


def _cast(conductor, ctx, node_id, sent_at=None):
    conductor.manager.vendor_passthru(ctx, node_id, 'second_method', 'POST', {'bar': 'kazoo'},
                                      sent_at=time.time() if sent_at is None else sent_at)


def _state(client, ctx):
    return client.get('/v1/passthru_calls/%s' % ctx.request_id, headers=LATEST).get_json()


def test_refused_by_the_conductors_deny_list(client, node, conductor, conf):
    ctx = _accepted(_id(node))
    conf.set_override('passthru_deny', ['fake-hardware:second_method'], group='api')
    _cast(conductor, ctx, _id(node))
    call = _state(client, ctx)
    assert call['state'] == 'refused'
    assert call['error'] == ('The method second_method of driver fake-hardware is disabled '
                             'by the operator.')
    assert call['started_at'] is None and call['finished_at'] is not None


def test_refused_when_the_node_stays_locked(client, node, conductor, conf):
    conf.set_override('node_locked_retry_attempts', 1, group='conductor')
    db_api.update_node(node['uuid'], {'reservation': 'other-host'})
    ctx = _accepted(_id(node))
    _cast(conductor, ctx, _id(node))
    call = wait_for(lambda: (lambda c: c if c['state'] in passthru_calls.FINISHED else None)(
        _state(client, ctx)))
    assert call['state'] == 'refused'
    assert 'locked by host other-host' in call['error']


def test_expired_when_read_after_the_ttl(client, node, conductor, conf):
    conf.set_override('async_cast_ttl', 5, group='conductor')
    ctx = _accepted(_id(node))
    _cast(conductor, ctx, _id(node), sent_at=time.time() - 30)
    call = _state(client, ctx)
    assert call['state'] == 'expired'
    assert 'more than async_cast_ttl' in call['error']


def test_never_started_call_expires_and_then_never_runs(client, node, conductor, conf):
    """A queued call past async_cast_ttl + max_clock_skew is expired (by the read here);
    a cast of it read later still does not run."""
    conf.set_override('async_cast_ttl', 5, group='conductor')
    conf.set_override('max_clock_skew', 1, group='conductor')
    fresh = _accepted(_id(node))
    ctx = _accepted(_id(node), accepted_at=utcnow() - datetime.timedelta(seconds=7))
    assert _state(client, fresh)['state'] == 'queued'
    call = _state(client, ctx)
    assert call['state'] == 'expired'
    assert call['started_at'] is None
    assert 'Not started by any conductor' in call['error']
    _cast(conductor, ctx, _id(node))  # e.g. a survivor reading the dead owner's queue
    assert _state(client, ctx)['state'] == 'expired'
    assert not [e for e in events(node['uuid']) if e['request_id'] == ctx.request_id
                and 'started' in e['event']]
    # one outcome on the node too: the expiry's, not a second one from the late cast
    expired, = [e for e in events(node['uuid']) if e['request_id'] == ctx.request_id]
    assert ' expired: ' in expired['event']


def test_a_redelivered_cast_runs_once(client, node, conductor):
    ctx = _accepted(_id(node))
    _cast(conductor, ctx, _id(node))
    wait_for(lambda: _state(client, ctx)['state'] == 'succeeded')
    _cast(conductor, ctx, _id(node))
    started = [e for e in events(node['uuid']) if e['event'].endswith('started')]
    assert len(started) == 1


# -- who may see a call ------------------------------------------------------------------

def _show_as(client, request_id, **identity):
    """Run the handler as a caller with ``identity`` (the real policy enforcer)."""
    app = client.application
    with app.test_request_context('/v1/passthru_calls/%s' % request_id):
        flask.g.context = RequestContext(**identity)
        try:
            return calls_api.show_call(request_id).status_code
        except exception.AnvilException as e:
            return e.code
        except HTTPException as e:
            return e.code


@pytest.fixture
def owned_call(client, node):
    """A finished call on fake1, owned by project p-owner and leased to p-lessee."""
    db_api.update_node(node['uuid'], {'owner': 'p-owner', 'lessee': 'p-lessee'})
    _, location = _call(client, NODE_CALL, {'bar': 'kazoo'})
    return _final(client, location)['request_id']


@pytest.mark.parametrize('identity,status', [
    ({'project_id': 'p-owner', 'roles': ['reader']}, 200),
    ({'project_id': 'p-lessee', 'roles': ['member', 'reader']}, 200),
    ({'project_id': 'p-other', 'roles': ['admin', 'member', 'reader']}, 404),
    ({'project_id': 'p-owner', 'roles': []}, 404),
    ({'system_scope': 'all', 'roles': ['reader']}, 200),
    ({'system_scope': 'all', 'roles': []}, 403),
])
def test_node_call_visible_to_who_sees_the_node(client, owned_call, identity, status):
    assert _show_as(client, owned_call, **identity) == status


def test_driver_call_invisible_to_projects(client, conductor):
    _, location = _call(client, DRIVER_CALL, {})
    request_id = _final(client, location)['request_id']
    assert _show_as(client, request_id, project_id='p1', roles=['admin', 'reader']) == 404
    assert _show_as(client, request_id, system_scope='all', roles=['reader']) == 200
