"""Functional fixtures: one real multi-process deployment per module."""

import pytest

from tests.functional import secrets, services
from tests.functional.all_in_one import running_all_in_one
from tests.functional.deployment import Deployment
from tests.functional.keystone_directory import Directory
from tests.functional.keystone_server import Keystone


@pytest.fixture(scope='session', autouse=True)
def secret_scan(tmp_path_factory):
    """After the last test: no registered secret in any anvil log (see secrets.py)."""
    yield
    secrets.check(tmp_path_factory.getbasetemp())


@pytest.fixture(scope='session', autouse=True)
def broker_left_clean():
    """After the last test: the RPC queues the deployments made are gone.

    oslo.messaging's topic and host queues never expire (its reply and fanout
    queues do, after [oslo_messaging_rabbit] rabbit_transient_queues_ttl: 60 s
    in the deployments' configuration, ``Deployment.sections``).
    """
    yield
    if services.QUEUES_MADE and services.rabbit_reachable():
        services.delete_queues(services.QUEUES_MADE)
        left = [q for q in services.QUEUES_MADE if services.queue_consumers(q) is not None]
        assert not left, 'queues still on the broker: %s' % left


@pytest.fixture(scope='module')
def pg_database():
    database = services.postgres_database()
    yield database
    database.drop()


@pytest.fixture(scope='module')
def deployment(tmp_path_factory, pg_database):
    """anvil-api + two anvil-conductors on RabbitMQ and PostgreSQL."""
    services.require_rabbit()
    dep = Deployment(tmp_path_factory.mktemp('deployment'), pg_database.url,
                     services.RABBIT_URL)
    try:
        dep.start()
    except Exception:
        print(dep.logs())
        dep.stop()
        raise
    yield dep
    dep.stop()
    dep.delete_queues()


@pytest.fixture(scope='module')
def all_in_one(tmp_path_factory):
    """A real all-in-one ``anvil`` process (SQLite, in-process dispatcher)."""
    with running_all_in_one(tmp_path_factory.mktemp('aio')) as aio:
        yield aio


@pytest.fixture(scope='module', params=['multi-process', 'all-in-one'])
def target(request):
    """The deployment under test; both offer ``cli()``, ``create_node()`` & co."""
    name = 'deployment' if request.param == 'multi-process' else 'all_in_one'
    return request.getfixturevalue(name)


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    """A real Keystone (gunicorn, SQLite) with the auth tests' identities.

    Yields a ``keystone_directory.Directory``: tokens of its personas,
    ``anvil_auth_config()`` for a Deployment's ``extra``, ``baremetal_endpoint(url)``.
    Shared by the whole session: it takes seconds to start.
    """
    server = Keystone(tmp_path_factory.mktemp('keystone'))
    try:
        server.start()
        directory = Directory(server).populate()
    except BaseException:
        print(server.log())
        server.stop()
        raise
    yield directory
    server.stop()
