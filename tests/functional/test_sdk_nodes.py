"""openstacksdk 4.22.0's node, driver and conductor calls against both deployments, and
how it retries a 409/503 (waiting what ``Retry-After`` says).

Each test uses nodes of its own (names, often a conductor group no conductor serves).
"""

import logging

import openstack
import pytest
from openstack import exceptions

from tests.functional.deployment import wait_for

pytestmark = pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')

DRIVER_INTERFACE_KINDS = ('bios', 'boot', 'console', 'deploy', 'firmware', 'inspect',
                          'management', 'network', 'power', 'raid', 'rescue', 'storage',
                          'vendor')


def _connect(target, **kwargs):
    return openstack.connect(auth_type='none', baremetal_endpoint_override=target.url,
                             load_envvars=False, load_yaml_config=False, **kwargs)


@pytest.fixture(scope='module')
def conn(target):
    connection = _connect(target)
    yield connection
    connection.close()


@pytest.fixture(scope='module')
def conn_no_retry(target):
    """A connection that does not re-send a 409/503, to see the first answer."""
    connection = _connect(target, baremetal_status_code_retries=0)
    yield connection
    connection.close()


def _group(conn, group, count, prefix):
    return [conn.baremetal.create_node(driver='fake-hardware', name='%s-%d' % (prefix, i),
                                       conductor_group=group).id for i in range(count)]


# -- nodes: create, get, list ------------------------------------------------------

def test_create_node_reads_every_field(conn, target):
    node = conn.baremetal.create_node(
        driver='fake-hardware', name='sn-create', extra={'rack': 'r4'},
        properties={'cpus': 8}, driver_info={'redfish_password': 's3cret'},
        bios_interface='fake')
    assert (node.name, node.driver, node.provision_state) == ('sn-create', 'fake-hardware',
                                                              'enroll')
    assert (node.extra, node.properties) == ({'rack': 'r4'}, {'cpus': 8})
    assert node.driver_info == {'redfish_password': '******'}
    assert (node.bios_interface, node.vendor_interface, node.power_interface) == \
        ('fake', 'fake', 'fake')
    assert node.conductor in target.conductor_names
    assert (node.reservation, node.last_error, node.owner, node.resource_class) == (None,) * 4
    assert (node.is_maintenance, node.is_retired, node.is_protected) == (False,) * 3
    assert node.traits == [] and node.created_at.endswith('+00:00')
    assert node.links[0]['href'] == '%s/v1/nodes/%s' % (target.url, node.id)


def test_get_node_by_name_and_fields(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-get')
    assert conn.baremetal.get_node('sn-get').id == node.id
    partial = conn.baremetal.get_node('sn-get', fields=['name', 'conductor', 'owner'])
    assert (partial.name, partial.owner, partial.driver) == ('sn-get', None, None)
    assert partial.conductor in target.conductor_names
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.get_node('sn-get', fields=['name', 'nosuch'])
    assert e.value.details == 'Field(s) "nosuch" are not valid'
    with pytest.raises(exceptions.NotFoundException):
        conn.baremetal.get_node('sn-nosuch')
    assert conn.baremetal.find_node('sn-get').id == node.id
    assert conn.baremetal.find_node('sn-nosuch') is None


def test_nodes_details_and_fields(conn, target):
    ids = _group(conn, 'sn-list', 2, 'sn-list')
    brief = list(conn.baremetal.nodes(conductor_group='sn-list'))
    assert [n.id for n in brief] == ids
    assert (brief[0].name, brief[0].provision_state, brief[0].driver) == \
        ('sn-list-0', 'enroll', None)  # the short list has no driver
    detailed = list(conn.baremetal.nodes(details=True, conductor_group='sn-list'))
    assert [(n.driver, n.conductor_group, n.vendor_interface) for n in detailed] == \
        [('fake-hardware', 'sn-list', 'fake')] * 2
    chosen = list(conn.baremetal.nodes(conductor_group='sn-list', fields=['uuid', 'extra']))
    assert [(n.id, n.extra, n.name) for n in chosen] == [(i, {}, None) for i in ids]


def test_nodes_pages_through_next(conn, target):
    ids = _group(conn, 'sn-page', 5, 'sn-page')
    assert [n.id for n in conn.baremetal.nodes(conductor_group='sn-page', limit=2)] == ids
    page = target.get('/v1/nodes?conductor_group=sn-page&limit=2').json()
    assert page['next'].endswith('conductor_group=sn-page&limit=2&marker=%s' % ids[1])


def test_nodes_filters(conn, target):
    ids = _group(conn, 'sn-filt', 3, 'sn-filt')
    conn.baremetal.set_node_maintenance(ids[1])

    def listed(**query):
        return [n.name for n in conn.baremetal.nodes(conductor_group='sn-filt', **query)]
    assert listed(is_maintenance=True) == ['sn-filt-1']
    assert listed(is_maintenance=False) == ['sn-filt-0', 'sn-filt-2']
    assert listed(driver='fake-hardware', provision_state='enroll') == \
        ['sn-filt-0', 'sn-filt-1', 'sn-filt-2']
    assert listed(associated=False) == ['sn-filt-0', 'sn-filt-1', 'sn-filt-2']
    assert listed(associated=True) == [] and listed(resource_class='gold') == []
    # `conductor` is no query parameter of the SDK: it filters what it fetched, so the
    # field must be fetched (details or fields), else nothing matches.
    owned = conn.baremetal.create_node(driver='fake-hardware', name='sn-filt-owned')
    hits = [n.name for n in conn.baremetal.nodes(details=True, conductor=owned.conductor)]
    assert 'sn-filt-owned' in hits and 'sn-filt-0' not in hits
    assert [n.name for n in conn.baremetal.nodes(conductor=owned.conductor)] == []
    with pytest.raises(exceptions.BadRequestException) as e:
        list(conn.baremetal.nodes(provision_state='nosuch'))
    assert e.value.details == 'Provision state "nosuch" is not valid'


# -- nodes: update, patch, maintenance, delete ---------------------------------------

def test_update_node(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-upd')
    node = conn.baremetal.update_node(node, name='sn-upd2', extra={'k': 'v'},
                                      driver_info={'redfish_password': 'pw'},
                                      conductor_group='sn-upd-group',
                                      vendor_interface='no-vendor')
    assert (node.name, node.extra, node.driver_info) == \
        ('sn-upd2', {'k': 'v'}, {'redfish_password': '******'})
    assert (node.conductor_group, node.vendor_interface, node.conductor) == \
        ('sn-upd-group', 'no-vendor', None)
    assert conn.baremetal.get_node('sn-upd2').updated_at is not None
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.update_node(node, description='me')
    assert e.value.details == 'anvil does not manage the node field(s) description: ' \
                              'description is always null'
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.update_node('sn-upd2', vendor_interface='nosuch')
    assert e.value.details.startswith('Hardware type fake-hardware does not support vendor '
                                      'interface nosuch')


def test_patch_node(conn, target):
    conn.baremetal.create_node(driver='fake-hardware', name='sn-patch')
    node = conn.baremetal.patch_node('sn-patch', [
        {'op': 'add', 'path': '/properties/cpus', 'value': 4},
        {'op': 'add', 'path': '/extra/a', 'value': [1, 2]}])
    assert (node.properties, node.extra) == ({'cpus': 4}, {'a': [1, 2]})
    node = conn.baremetal.patch_node('sn-patch', [{'op': 'remove', 'path': '/extra/a'},
                                                  {'op': 'remove', 'path': '/owner'}])
    assert node.extra == {}
    for ops, message in (
            ([{'op': 'replace', 'path': '/uuid', 'value': 'x'}], 'Cannot patch /uuid.'),
            ([{'op': 'remove', 'path': '/extra/nosuch'}], "Couldn't apply patch"),
            ([{'op': 'add', 'path': '/maintenance', 'value': 'often'}],
             'maintenance must be a boolean')):
        with pytest.raises(exceptions.BadRequestException) as e:
            conn.baremetal.patch_node('sn-patch', ops)
        assert e.value.details.startswith(message), e.value.details


def test_node_maintenance(conn, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-maint')
    assert conn.baremetal.set_node_maintenance(node).is_maintenance is True
    assert conn.baremetal.unset_node_maintenance(node).is_maintenance is False
    assert conn.baremetal.update_node(node, is_maintenance=True).is_maintenance is True
    with pytest.raises(exceptions.BadRequestException) as e:
        conn.baremetal.set_node_maintenance(node, reason='disk')
    assert 'anvil does not keep a maintenance reason' in e.value.details


def test_delete_node(conn, conn_no_retry, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-del')
    target.set_reservation(node.id, 'other-host')
    with pytest.raises(exceptions.ConflictException) as e:
        conn_no_retry.baremetal.delete_node(node)
    assert e.value.details == ('Node %s is locked by host other-host, please retry after '
                               'the current operation is completed.' % node.id)
    target.set_reservation(node.id, None)
    conn.baremetal.delete_node(node)
    assert conn.baremetal.find_node('sn-del') is None
    assert conn.baremetal.delete_node('sn-del') is None  # ignore_missing
    with pytest.raises(exceptions.NotFoundException):
        conn.baremetal.delete_node('sn-del', ignore_missing=False)


# -- drivers and conductors --------------------------------------------------------

def test_drivers_in_detail(conn, target):
    brief = conn.baremetal.get_driver('fake-hardware')
    assert sorted(brief.hosts) == sorted(target.conductor_names)
    (driver,) = conn.baremetal.drivers(details=True)
    for kind in DRIVER_INTERFACE_KINDS:
        assert getattr(driver, 'default_%s_interface' % kind), kind
        assert getattr(driver, 'enabled_%s_interfaces' % kind), kind
    assert (driver.default_vendor_interface, driver.enabled_vendor_interfaces) == \
        ('fake', ['fake', 'no-vendor'])
    (plain,) = conn.baremetal.drivers()
    assert (plain.name, plain.default_vendor_interface) == ('fake-hardware', None)


def test_conductors_detail_and_fields(conn, target):
    # The SDK's details=True sends nothing (its Conductor maps "detail", not "details");
    # detail=True works.
    shown = {c.hostname: c for c in conn.baremetal.conductors(detail=True)}
    for name in target.conductor_names:
        assert (shown[name].drivers, shown[name].alive) == (['fake-hardware'], True)
        assert shown[name].created_at.endswith('+00:00')
    assert {c.hostname: c.drivers for c in conn.baremetal.conductors(details=True)} == \
        {n: None for n in shown}
    chosen = conn.baremetal.get_conductor(target.conductor_names[0], fields=['hostname'])
    assert (chosen.hostname, chosen.drivers) == (target.conductor_names[0], None)
    assert [c.hostname for c in conn.baremetal.conductors(limit=1)] == list(shown)


# -- retries: the SDK re-sends a 409/503, waiting Retry-After seconds ------------------

class _OnRetry(logging.Handler):
    """Calls ``fix`` when keystoneauth announces its first retry; keeps the message."""

    def __init__(self, fix):
        super().__init__(logging.WARNING)
        self.fix, self.messages = fix, []

    def emit(self, record):
        message = record.getMessage()
        if message.startswith('Retriable status code'):
            self.messages.append(message)
            if len(self.messages) == 1:
                self.fix()


def _retried(fix, call):
    handler = _OnRetry(fix)
    logger = logging.getLogger('keystoneauth.session')
    logger.addHandler(handler)
    try:
        return call(), handler.messages
    finally:
        logger.removeHandler(handler)


def test_sdk_waits_retry_after_on_a_locked_node(conn, conn_no_retry, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-retry-409')
    target.set_reservation(node.id, 'other-host')
    with pytest.raises(exceptions.ConflictException):
        conn_no_retry.baremetal.call_node_vendor_passthru(node, 'POST', 'second_method',
                                                          {'bar': 'kazoo'})
    resp, retries = _retried(lambda: target.set_reservation(node.id, None),
                             lambda: conn.baremetal.call_node_vendor_passthru(
                                 node, 'POST', 'second_method', {'bar': 'kazoo'}))
    assert resp.status_code == 202
    # 3 lock attempts x 1 s on the conductor: Retry-After 3, not the SDK's own 0.5 s
    assert retries == ['Retriable status code 409. Retrying in 3.0s. 5 retries left']


def test_sdk_waits_retry_after_on_a_503(conn, conn_no_retry, target):
    node = conn.baremetal.create_node(driver='fake-hardware', name='sn-retry-503',
                                      conductor_group='sn-nobody')
    with pytest.raises(exceptions.HttpException) as e:
        conn_no_retry.baremetal.call_node_vendor_passthru(node, 'POST', 'second_method',
                                                          {'bar': 'kazoo'})
    assert e.value.status_code == 503
    assert e.value.details == ('No conductor is alive to serve driver fake-hardware, please '
                               'retry later.')
    resp, retries = _retried(
        lambda: target.request('PATCH', '/v1/nodes/sn-retry-503',
                               [{'op': 'remove', 'path': '/conductor_group'}]),
        lambda: conn.baremetal.call_node_vendor_passthru(node, 'POST', 'second_method',
                                                         {'bar': 'kazoo'}))
    assert resp.status_code == 202
    assert retries == ['Retriable status code 503. Retrying in 1.0s. 5 retries left']
    wait_for(lambda: [e for e in target.history(node.id)
                      if 'second_method succeeded' in e['event']], 30,
             what='the retried call ran')
