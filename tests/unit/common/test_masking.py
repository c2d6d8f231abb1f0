"""The masking policy: secret keys at any depth, JSON Patch ops, free text, tracebacks."""

from anvil.common import masking

BODY = {'redfish_address': 'https://bmc', 'redfish_password': 'pw-123456',
        'redfish_auth_type': 'session',
        'HttpHeaders': [{'Authorization': 'Bearer tok-abcdef'}],
        'nested': {'deeper': [{'auth_token': 'tok-zzzz'}], 'empty_password': ''}}


def test_mask_hides_secret_keys_at_any_depth_and_keeps_the_rest():
    masked = masking.mask(BODY)
    assert masked == {'redfish_address': 'https://bmc', 'redfish_password': '******',
                      'redfish_auth_type': 'session', 'HttpHeaders': '******',
                      'nested': {'deeper': [{'auth_token': '******'}], 'empty_password': ''}}


def test_header_style_keys_are_secret():
    for key in ('Authorization', 'X-Auth-Token', 'Cookie', 'X-Api-Key', 'auth',
                'keystone_credential', 'client_secret'):
        assert masking.is_secret_key(key), key
    for key in ('redfish_auth_type', 'redfish_username', 'Destination'):
        assert not masking.is_secret_key(key), key


def test_secret_values_from_bodies_and_json_patch():
    assert masking.secret_values(BODY) == {'pw-123456', 'Bearer tok-abcdef', 'tok-zzzz'}
    patch = [{'op': 'replace', 'path': '/driver_info/redfish_password', 'value': 'p4tch-pw'},
             {'op': 'add', 'path': '/extra/colour', 'value': 'blue'}]
    assert masking.secret_values(patch) == {'p4tch-pw'}


def test_mask_text_replaces_known_secrets_in_any_format():
    secrets = masking.secret_values(BODY)
    text = "boom: {'x': 'pw-123456'} sent Bearer tok-abcdef; password=hunter22"
    masked = masking.mask_text(text, secrets)
    for secret in ('pw-123456', 'tok-abcdef', 'hunter22'):
        assert secret not in masked
    assert masked.startswith('boom: ')


def test_short_secrets_are_masked_by_key_not_in_text():
    assert masking.mask_text('a b c', {'b'}) == 'a b c'
    assert masking.mask({'password': 'b'}) == {'password': '******'}


def test_describe_and_traceback_text():
    assert 'pw-123456' not in masking.describe(BODY, limit=1000)
    assert len(masking.describe(list(range(1000)), limit=20)) == 20
    try:
        raise ValueError('cannot use pw-123456')
    except ValueError as e:
        text = masking.traceback_text(e, {'pw-123456'})
    assert 'Traceback' in text and 'ValueError: cannot use ******' in text


def test_mask_keeps_plain_tuples_and_other_values():
    assert masking.mask(({'token': 'x'}, 1, None)) == ({'token': '******'}, 1, None)
    assert masking.describe((True, 2)) == '(True, 2)'
