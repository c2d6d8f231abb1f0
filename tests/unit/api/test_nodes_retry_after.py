"""Retry-After on the answers clients retry (409 NodeLocked, 503), and on no other."""

import pytest

from anvil.api import errors
from anvil.common import exception
from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault

NODE_URL = '/v1/nodes/fake1/vendor_passthru'


@pytest.fixture
def locked(node, conf):
    """fake1 reserved by other-host; the conductor tries 4 times, 0.5 s apart."""
    conf.set_override('node_locked_retry_attempts', 4, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.5, group='conductor')
    db_api.update_node(node['uuid'], {'reservation': 'other-host'})
    return node


@pytest.mark.parametrize('method,body', [('second_method', {'bar': 'kazoo'}),
                                         ('third_method_sync', {'bar': 'meow'})])
def test_node_locked_409_says_when_to_retry(client, locked, method, body):
    resp = client.post('%s/%s' % (NODE_URL, method), json=body, headers=LATEST)
    assert resp.status_code == 409
    assert 'is locked by host other-host' in fault(resp)
    assert resp.headers['Retry-After'] == '2'  # as long as the conductor tried: 4 x 0.5 s


def test_no_live_conductor_503_says_when_to_retry(client, node, conductor, conf):
    conf.set_override('metadata_cache_ttl', 2.5, group='api')
    conductor.stop()
    resp = client.post('%s/third_method_sync' % NODE_URL, json={'bar': 'meow'},
                       headers=LATEST)
    assert resp.status_code == 503
    assert fault(resp) == ('No conductor is alive to serve driver fake-hardware, please '
                           'retry later.')
    assert resp.headers['Retry-After'] == '3'  # the API sees a new conductor within the ttl


@pytest.mark.parametrize('error,seconds', [
    (exception.NodeLocked(node='n', host='h'), 1),
    (exception.NoFreeConductor(driver='d'), 1),
    (exception.NoFreeConductorWorker(), 1),
    (exception.MessageBusUnavailable(reason='down'), 1),
    (exception.ConductorShuttingDown(host='h'), 1),
    (exception.DriverOperationError(method='m', reason='BMC down', code=503), 1),
    (exception.DuplicateName(name='n'), None),
    (exception.NodeAlreadyExists(uuid='u'), None),
    (exception.ConductorTimeout(host='h', timeout=1, monitor=1), None),
    (exception.InvalidParameterValue(err='x'), None),
    (exception.NodeNotFound(node='n'), None),
])
def test_retry_after_only_where_nothing_ran(conf, error, seconds):
    conf.set_override('node_locked_retry_interval', 0.1, group='conductor')
    conf.set_override('metadata_cache_ttl', 0.5, group='api')
    assert errors.retry_after(error) == seconds


def test_duplicate_name_409_has_no_retry_after(client, node):
    resp = client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'fake1'},
                       headers=LATEST)
    assert resp.status_code == 409
    assert 'Retry-After' not in resp.headers


@pytest.mark.parametrize('agent,header', [
    ('openstacksdk/4.22.0 keystoneauth1/5.18.1 python-requests/2.34.2', '2'),
    ('curl/8.0', '2'),
    ('python-ironicclient', None),  # it crashes on an error with Retry-After
    ('python-ironicclient keystoneauth1/5.18.1', None),
])
def test_no_retry_after_for_ironicclient(client, locked, agent, header):
    resp = client.post('%s/second_method' % NODE_URL, json={'bar': 'kazoo'},
                       headers=dict(LATEST, **{'User-Agent': agent}))
    assert resp.status_code == 409
    assert resp.headers.get('Retry-After') == header
