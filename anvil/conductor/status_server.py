"""``[conductor] metrics_port``: a conductor's /metrics and /healthcheck, unauthenticated.

A small threaded WSGI server (cheroot, as the all-in-one's API) started in
``ConductorService.start()`` -- in the forked child, where the metrics are
recorded -- and stopped with the service. Off when the port is 0. Its
/healthcheck runs the conductor's own checks (database, message bus,
heartbeat) whatever ``[healthcheck] backends`` says: that option is the
API's. No detailed view: nobody is authenticated here.
"""

import threading

from cheroot import wsgi
from oslo_log import log

from anvil.common import metrics
from anvil.common.config import CONF

LOG = log.getLogger(__name__)

BACKENDS = ['anvil_database', 'anvil_message_bus', 'anvil_heartbeat']


def _healthcheck_app():
    from oslo_middleware import healthcheck

    class ConductorHealthcheck(healthcheck.Healthcheck):
        def _conf_get(self, key, group='healthcheck'):
            if key == 'backends':
                return BACKENDS
            if key == 'detailed':
                return False
            return super()._conf_get(key, group)

    return ConductorHealthcheck(_not_found, CONF)


def _not_found(environ, start_response):
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'Not found: /metrics and /healthcheck are served here\n']


class _Routes:
    def __init__(self):
        self.health = _healthcheck_app()

    def __call__(self, environ, start_response):
        path = (environ.get('PATH_INFO') or '/').rstrip('/')
        if path == '/metrics' and metrics.enabled():
            return metrics.wsgi_metrics(environ, start_response)
        if path == '/healthcheck':
            return self.health(environ, start_response)
        return _not_found(environ, start_response)


class StatusServer:
    """The server on ``host``:``port`` (0: any free port, see ``port``)."""

    def __init__(self, host, port):
        self._server = wsgi.Server((host, port), _Routes(), numthreads=2,
                                   server_name='anvil-conductor-status')
        self._thread = None

    @property
    def port(self):
        return self._server.bind_addr[1]

    def start(self):
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, daemon=True,
                                        name='anvil-conductor-status')
        self._thread.start()
        LOG.info('Conductor metrics and health on http://%s:%s', CONF.conductor.metrics_host,
                 self.port)
        return self

    def stop(self):
        self._server.stop()
        if self._thread is not None:
            self._thread.join(5)


def start_if_configured():
    """A started StatusServer when ``[conductor] metrics_port`` is set, else None."""
    if not CONF.conductor.metrics_port:
        return None
    return StatusServer(CONF.conductor.metrics_host, CONF.conductor.metrics_port).start()
