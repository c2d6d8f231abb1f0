"""Behind a TLS-terminating proxy: ``[oslo_middleware] enable_proxy_headers_parsing``.

When it is on, oslo.middleware's HTTPProxyToWSGI takes the scheme, host and
client address from ``Forwarded`` (or ``X-Forwarded-Proto``, ``-Host``,
``-For``) and a path prefix from ``X-Forwarded-Prefix``, so the links in
``/``, ``/v1`` and resources name the URL the client used (``https://...``).
The middleware is only added when the option is on: it builds a webob request
for every call, a cost an API without a proxy in front need not pay. Only
enable it when a proxy that sets (and overwrites) these headers stands in
front of every client: otherwise a client can make the API write links to a
host of its choosing.
"""

from oslo_middleware import http_proxy_to_wsgi

from anvil.common.config import CONF

# registered here (the middleware itself would only once built) so the option reads
CONF.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')


def wrap(app):
    """Put the proxy-header middleware around ``app.wsgi_app`` when enabled."""
    if CONF.oslo_middleware.enable_proxy_headers_parsing:
        app.wsgi_app = http_proxy_to_wsgi.HTTPProxyToWSGI(app.wsgi_app, CONF)
