"""Sushy clients built from ``[redfish]`` options, and the one way vendor code uses them.

``Bmcs.session(info, method, subject)`` is a context manager yielding the
sushy service root for a node's BMC from the shared cache; any sushy
failure inside it becomes an anvil error (``errors.translate``), and a
client that failed authentication or connection is dropped from the cache
so the next call logs in afresh. Timeouts and retries come from
``[redfish]``: with the defaults a request to a dead or silent BMC fails
within about ``connect_timeout + read_timeout`` seconds, well below
``rpc_response_timeout``.
"""

import contextlib
import dataclasses

import sushy
from oslo_log import log
from sushy import auth as sushy_auth
from sushy import connector as sushy_connector

from anvil.common import masking
from anvil.common.config import CONF
from anvil.drivers.redfish import client_cache, errors
from anvil.drivers.redfish import metrics as redfish_metrics

LOG = log.getLogger(__name__)

_AUTH = {'auto': sushy_auth.SessionOrBasicAuth, 'session': sushy_auth.SessionAuth,
         'basic': sushy_auth.BasicAuth}


@dataclasses.dataclass
class Client:
    """A sushy service root with the auth and connector it owns (to log out)."""

    root: sushy.Sushy
    auth: sushy_auth.AuthBase
    connector: sushy_connector.Connector

    def close(self):
        """Delete the Redfish session (if any) and close the HTTP connections.

        Raises sushy ConnectionError when the BMC cannot be reached; the
        session is forgotten all the same, so sushy's ``__del__`` does not
        try again (with its retries) in whatever thread collects the garbage.
        """
        try:
            self.auth.close()
        finally:
            forget = getattr(self.auth, 'reset_session_attrs', None)
            if forget is not None:
                forget()
            self.connector.close()


def timeouts():
    """(connect, read) seconds of every BMC request."""
    return CONF.redfish.connect_timeout, CONF.redfish.read_timeout


def request_bound():
    """Worst seconds one BMC request can take (attempts, timeouts, delays)."""
    attempts = CONF.redfish.server_side_retries
    return (attempts * sum(timeouts())
            + (attempts - 1) * CONF.redfish.server_side_retries_delay)


def build(key):
    """A logged-in Client for ``key`` (a ClientKey). Raises sushy errors."""
    connector = sushy_connector.Connector(
        key.address, verify=key.verify,
        server_side_retries=CONF.redfish.server_side_retries,
        server_side_retries_delay=CONF.redfish.server_side_retries_delay,
        default_request_timeout=CONF.redfish.read_timeout,
        connect_timeout=CONF.redfish.connect_timeout,
        response_callback=redfish_metrics.response_seen)
    auth = _AUTH[key.auth_type](username=key.username, password=key.password)
    try:
        root = sushy.Sushy(key.address, auth=auth, connector=connector)
    except Exception:
        connector.close()
        raise
    LOG.debug('Connected to BMC %r', key)
    return Client(root, auth, connector)


class Bmcs:
    """The BMC clients of one conductor process (built in the conductor, after fork)."""

    def __init__(self):
        self.cache = client_cache.ClientCache(
            build, Client.close, CONF.redfish.connection_cache_size,
            CONF.redfish.connection_cache_ttl)

    def close_all(self):
        """Log out of every BMC (conductor stopping), waiting one request bound at most."""
        if not self.cache.clear(timeout=request_bound()):
            LOG.warning('Some BMC sessions were not logged out in time; they will expire')

    @contextlib.contextmanager
    def session(self, info, method, subject=None):
        """Yield the sushy root for ``info``'s BMC; translate what goes wrong.

        ``subject`` (e.g. "node <uuid>") prefixes error messages. Raises
        DriverOperationError (code per ``errors``) for any BMC failure.
        """
        key = info.key()
        client = None
        try:
            client = self.cache.get(key)
            yield client.root
        except errors.TRANSLATED as e:
            redfish_metrics.failed(e)
            if client is not None and isinstance(e, errors.DROP_CLIENT):
                self.cache.drop(key, client)
            where = 'BMC %s' % info.address
            if client is None:
                where += ', logging in with redfish_auth_type %s' % info.auth_type
            if subject:
                where = '%s, %s' % (subject, where)
            secrets = (info.password,) if info.password else ()
            LOG.info('Redfish %s (%s) failed: %s', method, where,
                     masking.mask_text(e, secrets))
            raise errors.translate(e, method, where, timeouts(), login=client is None,
                                   secrets=secrets) from None
