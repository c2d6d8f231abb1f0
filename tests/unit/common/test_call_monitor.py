"""CallMonitorDispatcher: heartbeats while a call runs, from one shared thread."""

import json
import threading

import kombu.message
import oslo_messaging
import pytest
from oslo_messaging._drivers import impl_rabbit
from oslo_messaging.rpc import dispatcher as rpc_dispatcher

from anvil.common import call_monitor, exception
from anvil.common.rpc import RequestContextSerializer
from tests.polling import wait_for


class Incoming:
    """What oslo.messaging's rabbit driver hands the dispatcher (the parts it reads)."""

    def __init__(self, method, client_timeout):
        self.message = {'method': method, 'args': {}, 'version': '1.0'}
        self.ctxt = {'request_id': 'req-1'}
        self.client_timeout = client_timeout
        self.beats = []

    def heartbeat(self):
        self.beats.append(threading.current_thread().name)


class Endpoint:
    target = oslo_messaging.Target(version='1.0')

    def __init__(self):
        self.incoming = None
        self.threads_at_start = None

    def long_call(self, context):
        """Runs until the caller got two heartbeats."""
        self.threads_at_start = threading.active_count()
        wait_for(lambda: len(self.incoming.beats) >= 2, 10, what='two heartbeats')
        return 'done'

    def quick_call(self, context):
        self.threads_at_start = threading.active_count()
        return 'quick'


def _dispatch(endpoint, incoming, first_receiver_lives=None):
    endpoint.incoming = incoming
    dispatcher = call_monitor.CallMonitorDispatcher(
        [endpoint], RequestContextSerializer(), None,
        first_receiver_lives=first_receiver_lives)
    return dispatcher.dispatch(incoming)


def test_a_long_call_gets_heartbeats_from_the_shared_thread():
    endpoint, incoming = Endpoint(), Incoming('long_call', 2)  # a beat every second
    assert _dispatch(endpoint, incoming) == 'done'
    assert set(incoming.beats) == {'anvil-call-monitor'}
    assert incoming.client_timeout == 2  # given back as it came


def test_calls_start_no_thread_of_their_own():
    endpoint = Endpoint()
    _dispatch(endpoint, Incoming('quick_call', 4))  # the shared thread exists from now on
    before = threading.active_count()
    assert _dispatch(endpoint, Incoming('quick_call', 4)) == 'quick'
    assert endpoint.threads_at_start == before


def test_a_quick_call_gets_no_heartbeat():
    incoming = Incoming('quick_call', 4)
    assert _dispatch(Endpoint(), incoming) == 'quick'
    assert incoming.beats == []


def test_calls_without_a_monitor_timeout_are_dispatched_as_usual():
    incoming = Incoming('quick_call', None)
    assert _dispatch(Endpoint(), incoming) == 'quick'
    assert incoming.beats == []


class Delivered(Incoming):
    """A sync call as the rabbit driver hands it over, with the broker's delivery flags."""

    def __init__(self, method, redelivered):
        super().__init__(method, None)
        body = {'oslo.version': '2.0', 'oslo.message': json.dumps(
            {'method': method, 'args': {}, 'version': '1.0'})}
        raw = kombu.message.Message(body=json.dumps(body), content_type='application/json',
                                    delivery_info={'redelivered': redelivered})
        self.message = impl_rabbit.RabbitMessage(raw)
        self.msg_id = 'msg-1'   # a call: its caller waits for a reply


def test_a_redelivered_call_whose_first_receiver_lives_is_not_run_and_answers_504():
    """Read from the queue of a conductor that lost the bus but still holds its lease."""
    endpoint = Endpoint()
    with pytest.raises(rpc_dispatcher.ExpectedException) as raised:
        _dispatch(endpoint, Delivered('quick_call', redelivered=True),
                  first_receiver_lives=lambda: True)
    error = raised.value.exc_info[1]
    assert isinstance(error, exception.CallRedelivered) and error.code == 504
    assert endpoint.threads_at_start is None   # the method never started
    assert _dispatch(endpoint, Delivered('quick_call', redelivered=False),
                     first_receiver_lives=lambda: True) == 'quick'


def test_a_redelivered_call_runs_when_its_first_receiver_is_dead():
    """Read from a dead conductor's queue, or from one's own (no guard): it runs."""
    assert _dispatch(Endpoint(), Delivered('quick_call', redelivered=True),
                     first_receiver_lives=lambda: False) == 'quick'
    assert _dispatch(Endpoint(), Delivered('quick_call', redelivered=True)) == 'quick'


def test_a_redelivered_cast_is_dispatched():
    """Casts are kept to one run by their call record's claim, not by the broker's flag."""
    cast = Delivered('quick_call', redelivered=True)
    cast.msg_id = None
    assert _dispatch(Endpoint(), cast, first_receiver_lives=lambda: True) == 'quick'
