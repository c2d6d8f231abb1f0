"""The scenarios of issue 6, and the floor's, as data: one run each per repetition.

``target``: ``mp`` (anvil-api + conductors), ``aio`` (the all-in-one),
``ping`` / ``composed`` (the floor's Flask apps, driven by wrk like anvil),
``rpc`` / ``db`` (the floor's client loops). ``hook`` names extra work around
a run: ``async`` counts completed methods from the conductors' history,
``scale`` enrolls 9,900 more nodes for the run and removes them after.
"""

import dataclasses

SYNC = '/v1/nodes/{node}/vendor_passthru/third_method_sync'
ASYNC = '/v1/nodes/{node}/vendor_passthru/second_method'
METHODS = '/v1/nodes/{node}/vendor_passthru/methods'
NODE = '/v1/nodes/{node}'
MEOW = '{"bar": "meow"}'
KAZOO = '{"bar": "kazoo"}'
NODES = 100
SCALE_NODES = 10000


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    target: str
    conns: int
    verb: str = 'POST'
    path: str = SYNC
    body: str = MEOW
    nodes: int = NODES
    prefix: str = 'bench-'
    hook: str = ''


SCENARIOS = [
    # the floor
    Scenario('floor_ping_c8', 'floor: bare Flask GET /ping, c=8', 'ping', 8, 'GET', '/ping', ''),
    Scenario('floor_composed_c1', 'floor: composed (Flask+SELECT+RPC call+reserve/release), c=1',
             'composed', 1),
    Scenario('floor_composed_c8', 'floor: composed, c=8', 'composed', 8),
    Scenario('floor_composed_c32', 'floor: composed, c=32', 'composed', 32),
    Scenario('floor_rpc_c1', 'floor: bare oslo.messaging call (+reserve/release), c=1', 'rpc', 1),
    Scenario('floor_rpc_c8', 'floor: bare oslo.messaging call (+reserve/release), c=8', 'rpc', 8),
    Scenario('floor_db_c1', 'floor: one reserve/release pair on PostgreSQL, c=1', 'db', 1),
    # 1. sync passthru over 100 nodes
    Scenario('sync_c1', 'sync passthru, 100 nodes, c=1', 'mp', 1),
    Scenario('sync_c8', 'sync passthru, 100 nodes, c=8', 'mp', 8),
    Scenario('sync_c32', 'sync passthru, 100 nodes, c=32', 'mp', 32),
    # 2. async passthru
    Scenario('async_c8', 'async passthru, 100 nodes, c=8', 'mp', 8, path=ASYNC, body=KAZOO,
             hook='async'),
    Scenario('async_c32', 'async passthru, 100 nodes, c=32', 'mp', 32, path=ASYNC, body=KAZOO,
             hook='async'),
    # 3. one node, 8 clients
    Scenario('contention_c8', 'sync passthru, ONE node, c=8', 'mp', 8, nodes=1),
    # 4. reads
    Scenario('get_methods_c8', 'GET vendor_passthru/methods, c=8', 'mp', 8, 'GET', METHODS, ''),
    Scenario('get_node_c8', 'GET /v1/nodes/<n>, c=8', 'mp', 8, 'GET', NODE, ''),
    # 5. scaling
    Scenario('sync_c8_10k', 'sync passthru, 10,000 nodes enrolled (calls over all), c=8',
             'mp', 8, nodes=SCALE_NODES, hook='scale'),
    Scenario('sync_c8_1cond', 'sync passthru, 100 nodes served by 1 conductor, c=8', 'mp', 8,
             prefix='solo-'),
    # the all-in-one
    Scenario('aio_sync_c1', 'all-in-one: sync passthru, c=1', 'aio', 1),
    Scenario('aio_sync_c8', 'all-in-one: sync passthru, c=8', 'aio', 8),
    Scenario('aio_get_node_c8', 'all-in-one: GET /v1/nodes/<n>, c=8', 'aio', 8, 'GET', NODE, ''),
]

BY_KEY = {s.key: s for s in SCENARIOS}

#: Run order within a repetition: each anvil figure next to the floor it is compared with.
RUN_ORDER = [
    'floor_ping_c8', 'get_node_c8', 'aio_get_node_c8', 'get_methods_c8',
    'floor_db_c1', 'floor_rpc_c1', 'floor_composed_c1', 'sync_c1', 'aio_sync_c1',
    'floor_rpc_c8', 'floor_composed_c8', 'sync_c8', 'sync_c8_1cond', 'sync_c8_10k', 'aio_sync_c8',
    'floor_composed_c32', 'sync_c32', 'async_c8', 'async_c32', 'contention_c8',
]
assert sorted(RUN_ORDER) == sorted(BY_KEY), 'every scenario runs once per repetition'
