"""TLS: the API over HTTPS, behind a TLS-terminating proxy, and RabbitMQ over TLS.

A certificate authority made by the test signs the server (and a client)
certificate. Both deployments serve HTTPS with Ironic's options
(``[api] enable_ssl_api``, ``[ssl] cert_file/key_file/ca_file``): anvil-api
under gunicorn and the all-in-one under cheroot. The real ``baremetal`` CLI
(``--os-cacert``) and openstacksdk talk to them; RabbitMQ is reached through
stunnel with ``[oslo_messaging_rabbit] ssl``.
"""

import contextlib
import os
import signal
import socket
import subprocess

import openstack
import pytest
import requests

from tests.functional import services
from tests.functional.all_in_one import AllInOne
from tests.functional.certificates import CertificateAuthority
from tests.functional.deployment import BIN, Deployment, wait_for, write_config
from tests.functional.stunnel import running_stunnel
from tests.functional.test_cli import debug_reply, ok, rows_by_first_column

pytestmark = pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    """The CA and its server and client certificates (files in a temporary directory)."""
    ca = CertificateAuthority(tmp_path_factory.mktemp('pki'))
    server = ca.issue('server')
    client = ca.issue('client', client=True)
    return {'ca': ca.cert_file, 'server': server, 'client': client}


def https_sections(pki, ca_file=None):
    cert_file, key_file = pki['server']
    ssl_section = {'cert_file': cert_file, 'key_file': key_file}
    if ca_file:
        ssl_section['ca_file'] = ca_file
    return {'api': {'enable_ssl_api': 'true'}, 'ssl': ssl_section}


@contextlib.contextmanager
def started(dep, cleanup=lambda: None):
    """``dep`` started for the block and stopped after it, its logs printed on failure."""
    try:
        try:
            dep.start()
        except Exception:
            print(dep.logs())
            raise
        yield dep
    finally:
        if isinstance(dep, AllInOne):
            dep.stop()
        else:
            for proc in list(dep.conductors.values()) + [dep.api]:
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
            dep.stop()
        cleanup()


@pytest.fixture(scope='module')
def https_deployment(tmp_path_factory, pki):
    """anvil-api (gunicorn, HTTPS) + one conductor on RabbitMQ and PostgreSQL."""
    services.require_rabbit()
    database = services.postgres_database()
    dep = Deployment(tmp_path_factory.mktemp('https-dep'), database.url, services.RABBIT_URL,
                     conductors=1, extra=https_sections(pki))
    dep.use_tls(pki['ca'])
    with started(dep, database.drop):
        yield dep


@pytest.fixture(scope='module')
def https_all_in_one(tmp_path_factory, pki):
    aio = AllInOne(tmp_path_factory.mktemp('https-aio'), extra=https_sections(pki))
    aio.use_tls(pki['ca'])
    with started(aio):
        yield aio


@pytest.fixture(scope='module', params=['multi-process', 'all-in-one'])
def target(request):
    name = 'https_deployment' if request.param == 'multi-process' else 'https_all_in_one'
    return request.getfixturevalue(name)


# -- the API over HTTPS ----------------------------------------------------------

def test_cli_lists_drivers_and_calls_passthru(target):
    header, rows = rows_by_first_column(ok(target.cli('driver', 'list')))
    assert list(rows) == ['fake-hardware']
    target.create_node('tls-cli')
    # async: 202, nothing printed; sync: the CLI cannot print a bare `true`
    # (test_cli.py says why), --debug shows the 200 reply
    result = target.cli('node', 'passthru', 'call', 'tls-cli', 'second_method',
                        '--arg', 'bar=kazoo')
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    result = target.cli('--debug', 'node', 'passthru', 'call', 'tls-cli',
                        'third_method_sync', '--arg', 'bar=meow')
    assert 'POST %s/v1/nodes/tls-cli/vendor_passthru/third_method_sync' % target.url \
        in result.stderr
    assert debug_reply(result) == (200, 'true')
    wait_for(lambda: any(e['event'].startswith('Vendor passthru second_method succeeded')
                         for e in target.history('tls-cli')), 30, interval=0.2,
             what='the async call recorded')


def test_cli_without_the_ca_refuses_the_certificate(target):
    env = dict(os.environ, OS_AUTH_TYPE='none', OS_ENDPOINT=target.url)
    for key in ('OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN', 'OS_CACERT'):
        env.pop(key, None)
    result = subprocess.run([os.path.join(BIN, 'baremetal'), 'driver', 'list'], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result
    assert 'CERTIFICATE_VERIFY_FAILED' in result.stderr, result.stderr


def test_sdk_with_the_ca(target):
    conn = openstack.connect(auth_type='none', baremetal_endpoint_override=target.url,
                             cacert=target.ca_file, load_envvars=False,
                             load_yaml_config=False)
    try:
        assert conn.baremetal.get_endpoint().rstrip('/') == target.url + '/v1'
        assert [d.name for d in conn.baremetal.drivers()] == ['fake-hardware']
        resp = conn.baremetal.call_driver_vendor_passthru('fake-hardware', 'POST',
                                                          'driver_echo', {'a': 1})
        assert resp.status_code == 200
        assert resp.json()['echo'] == {'a': 1}
    finally:
        conn.close()


def test_links_say_https(target):
    root = target.get('/').json()
    assert root['default_version']['links'][0]['href'] == target.url + '/v1/'
    v1 = target.get('/v1').json()
    assert v1['nodes'][0]['href'] == target.url + '/v1/nodes/'
    node = target.create_node('tls-links')
    assert node['links'][0]['href'] == '%s/v1/nodes/%s' % (target.url, node['uuid'])


def test_plain_http_to_the_https_port_fails_cleanly(target):
    plain_url = target.url.replace('https://', 'http://', 1)
    with pytest.raises(requests.ConnectionError):  # gunicorn and cheroot close it
        requests.get(plain_url + '/v1', timeout=10)
    # a raw request: an answer or a close, never a hang
    with socket.create_connection(('127.0.0.1', target.port), 10) as sock:
        sock.sendall(b'GET /v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        sock.settimeout(10)
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:
            reply = b''
    assert not reply or reply.startswith(b'HTTP/1.1 400'), reply
    assert target.get('/v1').status_code == 200  # and the server serves on


def test_all_in_one_banner_says_https(https_all_in_one):
    assert 'anvil is running at %s  (' % https_all_in_one.url in https_all_in_one.process.log()


def test_mutual_tls_with_ca_file(tmp_path, pki, https_deployment):
    """``[ssl] ca_file``: only clients with a certificate from that CA get in."""
    config = https_sections(pki, ca_file=pki['ca'])
    api, url = https_deployment.start_extra_api('api-mtls', config)
    os.makedirs(tmp_path / 'aio-mtls')
    aio = AllInOne(tmp_path / 'aio-mtls', extra=config)
    try:
        url = url.replace('http://', 'https://', 1)
        wait_for(lambda: _answers(url + '/v1', pki) or api.popen.poll() is not None, 60,
                 what='anvil-api with ca_file answering')
        assert api.popen.poll() is None, api.log()
        aio.use_tls(pki['ca'])
        _start_aio_with_client_cert(aio, pki)
        for base in (url, aio.url):
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(base + '/v1', verify=pki['ca'], timeout=10)
            assert _answers(base + '/v1', pki)
    finally:
        api.stop()
        aio.stop()


def _answers(url, pki):
    try:
        return requests.get(url, verify=pki['ca'], cert=pki['client'],
                            timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _start_aio_with_client_cert(aio, pki):
    """Start the all-in-one whose API wants client certificates, and wait for it."""
    aio.request = _with_client_cert(aio.request, pki)
    aio._api_up = lambda: _answers(aio.url + '/v1', pki)
    aio.start()


def _with_client_cert(request, pki):
    def wrapped(*args, **kwargs):
        kwargs.setdefault('cert', pki['client'])
        return request(*args, **kwargs)
    return wrapped


# -- refusing to start -----------------------------------------------------------

@pytest.mark.parametrize('command', ['anvil-api', 'anvil'])
@pytest.mark.parametrize('case', ['no cert_file', 'missing key_file', 'mismatched key'])
def test_refuses_to_start_without_a_usable_certificate(tmp_path, pki, command, case):
    cert_file, key_file = pki['server']
    ssl_section = {'cert_file': cert_file, 'key_file': key_file}
    expected = {
        'no cert_file': r'[api] enable_ssl_api is true but [ssl] cert_file is not set',
        'missing key_file': '[ssl] key_file %s cannot be read: No such file or directory'
                            % (tmp_path / 'absent.key'),
        'mismatched key': '[ssl] cert_file %s and key_file %s do not load'
                          % (cert_file, pki['client'][1]),
    }[case]
    if case == 'no cert_file':
        del ssl_section['cert_file']
    elif case == 'missing key_file':
        ssl_section['key_file'] = tmp_path / 'absent.key'
    else:
        ssl_section['key_file'] = pki['client'][1]
    path = write_config(tmp_path / 'anvil.conf', {
        'DEFAULT': {'state_path': tmp_path / 'state'},
        'api': {'enable_ssl_api': 'true', 'port': 1}, 'ssl': ssl_section})
    result = subprocess.run([os.path.join(BIN, command), '--config-file', str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('%s: %s' % (command, expected)), lines
    assert not (tmp_path / 'state').exists()  # nothing started, nothing created


# -- behind a TLS-terminating proxy ----------------------------------------------

def test_proxy_headers(https_deployment):
    """``[oslo_middleware] enable_proxy_headers_parsing``: links follow X-Forwarded-*."""
    api, url = https_deployment.start_extra_api('api-proxied', {
        'api': {'enable_ssl_api': 'false'},
        'oslo_middleware': {'enable_proxy_headers_parsing': 'true'}})
    try:
        wait_for(lambda: _plain_up(url) or api.popen.poll() is not None, 60,
                 what='proxied anvil-api answering')
        assert api.popen.poll() is None, api.log()
        forwarded = {'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'bm.example.com'}
        root = requests.get(url + '/', headers=forwarded, timeout=10).json()
        assert root['default_version']['links'][0]['href'] == 'https://bm.example.com/v1/'
        v1 = requests.get(url + '/v1', headers={'X-Forwarded-Proto': 'https'},
                          timeout=10).json()
        assert v1['links'][0]['href'] == url.replace('http:', 'https:', 1) + '/v1/'
        node = https_deployment.create_node('tls-proxied')
        shown = requests.get('%s/v1/nodes/%s' % (url, node['uuid']), timeout=10,
                             headers=dict(forwarded, **{'X-Forwarded-Prefix': '/baremetal'})
                             ).json()
        assert shown['links'][0]['href'] == \
            'https://bm.example.com/baremetal/v1/nodes/%s' % node['uuid']
        # no header: the URL the request came to
        v1 = requests.get(url + '/v1', timeout=10).json()
        assert v1['links'][0]['href'] == url + '/v1/'
    finally:
        api.stop()
    # proxy headers parsing off (the default): the headers change nothing
    v1 = https_deployment.get('/v1', headers={'X-Forwarded-Proto': 'http',
                                               'X-Forwarded-Host': 'evil.example.com'}).json()
    assert v1['links'][0]['href'] == https_deployment.url + '/v1/'


def _plain_up(url):
    try:
        return requests.get(url + '/v1', timeout=2).status_code == 200
    except requests.RequestException:
        return False


# -- RabbitMQ over TLS -----------------------------------------------------------

def test_rabbitmq_over_tls(tmp_path, pki):
    """API and conductor reach RabbitMQ only through stunnel, with ``ssl = true``."""
    cert_file, key_file = pki['server']
    with running_stunnel(tmp_path, cert_file, key_file) as tunnel:
        database = services.postgres_database()
        dep = Deployment(tmp_path / 'dep', database.url, tunnel.url(), conductors=1,
                         extra={'oslo_messaging_rabbit': {'ssl': 'true',
                                                          'ssl_ca_file': pki['ca']}})
        os.makedirs(dep.workdir)
        with started(dep, database.drop):
            assert tunnel.forwarded() >= 2, tunnel.logs()  # the API's and the conductor's
            node = dep.create_node('tls-rabbit')
            resp = dep.post('/v1/nodes/tls-rabbit/vendor_passthru/third_method_sync',
                            {'bar': 'meow'})
            assert (resp.status_code, resp.json()) == (200, True), resp.text
            resp = dep.post('/v1/nodes/tls-rabbit/vendor_passthru/second_method',
                            {'bar': 'kazoo'})
            assert resp.status_code == 202, resp.text
            wait_for(lambda: any(e['event'] == 'Vendor passthru second_method succeeded: '
                                               'returned True'
                                 for e in dep.history(node['uuid'])), 30, interval=0.2,
                     what='the async call recorded')
    assert tunnel.process.popen.returncode is not None  # stunnel is gone
