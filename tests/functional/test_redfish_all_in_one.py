"""The redfish hardware type in the all-in-one ``anvil`` (SQLite, in-process dispatcher).

The same driver errors and codes must come through the in-process
dispatcher as through RabbitMQ, and a clean stop must log out of the BMC.
"""

from tests.functional.all_in_one import running_all_in_one
from tests.functional.redfish_bmc import Bmc, harness
from tests.functional.redfish_bmc.harness import call, fault


def test_all_in_one_serves_redfish(tmp_path):
    bmc = Bmc(tmp_path, name='aio-bmc').start()
    try:
        with running_all_in_one(tmp_path, extra=harness.SECTIONS) as aio:
            node = harness.create_node(aio, 'rf-aio', bmc.driver_info())['uuid']
            created = call(aio, node, 'create_subscription',
                           body={'Destination': 'http://192.0.2.10/events'})
            assert created.status_code == 200, created.text
            status, message = fault(call(aio, node, 'get_subscription', 'GET',
                                         body={'id': '999'}))
            assert status == 404 and 'Subscriptions/999 was not found' in message
            resp = call(aio, node, 'eject_vmedia', body={'boot_device': 'cd'})
            assert resp.status_code == 202
            event = harness.history_outcome(aio, node,
                                            resp.headers['x-openstack-request-id'])
            assert "succeeded: returned {'ejected': []}" in event['event']
            assert bmc.stats()['active_sessions'] == 1
        assert bmc.stats()['active_sessions'] == 0  # the clean stop logged out
    finally:
        bmc.stop()
