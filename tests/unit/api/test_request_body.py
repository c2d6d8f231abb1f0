"""Strict JSON bodies: the decoder itself (json_body) and every route that reads a body.

Each hostile body gets a 400 with a reason in Ironic's error body, on the
passthru routes, POST /v1/nodes and PATCH alike, and no node is left reserved.
"""

import json
import sys

import pytest

from anvil.api import json_body
from anvil.common import exception
from anvil.db import api as db_api
from tests.unit.api.helpers import LATEST, fault
from tests.unit.history_events import events

SYNC = '/v1/nodes/fake1/vendor_passthru/third_method_sync'
ASYNC = '/v1/nodes/fake1/vendor_passthru/second_method'
DRIVER = '/v1/drivers/fake-hardware/vendor_passthru/driver_echo'


def nested(levels, inner=b'1'):
    return b'[' * levels + inner + b']' * levels


def refused(raw, max_depth=32):
    with pytest.raises(exception.InvalidParameterValue) as caught:
        json_body.loads(raw, max_depth)
    return str(caught.value)


# -- the decoder ------------------------------------------------------------------


@pytest.mark.parametrize('text,expected', [
    ('1', 0), ('"x"', 0), ('{}', 1), ('[]', 1), ('[[]]', 2), ('[[], [[]]]', 3),
    ('{"a": {"b": [1, {"c": null}]}}', 4),
    ('["[[[[", "]]]]]]"]', 1),               # brackets in strings do not count
    ('{"k\\"[[": "\\\\", "v": [[]]}', 3),      # nor after escaped quotes
    ('"\\\\"', 0), ('["a\\\\", [["\\"]]"]', 3),
    ('"unterminated [[[[', 0), ('[[[ "unterminated ]]]', 3),
])
def test_depth(text, expected):
    assert json_body.depth(text) == expected


@pytest.mark.timeout(120)  # a quadratic scan or a backtracking pattern would hang here
def test_depth_is_linear_and_recursion_free():
    """A million levels, and the worst case for the string pattern, at recursion limit 100."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100)
    try:
        depths = [json_body.depth(text) for text in
                  ('[' * 10 ** 6, '{"a":' * 10 ** 6, '"' + '\\"' * 10 ** 6, '"\\"' * 10 ** 6)]
    finally:
        sys.setrecursionlimit(limit)
    assert depths[:2] == [10 ** 6, 10 ** 6]
    assert depths[2:] == [0, 0]


def test_depth_at_the_limit_is_parsed():
    assert json_body.loads(nested(32), 32) == json.loads(nested(32))
    assert refused(nested(33), 32) == ('Request body is nested 33 deep; the limit is 32 '
                                       '([api] max_json_depth)')


@pytest.mark.parametrize('levels', [1000, 100000])
def test_deeper_than_the_recursion_limit_is_400(levels):
    assert 'nested %d deep' % levels in refused(nested(levels))
    assert 'nested %d deep' % levels in refused(b'{"a":' * levels + b'1' + b'}' * levels)


@pytest.mark.parametrize('raw,reason', [
    (b'{"a": NaN}', 'NaN is not a JSON number'),
    (b'{"a": Infinity}', 'Infinity is not a JSON number'),
    (b'[-Infinity]', '-Infinity is not a JSON number'),
    (b'{"a": 1e400}', 'the number 1e400 is out of range'),
    (b'[-1.5E+999]', 'the number -1.5E+999 is out of range'),
    (b'{"a": "\\ud800"}', 'it contains an unpaired surrogate (\\uD800-\\uDFFF) escape'),
    (b'{"\\udfff": 1}', 'it contains an unpaired surrogate (\\uD800-\\uDFFF) escape'),
    (b'{"a": "\\ude00\\ud83d"}', 'it contains an unpaired surrogate (\\uD800-\\uDFFF) escape'),
    (b'{"a": "\xff"}', 'byte 7 is not UTF-8 (JSON is sent as UTF-8)'),
    (b'{"a": "\xed\xa0\x80"}', 'byte 7 is not UTF-8 (JSON is sent as UTF-8)'),  # CESU
    ('{"a": 1}'.encode('utf-16'), 'byte 0 is not UTF-8 (JSON is sent as UTF-8)'),
    ('{"a": 1}'.encode('utf-32'), 'byte 0 is not UTF-8 (JSON is sent as UTF-8)'),
    ('{"a": 1}'.encode('utf-16-le'),
     'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'),
    (b'\xef\xbb\xbf{"a": 1}', 'Unexpected UTF-8 BOM (decode using utf-8-sig): '
                              'line 1 column 1 (char 0)'),
    (b'[' + b'9' * 5000 + b']', 'Exceeds the limit (4300 digits) for integer string '
                                'conversion: value has 5000 digits; use '
                                'sys.set_int_max_str_digits() to increase the limit'),
])
def test_hostile_values_are_refused(raw, reason):
    assert refused(raw) == 'Request body is not valid JSON: %s' % reason


@pytest.mark.parametrize('raw,value', [
    (b'{"a": "\\ud83d\\ude00"}', {'a': '\U0001F600'}),    # a surrogate pair is fine
    (b'{"a": "\\\\ud800"}', {'a': '\\ud800'}),            # an escaped backslash, no escape
    ('{"a": "é€😀"}'.encode(), {'a': 'é€😀'}),
    (b'{"a": 1.7976931348623157e308, "b": -1e-400}', {'a': 1.7976931348623157e308, 'b': -0.0}),
    (b'[1, 2.5, true, null, "NaN"]', [1, 2.5, True, None, 'NaN']),
])
def test_valid_values_are_decoded(raw, value):
    assert json_body.loads(raw, 32) == value


@pytest.mark.timeout(120)  # a parse quadratic in the keys would hang here
def test_a_large_object_parses():
    """A 1 MiB body (the default limit) of 70,000 keys (its speed: bench, not here)."""
    raw = ('{%s}' % ','.join('"k%d":%d' % (i, i) for i in range(70000))).encode()
    assert len(raw) < 1024 * 1024
    assert len(json_body.loads(raw, 32)) == 70000


# -- through the API ----------------------------------------------------------------

HOSTILE = [
    ('deep array', nested(100000), 'Request body is nested 100000 deep; the limit is 32 '
                                   '([api] max_json_depth)'),
    ('NaN', b'{"bar": NaN}', 'Request body is not valid JSON: NaN is not a JSON number'),
    ('Infinity', b'{"bar": Infinity}',
     'Request body is not valid JSON: Infinity is not a JSON number'),
    ('lone surrogate', b'{"bar": "\\ud800"}', 'Request body is not valid JSON: it contains '
                                            'an unpaired surrogate (\\uD800-\\uDFFF) escape'),
    ('latin-1', b'{"bar": "caf\xe9"}',
     'Request body is not valid JSON: byte 12 is not UTF-8 (JSON is sent as UTF-8)'),
    ('utf-16', '{"bar": "meow"}'.encode('utf-16'),
     'Request body is not valid JSON: byte 0 is not UTF-8 (JSON is sent as UTF-8)'),
]
CONTENT_TYPES = ['application/json', None, 'text/plain', 'application/x-www-form-urlencoded']


@pytest.mark.parametrize('content_type', CONTENT_TYPES)
@pytest.mark.parametrize('url', [SYNC, ASYNC, DRIVER])
@pytest.mark.parametrize('raw,message', [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_passthru_refuses(client, node, url, raw, message, content_type):
    resp = client.post(url, data=raw, content_type=content_type, headers=LATEST)
    assert resp.status_code == 400, resp.data
    assert fault(resp) == message
    assert db_api.get_node(node['uuid'])['reservation'] is None
    assert events(node['uuid']) == []


@pytest.mark.parametrize('raw,message', [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_create_node_refuses(client, raw, message):
    resp = client.post('/v1/nodes', data=raw, content_type='application/json', headers=LATEST)
    assert resp.status_code == 400, resp.data
    assert fault(resp) == message
    assert client.get('/v1/nodes', headers=LATEST).get_json()['nodes'] == []


PATCH_HOSTILE = HOSTILE + [
    ('NaN in a patch', b'[{"op": "add", "path": "/extra/a", "value": NaN}]',
     'Request body is not valid JSON: NaN is not a JSON number'),
    ('overflow in a patch', b'[{"op": "add", "path": "/extra/a", "value": 1e999}]',
     'Request body is not valid JSON: the number 1e999 is out of range'),
]


@pytest.mark.parametrize('raw,message', [c[1:] for c in PATCH_HOSTILE],
                         ids=[c[0] for c in PATCH_HOSTILE])
def test_patch_refuses(client, node, raw, message):
    resp = client.patch('/v1/nodes/fake1', data=raw, content_type='application/json',
                        headers=LATEST)
    assert resp.status_code == 400, resp.data
    assert fault(resp) == message
    current = db_api.get_node(node['uuid'])
    assert current['extra'] == {} and current['reservation'] is None


@pytest.mark.parametrize('content_type', CONTENT_TYPES + ['multipart/form-data; boundary=x'])
def test_any_content_type_is_read_as_json(client, node, content_type):
    """As Ironic: the body is JSON whatever its label (``curl -d`` says form-encoded)."""
    resp = client.post(SYNC, data=b'{"bar": "meow"}', content_type=content_type,
                       headers=LATEST)
    assert resp.status_code == 200, resp.data
    assert resp.get_json() is True


@pytest.mark.parametrize('url', [SYNC, '/v1/nodes'])
def test_a_form_is_not_parsed_as_a_form(client, node, url):
    resp = client.post(url, data=b'bar=meow', headers=LATEST,
                       content_type='application/x-www-form-urlencoded')
    assert resp.status_code == 400, resp.data
    assert fault(resp) == ('Request body is not valid JSON: Expecting value: line 1 '
                           'column 1 (char 0)')
    assert db_api.get_node(node['uuid'])['reservation'] is None


def test_depth_limit_is_configurable(client, node, conf):
    conf.set_override('max_json_depth', 2, group='api')
    body = b'[{"op": "add", "path": "/extra/a", "value": %s}]'
    resp = client.patch('/v1/nodes/fake1', data=body % b'1', headers=LATEST)
    assert resp.status_code == 200, resp.data
    assert resp.get_json()['extra'] == {'a': 1}
    resp = client.patch('/v1/nodes/fake1', data=body % b'[1]', headers=LATEST)
    assert resp.status_code == 400, resp.data
    assert fault(resp) == 'Request body is nested 3 deep; the limit is 2 ([api] max_json_depth)'


def test_many_keys_answer_promptly(client, node):
    """A 1 MiB object of unexpected keys: the normal 400, quickly, with a short message.

    The test client sends the keys sorted: the first three of them are named.
    """
    body = {'bar': 'meow'}
    body.update(('k%d' % i, i) for i in range(60000))
    resp = client.post(SYNC, json=body, headers=LATEST)
    assert resp.status_code == 400, resp.data[:200]
    assert fault(resp) == ("Invalid argument for method third_method_sync: Additional "
                           "properties are not allowed ('k0', 'k1', 'k10' … and 59,997 more "
                           "were unexpected)")
    assert db_api.get_node(node['uuid'])['reservation'] is None
