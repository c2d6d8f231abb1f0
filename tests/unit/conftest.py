"""Unit fixtures: a real conductor (in-process dispatcher) and the real Flask app."""

import pytest

from anvil.api import app as api_app
from anvil.api import hash_ring, rpcapi
from anvil.common import local_rpc
from anvil.conductor.service import ConductorService

LATEST = {'X-OpenStack-Ironic-API-Version': 'latest'}


@pytest.fixture
def conductor(db, conf):
    """A started ConductorService ('test-host', fake-hardware) without an RPC server."""
    conf.set_override('host', 'test-host')
    conf.set_override('heartbeat_interval', 3600, group='conductor')
    # a lease longer than any test: no heartbeat runs, the conductor stays alive
    conf.set_override('heartbeat_timeout', 7200, group='conductor')
    conf.set_override('node_locked_retry_interval', 0.1, group='conductor')
    service = ConductorService(rpc_server=False)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def conductor_api(conductor):
    """The API's conductor client, wired to ``conductor`` through the local dispatcher."""
    api = rpcapi.ConductorAPI(hash_ring.TopologyCache(ttl=0),
                              local_rpc.LocalClient(conductor.manager))
    yield api
    api.shutdown()


@pytest.fixture
def client(conductor_api, conf):
    """A Flask test client of the real app (noauth)."""
    conf.set_override('auth_strategy', 'noauth')
    app = api_app.create_app(conductor_api)
    return app.test_client()


@pytest.fixture
def node(client):
    """An enrolled fake-hardware node named fake1."""
    resp = client.post('/v1/nodes', json={'driver': 'fake-hardware', 'name': 'fake1'},
                       headers=LATEST)
    assert resp.status_code == 201, resp.data
    return resp.get_json()
