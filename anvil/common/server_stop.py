"""Stop an oslo.messaging RPC server without dropping the messages it has taken.

oslo.messaging's RabbitMQ driver acknowledges an RPC message in the consumer
callback, before it is dispatched. Once ``server.stop()`` has ended the
listener's poll loop, the connection's heartbeat thread still drains the
socket every few seconds: the deliveries it reads are acknowledged and queued
for a poll loop that is gone. Each is lost, a cast with its 202 sent and no
outcome, a call answered 504. Measured: stopping one of two consumers of a
queue receiving 500 casts a second lost about 190 of them.

``stop(server)`` stops the heartbeat thread right after the poll loop, hands
whatever it had acknowledged meanwhile to the server's workers, and only then
lets the server close its connection: deliveries not yet read are not
acknowledged, and RabbitMQ gives them to the queue's other consumers.

This reaches into the driver (the listener's ``incoming`` list and the
connection's heartbeat thread); servers on other transports (the in-process
one of the tests) are stopped as usual.
"""

import time

from oslo_log import log

LOG = log.getLogger(__name__)


def _amqp_listener(server):
    adapter = getattr(server, 'listener', None)
    listener = getattr(adapter, '_poll_style_listener', None)
    if listener is None or not hasattr(listener, 'incoming') or not hasattr(listener, 'conn'):
        return None
    return listener


def _cancel_consumers(listener):
    """Ask RabbitMQ to deliver nothing more to this listener (no wait for the answer)."""
    conn = listener.conn
    with conn._connection_lock:
        for consumer, tag in list(conn._consumers.items()):
            consumer.queue.channel.basic_cancel(str(tag), nowait=True)


def stop(server, settle=0.3):
    """``server.stop()`` and ``server.wait()``, with no acknowledged message dropped.

    ``settle``: seconds the poll loop goes on after the consumers are
    cancelled, to dispatch the deliveries already on their way.
    """
    listener = _amqp_listener(server)
    if listener is not None:
        try:
            _cancel_consumers(listener)
            time.sleep(settle)
        except Exception:
            LOG.exception('Could not cancel the consumers of an RPC listener')
    server.stop()
    if listener is not None:
        try:
            listener.conn._heartbeat_stop()
        except Exception:  # an older or newer driver: stop as oslo.messaging does
            LOG.exception('Could not stop the heartbeat thread of an RPC listener')
        leftovers = list(listener.incoming)
        del listener.incoming[:]
        if leftovers:
            LOG.info('Dispatching %d messages taken as the RPC server stopped',
                     len(leftovers))
            for message in leftovers:
                server._on_incoming([message])
    server.wait()
