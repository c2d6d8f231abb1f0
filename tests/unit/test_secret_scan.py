"""The functional suite's secret scan finds a planted secret, and only in anvil's logs."""

import pytest

from tests.functional import secrets


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_planted_secret_fails_the_scan_naming_file_and_secret(tmp_path):
    _write(tmp_path / 'deployment0' / 'api.log', 'GET /v1 200\n')
    leaky = _write(tmp_path / 'deployment0' / 'cond-1.log', 'login with planted-pw-991\n')
    _write(tmp_path / 'deployment0' / 'api.conf', 'planted-pw-991 is not a log\n')
    planted = {'planted-pw-991': 'test password'}
    with pytest.raises(AssertionError) as failed:
        secrets.check(tmp_path, planted)
    message = str(failed.value)
    assert str(leaky) in message and "test password 'planted-pw-991'" in message
    assert 'api.log' not in message and 'api.conf' not in message


def test_clean_logs_and_excluded_logs_pass(tmp_path):
    _write(tmp_path / 'a' / 'anvil.log', 'password ******\n')
    emulator = _write(tmp_path / 'bmc' / 'bmc.log', 'planted-pw-992\n')
    planted = {'planted-pw-992': 'BMC password'}
    assert secrets.leaks(tmp_path, planted) == [(str(emulator), 'BMC password',
                                                 'planted-pw-992')]
    secrets.not_anvils(emulator)
    secrets.check(tmp_path, planted)


def test_register_refuses_short_secrets_and_returns_the_value():
    with pytest.raises(ValueError):
        secrets.register('pw')
    assert secrets.register('long-enough-secret', 'unit') == 'long-enough-secret'
    assert secrets.registered()['long-enough-secret'] == 'unit'
