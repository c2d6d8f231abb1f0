"""HTTPS for the API servers: ``[api] enable_ssl_api`` and the ``[ssl]`` files.

The option names are Ironic's, so an Ironic operator's configuration carries
over. anvil-api hands the files to gunicorn, the all-in-one to cheroot's
builtin SSL adapter. Both check the files first with the same SSL context a
server would build, so a missing, unreadable or mismatched certificate or key
stops the command at once with one clear line instead of a worker that fails
to boot, or a server that only fails at the first connection.
"""

import ssl

from anvil.common.config import CONF


class TLSConfigError(Exception):
    """The TLS settings cannot work: the message names the option and the file."""


def enabled():
    return CONF.api.enable_ssl_api


def _readable(option):
    path = getattr(CONF.ssl, option)
    if not path:
        raise TLSConfigError('[api] enable_ssl_api is true but [ssl] %s is not set' % option)
    try:
        with open(path, 'rb'):
            pass
    except OSError as exc:
        raise TLSConfigError('[ssl] %s %s cannot be read: %s'
                             % (option, path, exc.strerror or exc)) from exc
    return path


def check():
    """Build the server context once from the configured files.

    :raises TLSConfigError: cert_file or key_file unset or unreadable, a
        ca_file that cannot be read, a certificate and key that do not load
        or do not match, or ciphers OpenSSL does not know.
    """
    cert_file, key_file = _readable('cert_file'), _readable('key_file')
    ca_file = _readable('ca_file') if CONF.ssl.ca_file else None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as exc:
        raise TLSConfigError('[ssl] cert_file %s and key_file %s do not load as a '
                             'certificate and its key: %s'
                             % (cert_file, key_file, exc.reason or exc)) from exc
    if ca_file:
        try:
            context.load_verify_locations(ca_file)
        except ssl.SSLError as exc:
            raise TLSConfigError('[ssl] ca_file %s holds no usable CA certificate: %s'
                                 % (ca_file, exc.reason or exc)) from exc
    if CONF.ssl.ciphers:
        try:
            context.set_ciphers(CONF.ssl.ciphers)
        except ssl.SSLError as exc:
            raise TLSConfigError('[ssl] ciphers %r selects no cipher'
                                 % CONF.ssl.ciphers) from exc


def gunicorn_options():
    """gunicorn settings for HTTPS (none when it is off).

    :raises TLSConfigError: see ``check``.
    """
    if not enabled():
        return {}
    check()
    options = {'certfile': CONF.ssl.cert_file, 'keyfile': CONF.ssl.key_file}
    if CONF.ssl.ca_file:
        options.update(ca_certs=CONF.ssl.ca_file, cert_reqs=ssl.CERT_REQUIRED)
    if CONF.ssl.ciphers:
        options['ciphers'] = CONF.ssl.ciphers
    return options


def cheroot_adapter():
    """cheroot's builtin SSL adapter for the all-in-one (None when HTTPS is off).

    :raises TLSConfigError: see ``check``.
    """
    if not enabled():
        return None
    check()
    from cheroot.ssl import builtin
    adapter = builtin.BuiltinSSLAdapter(CONF.ssl.cert_file, CONF.ssl.key_file,
                                        CONF.ssl.ca_file or None, CONF.ssl.ciphers or None)
    if CONF.ssl.ca_file:
        # cheroot loads the CA but, as a server context, asks no client for a certificate
        adapter.context.verify_mode = ssl.CERT_REQUIRED
    return adapter
