"""A TLS terminator (stunnel, Debian's ``stunnel4``) in front of the local RabbitMQ.

RabbitMQ here listens in plain AMQP only; ``Stunnel`` accepts TLS on a port of
its own with a test certificate and forwards to the broker, so anvil's
``[oslo_messaging_rabbit] ssl`` path is exercised against the real broker.
tools/ci-packages.sh installs stunnel4 on a fresh CI machine.
"""

import contextlib
import os
import shutil
import socket
import urllib.parse

import pytest

from tests.functional import services
from tests.functional.deployment import Process, free_port, wait_for


def stunnel_binary():
    """Path of stunnel; skip (fail with ANVIL_TEST_REQUIRE_SERVICES=1) without it."""
    path = shutil.which('stunnel4') or shutil.which('stunnel')
    if path:
        return path
    message = 'stunnel is not installed (tools/ci-packages.sh installs stunnel4)'
    if services.REQUIRED:
        pytest.fail(message + ' (ANVIL_TEST_REQUIRE_SERVICES=1)')
    pytest.skip(message)


def _listening(port):
    try:
        with socket.create_connection(('127.0.0.1', port), 1):
            return True
    except OSError:
        return False


class Stunnel:
    """stunnel in the foreground: TLS on ``port``, plain AMQP to RabbitMQ."""

    def __init__(self, workdir, cert_file, key_file):
        self.workdir = str(workdir)
        self.port = free_port()
        broker = urllib.parse.urlparse(services.RABBIT_URL.replace('rabbit://', 'amqp://', 1))
        self.config = os.path.join(self.workdir, 'stunnel.conf')
        self.log_path = os.path.join(self.workdir, 'stunnel.log')
        with open(self.config, 'w') as f:
            f.write('foreground = yes\npid =\noutput = %s\ndebug = 5\n\n'
                    '[amqps]\naccept = 127.0.0.1:%d\nconnect = %s:%d\ncert = %s\nkey = %s\n'
                    % (self.log_path, self.port, broker.hostname, broker.port or 5672,
                       cert_file, key_file))
        self.process = Process('stunnel', [stunnel_binary(), self.config],
                               os.path.join(self.workdir, 'stunnel.out'))

    def start(self):
        self.process.start()
        wait_for(lambda: _listening(self.port) or self.process.popen.poll() is not None, 30,
                 what='stunnel listening')
        if self.process.popen.poll() is not None:
            raise AssertionError('stunnel exited with %s:\n%s'
                                 % (self.process.popen.returncode, self.logs()))
        return self

    def url(self):
        """The broker's URL with stunnel's port: credentials and vhost unchanged."""
        parsed = urllib.parse.urlparse(services.RABBIT_URL)
        netloc = '%s@127.0.0.1:%d' % (parsed.netloc.rpartition('@')[0], self.port)
        return parsed._replace(netloc=netloc).geturl()

    def forwarded(self):
        """How many TLS connections stunnel passed on to RabbitMQ (from its log)."""
        return self.logs().count('connected remote server')

    def logs(self):
        text = ''
        for path in (self.log_path, self.process.log_path):
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    text += f.read()
        return text

    def stop(self):
        return self.process.stop()


@contextlib.contextmanager
def running_stunnel(workdir, cert_file, key_file):
    """A started ``Stunnel`` for the block, stopped (SIGTERM) after it."""
    services.require_rabbit()
    tunnel = Stunnel(workdir, cert_file, key_file)
    try:
        yield tunnel.start()
    finally:
        tunnel.stop()
