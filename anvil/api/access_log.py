"""The audit trail: one access log line per API request (logger ``anvil.api.access``).

``method path?query status duration_ms request_id user project``, through
oslo.log so it goes wherever the operator sends anvil's logs. Query values
under a secret-looking name are masked (``anvil.common.masking``). The
identity is the one anvil's auth layer put in ``HTTP_X_USER_ID`` and
``HTTP_X_PROJECT_ID`` (client-sent ones are dropped there), read after the
inner app ran; ``-`` when absent. Wrapped inside the request-id middleware,
so the id is known; on by default, ``[api] access_log = false`` turns it off.

``/healthcheck`` is polled by load balancers every second or two: its lines
go at DEBUG unless ``[api] log_healthcheck`` is set, all but the answers
whose status changed since the previous /healthcheck answer of this process
(the first one, a 503 after 200s, the 200 that follows): those stay at INFO,
so a change of health is in the log without the flood.
"""

import logging
import re
import threading
import time
import urllib.parse

from oslo_log import log
from oslo_middleware import request_id

from anvil.common import masking
from anvil.common.config import CONF

LOG = log.getLogger('anvil.api.access')


_HEALTHCHECK = '/healthcheck'
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def _printable(text):
    """``text`` with control characters percent-encoded: one request, one log line."""
    return _CONTROL.sub(lambda m: '%%%02X' % ord(m.group()), text)


def masked_query(query_string):
    """``?query`` as sent, or re-encoded with secret values as ``MASK``; '' when empty."""
    if not query_string:
        return ''
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    shown = [(k, masking.MASK if masking.is_secret_key(k) and v else masking.mask_text(v))
             for k, v in pairs]
    if shown == pairs:
        return '?' + _printable(query_string)
    return '?' + urllib.parse.urlencode(shown, safe='/:,*')


class _HealthStatus:
    """The status of this process's previous /healthcheck answer."""

    lock = threading.Lock()
    last = None

    @classmethod
    def changed(cls, status):
        with cls.lock:
            previous, cls.last = cls.last, status
        return previous != status


def _level(environ, status):
    """INFO, or DEBUG for a /healthcheck answer like the previous one (see above)."""
    if (environ.get('PATH_INFO') or '/').rstrip('/') != _HEALTHCHECK:
        return logging.INFO
    changed = _HealthStatus.changed(status)
    return logging.INFO if changed or CONF.api.log_healthcheck else logging.DEBUG


class AccessLog:
    """WSGI middleware: log the request when its response is done (or fails)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        start = time.monotonic()
        status = []

        def recording_start_response(code, headers, exc_info=None):
            status[:] = [code.split(' ', 1)[0]]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            self._log(environ, status[0] if status else '500',
                      (time.monotonic() - start) * 1000)

    @staticmethod
    def _log(environ, status, duration_ms):
        LOG.log(_level(environ, status), '%s %s%s %s %.1f ms request %s user %s project %s',
                 environ.get('REQUEST_METHOD', '-'), _printable(environ.get('PATH_INFO') or '/'),
                 masked_query(environ.get('QUERY_STRING', '')), status, duration_ms,
                 environ.get(request_id.ENV_REQUEST_ID, '-'),
                 environ.get('HTTP_X_USER_ID') or '-',
                 environ.get('HTTP_X_PROJECT_ID') or '-')


def wrap(wsgi_app):
    """``wsgi_app`` with the access log around it, unless ``[api] access_log`` is off."""
    return AccessLog(wsgi_app) if CONF.api.access_log else wsgi_app
