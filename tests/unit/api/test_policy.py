"""Policy decisions with Ironic's secure-RBAC defaults, per-method rules, the sample file."""

import os
import subprocess
import sys

import pytest

from anvil.api import policy
from anvil.common.context import RequestContext

SYSTEM_ADMIN = dict(roles=['admin', 'member', 'reader'], system_scope='all')
SYSTEM_READER = dict(roles=['reader'], system_scope='all')
A_MEMBER = dict(roles=['member', 'reader'], project_id='project-a')
A_READER = dict(roles=['reader'], project_id='project-a')
B_MEMBER = dict(roles=['member', 'reader'], project_id='project-b')
NODE_OF_A = {'owner': 'project-a', 'lessee': None}


@pytest.fixture(autouse=True)
def fresh_enforcer(conf, tmp_path):
    conf.set_override('policy_file', str(tmp_path / 'policy.yaml'), group='oslo_policy')
    policy.reset()
    yield
    policy.reset()


def _allowed(rule, persona, node=None):
    return policy.allowed(rule, RequestContext(**persona), node)


@pytest.mark.parametrize('rule,persona,node,expected', [
    ('baremetal:node:vendor_passthru', SYSTEM_ADMIN, NODE_OF_A, True),
    ('baremetal:node:vendor_passthru', SYSTEM_READER, NODE_OF_A, False),
    ('baremetal:node:vendor_passthru', A_MEMBER, NODE_OF_A, False),
    ('baremetal:node:get', A_READER, NODE_OF_A, True),
    ('baremetal:node:get', B_MEMBER, NODE_OF_A, False),
    ('baremetal:node:update', A_MEMBER, NODE_OF_A, True),
    ('baremetal:node:update', A_READER, NODE_OF_A, False),
    ('baremetal:node:delete', A_MEMBER, NODE_OF_A, False),
    ('baremetal:node:list_all', SYSTEM_READER, None, True),
    ('baremetal:node:list_all', A_READER, None, False),
    ('baremetal:node:list', A_READER, None, True),
    ('baremetal:driver:get', SYSTEM_READER, None, True),
    ('baremetal:driver:get', A_MEMBER, None, False),   # system scope only
    ('baremetal:conductor:get', A_MEMBER, None, False),
    ('baremetal:driver:vendor_passthru', SYSTEM_ADMIN, None, True),
])
def test_ironic_defaults(rule, persona, node, expected):
    assert _allowed(rule, persona, node) is expected


def test_a_method_without_its_own_rule_falls_under_the_generic_one():
    assert policy.passthru_rule('node', 'get_all_subscriptions') == \
        'baremetal:node:vendor_passthru'


def test_a_per_method_rule_opens_one_method_to_readers(conf, tmp_path):
    (tmp_path / 'policy.yaml').write_text(
        '"baremetal:node:vendor_passthru:get_all_subscriptions": "role:reader"\n'
        '"baremetal:driver:vendor_passthru:driver_echo": "!"\n')
    rule = policy.passthru_rule('node', 'get_all_subscriptions')
    assert rule == 'baremetal:node:vendor_passthru:get_all_subscriptions'
    assert _allowed(rule, A_READER, NODE_OF_A)
    other = policy.passthru_rule('node', 'eject_vmedia')
    assert not _allowed(other, A_READER, NODE_OF_A)
    closed = policy.passthru_rule('driver', 'driver_echo')
    assert not _allowed(closed, SYSTEM_ADMIN)


def test_a_project_that_cannot_see_a_node_gets_404_not_403():
    from anvil.common import exception
    with pytest.raises(exception.NodeNotFound):
        policy.authorize_node('baremetal:node:update', RequestContext(**B_MEMBER), NODE_OF_A,
                              'n1')
    with pytest.raises(exception.Forbidden):
        policy.authorize_node('baremetal:node:delete', RequestContext(**A_READER), NODE_OF_A,
                              'n1')


def test_sample_policy_file_is_current(tmp_path):
    out = tmp_path / 'policy.yaml.sample'
    tool = os.path.join(os.path.dirname(sys.executable), 'oslopolicy-sample-generator')
    subprocess.run([tool, '--namespace', 'anvil', '--output-file', str(out)], check=True,
                   capture_output=True)
    sample = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc', 'anvil',
                          'policy.yaml.sample')
    with open(sample) as f:
        assert f.read() == out.read_text(), 'regenerate: make sample-policy'
