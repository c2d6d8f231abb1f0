"""anvil-api: the API under gunicorn with gthread workers.

gthread, not sync workers: a sync worker is killed (500) when a request
outlives the worker timeout, and passthru calls may last as long as the RPC
timeout. The app is built in each worker after fork (no ``--preload``): nothing
is shared across the fork, and each worker starts its own metrics samples.

Metrics: the workers share prometheus_client's multiprocess directory
(``[metrics] multiproc_dir``, else ``PROMETHEUS_MULTIPROC_DIR``, else a
temporary one removed at exit), emptied at start; a dead worker's live
gauges are dropped (``child_exit``), its counters kept.
"""

import os
import sys

from gunicorn.app import base as gunicorn_base

from anvil.cmd import tls
from anvil.common import metrics, startup
from anvil.common.config import CONF


class _GunicornApp(gunicorn_base.BaseApplication):
    def __init__(self, options):
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        from anvil.api import app  # in the worker, after fork
        return app.create_app()


def gunicorn_options():
    """gunicorn settings from the configuration.

    :raises TLSConfigError: HTTPS is on and its files cannot serve.
    """
    options = {
        'bind': '%s:%s' % (CONF.api.host_ip, CONF.api.port),
        'workers': CONF.api.api_workers,
        # gthread with a deadline on reading each request (slow clients)
        'worker_class': 'anvil.cmd.gunicorn_worker.DeadlineThreadWorker',
        'threads': CONF.api.api_threads,
        'timeout': CONF.rpc_response_timeout + 30,
        'graceful_timeout': 30,
        'keepalive': 5,
        'accesslog': None,
        'logger_class': 'anvil.cmd.gunicorn_logging.OsloLogger',  # oslo.log's format
        'proc_name': 'anvil-api',
        # gunicorn believes X-Forwarded-Proto & co. from 127.0.0.1 by default: the
        # one switch for proxy headers is [oslo_middleware] enable_proxy_headers_parsing
        'forwarded_allow_ips': '',
    }
    options.update(tls.gunicorn_options())
    return options


def _multiprocess_metrics(options):
    """Set up the workers' shared metrics directory; gunicorn hooks keep it tidy."""
    directory, made = metrics.prepare_multiprocess(
        CONF.metrics.multiproc_dir or os.environ.get(metrics.ENV) or None)
    options['child_exit'] = lambda server, worker: metrics.worker_exited(worker.pid)
    if made:
        options['on_exit'] = lambda server: metrics.remove_directory(directory)


def main(argv=None):
    startup.parse_args(
        argv, prog='anvil-api',
        description='The anvil API (Ironic-compatible HTTP) under gunicorn; it '
                    'forwards vendor passthru calls to the conductors over RabbitMQ.',
        first_options='Changed first: [api] host_ip, port, api_workers; [DEFAULT] '
                      'transport_url, auth_strategy; [database] connection.')
    from anvil.api import authentication
    authentication.warn_if_open(CONF.api.host_ip)
    try:
        options = gunicorn_options()
    except tls.TLSConfigError as exc:
        sys.exit('anvil-api: %s' % exc)
    if CONF.metrics.enabled:
        try:
            _multiprocess_metrics(options)
        except metrics.DirectoryInUse as exc:
            sys.exit('anvil-api: %s' % exc)
    _GunicornApp(options).run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
