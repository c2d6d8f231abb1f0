"""Call-monitor heartbeats of running RPC calls, sent by one thread per process.

The API asks for call-monitor heartbeats on every sync call
(``[api] call_monitor_timeout``: a frozen or dead conductor is a 504 in seconds,
not after ``rpc_response_timeout``). oslo.messaging's dispatcher serves that
by starting a thread per call that sends a heartbeat every timeout/2 seconds
until the call returns; for the usual call, done in milliseconds, the
thread's start and join are all it does: a cost on every call, in CPU and
latency, for a heartbeat that is almost never sent (measured: bench/PROFILE.md).
``CallMonitorDispatcher`` sends the same heartbeats (same
interval, same message, never after the call returned) from one shared thread.

Relies on oslo.messaging's incoming message interface: ``client_timeout``
(the caller's call_monitor_timeout, or None) and ``heartbeat()``.
"""

import threading
import time

from oslo_log import log
from oslo_messaging.rpc import dispatcher as rpc_dispatcher

from anvil.common import exception

LOG = log.getLogger(__name__)


class _Call:
    """One running call: when its next heartbeat is due; ``lock`` orders beat and end."""

    def __init__(self, incoming, interval):
        self.incoming = incoming
        self.interval = interval
        self.due = time.monotonic() + interval
        self.lock = threading.Lock()
        self.running = True


class HeartbeatSender:
    """Sends the heartbeats of every registered call from one daemon thread."""

    #: Seconds the thread sleeps when no call runs. Shorter than any interval
    #: (oslo.messaging's are 1 s or more), so that a new call never has to wake it.
    IDLE_WAIT = 0.5

    def __init__(self):
        self._cond = threading.Condition()
        self._calls = set()
        self._thread = None
        self._wake_at = None  # when the thread will look again (None: not waiting)

    def add(self, incoming, interval):
        """Register a call that is starting; returns the handle for ``remove``."""
        call = _Call(incoming, interval)
        with self._cond:
            self._calls.add(call)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name='anvil-call-monitor')
                self._thread.start()
            elif self._wake_at is not None and call.due < self._wake_at:
                self._cond.notify()  # rare: it would look too late for this call
        return call

    def remove(self, call):
        """The call returned: no heartbeat for it from now on (waits out one in flight)."""
        with self._cond:
            self._calls.discard(call)
        with call.lock:
            call.running = False

    def _due_calls(self):
        """Wait until some call is due; return those due, their next time set."""
        with self._cond:
            while True:
                now = time.monotonic()
                due = [c for c in self._calls if c.due <= now]
                if due:
                    for call in due:
                        call.due = now + call.interval
                    return due
                self._wake_at = min((c.due for c in self._calls),
                                    default=now + self.IDLE_WAIT)
                self._cond.wait(self._wake_at - now)
                self._wake_at = None

    def _run(self):
        while True:
            for call in self._due_calls():
                with call.lock:
                    if not call.running:
                        continue
                    try:
                        call.incoming.heartbeat()
                    except Exception as e:  # as oslo.messaging: give up on this call's beats
                        LOG.debug('Call-monitor heartbeat failed: %s', e)
                        with self._cond:
                            self._calls.discard(call)


_SENDER = HeartbeatSender()


def redelivered_call(incoming):
    """True for a sync call (it has a reply to go) that RabbitMQ delivers a second time.

    Reads the AMQP ``redelivered`` flag of the raw kombu message behind
    oslo.messaging's incoming message; False on other transports.
    """
    if getattr(incoming, 'msg_id', None) is None:   # a cast: its claim keeps it to one run
        return False
    raw = getattr(getattr(incoming, 'message', None), '_raw_message', None)
    info = getattr(raw, 'delivery_info', None) or {}
    return bool(info.get('redelivered'))


class CallMonitorDispatcher(rpc_dispatcher.RPCDispatcher):
    """oslo.messaging's RPC dispatcher, with heartbeats from the shared sender.

    ``first_receiver_lives``: for a server reading another conductor's queue,
    a callable telling whether that conductor still holds its lease. Then a
    sync call delivered a second time is not run (``CallRedelivered``, 504):
    that conductor took it first, lost its bus link before the broker had its
    acknowledgement, and may be running it (see ``redelivered_call``). When
    it is dead, the call runs (its first delivery died with it, unread or
    cut short, as any call in flight at a crash).
    """

    def __init__(self, *args, first_receiver_lives=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._first_receiver_lives = first_receiver_lives

    def dispatch(self, incoming):
        if (self._first_receiver_lives is not None and redelivered_call(incoming)
                and self._first_receiver_lives()):
            args = incoming.message.get('args') or {}
            method = args.get('driver_method') or incoming.message.get('method')
            LOG.warning('Call of %s delivered again (its first receiver may have run it): '
                        'not run, answered 504 (request %s)', method,
                        (getattr(incoming, 'ctxt', None) or {}).get('request_id'))
            try:
                raise exception.CallRedelivered(method=method)
            except exception.CallRedelivered:
                raise rpc_dispatcher.ExpectedException() from None
        timeout = incoming.client_timeout
        try:
            interval = int(timeout) / 2 if timeout else 0
        except (TypeError, ValueError):
            interval = 0
        if interval < 1:  # none asked for, or one oslo.messaging would refuse: its own path
            return super().dispatch(incoming)
        incoming.client_timeout = None  # the parent starts no watchdog thread
        call = _SENDER.add(incoming, interval)
        try:
            return super().dispatch(incoming)
        finally:
            _SENDER.remove(call)
            incoming.client_timeout = timeout
