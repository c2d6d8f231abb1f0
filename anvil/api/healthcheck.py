"""GET /healthcheck: oslo.middleware's healthcheck, anvil's checks, details for admins.

Ironic's ``[healthcheck]`` options: ``enabled``, ``backends`` (by default
anvil's database, message bus and conductors checks, then
``disable_by_file``: ``touch`` the ``disable_by_file_path`` file to drain
this API out of a load balancer -- 503 while it exists), ``detailed``,
``allowed_source_ranges``, ``ignore_proxied_requests``.

The library decides "detailed or not" once, from the configuration; here
it is decided per request: ``detailed`` says whether the view exists, and
only a caller the policy rule ``baremetal:healthcheck:detailed`` allows
(system admin by default) gets it. Anonymous callers (the path is public)
get the reasons alone. A caller who wants the detailed view sends
credentials; ``anvil.api.authentication`` authenticates them (401 when they
are wrong) and lets anonymous callers through.
"""

import threading

from oslo_middleware import healthcheck as oslo_healthcheck

from anvil.api import policy
from anvil.common.config import CONF
from anvil.common.context import RequestContext

PATH = '/healthcheck'
DETAIL_RULE = 'baremetal:healthcheck:detailed'


class Healthcheck(oslo_healthcheck.Healthcheck):
    """The library's healthcheck app, with ``detailed`` decided per request."""

    _request = threading.local()

    @property
    def _show_details(self):
        return getattr(self._request, 'detailed', False)

    @_show_details.setter
    def _show_details(self, configured):  # the library sets it once, from [healthcheck]
        self._details_exist = configured

    def process_request(self, req):
        self._request.detailed = self._details_exist and self._may_see_details(req.environ)
        try:
            return super().process_request(req)
        finally:
            self._request.detailed = False

    @staticmethod
    def _may_see_details(environ):
        if 'HTTP_X_ROLES' not in environ:  # anonymous: authentication set no identity
            return False
        return policy.allowed(DETAIL_RULE, RequestContext.from_authenticated_environ(environ))


class _Router:
    """``/healthcheck`` to the healthcheck app, everything else to the API."""

    def __init__(self, app, health):
        self.app = app
        self.health = health

    def __call__(self, environ, start_response):
        if (environ.get('PATH_INFO') or '/').rstrip('/') == PATH:
            return self.health(environ, start_response)
        return self.app(environ, start_response)


def wrap(wsgi_app):
    """``wsgi_app`` with /healthcheck in front of it, unless ``[healthcheck] enabled`` is off."""
    if not CONF.healthcheck.enabled:
        return wsgi_app
    # the API behind it answers what the library lets through (allowed_source_ranges)
    return _Router(wsgi_app, Healthcheck(wsgi_app, CONF))
