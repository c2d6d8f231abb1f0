"""openstacksdk 4.22.0 against both deployments (multi-process and all-in-one).

The SDK connects with no authentication and an endpoint override
(``openstack.connect(auth_type='none', baremetal_endpoint_override=URL)``),
discovers the version at ``/v1/``, and uses the query form
``/vendor_passthru?method=M``. For driver passthru it first GETs the driver,
then lists and calls with NO version header at all, so those requests run at
the minimum version (1.1) -- which the reply's version header shows.
"""

import openstack
import pytest
from openstack import exceptions

from tests.functional.deployment import wait_for

VERSION_HEADER = 'X-OpenStack-Ironic-API-Version'

# The SDK's warnings about its own future (RemovedInSDK50/60Warning) are not ours.
pytestmark = pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')


@pytest.fixture(scope='module')
def conn(target):
    connection = openstack.connect(auth_type='none', baremetal_endpoint_override=target.url,
                                   load_envvars=False, load_yaml_config=False)
    yield connection
    connection.close()


def test_discovery_and_drivers(conn, target):
    assert conn.baremetal.get_endpoint().rstrip('/') == target.url + '/v1'
    drivers = {d.name: d for d in conn.baremetal.drivers()}
    assert list(drivers) == ['fake-hardware']
    assert sorted(drivers['fake-hardware'].hosts) == sorted(target.conductor_names)
    driver = conn.baremetal.get_driver('fake-hardware')
    assert driver.default_vendor_interface == 'fake'
    with pytest.raises(exceptions.NotFoundException):
        conn.baremetal.get_driver('no-such-driver')


def test_conductors(conn, target):
    conductors = {c.hostname: c for c in conn.baremetal.conductors()}
    for name in target.conductor_names:
        assert conductors[name].alive is True
    shown = conn.baremetal.get_conductor(target.conductor_names[0])
    assert shown.drivers == ['fake-hardware']


def test_node_create_get_list_delete(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-node')
    assert node.name == 'sdk-node'
    assert node.driver == 'fake-hardware'
    assert node.provision_state == 'enroll'
    assert node.vendor_interface == 'fake'
    assert conn.baremetal.get_node('sdk-node').id == node.id
    assert node.id in [n.id for n in conn.baremetal.nodes()]
    conn.baremetal.delete_node(node)
    with pytest.raises(exceptions.NotFoundException) as e:
        conn.baremetal.get_node('sdk-node')
    assert 'Node sdk-node could not be found.' in str(e.value)


def test_node_vendor_passthru_list(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-list')
    methods = conn.baremetal.list_node_vendor_passthru(node)
    assert sorted(methods) == ['download_log', 'fourth_method_shared_lock', 'log_passthrough',
                               'second_method', 'third_method_sync']
    assert methods['third_method_sync'] == {
        'http_methods': ['POST'], 'async': False, 'attach': False,
        'description': 'Test if the value of bar is meow', 'require_exclusive_lock': True}
    assert methods['download_log']['attach'] is True
    assert methods['fourth_method_shared_lock']['require_exclusive_lock'] is False


def test_node_vendor_passthru_sync(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-sync')
    resp = conn.baremetal.call_node_vendor_passthru(node, 'POST', 'third_method_sync',
                                                    {'bar': 'meow'})
    assert resp.status_code == 200
    assert resp.json() is True
    assert resp.url.endswith('/v1/nodes/%s/vendor_passthru?method=third_method_sync' % node.id)
    resp = conn.baremetal.call_node_vendor_passthru('sdk-sync', 'POST', 'third_method_sync',
                                                    {'bar': 'woof'})
    assert resp.json() is False
    assert conn.baremetal.get_node(node.id).reservation is None


def test_node_vendor_passthru_attachment(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-attach')
    resp = conn.baremetal.call_node_vendor_passthru(node, 'GET', 'download_log', {'size': 30})
    assert resp.status_code == 200
    assert resp.headers['Content-Disposition'] == 'attachment'
    assert resp.content == (b'anvil fake console line\n' * 2)[:30]


def test_node_vendor_passthru_async(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-async')
    resp = conn.baremetal.call_node_vendor_passthru(node, 'POST', 'second_method',
                                                    {'bar': 'kazoo'})
    assert resp.status_code == 202
    assert resp.content == b''
    request_id = resp.headers['x-openstack-request-id']

    def outcome():
        events = target.get('/v1/nodes/sdk-async/history').json()['history']
        return [e for e in events if e['request_id'] == request_id
                and e['event'].startswith('Vendor passthru second_method succeeded')]
    wait_for(outcome, 30, what='history shows the outcome of %s' % request_id)
    assert conn.baremetal.get_node(node.id).reservation is None


def test_node_vendor_passthru_errors(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sdk-errors')
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.call_node_vendor_passthru(node, 'POST', 'no_such_method', {})
    assert e.value.status_code == 400
    assert e.value.details == 'No handler for method no_such_method'
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.call_node_vendor_passthru(node, 'POST', 'third_method_sync', {})
    assert e.value.details == "Parameter 'bar' not passed to method 'third_method_sync'."
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.call_node_vendor_passthru(node, 'GET', 'third_method_sync',
                                                 {'bar': 'meow'})
    assert 'third_method_sync' in e.value.details and 'GET' in e.value.details
    with pytest.raises(exceptions.NotFoundException) as e:
        conn.baremetal.call_node_vendor_passthru('no-such-node', 'POST', 'second_method',
                                                 {'bar': 'kazoo'})
    assert e.value.details == 'Node no-such-node could not be found.'


def test_driver_vendor_passthru(conn, target):
    methods = conn.baremetal.list_driver_vendor_passthru('fake-hardware')
    assert sorted(methods) == ['driver_echo', 'driver_noop']
    assert methods['driver_echo']['async'] is False
    assert methods['driver_noop']['async'] is True

    resp = conn.baremetal.call_driver_vendor_passthru('fake-hardware', 'POST', 'driver_echo',
                                                      {'a': 1, 'b': [2]})
    assert resp.status_code == 200
    body = resp.json()
    assert body['echo'] == {'a': 1, 'b': [2]}
    assert body['conductor'] in target.conductor_names
    # The SDK sent no version header: the server answered at its minimum version.
    assert resp.headers[VERSION_HEADER] == '1.1'

    resp = conn.baremetal.call_driver_vendor_passthru('fake-hardware', 'POST', 'driver_noop')
    assert (resp.status_code, resp.content) == (202, b'')


def test_driver_vendor_passthru_errors(conn, target):
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.call_driver_vendor_passthru('fake-hardware', 'POST', 'no_such_method')
    assert e.value.details == 'No handler for method no_such_method'
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.call_driver_vendor_passthru('fake-hardware', 'POST', 'driver_noop',
                                                   {'x': 1})
    assert e.value.status_code == 400
    # The SDK GETs the driver first: an unknown driver is a 404 from that GET.
    with pytest.raises(exceptions.NotFoundException):
        conn.baremetal.call_driver_vendor_passthru('no-such-driver', 'POST', 'driver_echo')
    with pytest.raises(exceptions.NotFoundException):
        conn.baremetal.list_driver_vendor_passthru('no-such-driver')
