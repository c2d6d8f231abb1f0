"""``auth_strategy = http_basic``: HTTP Basic against a bcrypt htpasswd file.

A bcrypt check costs tens to hundreds of milliseconds of CPU by design, so:

- credentials that passed are remembered (a keyed hash of user and password,
  never the password) for ``_GOOD_TTL`` seconds, or until the file changes:
  a client sending the same good credentials pays one HMAC per request;
- an unknown user, a malformed header or a non-bcrypt entry is refused
  without any bcrypt work;
- a user with ``_MAX_FAILURES`` wrong passwords in the last ``_FAILURE_WINDOW``
  seconds is refused without a check until the window passes (credentials
  already remembered keep working), and checks run one at a time per
  process: wrong passwords cannot keep more than one core busy, and cost at
  most ``_MAX_FAILURES`` checks per user per window.

The file is re-read when its modification time or size changes, so users
can be added or removed without a restart.
"""

import base64
import binascii
import collections
import hashlib
import hmac
import os
import secrets
import threading
import time

import bcrypt
from oslo_log import log

from anvil.api.errors import error_body

LOG = log.getLogger(__name__)

REALM = 'Baremetal API'
_GOOD_TTL = 300.0
_MAX_FAILURES = 5
_FAILURE_WINDOW = 60.0
_STAT_INTERVAL = 1.0
_BCRYPT_PREFIXES = (b'$2a$', b'$2b$', b'$2y$')


class HtpasswdFile:
    """The users and bcrypt hashes of an htpasswd file, re-read when it changes."""

    def __init__(self, path):
        self.path = path
        self._signature = None
        self._checked_at = 0.0
        self._entries = {}
        self._lock = threading.Lock()

    def lookup(self, user):
        """(bcrypt hash or None, signature of the file version read)."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= _STAT_INTERVAL:
                self._checked_at = now
                self._reload_if_changed()
            return self._entries.get(user), self._signature

    def _reload_if_changed(self):
        try:
            stat = os.stat(self.path)
        except OSError as e:
            if self._signature is not None or not self._entries:
                LOG.error('Cannot read http_basic_auth_user_file %s: %s', self.path, e)
            self._entries, self._signature = {}, None
            return
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature != self._signature:
            self._entries = self._parse()
            self._signature = signature

    def _parse(self):
        entries = {}
        with open(self.path, 'rb') as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith(b'#'):
                    continue
                user, sep, hashed = line.partition(b':')
                if not sep or not hashed.startswith(_BCRYPT_PREFIXES):
                    LOG.warning('%s line %d: not "user:bcrypt-hash", ignored', self.path,
                                number)
                    continue
                entries[user.decode('utf-8', 'replace')] = hashed
        return entries


class CredentialChecker:
    """Decides whether a user and password are good, sparing bcrypt where it can."""

    def __init__(self, htpasswd):
        self.htpasswd = htpasswd
        self._key = secrets.token_bytes(32)
        self._good = {}
        self._failures = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()
        self._bcrypt_turn = threading.Lock()

    def check(self, user, password):
        """True when ``password`` is ``user``'s (both str)."""
        hashed, version = self.htpasswd.lookup(user)
        if hashed is None:
            return False
        fingerprint = hmac.digest(self._key, b'%s\0%s' % (user.encode(), password.encode()),
                                  hashlib.sha256)
        now = time.monotonic()
        with self._lock:
            remembered = self._good.get(fingerprint)
            if remembered and remembered[0] > now and remembered[1] == version:
                return True
            if self._locked_out(user, now):
                return False
        with self._bcrypt_turn:
            good = _bcrypt_check(password, hashed)
        with self._lock:
            if good:
                self._forget_expired(now)
                self._good[fingerprint] = (now + _GOOD_TTL, version)
            else:
                self._failures[user].append(now)
        return good

    def _locked_out(self, user, now):
        failures = self._failures.get(user)
        if not failures:
            return False
        while failures and now - failures[0] > _FAILURE_WINDOW:
            failures.popleft()
        if not failures:
            del self._failures[user]
            return False
        return len(failures) >= _MAX_FAILURES

    def _forget_expired(self, now):
        if len(self._good) > 1000:
            self._good = {k: v for k, v in self._good.items() if v[0] > now}


def _bcrypt_check(password, hashed):
    try:
        return bcrypt.checkpw(password.encode('utf-8'), hashed)
    except ValueError:  # a damaged hash in the file
        return False


def parse_authorization(header):
    """(user, password) from a ``Basic`` Authorization header, or None if malformed."""
    scheme, _, encoded = (header or '').strip().partition(' ')
    if scheme.lower() != 'basic' or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode('utf-8')
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(':')
    if not sep or not user:
        return None
    return user, password


class BasicAuth:
    """WSGI middleware: 401 with a Basic challenge unless the credentials are good.

    A good user gets the environ entries of ``persona`` (roles, scope) and
    its name as user id.
    """

    def __init__(self, app, user_file, persona):
        self.app = app
        self.persona = persona
        self.checker = CredentialChecker(HtpasswdFile(user_file))

    def __call__(self, environ, start_response):
        credentials = parse_authorization(environ.get('HTTP_AUTHORIZATION'))
        if credentials is None:
            return _unauthorized(start_response, 'Missing or malformed Basic credentials')
        user, password = credentials
        if not self.checker.check(user, password):
            LOG.info('http_basic: refused credentials for user %r', user)
            return _unauthorized(start_response, 'Invalid credentials')
        environ.update(self.persona)
        environ['HTTP_X_USER_ID'] = environ['HTTP_X_USER_NAME'] = user
        return self.app(environ, start_response)


def _unauthorized(start_response, message):
    body = error_body(401, 'HTTP 401 Unauthorized: %s' % message).encode()
    start_response('401 Unauthorized', [
        ('Content-Type', 'application/json'), ('Content-Length', str(len(body))),
        ('WWW-Authenticate', 'Basic realm="%s"' % REALM)])
    return [body]
