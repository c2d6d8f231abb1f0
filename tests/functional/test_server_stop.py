"""anvil.common.server_stop on real RabbitMQ: stopping one of two readers of a queue loses nothing.

A survivor stops reading the queue of a conductor that came back, and a
conductor stops its own server on SIGTERM, while casts keep arriving. With
oslo.messaging's plain stop(), those delivered to the stopping reader are
acknowledged and dropped (about 190 of 500 a second in a measurement).
"""

import threading
import uuid

import oslo_messaging
import pytest

from anvil.common import server_stop
from anvil.common.config import CONF
from tests.functional import services
from tests.functional.deployment import wait_for

CASTS = 600


class _Counter:
    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()

    def hit(self, ctxt, i):
        with self.lock:
            self.seen.append(i)


@pytest.fixture
def transport(conf):
    services.require_rabbit()
    transport = oslo_messaging.get_rpc_transport(CONF, url=services.RABBIT_URL)
    topic = 'anvil-test-stop-%s' % uuid.uuid4().hex[:8]
    yield transport, topic
    transport.cleanup()
    with services.amqp_channel() as channel:   # leave the broker as it was
        for queue in (topic, '%s.shared' % topic):
            channel.queue_delete(queue)


def _server(transport, topic, endpoint):
    target = oslo_messaging.Target(topic=topic, server='shared')
    server = oslo_messaging.get_rpc_server(transport, target, [endpoint])
    server.start()
    return server


def test_stopping_one_of_two_readers_loses_no_cast(transport):
    transport, topic = transport
    stopping, staying = _Counter(), _Counter()
    first = _server(transport, topic, stopping)
    second = _server(transport, topic, staying)
    client = oslo_messaging.get_rpc_client(
        transport, oslo_messaging.Target(topic=topic, server='shared'))
    sent = []
    done = threading.Event()

    def send():
        for i in range(CASTS):
            client.cast({}, 'hit', i=i)
            sent.append(i)
            done.wait(0.003)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        wait_for(lambda: len(stopping.seen) >= 50, 30, what='both readers busy')
        server_stop.stop(first)
        assert len(sent) < CASTS   # the stop happened under load
    finally:
        sender.join(60)
        received = lambda: len(stopping.seen) + len(staying.seen)  # noqa: E731
        try:
            wait_for(lambda: received() >= CASTS, 30, interval=0.1, what='every cast read')
        finally:
            server_stop.stop(second)
    assert sorted(stopping.seen + staying.seen) == list(range(CASTS))
