"""gunicorn's gthread worker, with a deadline on reading each request.

gunicorn waits a few seconds for a new connection's first byte, then gives the
connection a thread until its request is read. A client that trickles its
request line, headers or body a byte at a time (slowloris), or sends half a body
and stops, holds that thread for as long as it likes: ``[api] api_threads`` such
clients stop a worker from serving anyone. This worker ends every request's
reading at ``[api] request_read_timeout`` seconds after its first byte:

- before the headers are complete, the connection is closed (one warning);
- while the application reads the body, the read raises ``RequestReadTimeout``
  (a ``TimeoutError``) and the API answers 408 (see anvil/api/request_body.py).

The deadline is kept by wrapping the socket the HTTP parser reads from; the
worker sends through the real socket, so a response is never cut by it.
"""

import time

from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread
from oslo_log import log

from anvil.common.config import CONF

LOG = log.getLogger(__name__)


class RequestReadTimeout(TimeoutError):
    """The client did not send its whole request within the read deadline."""


class _DeadlineReader:
    """The parser's side of a client socket: every recv ends by the deadline.

    The deadline starts at the first recv of each request; ``next_request``
    re-arms it for the next request of a keep-alive connection.
    """

    def __init__(self, sock, client, timeout):
        self._sock = sock
        self._client = client
        self._timeout = timeout
        self._deadline = None
        self.headers_read = False

    def next_request(self):
        self._deadline = None
        self.headers_read = False

    def recv(self, size):
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._timeout
        remaining = self._deadline - now
        if remaining <= 0:
            return self._expired()
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size)
        except TimeoutError:
            return self._expired()

    def _expired(self):
        """:raises: RequestReadTimeout in the body, NoMoreData before it."""
        if self.headers_read:
            raise RequestReadTimeout('request body not received within %ss'
                                     % self._timeout)
        LOG.warning('Closing the connection from %s: its request line and headers '
                    'were not received within %ss', self._client[0], self._timeout)
        # gunicorn closes the connection quietly on NoMoreData; a TimeoutError
        # here would log a traceback per slow client
        raise http_errors.NoMoreData(b'')

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _DeadlineConnection(gthread.TConn):
    """A connection whose HTTP/1 parser reads through a ``_DeadlineReader``."""

    reader = None

    def init(self):
        super().init()
        if self.reader is None and not self.is_http2:
            self.reader = _DeadlineReader(self.sock, self.client, CONF.api.request_read_timeout)
            self.parser.unreader.sock = self.reader


class DeadlineThreadWorker(gthread.ThreadWorker):
    """gthread, with every request read by ``[api] request_read_timeout``."""

    def enqueue_req(self, conn):
        # gthread makes its connections itself (in accept); adopting each one
        # here is the one hook that sees new and keep-alive connections alike
        if type(conn) is gthread.TConn:
            conn.__class__ = _DeadlineConnection
        elif conn.reader is not None:
            conn.reader.next_request()
        super().enqueue_req(conn)

    def handle_request(self, req, conn):
        if conn.reader is not None:
            conn.reader.headers_read = True
        return super().handle_request(req, conn)
