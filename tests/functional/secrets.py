"""Every password and token the functional tests use, and the scan of anvil's logs for them.

A fixture or test that hands anvil a secret registers it in one line
(``secrets.register(value, 'what it is')``): BMC passwords, HTTP Basic
passwords, Keystone passwords and tokens. At the end of the session the
``secret_scan`` fixture (conftest) reads every ``*.log`` file under pytest's
base temporary directory -- deployments' and all-in-ones' process logs --
and fails naming the file and the secret if one appears. Logs that are not
anvil's (the BMC emulator's: it is told the password) are excluded with
``not_anvils(path)``.
"""

import os

#: value -> what it is (for the failure message)
_SECRETS = {}
_NOT_ANVILS = set()
#: shorter values would match ordinary words; tests use longer secrets
MIN_LENGTH = 6


def register(value, what='secret'):
    """Scan anvil's logs for ``value`` at the end of the session; returns ``value``."""
    if value is None or len(str(value)) < MIN_LENGTH:
        raise ValueError('a registered secret needs %d characters or more' % MIN_LENGTH)
    _SECRETS.setdefault(str(value), what)
    return value


def not_anvils(path):
    """Exclude the log at ``path`` from the scan (a test double's, not anvil's)."""
    _NOT_ANVILS.add(os.path.realpath(str(path)))


def registered():
    """A copy of the registry: {value: what}."""
    return dict(_SECRETS)


def log_files(root):
    """Every ``*.log`` under ``root`` but the excluded ones, sorted."""
    found = []
    for directory, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(directory, name)
            if name.endswith('.log') and os.path.realpath(path) not in _NOT_ANVILS:
                found.append(path)
    return sorted(found)


def leaks(root, secrets=None):
    """[(log path, what, value)] for every registered secret found in a log under ``root``."""
    secrets = registered() if secrets is None else secrets
    found = []
    for path in log_files(root):
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
        found.extend((path, what, value) for value, what in secrets.items() if value in text)
    return found


def check(root, secrets=None):
    """Raise AssertionError naming each log file and secret that leaked."""
    found = leaks(root, secrets)
    if found:
        raise AssertionError('Secrets in anvil logs:\n' + '\n'.join(
            '%s: %s %r' % (path, what, value) for path, what, value in found))
