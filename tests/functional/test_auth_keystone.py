"""anvil behind a real Keystone: clients log in, find anvil in the catalog, and
what each persona may do follows Ironic's secure-RBAC defaults.

One Keystone for the session (conftest ``keystone``), one multi-process
deployment and one all-in-one per module, both with ``auth_strategy =
keystone``. The real ``baremetal`` CLI and openstacksdk authenticate by
password (environment or clouds.yaml) and reach anvil through the service
catalog, with no endpoint given. The authorization matrix is
``auth_matrix.MATRIX``.
"""

import openstack
import pytest
from openstack import exceptions

from tests import polling
from tests.functional import auth_matrix
from tests.functional.auth_matrix import CALLERS
from tests.functional.deployment import fault
from tests.functional.keystone_server import REGION
from tests.functional.keystone_target import (
    clouds_yaml_env,
    password_auth,
    running_keystone_all_in_one,
    running_keystone_deployment,
)
from tests.functional.test_cli import ok, table


@pytest.fixture(scope='module')
def ks_deployment(tmp_path_factory, keystone):
    with running_keystone_deployment(tmp_path_factory.mktemp('ks-dep'), keystone) as dep:
        yield dep


@pytest.fixture(scope='module')
def ks_all_in_one(tmp_path_factory, keystone):
    with running_keystone_all_in_one(tmp_path_factory.mktemp('ks-aio'), keystone) as aio:
        yield aio


@pytest.fixture(scope='module', params=['multi-process', 'all-in-one'])
def ks_target(request):
    name = 'ks_deployment' if request.param == 'multi-process' else 'ks_all_in_one'
    return request.getfixturevalue(name)


@pytest.fixture
def catalog(ks_target, keystone):
    """anvil under test registered as ``baremetal`` in the catalog for one test."""
    with keystone.baremetal_endpoint(ks_target.url):
        yield ks_target


# -- authentication --------------------------------------------------------------


def test_public_paths_answer_without_credentials(ks_target):
    for path in ('/', '/v1', '/v1/'):
        resp = ks_target.get(path, token=None)
        assert resp.status_code == 200, (path, resp.text)
        resp = ks_target.get(path, token='not-a-token')
        assert resp.status_code == 200, (path, resp.text)


@pytest.mark.parametrize('token', [None, 'not-a-token'], ids=['no-token', 'bad-token'])
def test_unauthenticated_is_401_as_from_ironic(ks_target, keystone, token):
    for verb, path in (('GET', '/v1/nodes'), ('GET', '/v1/drivers'),
                       ('POST', '/v1/nodes/any/vendor_passthru?method=second_method'),
                       ('GET', '/v1/no-such-path')):
        resp = ks_target.request(verb, path, {} if verb == 'POST' else None, token=token)
        assert resp.status_code == 401, (verb, path, resp.status_code, resp.text)
        # keystonemiddleware's own body, as Ironic behind it answers
        assert resp.json()['error']['code'] == 401, resp.text
        assert resp.headers.get('WWW-Authenticate') == 'Keystone uri="%s"' % keystone.url


def test_forged_identity_headers_are_ignored(ks_deployment, keystone):
    dep = ks_deployment
    node = dep.create_node('ks-forged', owner=keystone.project_ids['project-a'])
    forged = {'X-User-Id': 'forged-user', 'X-Roles': 'admin,member,reader',
              'OpenStack-System-Scope': 'all', 'X-Project-Id': keystone.project_ids['project-a'],
              'X-Identity-Status': 'Confirmed'}
    # a system reader claiming admin still may not call a vendor method
    reader = keystone.persona_token('system-reader')
    resp = dep.post('/v1/nodes/%s/vendor_passthru?method=second_method' % node['uuid'],
                    {'bar': 'kazoo'}, headers=forged, token=reader)
    assert resp.status_code == 403, resp.text
    fault(resp)
    # a project reader claiming system scope still may not read drivers
    resp = dep.get('/v1/drivers', headers=forged, token=keystone.persona_token('a-reader'))
    assert resp.status_code == 403, resp.text
    # history records the user the token belongs to, not the one claimed
    resp = dep.post('/v1/nodes/%s/vendor_passthru?method=second_method' % node['uuid'],
                    {'bar': 'kazoo'}, headers=forged)
    assert resp.status_code == 202, resp.text
    events = polling.wait_for(lambda: [e for e in dep.history(node['uuid'])
                                       if 'succeeded' in e['event']], 30,
                              what='passthru outcome in history')
    users = {e['user'] for e in dep.history(node['uuid'])}
    assert users == {keystone.user_ids['system-admin']}, events


# -- clients through the catalog ---------------------------------------------------


def test_cli_password_auth_through_catalog(catalog, keystone):
    target = catalog
    assert 'fake-hardware' in ok(target.cli('driver', 'list'))
    name = 'ks-cli-%s' % target.topic[-8:]
    ok(target.cli('node', 'create', '--driver', 'fake-hardware', '--name', name))
    ok(target.cli('node', 'passthru', 'call', name, 'second_method', '--arg', 'bar=kazoo'))

    def outcome():
        out = ok(target.cli('node', 'history', 'list', name, '--long'))
        if not out.strip():  # no event yet: cliff prints nothing for an empty list
            return None
        header, rows = table(out)
        rows = [dict(zip([h.lower() for h in header], row, strict=True)) for row in rows]
        done = [r for r in rows if 'second_method succeeded' in ' '.join(r.values())]
        return rows if done else None

    rows = polling.wait_for(outcome, 60, 0.5, what='history shows the outcome')
    assert {r['user'] for r in rows} == {keystone.user_ids['system-admin']}, rows


def test_cli_clouds_yaml(catalog, keystone, tmp_path):
    """A project admin (OS_CLOUD) enrolls a node: its project becomes the owner."""
    target = catalog
    env = clouds_yaml_env(keystone, 'a-admin', tmp_path / 'clouds.yaml')
    name = 'ks-cloud-%s' % target.topic[-8:]
    ok(target.cli('node', 'create', '--driver', 'fake-hardware', '--name', name, env=env))
    assert target.node(name)['owner'] == keystone.project_ids['project-a']
    listed = ok(target.cli('node', 'list', '-f', 'value', '-c', 'Name', env=env)).split()
    assert name in listed
    # b-member, logged in the same way, does not see it
    env_b = clouds_yaml_env(keystone, 'b-member', tmp_path / 'clouds-b.yaml')
    assert name not in ok(target.cli('node', 'list', '-f', 'value', '-c', 'Name', env=env_b))


def test_sdk_password_auth_through_catalog(catalog, keystone):
    target = catalog
    conn = openstack.connect(auth_type='password', region_name=REGION, interface='public',
                             load_envvars=False, load_yaml_config=False,
                             **password_auth(keystone, 'system-admin'))
    try:
        assert conn.baremetal.get_endpoint().rstrip('/').startswith(target.url)
        node = conn.baremetal.create_node(driver='fake-hardware',
                                          name='ks-sdk-%s' % target.topic[-8:],
                                          owner=keystone.project_ids['project-a'])
        assert node.id in [n.id for n in conn.baremetal.nodes()]
        resp = conn.baremetal.call_node_vendor_passthru(node, 'POST', 'third_method_sync',
                                                        {'bar': 'meow'})
        assert resp.status_code == 200 and resp.json() is True
    finally:
        conn.close()
    # the owner's reader sees the node but may not call its vendor methods
    conn = openstack.connect(auth_type='password', region_name=REGION, interface='public',
                             load_envvars=False, load_yaml_config=False,
                             **password_auth(keystone, 'a-reader'))
    try:
        assert node.id in [n.id for n in conn.baremetal.nodes()]
        with pytest.raises(exceptions.ForbiddenException):
            conn.baremetal.call_node_vendor_passthru(node.id, 'POST', 'third_method_sync',
                                                     {'bar': 'meow'})
    finally:
        conn.close()


# -- authorization ------------------------------------------------------------------


@pytest.fixture(scope='module')
def nodes(ks_deployment, keystone):
    """{node}, its history event, one {own} node per caller, a node of project-b, and
    the request ids of an async call on {node} and of an async driver call."""
    dep = ks_deployment
    project_a, project_b = keystone.project_ids['project-a'], keystone.project_ids['project-b']
    node = dep.create_node('mx-a', owner=project_a)
    resp = dep.post('/v1/nodes/mx-a/vendor_passthru?method=second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    call = resp.headers['x-openstack-request-id']
    resp = dep.post('/v1/drivers/fake-hardware/vendor_passthru/driver_noop', {})
    assert resp.status_code == 202, resp.text
    driver_call = resp.headers['x-openstack-request-id']
    events = polling.wait_for(lambda: dep.history('mx-a'), 30, what='a history event of mx-a')
    own = {caller: dep.create_node('mx-own-%s' % caller, owner=project_a)['uuid']
           for caller in CALLERS}
    return {'node': node, 'event': events[0]['uuid'], 'own': own, 'call': call,
            'driver_call': driver_call,
            'b': dep.create_node('mx-b', owner=project_b),
            'unowned': dep.create_node('mx-unowned')}


def test_authorization_matrix(ks_deployment, keystone, nodes):
    dep = ks_deployment
    seen, wrong = {}, []
    for caller in CALLERS:
        token, bodies = auth_matrix.token(keystone, caller), auth_matrix.bodies(keystone, caller)
        for verb, path, body, expected in auth_matrix.parse_matrix():
            url = path.format(N='/v1/nodes/' + nodes['node']['uuid'], event=nodes['event'],
                              own='/v1/nodes/' + nodes['own'][caller],
                              drv='/v1/drivers/fake-hardware', host=dep.conductor_names[0],
                              call='/v1/passthru_calls/' + nodes['call'],
                              dcall='/v1/passthru_calls/' + nodes['driver_call'])
            resp = dep.request(verb, url, bodies[body], token=token)
            seen[(verb, path, body, caller)] = resp.status_code
            problem = auth_matrix.check(resp, expected[caller], caller, nodes)
            if problem:
                wrong.append('%s %s (%s) as %s: %s' % (verb, path, body, caller, problem))
    print('\n' + auth_matrix.format_matrix(seen))
    assert not wrong, '\n'.join(wrong)


@pytest.mark.parametrize('caller,visible', [
    ('system-reader', {'mx-a', 'mx-b', 'mx-unowned'}),
    ('system-admin', {'mx-a', 'mx-b', 'mx-unowned'}),
    ('a-reader', {'mx-a'}), ('a-member', {'mx-a'}), ('a-admin', {'mx-a'}),
    ('b-member', {'mx-b'}),
])
def test_node_lists_are_filtered_by_project(ks_deployment, keystone, nodes, caller, visible):
    token = keystone.persona_token(caller)
    for path in ('/v1/nodes', '/v1/nodes/detail', '/v1/nodes?fields=name,owner'):
        resp = ks_deployment.get(path, token=token)
        assert resp.status_code == 200, resp.text
        names = {n['name'] for n in resp.json()['nodes']} & {'mx-a', 'mx-b', 'mx-unowned'}
        assert names == visible, (path, resp.json())
