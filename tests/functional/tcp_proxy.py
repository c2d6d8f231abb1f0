"""A TCP relay a test owns, to cut a process off a shared service without touching it.

The shared RabbitMQ and PostgreSQL are never stopped or reconfigured: a
process under test reaches them through a ``TcpProxy``; ``stop()`` drops
every connection and refuses new ones, ``start()`` lets them through again.
``hold()`` makes it a black hole: connections stay open and new ones are
accepted, but nothing more reaches either side (a peer that froze, or a
network that drops packets): a client without a timeout waits forever.
"""

import socket
import threading


class TcpProxy:
    """Relays 127.0.0.1:``port`` to ``upstream``; ``stop()`` drops every connection."""

    def __init__(self, upstream, port):
        self.upstream = upstream
        self.port = port
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()
        self._held = False

    def hold(self):
        """From now on accept connections, relay nothing; ``stop()`` ends it."""
        self._held = True

    @property
    def running(self):
        """True between ``start()`` and ``stop()``."""
        return self._listener is not None

    def start(self):
        self._held = False
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if listener is not self._listener:     # accepted while stopping
                client.close()
                return
            if self._held:   # accepted, never answered
                with self._lock:
                    self._sockets.add(client)
                continue
            try:
                server = socket.create_connection(self.upstream, 5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not self._held:   # held: what arrives is dropped
                    dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            try:    # wakes the thread blocked in accept(); close() alone would not
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def relay(url, default_port):
    """(TcpProxy not started yet, ``url`` pointing at it) for a service URL.

    ``url`` is a URL with a host and port (``rabbit://u:p@host:port/``,
    ``postgresql+psycopg2://user@host:port/db``); the proxy listens on a
    free loopback port until ``start()``.
    """
    import urllib.parse
    parsed = urllib.parse.urlsplit(url)
    with socket.socket() as sock:   # a port nothing listens on until proxy.start()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    proxy = TcpProxy((parsed.hostname, parsed.port or default_port), port)
    credentials = parsed.netloc.rpartition('@')[0]
    netloc = '%s127.0.0.1:%d' % (credentials + '@' if credentials else '', port)
    return proxy, urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
