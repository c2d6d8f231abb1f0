"""A conductor's own liveness, as an oslo.middleware healthcheck backend.

``anvil_heartbeat`` fails when this conductor's last successful heartbeat
is older than ``[conductor] heartbeat_timeout`` (the others then count it
dead and take its nodes) or when it is stopping. ``ConductorService``
reports each heartbeat here. Served with the database and bus checks on
``[conductor] metrics_port`` (``anvil.conductor.status_server``).
"""

import time

from oslo_middleware.healthcheck import pluginbase

from anvil.common.config import CONF


class _Liveness:
    last_heartbeat = None   # time.monotonic() of the last successful heartbeat
    stopping = False


def heartbeat_succeeded():
    _Liveness.last_heartbeat = time.monotonic()
    _Liveness.stopping = False


def stopping():
    _Liveness.stopping = True


class HeartbeatCheck(pluginbase.HealthcheckBaseExtension):
    """This conductor heartbeats and is not stopping."""

    def healthcheck(self, server_port):
        if _Liveness.stopping:
            return pluginbase.HealthcheckResult(available=False, reason='conductor stopping')
        if _Liveness.last_heartbeat is None:
            return pluginbase.HealthcheckResult(available=False, reason='not registered yet')
        age = time.monotonic() - _Liveness.last_heartbeat
        if age > CONF.conductor.heartbeat_timeout:
            return pluginbase.HealthcheckResult(
                available=False, reason='heartbeat failing',
                details='last heartbeat %.0f s ago' % age)
        return pluginbase.HealthcheckResult(available=True, reason='heartbeat OK',
                                            details='last heartbeat %.1f s ago' % age)
