"""Who is calling: ``[DEFAULT] auth_strategy`` as a WSGI layer in front of the app.

Three strategies, with Ironic's names and meaning:

- ``keystone``: keystonemiddleware's ``auth_token`` validates the token and
  sets the identity headers (``[keystone_authtoken]`` options).
- ``http_basic``: user and bcrypt password from an htpasswd file
  (``http_basic.py``); the user gets the admin persona.
- ``noauth``: nobody is asked; every caller gets the admin persona. For the
  all-in-one on loopback.

Whatever the strategy, identity headers a client sends itself (``X-User-Id``,
``X-Roles``, ``OpenStack-System-Scope``, ...) are dropped first, so after this
layer ``environ['HTTP_X_USER_ID']``, ``HTTP_X_PROJECT_ID``, ``HTTP_X_ROLES`` and
``HTTP_OPENSTACK_SYSTEM_SCOPE`` hold what the strategy established and nothing
else. ``/``, ``/v1`` and ``/healthcheck`` answer without credentials (and
``/metrics`` with ``[metrics] public``). A ``/healthcheck`` request that
does carry credentials is authenticated, so that an admin gets the detailed
view (``anvil.api.healthcheck``); under ``noauth`` every caller is that admin.
"""

import ipaddress

from oslo_log import log

from anvil.common.config import CONF

LOG = log.getLogger(__name__)

PUBLIC_PATHS = frozenset({'/', '/v1', '/healthcheck'})
#: Public paths whose callers are identified when they send credentials.
_IDENTIFIED_IF_CREDENTIALS = frozenset({'/healthcheck'})
_CREDENTIAL_HEADERS = ('HTTP_X_AUTH_TOKEN', 'HTTP_AUTHORIZATION')
#: The persona ``noauth`` and ``http_basic`` give: a system-scoped admin, as
#: Ironic treats every caller of those strategies.
ADMIN_PERSONA = {'HTTP_X_ROLES': 'admin,member,reader', 'HTTP_OPENSTACK_SYSTEM_SCOPE': 'all',
                 'HTTP_X_IDENTITY_STATUS': 'Confirmed'}
# Headers a client may not set: the identity that keystonemiddleware (or the
# strategy here) sets. X-Auth-Token and X-Service-Token are credentials, kept.
_IDENTITY_PREFIXES = ('HTTP_X_IDENTITY_', 'HTTP_X_SERVICE_', 'HTTP_X_USER', 'HTTP_X_PROJECT',
                      'HTTP_X_TENANT', 'HTTP_X_DOMAIN', 'HTTP_X_ROLE', 'HTTP_X_IS_ADMIN',
                      'HTTP_OPENSTACK_SYSTEM_SCOPE', 'HTTP_X_SYSTEM_SCOPE')
_CREDENTIALS = frozenset({'HTTP_X_SERVICE_TOKEN'})


def drop_identity_headers(environ):
    """Remove every identity header the client sent (in place)."""
    for key in [k for k in environ if k.startswith(_IDENTITY_PREFIXES)]:
        if key not in _CREDENTIALS:
            del environ[key]


def _path(environ):
    path = environ.get('PATH_INFO', '') or '/'
    if len(path) > 1:
        path = path.rstrip('/') or '/'
    return path


def is_public(environ, public_paths=PUBLIC_PATHS):
    """True for the paths anyone may read (version discovery, health)."""
    return _path(environ) in public_paths


class Authentication:
    """WSGI middleware: drop forged identity, then authenticate non-public paths.

    ``authenticated_app`` is the app wrapped by the strategy's checker: it
    answers 401 itself or calls the app with the identity set in environ.
    """

    def __init__(self, app, authenticated_app, public_paths=PUBLIC_PATHS, everyone=False):
        self.app = app
        self.authenticated_app = authenticated_app
        self.public_paths = public_paths
        #: noauth: everyone gets the persona, on public paths too
        self.everyone = everyone

    def __call__(self, environ, start_response):
        drop_identity_headers(environ)
        path = _path(environ)
        if path in self.public_paths and not (path in _IDENTIFIED_IF_CREDENTIALS and (
                self.everyone or any(environ.get(h) for h in _CREDENTIAL_HEADERS))):
            return self.app(environ, start_response)
        return self.authenticated_app(environ, start_response)


class _AdminPersona:
    """``noauth``: every request is a system-scoped admin with no user."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ.update(ADMIN_PERSONA)
        return self.app(environ, start_response)


def _keystone(app):
    # Imported here: keystonemiddleware registers its options when imported,
    # and deployments without Keystone need not pay for it.
    from keystonemiddleware import auth_token
    return auth_token.AuthProtocol(app, {'oslo_config_config': CONF})


def _http_basic(app):
    from anvil.api import http_basic
    return http_basic.BasicAuth(app, CONF.http_basic_auth_user_file, ADMIN_PERSONA)


_STRATEGIES = {'noauth': _AdminPersona, 'keystone': _keystone, 'http_basic': _http_basic}


def wrap(app):
    """``app`` behind the configured strategy. Raises ValueError for an unknown one."""
    strategy = CONF.auth_strategy
    if strategy not in _STRATEGIES:
        raise ValueError('Unknown auth_strategy %r' % strategy)
    public = PUBLIC_PATHS | {'/metrics'} if CONF.metrics.public else PUBLIC_PATHS
    return Authentication(app, _STRATEGIES[strategy](app), public, strategy == 'noauth')


def warn_if_open(host):
    """Log a warning when ``noauth`` serves an address beyond this host."""
    if CONF.auth_strategy == 'noauth' and not is_loopback(host):
        LOG.warning('auth_strategy is noauth and the API listens on %s: anyone who can '
                    'reach that address can call every vendor method on every BMC as an '
                    'admin. Use auth_strategy = keystone or http_basic, or listen on '
                    '127.0.0.1 only.', host)


def is_loopback(host):
    """True for a loopback address or name (only this host can reach it)."""
    if host in ('localhost', 'localhost.localdomain'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
