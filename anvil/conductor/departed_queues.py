"""Delete the RPC queue of a conductor that left for good.

oslo.messaging declares a conductor's own queue (``<topic>.<host>``) with no
expiry, so RabbitMQ keeps it after the conductor is gone, forever. While the
conductor may still come back, that is what we want: live conductors read the
queue (``orphan_queues``) for ``[conductor] orphan_queue_window`` seconds after
its owner's last heartbeat. Past that window nobody reads it and the API
routes nothing to it (the owner is not alive), so one live conductor deletes
it. The delete is refused by RabbitMQ while the queue has a consumer
(``if_unused``): a peer whose clock runs late and still reads it, or the owner
come back. A conductor started again later declares its queue anew.

Only the ``rabbit`` transport has queues; on any other (the all-in-one's
in-process bus, tests' ``fake://``) there is nothing to delete.
"""

import datetime
from urllib import parse

import amqp.exceptions
import kombu
import oslo_messaging
from oslo_config import cfg
from oslo_log import log
from oslo_utils.timeutils import utcnow

CONF = cfg.CONF
LOG = log.getLogger(__name__)


def queue_name(hostname):
    """The name oslo.messaging gives ``hostname``'s own RPC queue."""
    return '%s.%s' % (CONF.conductor.topic, hostname)


def departed(conductors, me):
    """Hostnames of conductors gone longer than the window plus a margin.

    The margin (``max_clock_skew`` + ``heartbeat_timeout``) lets every peer
    see the window end, by its own clock, and stop reading the queue first.
    ``conductors`` is ``db.conductors.list_conductors()``'s answer.
    """
    margin = CONF.conductor.max_clock_skew + CONF.conductor.heartbeat_timeout
    cutoff = utcnow() - datetime.timedelta(
        seconds=CONF.conductor.orphan_queue_window + margin)
    return {c['hostname'] for c in conductors
            if not c['alive'] and c['hostname'] != me and c['heartbeat_at'] < cutoff}


def _broker_url():
    """kombu's failover URL for ``transport_url``, or None when it is not RabbitMQ."""
    url = oslo_messaging.TransportURL.parse(CONF, CONF.transport_url)
    if url.transport not in ('rabbit', 'amqp') or not url.hosts:
        return None
    vhost = parse.quote(url.virtual_host or '/', safe='')
    return ';'.join(
        'amqp://%s:%s@%s:%s/%s' % (parse.quote(h.username or 'guest', safe=''),
                                   parse.quote(h.password or 'guest', safe=''),
                                   h.hostname, h.port or 5672, vhost)
        for h in url.hosts)


def _ssl_options():
    """kombu's ``ssl`` argument from ``[oslo_messaging_rabbit]`` (False: plain TCP)."""
    rabbit = CONF.oslo_messaging_rabbit
    if not rabbit.ssl:
        return False
    options = {'ca_certs': rabbit.ssl_ca_file or None,
               'certfile': rabbit.ssl_cert_file or None,
               'keyfile': rabbit.ssl_key_file or None}
    return {k: v for k, v in options.items() if v} or True


def delete_unused(name):
    """Delete queue ``name`` unless something consumes it.

    Returns the number of messages it held, or None when nothing was deleted
    (not RabbitMQ, or the queue is in use). A queue that is already gone
    counts as deleted with 0 messages. Raises kombu's or amqp's connection
    errors when the broker cannot be reached.
    """
    url = _broker_url()
    if url is None:
        return None
    with kombu.Connection(url, ssl=_ssl_options(), connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            return channel.queue_delete(queue=name, if_unused=True) or 0
        except amqp.exceptions.PreconditionFailed:
            return None


class DepartedQueues:
    """What one live conductor deleted, so it asks the broker once per departed peer.

    ``sweep`` runs as a periodic task of ``history_cleanup.Housekeeping``
    (never on the heartbeat's or the lock clean-up's thread: a broker that
    hangs may hold it for ``connect_timeout``).
    """

    def __init__(self, host, delete=delete_unused):
        self.host = host
        self._delete = delete
        self._done = set()

    def sweep(self, conductors):
        """Delete the queues of peers that left for good; returns their hostnames.

        A refused or failed delete is tried again at the next sweep. A peer
        seen alive again is forgotten: its queue exists again, and is deleted
        again once it leaves for good. Never raises.
        """
        self._done -= {c['hostname'] for c in conductors if c['alive']}
        deleted = []
        for hostname in sorted(departed(conductors, self.host) - self._done):
            name = queue_name(hostname)
            try:
                dropped = self._delete(name)
            except Exception as exc:
                LOG.warning('Could not delete the RPC queue %s of departed conductor '
                            '%s (%s); trying again later', name, hostname, exc)
                continue
            if dropped is None:
                continue
            self._done.add(hostname)
            deleted.append(hostname)
            LOG.info('Deleted the RPC queue %s of conductor %s, gone for longer than '
                     'orphan_queue_window (%d messages in it)', name, hostname, dropped)
        return deleted
