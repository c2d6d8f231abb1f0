"""Two tiny HTTP servers in threads of the test process, on free loopback ports.

- ``ImageServer``: serves one small file, for the emulator to download when
  a test inserts virtual media;
- ``SilentBmc``: accepts connections and answers nothing for ``delay``
  seconds, like a hung BMC, so a client's read timeout is what ends a call.
"""

import http.server
import threading

from tests.functional.deployment import free_port


class _Threaded:
    def __init__(self, handler):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class ImageServer(_Threaded):
    """GET /boot.iso answers ``content``."""

    def __init__(self, content=b'anvil test image\n' * 64):
        body = content

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header('Content-Type', 'application/octet-stream')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.image_url = self.url + '/boot.iso'


class SilentBmc(_Threaded):
    """Every request waits ``delay`` seconds (or until stopped), then gets a 503."""

    def __init__(self, delay):
        released = threading.Event()
        self._released = released
        self.seen = seen = threading.Event()  # set once a request has come in

        class Handler(http.server.BaseHTTPRequestHandler):
            def _hang(self):
                seen.set()
                released.wait(delay)
                try:
                    self.send_error(503)
                except OSError:
                    pass

            do_GET = do_POST = do_DELETE = do_PATCH = _hang  # noqa: N815

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    def stop(self):
        self._released.set()
        super().stop()
