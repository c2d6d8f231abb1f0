"""Fixtures of the API unit tests that need an authenticating app."""

import bcrypt
import pytest

from anvil.api import app as api_app


@pytest.fixture
def htpasswd(tmp_path):
    """A bcrypt htpasswd file: alice's password is s3cret-pw; bob's entry is not bcrypt."""
    path = tmp_path / 'htpasswd'
    hashed = bcrypt.hashpw(b's3cret-pw', bcrypt.gensalt(4)).decode()
    path.write_text('# users\nalice:%s\nbob:{SHA}notbcrypt\n' % hashed)
    return path


@pytest.fixture
def basic_client(conductor_api, conf, htpasswd):
    """A test client of the real app with ``auth_strategy = http_basic``."""
    conf.set_override('auth_strategy', 'http_basic')
    conf.set_override('http_basic_auth_user_file', str(htpasswd))
    return api_app.create_app(conductor_api).test_client()
