"""Version negotiation between an API and a conductor of two releases.

A real ConductorManager serves a real oslo.messaging RPC server on the
in-process ``fake://`` transport; the API's real ConductorAPI calls it. A
conductor of release 0.1 is this manager advertising 0.1's RPC version:
the dispatcher's version check is what refuses newer calls.
"""

import oslo_messaging
import pytest

from anvil.api import hash_ring, rpcapi
from anvil.common import exception, release_versions, rpc
from anvil.db import api as db_api

INFO = {'bar': 'meow'}


@pytest.fixture
def fake_bus(conf):
    conf.set_override('transport_url', 'fake://')
    rpc.cleanup()
    yield
    rpc.cleanup()


@pytest.fixture
def serve(fake_bus, conductor):
    """Serve ``conductor``'s manager on the bus, advertising the RPC version given."""
    servers = []

    def start(version=release_versions.RPC_VERSION):
        conductor.manager.target = oslo_messaging.Target(version=version)
        server = rpc.get_server(conductor.host, [conductor.manager])
        server.start()
        servers.append(server)
        return conductor
    yield start
    for server in servers:
        server.stop()
        server.wait()


@pytest.fixture
def make_api(conf):
    apis = []

    def make(pin=None):
        conf.set_override('pin_release_version', pin)
        api = rpcapi.ConductorAPI(hash_ring.TopologyCache(ttl=0))
        apis.append(api)
        return api
    yield make
    for api in apis:
        api.shutdown()


def _node(make_node, group=''):
    return make_node('n1', conductor_group=group)


def _stale_expect(node):
    """What a cached route would carry after the node moved to another group."""
    return {'ident': node['name'], 'conductor_group': 'elsewhere',
            'owner': node['owner'], 'lessee': node['lessee']}


def _call(api, ctx, node, expect=None):
    return api.vendor_passthru(ctx, node, 'third_method_sync', 'POST', dict(INFO),
                               async_call=False, expect=expect)


def test_current_api_and_conductor_check_the_expectation(serve, make_api, make_node, ctx):
    serve()
    node = _node(make_node)
    api = make_api()
    assert _call(api, ctx, node) == {'return': True, 'attach': False}
    with pytest.raises(exception.NodeChanged):
        _call(api, ctx, node, expect=_stale_expect(node))


def test_api_pinned_to_old_release_leaves_out_newer_arguments(serve, make_api, make_node,
                                                               ctx):
    serve()
    node = _node(make_node)
    api = make_api(pin='0.1')
    assert not api.can_send('vendor_passthru', 'expect')
    # sent as 1.0 without ``expect``: the stale expectation never reaches the conductor
    assert _call(api, ctx, node, expect=_stale_expect(node)) == {'return': True,
                                                                 'attach': False}


def test_old_conductor_refuses_a_newer_call_with_503(serve, make_api, make_node, ctx):
    serve(version=release_versions.RELEASES['0.1']['rpc'])
    node = _node(make_node)
    api = make_api()
    with pytest.raises(exception.ConductorVersionUnsupported) as info:
        _call(api, ctx, node, expect=_stale_expect(node))
    assert info.value.code == 503
    assert 'version 1.1 of vendor_passthru' in str(info.value)
    assert 'pin_release_version' in str(info.value) and '0.1' in str(info.value)
    assert db_api.get_node_by_id(node['id'])['reservation'] is None
    # a call that sends nothing new goes as 1.0 and still runs there
    assert _call(api, ctx, node) == {'return': True, 'attach': False}


def test_api_pinned_to_old_release_drives_an_old_conductor(serve, make_api, make_node, ctx):
    serve(version=release_versions.RELEASES['0.1']['rpc'])
    node = _node(make_node)
    api = make_api(pin='0.1')
    assert _call(api, ctx, node, expect=_stale_expect(node)) == {'return': True,
                                                                 'attach': False}
    reply = api.driver_vendor_passthru(ctx, 'fake-hardware', 'driver_echo', 'POST',
                                       {'bar': 'x'}, async_call=False)
    assert reply['return'] is not None
