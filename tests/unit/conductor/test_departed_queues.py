"""Which departed conductors' RPC queues a live conductor deletes, and when it asks again."""

import datetime

from oslo_utils.timeutils import utcnow

from anvil.conductor import departed_queues
from anvil.conductor.departed_queues import DepartedQueues


def _conductor(hostname, alive, seconds_ago):
    return {'hostname': hostname, 'alive': alive,
            'heartbeat_at': utcnow() - datetime.timedelta(seconds=seconds_ago)}


class Broker:
    """Queues by name; ``in_use`` ones refuse deletion as RabbitMQ does (None)."""

    def __init__(self, *names, in_use=()):
        self.queues = {name: 0 for name in names}
        self.in_use = set(in_use)
        self.asked = []

    def delete(self, name):
        self.asked.append(name)
        if name in self.in_use:
            return None
        return self.queues.pop(name, 0)


def _window(conf, seconds):
    conf.set_override('orphan_queue_window', seconds, group='conductor')
    conf.set_override('max_clock_skew', 5, group='conductor')
    conf.set_override('heartbeat_timeout', 3, group='conductor')


def test_only_peers_gone_past_the_window_and_its_margin(conf):
    _window(conf, 100)
    conductors = [_conductor('me', False, 1000), _conductor('alive', True, 1000),
                  _conductor('recent', False, 100), _conductor('margin', False, 107),
                  _conductor('gone', False, 109)]
    assert departed_queues.departed(conductors, 'me') == {'gone'}


def test_each_departed_queue_is_deleted_once(conf):
    _window(conf, 10)
    broker = Broker('anvil.conductor.gone')
    sweeper = DepartedQueues('me', delete=broker.delete)
    conductors = [_conductor('gone', False, 60)]
    assert sweeper.sweep(conductors) == ['gone']
    assert sweeper.sweep(conductors) == []
    assert broker.asked == ['anvil.conductor.gone']
    assert broker.queues == {}


def test_a_queue_in_use_or_a_broker_error_is_tried_again(conf):
    _window(conf, 10)
    broker = Broker('anvil.conductor.gone', in_use={'anvil.conductor.gone'})
    sweeper = DepartedQueues('me', delete=broker.delete)
    conductors = [_conductor('gone', False, 60)]
    assert sweeper.sweep(conductors) == []
    broker.in_use.clear()

    def unreachable(name):
        raise ConnectionRefusedError(111, 'Connection refused')
    sweeper._delete = unreachable
    assert sweeper.sweep(conductors) == []
    sweeper._delete = broker.delete
    assert sweeper.sweep(conductors) == ['gone']


def test_a_peer_seen_alive_again_is_deleted_again_when_it_leaves(conf):
    _window(conf, 10)
    broker = Broker()
    sweeper = DepartedQueues('me', delete=broker.delete)
    assert sweeper.sweep([_conductor('gone', False, 60)]) == ['gone']
    assert sweeper.sweep([_conductor('gone', True, 0)]) == []
    assert sweeper.sweep([_conductor('gone', False, 60)]) == ['gone']


def test_no_queues_without_rabbitmq(conf):
    conf.set_override('transport_url', 'fake://')
    assert departed_queues.delete_unused('anvil.conductor.gone') is None
