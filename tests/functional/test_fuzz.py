"""Fuzz a live all-in-one ``anvil`` with schemathesis, from its own /v1/openapi.json.

One real ``anvil`` process (API + conductor + SQLite, in-process dispatcher)
with enrolled fake-hardware nodes. Every documented operation gets a fixed
number of generated requests, valid and invalid (schemathesis' positive and
negative modes), reproducibly (a fixed seed, no example database). Hooks steer
part of them to what exists (the enrolled nodes, the fake methods, arguments
that pass the checks, the latest API version) so success paths are reached
too. Each answer must: not be a 5xx (the all-in-one has no reason to answer
503 or 504), come within a per-request timeout, and conform to the document
(status, Content-Type, headers, body; the error body's inner JSON too). After
the run no node may be left reserved, and the run must have done real work
(successes on every kind of operation). Authentication is on (http_basic):
most requests carry good credentials, some none and some a wrong password
(of a user of their own, whose lockout must not shut the good user out), and
their 401s must conform to the document too. The run has a time budget: operations
it leaves are skipped (shown as such), and more than half must have run.
"""

import base64
import collections
import json
import os
import time
import uuid

import bcrypt
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from anvil.api import openapi
from tests.functional import secrets
from tests.functional.deployment import BIN, LATEST, Process, free_port, wait_for, write_config

SEED = 20261124
# Generated requests per operation (positive and negative) and the time budget of the
# whole run; raise both for a deeper local run (e.g. ANVIL_FUZZ_MAX_EXAMPLES=1000).
MAX_EXAMPLES = int(os.environ.get('ANVIL_FUZZ_MAX_EXAMPLES', 40))
BUDGET = float(os.environ.get('ANVIL_FUZZ_BUDGET', 90))  # s; then the rest is skipped
REQUEST_TIMEOUT = 10.0  # a hang: anvil answers within rpc_response_timeout (3 s) + slack
TARGETS = ('fake1', 'fake2')  # nodes the passthru and read operations aim at
PATCHED = tuple('patched-%d' % i for i in range(1, 5))  # what PATCH may change
DELETED = tuple('deleted-%d' % i for i in range(1, 5))  # what DELETE may delete
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
NODE_METHODS = ('third_method_sync', 'second_method', 'fourth_method_shared_lock',
                'log_passthrough', 'download_log')
DRIVER_METHODS = ('driver_echo', 'driver_noop')

USER, PASSWORD = 'fuzzer', 'fuzz-Pa55word-for-tests'
secrets.register(PASSWORD, 'fuzz http_basic password')
INTRUDER = 'intruder'  # in the file too: the wrong passwords are tried on this user
GOOD_AUTH = {'Authorization': 'Basic ' + base64.b64encode(
    ('%s:%s' % (USER, PASSWORD)).encode()).decode()}
# mostly good credentials; sometimes none, or a wrong password
_CREDENTIALS = st.sampled_from(['good'] * 6 + ['none', 'wrong'])

KNOWN = {'hostname': [], 'event_uuid': []}  # filled in by the anvil_live fixture
STATS = {'statuses': collections.Counter(),
         'operations': collections.defaultdict(collections.Counter),
         'started': None, 'skipped': 0}


class LiveAnvil:
    """``anvil --config-file <conf>``: the all-in-one, its own state_path and port."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.host = 'fuzz-%s' % uuid.uuid4().hex[:8]
        htpasswd = os.path.join(self.workdir, 'htpasswd')
        with open(htpasswd, 'w') as f:
            for user, password in ((USER, PASSWORD), (INTRUDER, PASSWORD + '-unguessed')):
                hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4))
                f.write('%s:%s\n' % (user, hashed.decode()))
        config = write_config(os.path.join(self.workdir, 'anvil.conf'), {
            'DEFAULT': {'host': self.host, 'state_path': os.path.join(self.workdir, 'state'),
                        'rpc_transport': 'local', 'rpc_response_timeout': 3,
                        'debug': 'false', 'auth_strategy': 'http_basic',
                        'http_basic_auth_user_file': htpasswd},
            'api': {'host_ip': '127.0.0.1', 'port': self.port, 'metadata_cache_ttl': 0.5},
            'conductor': {'topic': 'anvil-fuzz-%s' % self.host[-8:], 'heartbeat_interval': 1,
                          'heartbeat_timeout': 10, 'graceful_shutdown_timeout': 10,
                          # a 409 after 0.2 s, not 2 s: the run's time goes to requests
                          'node_locked_retry_attempts': 3, 'node_locked_retry_interval': 0.1},
        })
        self.process = Process('anvil', [os.path.join(BIN, 'anvil'), '--config-file', config],
                               os.path.join(self.workdir, 'anvil.log'))

    def start(self):
        self.process.start()
        wait_for(lambda: self._serving() or self.process.popen.poll() is not None, 60,
                 what='anvil serving fake-hardware')
        assert self.process.popen.poll() is None, self.log()
        return self

    def _serving(self):
        try:
            resp = requests.get(self.url + '/v1/drivers/fake-hardware',
                                headers=dict(LATEST, **GOOD_AUTH), timeout=2)
        except requests.RequestException:
            return False
        return resp.status_code == 200 and self.host in resp.json()['hosts']

    def log(self):
        return self.process.log()[-8000:]

    def request(self, verb, path, **kwargs):
        return requests.request(verb, self.url + path, headers=dict(LATEST, **GOOD_AUTH),
                                timeout=REQUEST_TIMEOUT, **kwargs)


@pytest.fixture(scope='module')
def anvil_live(tmp_path_factory):
    live = LiveAnvil(tmp_path_factory.mktemp('fuzz')).start()
    try:
        for name in TARGETS + PATCHED + DELETED:
            resp = live.request('POST', '/v1/nodes',
                                json={'name': name, 'driver': 'fake-hardware',
                                      'driver_info': {'fake_password': 'secret'}})
            assert resp.status_code == 201, resp.text
        KNOWN['hostname'].append(live.host)
        resp = live.request('POST', '/v1/nodes/fake1/vendor_passthru/log_passthrough', json={})
        assert resp.status_code == 202, resp.text
        KNOWN['event_uuid'].extend(wait_for(
            lambda: [e['uuid'] for e in live.request('GET', '/v1/nodes/fake1/history').json()[
                'history'] if 'succeeded' in e['event']], 10, what='log_passthrough event'))
        yield live
    finally:
        code = live.process.stop()
        if code != 0:
            print(live.log())
        assert code == 0, 'anvil exited with %s on SIGTERM' % code


def _sample(values, original):
    """Mostly a known value, sometimes what schemathesis generated."""
    return st.sampled_from(tuple(values) * 3 + (original,))


def _methods(operation):
    """Vendor methods worth calling with the operation's verb (all of them for POST)."""
    if operation.path.startswith('/v1/drivers'):
        return DRIVER_METHODS
    return ('download_log',) if operation.method.upper() == 'GET' else NODE_METHODS


def _path_parameters(ctx, params):
    if not params:
        return st.just(params)
    operation = ctx.operation
    nodes = TARGETS
    if operation.path == '/v1/nodes/{node_ident}' and operation.method.upper() != 'GET':
        nodes = PATCHED if operation.method.upper() == 'PATCH' else DELETED
    elif operation.path.endswith('{event_uuid}'):
        nodes = TARGETS[:1]  # the node of the known event
    strategies = {}
    for name, value in params.items():
        if name == 'node_ident':
            strategies[name] = _sample(nodes, value)
        elif name == 'driver_name':
            strategies[name] = _sample(('fake-hardware',), value)
        elif name in KNOWN:
            strategies[name] = _sample(KNOWN[name], value)
        elif name == 'method_name':
            known = _methods(operation)
            strategies[name] = _sample(known, value)
        else:
            strategies[name] = st.just(value)
    return st.fixed_dictionaries(strategies)


def _query(ctx, query):
    if not query or 'method' not in query:
        return st.just(query)
    return _sample(_methods(ctx.operation), query['method']).map(lambda m: dict(query, method=m))


_NAMES = st.from_regex(r'\Afuzz-[a-z0-9]{1,12}\Z')
_PATCHES = st.lists(st.one_of(
    st.fixed_dictionaries({'op': st.sampled_from(['add', 'replace']),
                           'path': st.sampled_from(['/extra/a', '/properties/cpus',
                                                    '/driver_info/fake_password']),
                           'value': st.integers() | st.text(max_size=8)}),
    st.fixed_dictionaries({'op': st.just('replace'), 'path': st.just('/name'),
                           'value': _NAMES}),
    st.fixed_dictionaries({'op': st.just('replace'), 'path': st.just('/maintenance'),
                           'value': st.booleans()}),
    st.fixed_dictionaries({'op': st.just('remove'),
                           'path': st.sampled_from(['/extra', '/name', '/driver_info'])})),
    min_size=1, max_size=3)
_ARGS = st.sampled_from([{'bar': 'meow'}, {'bar': 'kazoo'}, {'bar': 'woof'}, {},
                         {'size': 16}])


def _body(ctx, body):
    """Mostly a body that gets past validation, sometimes what schemathesis generated."""
    operation = ctx.operation
    if operation.path == '/v1/nodes' and isinstance(body, dict):
        steered = _NAMES.map(lambda name: {'name': name, 'driver': 'fake-hardware',
                                           'extra': body.get('extra') or {}})
    elif operation.path == '/v1/nodes/{node_ident}':
        steered = _PATCHES
    elif '/vendor_passthru' in operation.path:
        steered = _ARGS
    else:
        return st.just(body)
    return st.one_of(st.just(body), steered, steered)


@pytest.fixture(scope='module')
def api_schema(anvil_live):
    """The live document, as schemathesis loads it, steered towards the enrolled nodes."""
    config = schemathesis.Config.from_dict({'request-timeout': REQUEST_TIMEOUT})
    schema = schemathesis.openapi.from_url(anvil_live.url + '/v1/openapi.json', config=config,
                                           timeout=REQUEST_TIMEOUT, headers=GOOD_AUTH)
    schema.hook('flatmap_path_parameters')(_path_parameters)
    schema.hook('flatmap_query')(_query)
    schema.hook('flatmap_body')(_body)
    return schema


def _check_inner_fault(response):
    """The error body's ``error_message`` is itself JSON of the documented shape."""
    if response.status_code < 400:
        return
    inner = json.loads(response.json()['error_message'])
    if response.status_code == 406 and 'code' in inner:  # the version header itself
        assert sorted(inner) == ['code', 'description', 'title'], inner
        assert inner['code'] == 406
        assert 'X-OpenStack-Ironic-API-Version' not in response.headers
    else:
        assert sorted(inner) == ['debuginfo', 'faultcode', 'faultstring'], inner
        assert inner['faultcode'] == ('Client' if response.status_code < 500 else 'Server')
        assert isinstance(inner['faultstring'], str) and inner['debuginfo'] is None


def _with_credentials(headers, credentials, wrong):
    headers = {k: v for k, v in (headers or {}).items() if k.lower() != 'authorization'}
    if credentials == 'good':
        headers.update(GOOD_AUTH)
    elif credentials == 'wrong':
        token = base64.b64encode(('%s:%s' % (INTRUDER, wrong)).encode()).decode()
        headers['Authorization'] = 'Basic ' + token
    return headers


# The operations of the packaged document (the unit tests check it is the one served).
OPERATIONS = [(path, verb.upper()) for path, item in openapi.document()['paths'].items()
              for verb in item if verb in ('get', 'post', 'put', 'patch', 'delete')]


@pytest.mark.timeout(120)
@pytest.mark.parametrize('path,verb', OPERATIONS, ids=['%s %s' % (v, p) for p, v in OPERATIONS])
def test_fuzz(api_schema, path, verb):
    if STATS['started'] is None:
        STATS['started'] = time.monotonic()
    if time.monotonic() - STATS['started'] > BUDGET:
        STATS['skipped'] += 1
        pytest.skip('fuzz time budget of %s s spent' % BUDGET)
    operation = api_schema[path][verb]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @hypothesis.seed(SEED)
    @hypothesis.settings(max_examples=MAX_EXAMPLES, database=None,
                         deadline=None, suppress_health_check=list(hypothesis.HealthCheck),
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    @hypothesis.given(case=cases, latest=st.integers(0, 3), credentials=_CREDENTIALS,
                      wrong=st.text(max_size=12))
    def call(case, latest, credentials, wrong):
        if latest:  # mostly the latest version (names, every field), sometimes as generated
            case.headers = dict(case.headers or {}, **LATEST)
            case.headers.pop('OpenStack-API-Version', None)
        case.headers = _with_credentials(case.headers, credentials, wrong)
        try:
            response = case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)
        except requests.Timeout:
            raise AssertionError('%s %s hung (no answer in %s s)'
                                 % (case.method, case.formatted_path, REQUEST_TIMEOUT)) from None
        _check_inner_fault(response)
        STATS['statuses'][response.status_code] += 1
        STATS['operations'][(verb, path)][response.status_code] += 1

    call()


def test_fuzz_did_real_work_and_left_no_node_reserved(anvil_live):
    """After the fuzz run: most of it ran within budget, reached success paths, freed locks."""
    statuses = STATS['statuses']
    for (verb, path), codes in sorted(STATS['operations'].items()):
        print('%-7s %-58s %s' % (verb, path, dict(sorted(codes.items()))))
    print('fuzz: %d requests, statuses %s, %.1f s, %d operations skipped (budget)'
          % (sum(statuses.values()), dict(sorted(statuses.items())),
             time.monotonic() - (STATS['started'] or time.monotonic()), STATS['skipped']))
    assert STATS['started'] is not None, 'test_fuzz did not run first (run the whole module)'
    ran = set(STATS['operations'])
    assert len(ran) > len(OPERATIONS) / 2, (
        'only %d of %d operations fuzzed within the %s s budget' % (len(ran), len(OPERATIONS),
                                                                   BUDGET))
    assert not any(code >= 500 for code in statuses)
    for code in (200, 400, 401, 404, 406):
        assert statuses[code] > 0, 'no %s answer in the whole run: %s' % (code, statuses)
    for op, code in ((('POST', '/v1/nodes/{node_ident}/vendor_passthru/{method_name}'), 202),
                     (('GET', '/v1/nodes/{node_ident}/vendor_passthru'), 200),
                     (('POST', '/v1/drivers/{driver_name}/vendor_passthru/{method_name}'), 200),
                     (('POST', '/v1/nodes'), 201), (('PATCH', '/v1/nodes/{node_ident}'), 200),
                     (('DELETE', '/v1/nodes/{node_ident}'), 204),
                     (('GET', '/v1/nodes/{node_ident}/history'), 200)):
        if op in ran:  # (not when the budget ran out before it)
            assert STATS['operations'][op][code] > 0, '%s %s never answered %s' % (op + (code,))

    def reserved():
        resp = anvil_live.request('GET', '/v1/nodes?fields=uuid,name,reservation&limit=1000')
        assert resp.status_code == 200, resp.text
        return [n for n in resp.json()['nodes'] if n['reservation']]

    # async methods may still be finishing: poll, with a deadline
    wait_for(lambda: not reserved(), 15, what='no node reserved')
    assert anvil_live.process.popen.poll() is None, anvil_live.log()
