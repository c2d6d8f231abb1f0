"""The in-process dispatcher of the all-in-one: the RPC client interface, no bus.

``LocalClient`` offers ``prepare(...).call/.cast`` like oslo.messaging's
RPCClient and delivers to a conductor manager in the same process. Messages
and replies go through the same JSON serialisation as the real transport,
and exceptions come back as the real transport gives them: anvil exceptions
rebuilt from their kwargs, anything else as ``oslo_messaging.RemoteError``.
A call runs on a small thread pool so its timeout holds as over RabbitMQ.
"""

import threading

import futurist
import oslo_messaging
from oslo_log import log
from oslo_serialization import jsonutils

from anvil.common import exception
from anvil.common.context import RequestContext

LOG = log.getLogger(__name__)


def _wire(value):
    return jsonutils.loads(jsonutils.dumps(value))


class LocalClient:
    """Client side of the in-process dispatcher."""

    def __init__(self, endpoint, max_workers=64):
        self._endpoint = endpoint
        self._max_workers = max_workers
        self._pool = None
        self._lock = threading.Lock()

    def prepare(self, timeout=None, **_ignored):
        return _LocalCallContext(self, timeout)

    def _executor(self):
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = futurist.ThreadPoolExecutor(max_workers=self._max_workers)
        return self._pool

    def dispatch(self, ctxt, method, kwargs):
        ctx = RequestContext.from_dict(_wire(ctxt.to_dict()))
        try:
            return _wire(getattr(self._endpoint, method)(ctx, **_wire(kwargs)))
        except Exception as e:
            if isinstance(e, oslo_messaging.ExpectedException):
                # @expected_exceptions wraps the endpoint's error; the RPC server unwraps it
                e = e.exc_info[1]
            if isinstance(e, exception.AnvilException):
                raise type(e)(e.message, **_wire(e.kwargs)) from None
            # what a real transport turns into RemoteError
            raise oslo_messaging.RemoteError(type(e).__name__, str(e), None) from None

    def shutdown(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False)


class _LocalCallContext:
    def __init__(self, client, timeout):
        self._client = client
        self._timeout = timeout

    def call(self, ctxt, method, **kwargs):
        """Run ``method`` and return its reply; MessagingTimeout after the timeout."""
        future = self._client._executor().submit(self._client.dispatch, ctxt, method, kwargs)
        try:
            return future.result(timeout=self._timeout)
        except futurist.TimeoutError:
            raise oslo_messaging.MessagingTimeout(
                'Timed out waiting for a reply from the local conductor') from None

    def cast(self, ctxt, method, **kwargs):
        """Deliver without waiting for an answer; endpoint errors are its own to record."""
        try:
            self._client.dispatch(ctxt, method, kwargs)
        except Exception as e:  # a cast has no reply, as over a real bus
            LOG.warning('Cast %s failed in the local conductor: %s', method, e)
