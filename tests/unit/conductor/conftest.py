"""Conductor fixtures: nodes in the DB, conductors built after config overrides."""

import pytest

from anvil.common.context import RequestContext
from anvil.conductor.service import ConductorService
from anvil.db import api as db_api


@pytest.fixture
def make_node(db):
    """Create a fake-hardware node in the DB; returns its row."""
    def make(name, **values):
        values = dict({'driver': 'fake-hardware', 'vendor_interface': 'fake',
                       'name': name, 'provision_state': 'enroll'}, **values)
        return db_api.create_node(values)
    return make


@pytest.fixture
def node_id(make_node):
    return make_node('n1')['id']


@pytest.fixture
def ctx():
    return RequestContext(request_id='req-11111111-2222-3333-4444-555555555555',
                          user_id='alice')


@pytest.fixture
def make_conductor(db, conf):
    """Start a ConductorService once the test has set its overrides; stopped after."""
    services = []

    def make(host='test-host'):
        conf.set_override('heartbeat_interval', 3600, group='conductor')
        # a lease longer than any test: no heartbeat runs, the conductor stays alive
        conf.set_override('heartbeat_timeout', 7200, group='conductor')
        service = ConductorService(host=host, rpc_server=False)
        service.start()
        services.append(service)
        return service
    yield make
    for service in services:
        service.stop()
