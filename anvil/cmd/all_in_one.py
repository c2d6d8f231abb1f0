"""anvil: the whole system in one process, on the embedded defaults.

API and one conductor share the process: the conductor service is started
directly (no oslo.service launcher, which always forks), the API is served by
cheroot's threaded WSGI server, and the API reaches the conductor through the
in-process dispatcher (``[DEFAULT] rpc_transport = local``) or, if set to
``oslo``, through oslo.messaging. The schema is created or upgraded at start.
SIGTERM or Ctrl-C stops both cleanly.
"""

import errno
import os
import shutil
import signal
import sys
import threading

from cheroot import wsgi
from oslo_log import log

from anvil.cmd import tls
from anvil.common import startup
from anvil.common.config import CONF

LOG = log.getLogger(__name__)


_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}

# request line and headers together (gunicorn's, behind anvil-api: a request line
# of 4094 bytes, 100 header fields of 8190 bytes at most)
MAX_REQUEST_HEADER_SIZE = 64 * 1024


def main(argv=None):
    # Block the stop signals in every thread (threads inherit the mask) and wait
    # for them synchronously below. A Python handler would only run in the main
    # thread, and a signal the kernel hands to another thread does not wake a
    # main thread blocked on a lock: SIGTERM could go unnoticed.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    CONF.set_default('auth_strategy', 'noauth')  # the embedded setup, on loopback
    startup.parse_args(
        argv, prog='anvil',
        description='All of anvil in one process: the API on 127.0.0.1:6385 and one '
                    'conductor, on SQLite under state_path, without authentication.',
        first_options='Changed first: [api] host_ip, port; [DEFAULT] state_path; '
                      '[database] connection (another database).')
    from anvil.api import authentication
    authentication.warn_if_open(CONF.api.host_ip)
    try:
        ssl_adapter = tls.cheroot_adapter()
    except tls.TLSConfigError as exc:
        sys.exit('anvil: %s' % exc)
    from anvil.api import app as api_app
    from anvil.api import hash_ring, rpcapi
    from anvil.common import local_rpc
    from anvil.conductor.service import ConductorService
    from anvil.db import migration

    # listen first: a second anvil on the same port stops here, before it
    # touches the database or registers its conductor
    server = _listening_server(ssl_adapter)
    migration.upgrade()
    conductor = ConductorService(rpc_server=CONF.rpc_transport == 'oslo', status_server=False)
    conductor.start()
    client = None
    if CONF.rpc_transport == 'local':
        client = local_rpc.LocalClient(conductor.manager)
        from anvil.api import health_checks
        health_checks.use_in_process_bus()
    server.wsgi_app = api_app.create_app(
        rpcapi.ConductorAPI(hash_ring.TopologyCache(), client))
    thread = threading.Thread(target=server.serve, daemon=True, name='anvil-api')
    thread.start()
    url = '%s://%s:%s' % ('https' if ssl_adapter else 'http', CONF.api.host_ip,
                          server.bind_addr[1])
    print('anvil is running at %s  (database: %s)\n'
          'Try: OS_AUTH_TYPE=none OS_ENDPOINT=%s %s driver list\n'
          'Stop with Ctrl-C.' % (url, CONF.database.connection, url, _baremetal_cli()),
          flush=True)
    signal.sigwait(_STOP_SIGNALS)
    LOG.info('Stopping anvil')
    server.stop()
    conductor.stop()
    if not conductor.stopped_cleanly:
        # Methods outlived graceful_shutdown_timeout and their locks are freed:
        # end them with the process rather than let them run unlocked.
        os._exit(1)
    return 0


def _listening_server(ssl_adapter):
    """cheroot, bound to ``[api] host_ip:port`` (the app is set later).

    Exits with one line when the address cannot be had (another anvil on it).
    """
    server = wsgi.Server((CONF.api.host_ip, CONF.api.port), None,
                         numthreads=CONF.api.api_threads, server_name='anvil')
    server.ssl_adapter = ssl_adapter
    # cheroot's defaults accept headers of any size, and wait 10 s per read
    server.max_request_header_size = MAX_REQUEST_HEADER_SIZE
    server.timeout = CONF.api.request_read_timeout
    try:
        server.prepare()
    except OSError as exc:
        # cheroot folds the errno into its own message
        in_use = '[Errno %d]' % errno.EADDRINUSE in str(exc)
        sys.exit('anvil: cannot listen on %s:%s (%s). %s' % (
            CONF.api.host_ip, CONF.api.port,
            os.strerror(errno.EADDRINUSE) if in_use else exc,
            'Is another anvil running? Stop it, or set [api] port.' if in_use else ''))
    return server


def _baremetal_cli():
    """How to run the ``baremetal`` CLI installed beside anvil (in .venv, say)."""
    beside = os.path.join(os.path.dirname(sys.executable), 'baremetal')
    if not os.path.exists(beside) or shutil.which('baremetal') == beside:
        return 'baremetal'
    relative = os.path.relpath(beside)
    return relative if not relative.startswith('..') else beside


if __name__ == '__main__':
    sys.exit(main())
