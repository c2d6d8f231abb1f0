"""One passthru call through real processes: HTTP -> anvil-api -> RabbitMQ ->
anvil-conductor -> PostgreSQL reservation -> fake driver -> reply."""

from tests.functional.deployment import wait_for


def test_sync_call_through_real_processes(deployment):
    node = deployment.create_node('thin1')
    resp = deployment.post('/v1/nodes/thin1/vendor_passthru/third_method_sync', {'bar': 'meow'})
    assert resp.status_code == 200, resp.text
    assert resp.json() is True
    assert deployment.node(node['uuid'])['reservation'] is None


def test_async_call_outcome_recorded_by_owner(deployment):
    deployment.create_node('thin2')
    resp = deployment.post('/v1/nodes/thin2/vendor_passthru?method=second_method',
                           {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']
    owner = deployment.owner('thin2')

    def succeeded():
        events = deployment.get('/v1/nodes/thin2/history?detail=True').json()['history']
        return [e for e in events if e['request_id'] == request_id and 'succeeded' in e['event']]
    event = wait_for(succeeded, 20, what='history shows success')[0]
    assert event['conductor'] == owner
    assert deployment.node('thin2')['reservation'] is None
