"""anvil.cmd.tls: Ironic's TLS options turned into gunicorn and cheroot settings."""

import ssl

import pytest

from anvil.cmd import tls
from tests.functional.certificates import CertificateAuthority


@pytest.fixture
def pki(tmp_path, conf):
    ca = CertificateAuthority(tmp_path)
    cert_file, key_file = ca.issue('server')
    conf.set_override('enable_ssl_api', True, group='api')
    conf.set_override('cert_file', cert_file, group='ssl')
    conf.set_override('key_file', key_file, group='ssl')
    return ca.cert_file, cert_file, key_file


def test_off_by_default():
    assert tls.gunicorn_options() == {}
    assert tls.cheroot_adapter() is None


def test_gunicorn_https(pki):
    _, cert_file, key_file = pki
    options = tls.gunicorn_options()
    assert (options['certfile'], options['keyfile']) == (cert_file, key_file)
    assert 'ca_certs' not in options and 'cert_reqs' not in options


def test_ca_file_requires_client_certificates(pki, conf):
    ca_file = pki[0]
    conf.set_override('ca_file', ca_file, group='ssl')
    options = tls.gunicorn_options()
    assert (options['ca_certs'], options['cert_reqs']) == (ca_file, ssl.CERT_REQUIRED)
    assert tls.cheroot_adapter().context.verify_mode == ssl.CERT_REQUIRED


def test_cheroot_adapter_without_ca_file_asks_no_client_certificate(pki):
    assert tls.cheroot_adapter().context.verify_mode == ssl.CERT_NONE


def test_bad_ciphers_refused(pki, conf):
    conf.set_override('ciphers', 'NO-SUCH-CIPHER', group='ssl')
    with pytest.raises(tls.TLSConfigError, match=r"\[ssl\] ciphers 'NO-SUCH-CIPHER'"):
        tls.gunicorn_options()


def test_unreadable_ca_file_refused(pki, conf, tmp_path):
    conf.set_override('ca_file', str(tmp_path / 'absent.pem'), group='ssl')
    with pytest.raises(tls.TLSConfigError, match=r'\[ssl\] ca_file .* cannot be read'):
        tls.cheroot_adapter()
