"""anvil's own /healthcheck backends, plugged into oslo.middleware's healthcheck.

Each is an oslo.middleware healthcheck plugin (entry point group
``oslo.middleware.healthcheck``, named in ``[healthcheck] backends``). The
``reason`` of a result is shown to anyone and says what failed in a few
words; ``details`` (the error text, masked; which conductors serve what)
only to callers allowed the detailed view (see ``anvil.api.healthcheck``).

- ``anvil_database``: one ``SELECT 1`` through the process's engine.
- ``anvil_message_bus``: one cast, with no retry, to a topic nobody reads:
  it goes through the process's pooled broker connection, as a passthru
  call would, and fails at once when the broker is out of reach. An
  all-in-one on its in-process dispatcher has no bus to check.
- ``anvil_conductors``: every hardware type a conductor registered has at
  least one live conductor (the conductors table, as ``/v1/conductors``).

Each probe runs on a thread of its own check and is waited for at most
``[healthcheck] check_timeout`` seconds: a database or broker that accepts
the connection and never answers (a dead peer behind a proxy, a frozen
server) makes the check fail (``... not answering``), it does not hold
the request, and so the load balancer's probe, the gunicorn worker or the
conductor's status server. A probe still stuck when the next request comes
is not repeated: that request fails at once with the same reason, so
stuck probes never pile up (one thread per check at most).

A conductor's status server (``anvil.conductor.status_server``) runs the first
two as well, by their entry point names: it loads them, it does not import them.
"""

import os
import threading
import time

import futurist
import sqlalchemy as sa
from oslo_middleware.healthcheck import pluginbase

from anvil.common import masking, rpc
from anvil.common.config import CONF
from anvil.common.context import RequestContext
from anvil.db import conductors as db_conductors
from anvil.db import engine as db_engine

Result = pluginbase.HealthcheckResult


class _Bus:
    """How this process reaches conductors: the all-in-one may need no bus."""

    in_process = False


def use_in_process_bus():
    """The all-in-one on ``rpc_transport = local``: the bus check has nothing to do."""
    _Bus.in_process = True


def _failure(reason, error):
    text = masking.mask_text(str(error).strip() or type(error).__name__)
    return Result(available=False, reason=reason,
                  details='%s: %s' % (type(error).__name__, text.splitlines()[0]))


class BoundedCheck(pluginbase.HealthcheckBaseExtension):
    """A check whose probe (``probe()``, returning a Result) gets a deadline.

    ``silent_reason`` is the reason shown when the probe did not answer
    within ``[healthcheck] check_timeout`` seconds (or still has not since
    an earlier request). ``probe()`` reports its own failures as Results.
    """

    silent_reason = 'not answering'

    def __init__(self, *args):
        super().__init__(*args)
        self._lock = threading.Lock()
        self._pool = None
        self._pending = None   # (future, time.monotonic() it started)
        self._pid = None

    def probe(self):
        raise NotImplementedError

    def healthcheck(self, server_port):
        with self._lock:
            pending = self._pending
            if pending is None or pending[0].done():
                pending = self._pending = (self._executor().submit(self.probe),
                                           time.monotonic())
        future, started = pending
        timeout = CONF.healthcheck.check_timeout
        try:
            return future.result(timeout=max(0.0, started + timeout - time.monotonic()))
        except futurist.TimeoutError:
            return Result(available=False, reason=self.silent_reason,
                          details='no answer for %.1f s (check_timeout %.1f s)'
                                  % (time.monotonic() - started, timeout))

    def _executor(self):
        """One thread per check and process (made again after a fork)."""
        if self._pid != os.getpid():
            self._pool = futurist.ThreadPoolExecutor(max_workers=1)
            self._pid = os.getpid()
        return self._pool


class DatabaseCheck(BoundedCheck):
    """The database answers a query."""

    silent_reason = 'database not answering'

    def probe(self):
        try:
            with db_engine.reader() as conn:
                conn.execute(sa.text('SELECT 1'))
        except Exception as e:  # whatever it is, the database is not usable
            return _failure('database unreachable', e)
        return Result(available=True, reason='database OK',
                      details='dialect %s' % db_engine.get_engine().dialect.name)


class MessageBusCheck(BoundedCheck):
    """The message bus takes a message (the broker confirms each publish)."""

    silent_reason = 'message bus not answering'

    def __init__(self, *args):
        super().__init__(*args)
        self._client_lock = threading.Lock()
        self._client = None
        self._client_pid = None

    def _probe_client(self):
        """This process's RPC client for probes (made after any fork)."""
        if self._client_pid != os.getpid():
            with self._client_lock:
                if self._client_pid != os.getpid():
                    self._client = rpc.get_client().prepare(
                        topic='%s.bus_probe' % rpc.conductor_topic(), retry=0)
                    self._client_pid = os.getpid()
        return self._client

    def probe(self):
        if _Bus.in_process:
            return Result(available=True, reason='message bus not used',
                          details='in-process dispatcher (rpc_transport = local)')
        try:
            self._probe_client().cast(RequestContext(), 'bus_probe')
        except Exception as e:  # the driver's errors vary by transport
            return _failure('message bus unreachable', e)
        return Result(available=True, reason='message bus OK')


class ConductorsCheck(BoundedCheck):
    """Every registered hardware type has a live conductor."""

    silent_reason = 'conductors unknown (database not answering)'

    def probe(self):
        try:
            topology = db_conductors.get_topology(CONF.conductor.heartbeat_timeout)
        except Exception as e:
            return _failure('conductors unknown (database unreachable)', e)
        known = topology['known_types']
        serving = topology['hardware_types']
        if not known:
            return Result(available=False, reason='no conductor registered')
        details = '; '.join('%s: %s' % (hw, ', '.join(sorted(serving.get(hw, ()))) or 'none')
                            for hw in sorted(known))
        orphaned = sorted(known - set(serving))
        if orphaned:
            return Result(available=False, details=details,
                          reason='no live conductor for %s' % ', '.join(orphaned))
        return Result(available=True, reason='conductors OK', details=details)
