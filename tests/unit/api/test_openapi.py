"""The published contract (anvil/api/openapi.yaml) against the real app's answers.

Every documented operation is called on the real Flask app and the real
conductor (in-process dispatcher), on its success and error paths, and each
answer is checked against the document: the status is documented for the
operation, the documented headers are there and match, a response without
``content`` has no body and no Content-Type, and a JSON body validates against
the schema for that status (the error body's inner JSON too). The document is
also checked against the routes, both ways.
"""

import copy
import json
import re

import jsonschema
import openapi_spec_validator
import pytest
import referencing
import referencing.jsonschema
import yaml
from werkzeug.exceptions import MethodNotAllowed, NotFound

from anvil.api import app as api_app
from anvil.api import microversion, openapi
from anvil.db import api as db_api
from tests.polling import wait_for
from tests.unit.api.helpers import LATEST, version
from tests.unit.history_events import wait_for_event

DOC = openapi.document()
VERBS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')
_DOC_URI = 'urn:anvil:openapi'
_REGISTRY = referencing.Registry().with_resource(
    _DOC_URI, referencing.jsonschema.DRAFT202012.create_resource(DOC))
NODE = '/v1/nodes/{node_ident}'
NODE_VP = NODE + '/vendor_passthru'
DRIVER_VP = '/v1/drivers/{driver_name}/vendor_passthru'
NODE_URL = '/v1/nodes/fake1/vendor_passthru'
DRIVER_URL = '/v1/drivers/fake-hardware/vendor_passthru'
NO_HEADER = {}
NO_UUID = '6e2c1f9a-0000-4000-8000-000000000000'
CALL = '/v1/passthru_calls/{request_id}'


# -- reading the document ------------------------------------------------------

def _pointer(token):
    return token.replace('~', '~0').replace('/', '~1')


def operations():
    """(path template, verb) of every documented operation."""
    return [(path, verb) for path, item in DOC['paths'].items() for verb in item
            if verb in VERBS]


def validate_schema(instance, pointer):
    """Validate ``instance`` against the schema at ``pointer`` in the document."""
    validator = jsonschema.Draft202012Validator(
        {'$ref': '%s#%s' % (_DOC_URI, pointer)}, registry=_REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, '%s does not match %s:\n%s' % (
        json.dumps(instance)[:500], pointer, '\n'.join(e.message for e in errors[:5]))


def resolve(pointer):
    """(object, pointer) at ``pointer`` in the document, following ``$ref``s."""
    obj = DOC
    for token in pointer.lstrip('/').split('/'):
        obj = obj[token.replace('~1', '/').replace('~0', '~')]
    if isinstance(obj, dict) and '$ref' in obj:
        return resolve(obj['$ref'].lstrip('#'))
    return obj, pointer


def _validate_embedded_json(instance, pointer):
    """``contentSchema`` of a JSON string property (the error body's inner document)."""
    schema, pointer = resolve(pointer)
    for name, prop in schema.get('properties', {}).items():
        prop, prop_pointer = resolve('%s/properties/%s' % (pointer, _pointer(name)))
        if prop.get('contentMediaType') == 'application/json' and 'contentSchema' in prop:
            validate_schema(json.loads(instance[name]), prop_pointer + '/contentSchema')


def conforms(resp, path, verb):
    """Assert the test-client response ``resp`` is what the document says.

    Returns the decoded JSON body, the raw bytes of another media type, or None.
    """
    responses = DOC['paths'][path][verb]['responses']
    assert str(resp.status_code) in responses, '%s %s does not document %s (only %s)' % (
        verb.upper(), path, resp.status_code, sorted(responses))
    spec, pointer = resolve('/paths/%s/%s/responses/%s' % (_pointer(path), verb,
                                                           resp.status_code))
    for name in spec.get('headers', {}):
        header, header_pointer = resolve('%s/headers/%s' % (pointer, _pointer(name)))
        value = resp.headers.get(name)
        if value is None:
            assert not header.get('required'), 'required header %s missing' % name
        else:
            validate_schema(value, header_pointer + '/schema')
    content = spec.get('content')
    if not content:
        assert resp.data == b'', resp.data
        assert 'Content-Type' not in resp.headers
        return None
    assert resp.mimetype in content, '%s not in %s' % (resp.mimetype, sorted(content))
    if resp.mimetype != 'application/json':
        return resp.data
    body = json.loads(resp.data)
    schema_pointer = '%s/content/application~1json/schema' % pointer
    validate_schema(body, schema_pointer)
    _validate_embedded_json(body, schema_pointer)
    if resp.status_code >= 400 and 'faultcode' in resp.data.decode():
        fault = json.loads(body['error_message'])
        assert fault['faultcode'] == ('Client' if resp.status_code < 500 else 'Server')
    return body


# -- the cases -------------------------------------------------------------------

class Case:
    """One request on the real app: what it is, which operation, the status it gets."""

    def __init__(self, verb, path, url, status, headers=LATEST, setup=(), **kwargs):
        self.verb, self.path, self.url, self.status = verb, path, url, status
        self.headers, self.setup, self.kwargs = headers, setup, kwargs

    def __repr__(self):
        return '%s %s -> %s' % (self.verb.upper(), self.url, self.status)


def _passthru_cases():
    cases = []
    for verb in ('get', 'post', 'put', 'patch', 'delete'):
        for path, url in ((NODE_VP + '/{method_name}', NODE_URL + '/third_method_sync'),
                          (NODE_VP, NODE_URL + '?method=third_method_sync')):
            if verb == 'post':
                cases += [Case(verb, path, url, 200, json={'bar': 'meow'}),
                          Case(verb, path, url, 400, json={'bar': 1, 'extra': 2}),
                          Case(verb, path, url, 409, setup=['locked'], json={'bar': 'meow'}),
                          Case(verb, path, url, 413, setup=['small_body'],
                               json={'bar': 'x' * 100}),
                          Case(verb, path, url, 503, setup=['no_conductor'], json={'bar': 'a'}),
                          Case(verb, path, url, 504, setup=['slow'], json={'bar': 'meow'}),
                          Case(verb, path, url.replace('third_method_sync', 'second_method'),
                               202, json={'bar': 'kazoo'})]
            else:  # a verb third_method_sync does not support
                cases.append(Case(verb, path, url, 400, json={'bar': 'meow'}))
            cases.append(Case(verb, path, url.replace('fake1', 'nosuch'), 404))
            cases.append(Case(verb, path, url, 406, headers=version('1.999')))
        for path, url in ((DRIVER_VP + '/{method_name}', DRIVER_URL + '/driver_echo'),
                          (DRIVER_VP, DRIVER_URL + '?method=driver_echo')):
            if verb == 'post':
                cases += [Case(verb, path, url, 200, json={'x': [1]}),
                          Case(verb, path, url.replace('driver_echo', 'driver_noop'), 202),
                          Case(verb, path, url.replace('driver_echo', 'driver_noop'), 400,
                               json={'unexpected': 1}),
                          Case(verb, path, url, 413, setup=['small_body'],
                               json={'x': 'x' * 100}),
                          Case(verb, path, url, 503, setup=['no_conductor']),
                          Case(verb, path, url, 504, setup=['slow'])]
            else:
                cases.append(Case(verb, path, url, 400))
            cases.append(Case(verb, path, url.replace('fake-hardware', 'nosuch'), 404))
            cases.append(Case(verb, path, url, 406, headers=version('1.999')))
    # download_log: GET and POST, an attachment
    cases += [Case('get', NODE_VP + '/{method_name}', NODE_URL + '/download_log', 200),
              Case('get', NODE_VP, NODE_URL + '?method=download_log', 200),
              Case('get', NODE_VP, NODE_URL, 400),  # no method at all
              Case('post', NODE_VP, NODE_URL + '?method=third_method_sync&bar=1', 400)]
    methods = NODE_VP + '/methods'
    cases += [Case('get', methods, NODE_URL + '/methods', 200),
              Case('get', methods, '/v1/nodes/{uuid}/vendor_passthru/methods', 200,
                   headers=NO_HEADER),
              Case('get', methods, NODE_URL + '/methods?x=1', 400),
              Case('get', methods, NODE_URL + '/methods', 404, headers=NO_HEADER),
              Case('get', methods, NODE_URL + '/methods', 406, headers=version('2.1')),
              Case('get', methods, NODE_URL + '/methods', 503, setup=['no_conductor'])]
    methods = DRIVER_VP + '/methods'
    cases += [Case('get', methods, DRIVER_URL + '/methods', 200),
              Case('get', methods, DRIVER_URL + '/methods?x=1', 400),
              Case('get', methods, '/v1/drivers/nosuch/vendor_passthru/methods', 404),
              Case('get', methods, DRIVER_URL + '/methods', 406, headers=version('1.0')),
              Case('get', methods, DRIVER_URL + '/methods', 503, setup=['no_conductor'])]
    return cases


_PATCH = [{'op': 'add', 'path': '/extra/rack', 'value': 'r1'}]

CASES = [
    Case('get', '/', '/', 200, headers=NO_HEADER),
    Case('get', '/', '/', 200, headers={'OpenStack-API-Version': 'baremetal latest'}),
    Case('get', '/', '/', 406, headers=version('1.999')),
    Case('get', '/', '/', 406, headers=version('not-a-version')),
    Case('get', '/v1', '/v1', 200),
    Case('get', '/v1', '/v1/', 200, headers=NO_HEADER),
    Case('get', '/v1', '/v1', 406, headers={'OpenStack-API-Version': 'baremetal 2.0'}),
    Case('get', '/v1/openapi.json', '/v1/openapi.json', 200),
    Case('get', '/v1/openapi.json', '/v1/openapi.json', 406, headers=version('1.116')),
    # nodes
    Case('get', '/v1/nodes', '/v1/nodes', 200),
    Case('get', '/v1/nodes', '/v1/nodes', 200, headers=NO_HEADER),
    Case('get', '/v1/nodes', '/v1/nodes?detail=True', 200),
    Case('get', '/v1/nodes', '/v1/nodes?limit=1&sort_key=name&sort_dir=desc', 200,
         setup=['fake2']),
    Case('get', '/v1/nodes', '/v1/nodes?fields=uuid,conductor,reservation&maintenance=no', 200),
    Case('get', '/v1/nodes', '/v1/nodes?fields=uuid,nosuch', 400),
    Case('get', '/v1/nodes', '/v1/nodes?limit=-1', 400),
    Case('get', '/v1/nodes', '/v1/nodes?sort_key=driver_info', 400),
    Case('get', '/v1/nodes', '/v1/nodes?marker=%s' % NO_UUID, 404),
    Case('get', '/v1/nodes', '/v1/nodes?marker=nosuch', 400),
    Case('get', '/v1/nodes', '/v1/nodes?limit=0', 400),
    Case('get', '/v1/nodes', '/v1/nodes?bogus=1', 400),
    Case('get', '/v1/nodes', '/v1/nodes?owner=x&conductor=test-host&reserved=false', 200),
    Case('get', '/v1/nodes', '/v1/nodes?fields=owner', 406, headers=version('1.49')),
    Case('get', '/v1/nodes', '/v1/nodes', 406, headers=version('1.999')),
    Case('post', '/v1/nodes', '/v1/nodes', 201,
         json={'name': 'fake3', 'driver': 'fake-hardware', 'driver_info': {'password': 'p'},
               'conductor_group': None}),
    Case('post', '/v1/nodes', '/v1/nodes', 201, headers=NO_HEADER,
         json={'driver': 'fake-hardware', 'uuid': '0b7a6a7e-3b6e-4a7b-9a51-1bb2d2f4c1d1'}),
    Case('post', '/v1/nodes', '/v1/nodes', 400, json={'name': 'x', 'driver': 'nosuch'}),
    Case('post', '/v1/nodes', '/v1/nodes', 400, json=[{'driver': 'fake-hardware'}]),
    Case('post', '/v1/nodes', '/v1/nodes', 400, json={'driver': 'fake-hardware',
                                                      'conductor_group': 'g' * 256}),
    Case('post', '/v1/nodes', '/v1/nodes', 409, json={'name': 'fake1',
                                                      'driver': 'fake-hardware'}),
    Case('post', '/v1/nodes', '/v1/nodes', 413, setup=['small_body'],
         json={'driver': 'fake-hardware', 'extra': {'x': 'x' * 100}}),
    Case('post', '/v1/nodes', '/v1/nodes', 406, headers=version('1.999'), json={}),
    Case('get', '/v1/nodes/detail', '/v1/nodes/detail', 200),
    Case('get', '/v1/nodes/detail', '/v1/nodes/detail?driver=fake-hardware&limit=5', 200),
    Case('get', '/v1/nodes/detail', '/v1/nodes/detail?fields=uuid', 400),
    Case('get', '/v1/nodes/detail', '/v1/nodes/detail?marker=%s' % NO_UUID, 404),
    Case('get', '/v1/nodes/detail', '/v1/nodes/detail', 406, headers=version('1.999')),
    Case('get', NODE, '/v1/nodes/fake1', 200),
    Case('get', NODE, '/v1/nodes/{uuid}', 200, headers=NO_HEADER),
    Case('get', NODE, '/v1/nodes/fake1?fields=name,driver_info,links', 200),
    Case('get', NODE, '/v1/nodes/fake1?fields=bogus', 400),
    Case('get', NODE, '/v1/nodes/fake1', 404, headers=NO_HEADER),
    Case('get', NODE, '/v1/nodes/fake1', 406, headers=version('1.999')),
    Case('patch', NODE, '/v1/nodes/fake1', 200, json=_PATCH),
    Case('patch', NODE, '/v1/nodes/fake1', 400, json={'op': 'add'}),
    Case('patch', NODE, '/v1/nodes/fake1', 400,
         json=[{'op': 'replace', 'path': '/uuid', 'value': 'x'}]),
    Case('patch', NODE, '/v1/nodes/nosuch', 404, json=_PATCH),
    Case('patch', NODE, '/v1/nodes/fake1', 409, setup=['fake2'],
         json=[{'op': 'replace', 'path': '/name', 'value': 'fake2'}]),
    Case('patch', NODE, '/v1/nodes/fake1', 413, setup=['small_body'],
         json=[{'op': 'add', 'path': '/extra/x', 'value': 'x' * 100}]),
    Case('patch', NODE, '/v1/nodes/fake1', 406, headers=version('1.999'), json=_PATCH),
    Case('patch', NODE, '/v1/nodes/fake1?reset_interfaces=true', 400, json=_PATCH),
    Case('patch', NODE, '/v1/nodes/fake1?reset_interfaces=true', 406, headers=version('1.44'),
         json=[{'op': 'replace', 'path': '/driver', 'value': 'fake-hardware'}]),
    Case('put', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 202),
    Case('put', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 202, json={}),
    Case('put', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 400,
         json={'reason': 'broken'}),
    Case('put', NODE + '/maintenance', '/v1/nodes/nosuch/maintenance', 404),
    Case('put', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 406,
         headers=version('1.999')),
    Case('put', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 413,
         setup=['small_body'], json={'reason': 'x' * 100}),
    Case('delete', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 202),
    Case('delete', NODE + '/maintenance', '/v1/nodes/nosuch/maintenance', 404),
    Case('delete', NODE + '/maintenance', '/v1/nodes/fake1/maintenance', 406,
         headers=version('1.999')),
    Case('delete', NODE, '/v1/nodes/fake1', 204),
    Case('delete', NODE, '/v1/nodes/fake1', 404, headers=NO_HEADER),
    Case('delete', NODE, '/v1/nodes/fake1', 409, setup=['locked']),
    Case('delete', NODE, '/v1/nodes/fake1', 406, headers=version('1.999')),
    # drivers
    Case('get', '/v1/drivers', '/v1/drivers', 200),
    Case('get', '/v1/drivers', '/v1/drivers?detail=true', 200),
    Case('get', '/v1/drivers', '/v1/drivers?type=classic', 200),
    Case('get', '/v1/drivers', '/v1/drivers', 200, headers=NO_HEADER),
    Case('get', '/v1/drivers', '/v1/drivers?fields=name,enabled_vendor_interfaces', 200),
    Case('get', '/v1/drivers', '/v1/drivers?type=other', 400),
    Case('get', '/v1/drivers', '/v1/drivers?bogus=1', 400),
    Case('get', '/v1/drivers', '/v1/drivers', 406, headers=version('1.999')),
    Case('get', '/v1/drivers', '/v1/drivers?detail=true', 406, headers=version('1.29')),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/fake-hardware', 200),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/fake-hardware', 200,
         headers=version('1.13')),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/fake-hardware?fields=hosts', 200),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/fake-hardware?fields=x', 400),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/nosuch', 404),
    Case('get', '/v1/drivers/{driver_name}', '/v1/drivers/fake-hardware', 406,
         headers=version('1.999')),
    Case('get', '/v1/drivers/{driver_name}/properties', '/v1/drivers/fake-hardware/properties',
         200),
    Case('get', '/v1/drivers/{driver_name}/properties', '/v1/drivers/redfish/properties', 404),
    Case('get', '/v1/drivers/{driver_name}/properties', '/v1/drivers/fake-hardware/properties',
         406, headers=version('1.999')),
    # conductors
    Case('get', '/v1/conductors', '/v1/conductors', 200),
    Case('get', '/v1/conductors', '/v1/conductors?detail=true', 200),
    Case('get', '/v1/conductors', '/v1/conductors?fields=hostname,drivers', 200),
    Case('get', '/v1/conductors', '/v1/conductors?limit=1&sort_key=hostname&sort_dir=desc', 200),
    Case('get', '/v1/conductors', '/v1/conductors?marker=test-host', 200),
    Case('get', '/v1/conductors', '/v1/conductors?fields=nosuch', 400),
    Case('get', '/v1/conductors', '/v1/conductors?limit=0', 400),
    Case('get', '/v1/conductors', '/v1/conductors?marker=nosuch', 404),
    Case('get', '/v1/conductors', '/v1/conductors', 404, headers=version('1.48')),
    Case('get', '/v1/conductors', '/v1/conductors', 406, headers=version('1.999')),
    Case('get', '/v1/conductors/{hostname}', '/v1/conductors/test-host', 200),
    Case('get', '/v1/conductors/{hostname}', '/v1/conductors/test-host?fields=alive', 200),
    Case('get', '/v1/conductors/{hostname}', '/v1/conductors/test-host?fields=x', 400),
    Case('get', '/v1/conductors/{hostname}', '/v1/conductors/nosuch', 404),
    Case('get', '/v1/conductors/{hostname}', '/v1/conductors/test-host', 406,
         headers=version('1.999')),
    # history
    Case('get', NODE + '/history', '/v1/nodes/fake1/history', 200, setup=['history']),
    Case('get', NODE + '/history', '/v1/nodes/fake1/history?detail=True&limit=1', 200,
         setup=['history']),
    Case('get', NODE + '/history', '/v1/nodes/fake1/history?limit=%d' % 10 ** 30, 200),
    Case('get', NODE + '/history', '/v1/nodes/fake1/history?limit=-1', 400),
    Case('get', NODE + '/history', '/v1/nodes/fake1/history', 404, headers=version('1.77')),
    Case('get', NODE + '/history', '/v1/nodes/nosuch/history', 404),
    Case('get', NODE + '/history', '/v1/nodes/fake1/history', 406, headers=version('1.999')),
    Case('get', NODE + '/history/{event_uuid}', '/v1/nodes/fake1/history/{event}', 200,
         setup=['history']),
    Case('get', NODE + '/history/{event_uuid}', '/v1/nodes/fake1/history/nosuch', 404),
    Case('get', NODE + '/history/{event_uuid}', '/v1/nodes/fake1/history/x', 406,
         headers=version('1.999')),
    # async calls followed from their 202 (an anvil extension)
    Case('get', CALL, '/v1/passthru_calls/{call}', 200, setup=['call']),
    Case('get', CALL, '/v1/passthru_calls/{call}', 200, headers=NO_HEADER,
         setup=['driver_call']),
    Case('get', CALL, '/v1/passthru_calls/req-nosuch', 404),
    Case('get', CALL, '/v1/passthru_calls/{call}', 406, headers=version('1.999'),
         setup=['call']),
] + _passthru_cases()


@pytest.fixture
def env(client, node, conductor, conductor_api, conf):
    """Apply a case's setup steps; returns (client, url values)."""

    def apply(case):
        values = {'uuid': node['uuid'], 'event': None, 'call': None}
        app_client = client
        for step in case.setup:
            if step == 'fake2':
                resp = client.post('/v1/nodes', json={'driver': 'fake-hardware',
                                                      'name': 'fake2'}, headers=LATEST)
                assert resp.status_code == 201
            elif step == 'locked':
                conf.set_override('node_locked_retry_attempts', 1, group='conductor')
                db_api.update_node(node['uuid'], {'reservation': 'other-host'})
            elif step == 'no_conductor':
                conductor.stop()
            elif step == 'slow':
                conf.set_override('rpc_response_timeout', 1)
                conf.set_override('vendor_delay', '1.5', group='fake')
            elif step == 'small_body':
                conf.set_override('max_request_body_size', 64, group='api')
                app_client = api_app.create_app(conductor_api).test_client()
            elif step == 'history':
                resp = client.post(NODE_URL + '/second_method', json={'bar': 'kazoo'},
                                   headers=LATEST)
                assert resp.status_code == 202
                values['event'] = wait_for_event(node['uuid'], 'succeeded')['uuid']
            elif step in ('call', 'driver_call'):
                url = (NODE_URL + '/second_method' if step == 'call'
                       else DRIVER_URL + '/driver_noop')
                resp = client.post(url, json={'bar': 'kazoo'} if step == 'call' else {},
                                   headers=LATEST)
                assert resp.status_code == 202
                conforms(resp, (NODE_VP if step == 'call' else DRIVER_VP) + '/{method_name}',
                         'post')
                values['call'] = resp.headers['x-openstack-request-id']
                where = resp.headers['Location']
                wait_for(lambda where=where: client.get(where).get_json()['state']
                         == 'succeeded')
            else:
                raise AssertionError('unknown setup step %s' % step)
        return app_client, values

    return apply


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_response_conforms_to_the_document(env, case):
    client, values = env(case)
    url = case.url.replace('{uuid}', values['uuid'])
    if '{event}' in url:
        url = url.replace('{event}', values['event'])
    if '{call}' in url:
        url = url.replace('{call}', values['call'])
    resp = client.open(url, method=case.verb.upper(), headers=case.headers, **case.kwargs)
    assert resp.status_code == case.status, resp.data[:500]
    conforms(resp, case.path, case.verb)


def test_attachment_has_its_documented_disposition(client, node):
    resp = client.get(NODE_URL + '/download_log', json={'size': 3}, headers=LATEST)
    assert conforms(resp, NODE_VP + '/{method_name}', 'get') == b'anv'
    assert resp.headers['Content-Disposition'] == 'attachment'


# -- the checker can fail ----------------------------------------------------------

class _Fake:
    """A response shaped like the test client's, to show that ``conforms`` rejects."""

    def __init__(self, status, body, headers, mimetype='application/json'):
        self.status_code, self.data, self.mimetype = status, body, mimetype
        self.headers = headers


@pytest.mark.parametrize('mutate,reason', [
    ('drop_header', 'required header X-OpenStack-Ironic-API-Version missing'),
    ('bad_header', "'nope' does not match"),
    ('extra_field', 'Additional properties are not allowed'),
    ('wrong_type', "'no' is not of type 'boolean'"),
    ('inner_fault', "'debuginfo' is a required property"),
    ('body_on_202', 'assert b'),
    ('undocumented_status', 'does not document 418'),
])
def test_conforms_rejects_what_the_document_does_not_allow(client, node, mutate, reason):
    resp = client.get('/v1/nodes/fake1', headers=LATEST)
    conforms(resp, NODE, 'get')
    headers = dict(resp.headers)
    body = resp.get_json()
    status, path, verb = 200, NODE, 'get'
    if mutate == 'drop_header':
        del headers['X-OpenStack-Ironic-API-Version']
    elif mutate == 'bad_header':
        headers['x-openstack-request-id'] = 'nope'
    elif mutate == 'extra_field':
        body['secret_field'] = 1
    elif mutate == 'wrong_type':
        body['maintenance'] = 'no'
    elif mutate == 'inner_fault':
        status = 404
        body = {'error_message': json.dumps({'faultcode': 'Client', 'faultstring': 'x'})}
    elif mutate == 'body_on_202':
        status, path, verb = 202, NODE_VP + '/{method_name}', 'post'
        headers['Content-Length'] = '0'
        headers['Location'] = ('http://localhost/v1/passthru_calls/'
                               'req-6e2c1f9a-0000-4000-8000-000000000000')
    elif mutate == 'undocumented_status':
        status = 418
    fake = _Fake(status, json.dumps(body).encode(), headers)
    with pytest.raises(AssertionError, match=re.escape(reason)):
        conforms(fake, path, verb)


# -- the document itself -------------------------------------------------------------

def test_formats_are_checked():
    """The response checks see a bad date-time, URI or UUID (their checkers are installed)."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for value, fmt in (('2026-11-24 20:20', 'date-time'), ('http://x/a b', 'uri'),
                       ('not-a-uuid', 'uuid')):
        assert not checker.conforms(value, fmt), (value, fmt)
    assert checker.conforms('2026-11-24T20:20:31.000001+00:00', 'date-time')


def test_document_is_valid_openapi():
    openapi_spec_validator.validate(copy.deepcopy(DOC))


def test_served_document_is_the_packaged_one(client):
    resp = client.get('/v1/openapi.json')
    conforms(resp, '/v1/openapi.json', 'get')
    assert resp.get_json() == DOC
    with open(openapi.__file__.replace('openapi.py', 'openapi.yaml')) as f:
        assert yaml.safe_load(f) == DOC


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (safe_load keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key, _ in node.value:
            if key.tag != 'tag:yaml.org,2002:merge':
                assert key.value not in seen, 'key %r twice at %s' % (key.value, key.start_mark)
                seen.add(key.value)
        return super().construct_mapping(node, deep)


def test_no_key_is_given_twice():
    with open(openapi.__file__.replace('openapi.py', 'openapi.yaml')) as f:
        assert yaml.load(f, Loader=_StrictLoader) == DOC
    with pytest.raises(AssertionError, match="key 'a' twice"):
        yaml.load('x:\n  a: 1\n  a: 2\n', Loader=_StrictLoader)


def test_operation_ids_are_unique():
    ids = [DOC['paths'][p][v]['operationId'] for p, v in operations()]
    assert len(ids) == len(set(ids))


def test_versions_in_the_document_match_the_service():
    minimum = microversion.as_string(microversion.MIN_VERSION)
    maximum = microversion.as_string(microversion.MAX_VERSION)
    assert DOC['info']['version'] == maximum
    headers = DOC['components']['headers']
    assert headers['MinimumVersion']['schema']['const'] == minimum
    assert headers['MaximumVersion']['schema']['const'] == maximum
    pattern = DOC['components']['parameters']['IronicApiVersion']['schema']['pattern']
    major, top = microversion.MAX_VERSION
    accepted = [v for v in ('%d.%d' % (major, m) for m in range(0, top + 5))
                if re.match(pattern, v)]
    assert accepted == ['%d.%d' % (major, m)
                        for m in range(microversion.MIN_VERSION[1], top + 1)]
    assert re.match(pattern, 'latest')
    other = DOC['components']['parameters']['OpenStackApiVersion']['schema']['pattern']
    assert all(re.match(other, 'baremetal ' + v) for v in accepted + ['latest'])


def _flask_template(rule):
    return re.sub(r'<(?:[^:>]+:)?([^>]+)>', '{}', rule)


def _doc_template(path):
    return re.sub(r'\{[^}]+\}', '{}', path)


def _routes(app):
    """{normalised rule: {verbs}} of the app, without Flask's automatic HEAD/OPTIONS."""
    routes = {}
    for rule in app.url_map.iter_rules():
        verbs = {m.lower() for m in rule.methods} - {'head', 'options'}
        routes.setdefault(_flask_template(rule.rule), set()).update(verbs)
    return routes


def undocumented_routes(app):
    """{route: [verbs]} that the app serves and the document does not describe."""
    documented = {}
    for path, verb in operations():
        documented.setdefault(_doc_template(path), set()).add(verb)
    return {route: sorted(verbs - documented.get(route, set()))
            for route, verbs in _routes(app).items() if verbs - documented.get(route, set())}


def test_every_route_is_documented(conductor_api):
    missing = undocumented_routes(api_app.create_app(conductor_api))
    assert not missing, 'routes missing from openapi.yaml: %s' % missing


def test_the_drift_check_sees_an_undocumented_route(conductor_api):
    app = api_app.create_app(conductor_api)
    app.add_url_rule('/v1/undocumented/<x>', 'undocumented', lambda x: '')
    app.add_url_rule('/v1/drivers', 'drivers_post', lambda: '', methods=['POST'])
    assert undocumented_routes(app) == {'/v1/undocumented/{}': ['get'],
                                        '/v1/drivers': ['post']}


def _sample_url(path):
    return re.sub(r'\{[^}]+\}', 'sample', path)


@pytest.mark.parametrize('path,verb', operations(), ids=lambda v: str(v))
def test_every_documented_operation_is_routed(conductor_api, path, verb):
    app = api_app.create_app(conductor_api)
    adapter = app.url_map.bind('localhost')
    try:
        endpoint, _ = adapter.match(_sample_url(path), method=verb.upper())
    except (NotFound, MethodNotAllowed) as e:
        raise AssertionError('%s %s is documented but not routed: %s'
                             % (verb.upper(), path, e)) from None
    assert endpoint in app.view_functions


@pytest.mark.parametrize('path', list(DOC['paths']))
def test_an_undocumented_verb_is_405_with_the_documented_ones_allowed(client, path):
    resp = client.open(_sample_url(path), method='TRACE', headers=LATEST)
    assert resp.status_code == 405
    body = resp.get_json()
    validate_schema(body, '/components/schemas/Error')
    _validate_embedded_json(body, '/components/schemas/Error')
    allowed = {verb.strip() for verb in resp.headers['Allow'].split(',')} - {'HEAD', 'OPTIONS'}
    # /v1/nodes/detail is also a node named "detail", .../methods a method named "methods"
    url = _sample_url(path)
    documented = {verb.upper() for other, verb in operations()
                  if re.fullmatch(re.sub(r'\{[^}]+\}', '[^/]+', other), url)}
    assert allowed == documented


# -- coverage of the cases -----------------------------------------------------------

#: Statuses the unit tests cannot provoke with fake-hardware: no fake method fails
#: inside the driver (DriverOperationError is exercised by the redfish functional tests).
UNREACHABLE = {'500'}
#: 401 and 403 need an authenticating app or a refusing policy: their own tests below.
AUTH_STATUSES = {'401', '403'}


def _fake_verbs(client, url):
    """The verbs some fake-hardware method of the listing at ``url`` accepts."""
    return {verb.lower() for method in client.get(url, headers=LATEST).get_json().values()
            for verb in method['http_methods']}


def test_every_operation_has_a_success_and_an_error_case(client, node):
    fake_verbs = {NODE_VP: _fake_verbs(client, NODE_URL + '/methods'),
                  DRIVER_VP: _fake_verbs(client, DRIVER_URL + '/methods')}
    for path, verb in operations():
        statuses = {c.status for c in CASES if (c.path, c.verb) == (path, verb)}
        assert any(s >= 400 for s in statuses), 'no error case for %s %s' % (verb, path)
        base = path.replace('/{method_name}', '')
        if base in fake_verbs and verb not in fake_verbs[base]:
            continue  # no fake-hardware method takes this verb: nothing can succeed
        assert any(s < 300 for s in statuses), 'no success case for %s %s' % (verb, path)


def test_every_documented_status_is_exercised():
    documented = {(p, v, s) for p, v in operations()
                  for s in DOC['paths'][p][v]['responses']}
    exercised = {(c.path, c.verb, str(c.status)) for c in CASES}
    missing = sorted(d for d in documented - exercised
                     if d[2] not in UNREACHABLE | AUTH_STATUSES
                     and not (d[1] != 'post' and '/vendor_passthru' in d[0]
                              and not d[0].endswith('/methods')))
    assert not missing, missing
    # every verb of the passthru calls has its error paths (400, 404, 406) exercised
    for path, verb, status in documented:
        if '/vendor_passthru' in path and not path.endswith('/methods') and \
                status in ('400', '404', '406'):
            assert (path, verb, status) in exercised, (path, verb, status)


# -- 401 and 403, on an app that authenticates and a policy that refuses -----------------

#: Sample values that reach each operation's policy check (a node and a method that exist).
_REACHABLE = {'node_ident': 'fake1', 'driver_name': 'fake-hardware',
              'method_name': 'third_method_sync', 'hostname': 'sample', 'event_uuid': NO_UUID,
              'request_id': 'req-nosuch'}


def _url(path):
    url = re.sub(r'\{([^}]+)\}', lambda m: _REACHABLE[m.group(1)], path)
    return url + '?method=third_method_sync' if url.endswith('/vendor_passthru') else url


def _documenting(status):
    return [(p, v) for p, v in operations() if status in DOC['paths'][p][v]['responses']]


def test_every_operation_without_credentials_is_401_as_documented(basic_client):
    for path, verb in operations():
        resp = basic_client.open(_url(path), method=verb.upper(), headers=LATEST)
        if path in ('/', '/v1'):
            assert resp.status_code == 200, path  # public
            continue
        assert resp.status_code == 401, (verb, path, resp.data[:300])
        conforms(resp, path, verb)
        assert resp.headers['WWW-Authenticate'].startswith('Basic realm=')


def test_every_operation_the_policy_refuses_is_403_as_documented(client, node, conf, tmp_path):
    from anvil.api import policy, policy_defaults
    rules = [rule.name for rule in policy_defaults.list_rules()]
    (tmp_path / 'deny.yaml').write_text(''.join('"%s": "!"\n' % name for name in rules))
    conf.set_override('policy_file', str(tmp_path / 'deny.yaml'), group='oslo_policy')
    policy.reset()
    try:
        for path, verb in _documenting('403'):
            resp = client.open(_url(path), method=verb.upper(), headers=LATEST,
                               json={} if verb in ('post', 'put', 'patch') else None)
            assert resp.status_code == 403, (verb, path, resp.data[:300])
            conforms(resp, path, verb)
    finally:
        policy.reset()
