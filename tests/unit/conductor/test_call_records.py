"""What an async call's record keeps of its result and error: masked, and bounded."""

import json

from anvil.conductor.call_records import error_text, result_json


def test_secrets_are_masked_by_key_and_by_value(conf):
    secrets = frozenset({'tok-12345'})
    text, truncated = result_json({'password': 'pw', 'note': 'uses tok-12345', 'n': [1, 2]},
                                  secrets)
    assert json.loads(text) == {'password': '******', 'note': 'uses ******', 'n': [1, 2]}
    assert truncated is False


def test_a_long_result_is_cut_and_marked(conf):
    conf.set_override('passthru_call_result_size', 64, group='conductor')
    text, truncated = result_json({'data': 'x' * 500})
    assert truncated is True
    kept = json.loads(text)
    assert isinstance(kept, str) and len(kept) == 64
    assert kept.startswith('{"data": "xxx')


def test_bytes_are_described_by_their_size(conf):
    assert result_json(b'\x00' * 10) == ('"<10 bytes>"', False)


def test_none_is_a_result(conf):
    assert result_json(None) == ('null', False)


def test_a_value_json_cannot_hold_is_kept_as_its_masked_repr(conf):
    text, _ = result_json({'ids': {'tok-12345'}}, frozenset({'tok-12345'}))
    assert json.loads(text) == {'ids': "{'******'}"}


def test_errors_are_masked_and_cut(conf):
    conf.set_override('passthru_call_result_size', 64, group='conductor')
    message = error_text(RuntimeError('login failed password=hunter22 ' + 'y' * 100),
                         frozenset({'hunter22'}))
    assert 'hunter22' not in message
    assert message.startswith('login failed password=******')
    assert len(message) == 64
