"""The RPC version history and the capping rules built on it."""

import pytest
from oslo_config import cfg

from anvil.common import release_versions as rv
from anvil.conductor import manager

EXPECT = {'ident': 'n1', 'conductor_group': ''}


def _v(version):
    return tuple(int(part) for part in version.split('.'))


def test_history_is_ordered_and_ends_with_what_this_code_serves():
    versions = [_v(entry['rpc']) for entry in rv.RELEASES.values()]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert list(rv.RELEASES)[-1] == rv.CURRENT_RELEASE
    assert manager.ConductorManager.target.version == rv.RPC_VERSION
    assert all(_v(added) <= _v(rv.RPC_VERSION) for added in rv.ARGUMENTS_ADDED.values())


def test_unpinned_call_with_a_newer_argument_goes_as_the_version_that_added_it():
    version, kwargs = rv.capped_call('vendor_passthru', {'node_id': 1, 'expect': EXPECT},
                                     rv.rpc_version_cap(None))
    assert (version, kwargs) == ('1.1', {'node_id': 1, 'expect': EXPECT})


def test_call_without_newer_arguments_goes_as_the_base_version():
    assert rv.capped_call('vendor_passthru', {'node_id': 1}, '1.1') == ('1.0', {'node_id': 1})
    assert rv.capped_call('driver_vendor_passthru', {'driver_name': 'x'}, '1.1')[0] == '1.0'


def test_capped_call_leaves_out_what_the_pinned_release_does_not_know():
    cap = rv.rpc_version_cap('0.1')
    assert cap == '1.0'
    assert rv.capped_call('vendor_passthru', {'node_id': 1, 'expect': EXPECT}, cap) == (
        '1.0', {'node_id': 1})
    assert not rv.can_send('vendor_passthru', 'expect', cap)
    assert rv.can_send('vendor_passthru', 'node_id', cap)


def test_releases_older_than_names_what_to_pin_to():
    assert rv.releases_older_than('1.1') == ['0.1']
    assert rv.releases_older_than('1.0') == []


def test_pin_accepts_only_known_releases(conf):
    conf.set_override('pin_release_version', '0.1')
    with pytest.raises(ValueError):
        conf.set_override('pin_release_version', '9.9')
    assert cfg.CONF.pin_release_version == '0.1'
