"""A cast routed to a conductor that just died is not lost: a survivor reads its queue.

Until the dead conductor's heartbeat goes stale the API still routes to it, so
the cast gets its 202 and lands in a queue nobody reads. The survivors read
the queues of conductors that are not alive and run (or record as expired)
what they find, under the node's lock.
"""

import signal

import pytest

from tests.functional import services
from tests.functional.deployment import running_deployment, wait_for

NODE = '/v1/nodes/%s/vendor_passthru'


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    with running_deployment(tmp_path_factory.mktemp('orphans'),
                            extra={'api': {'metadata_cache_ttl': 60}}) as d:
        yield d


def test_cast_to_a_killed_owner_is_run_by_a_survivor(dep):
    node = dep.create_node('orphaned')
    owner = dep.owner(node['uuid'])
    survivor = next(n for n in dep.conductor_names if n != owner)
    dep.conductors[owner].stop(signal.SIGKILL)

    # The API's topology is cached for 60 s: it still names the dead owner.
    resp = dep.post(NODE % node['uuid'] + '/second_method', {'bar': 'kazoo'})
    assert resp.status_code == 202, resp.text
    request_id = resp.headers['x-openstack-request-id']

    def outcome():
        events = dep.get('/v1/nodes/%s/history?detail=True' % node['uuid']).json()['history']
        return next((e for e in events if e['request_id'] == request_id
                     and ('succeeded' in e['event'] or 'expired' in e['event'])), None)
    event = wait_for(outcome, 60, what='the survivor ran the orphaned cast')
    assert event['event'] == 'Vendor passthru second_method succeeded: returned True'
    assert event['conductor'] == survivor
    assert dep.node(node['uuid'])['reservation'] is None

    # When the owner comes back, the survivor lets go of its queue.
    dep.start_conductor(owner)
    queue = '%s.%s' % (dep.topic, owner)
    wait_for(lambda: services.queue_consumers(queue) == 1, 60,
             what='only the owner reads its queue again')


@pytest.fixture
def short_window(tmp_path):
    """Two conductors that count a peer gone for good 1 s after its last heartbeat."""
    with running_deployment(tmp_path, extra={'conductor': {'orphan_queue_window': 1,
                                                           'max_clock_skew': 0}}) as d:
        yield d


def test_the_queue_of_a_conductor_gone_for_good_is_deleted(short_window):
    dep = short_window
    leaver, stayer = dep.conductor_names[:2]
    queue = '%s.%s' % (dep.topic, leaver)
    assert services.queue_consumers(queue) == 1

    dep.conductors[leaver].stop(signal.SIGTERM)
    wait_for(lambda: services.queue_consumers(queue) is None, 60,
             what='a live conductor deleted the departed conductor\'s queue')
    assert 'Deleted the RPC queue %s of conductor %s' % (queue, leaver) in \
        dep.conductors[stayer].log()
    # the stayer's own queue is untouched
    assert services.queue_consumers('%s.%s' % (dep.topic, stayer)) == 1

    # The same host name back: it declares its queue again and serves.
    dep.start_conductor(leaver)
    wait_for(lambda: services.queue_consumers(queue) == 1, 60,
             what='the returning conductor declared its queue again')
    node = dep.create_node('back-again')
    wait_for(lambda: dep.post(NODE % node['uuid'] + '/third_method_sync',
                              {'bar': 'meow'}).status_code == 200, 30,
             what='calls are served')
