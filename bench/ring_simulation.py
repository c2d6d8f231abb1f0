"""Past this machine: anvil's own hash ring over 1,000,000 nodes and 100 conductors.

    .venv/bin/python -m bench.ring_simulation [--nodes 1000000] [--conductors 100]
        [--exponents 5 7 9] [--db postgresql|sqlite|none]

No processes. The ring is ``anvil.api.hash_ring.Topology`` (what every API
process routes with: a tooz ``HashRing`` per hardware type and conductor
group) fed a topology of ``--conductors`` live conductors; each node's owner
is ``Topology.owner(node)``. For each partition exponent (the configured
``[conductor] hash_partition_exponent`` unless ``--exponents`` are given) it
prints the imbalance (nodes per conductor: max/mean, min/mean, standard
deviation/mean), the nodes that move when one conductor joins and when one
leaves (against the ideal 1/N, and how many moved between two conductors
that did not change), and the time and memory to build the ring and to look
up every node. Then ``bench.heartbeat_writes`` counts the statements a
conductor's heartbeat cycle runs on a real database. Reports only.
"""

import argparse
import array
import os
import random
import statistics
import sys
import time
import tracemalloc
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from anvil.api import hash_ring  # noqa: E402
from anvil.common.config import CONF  # noqa: E402

DRIVER = 'fake-hardware'


def topology(hosts, exponent):
    """A ``Topology`` in which ``hosts`` are alive and serve ``DRIVER`` in group ''."""
    data = {'conductors': {h: '' for h in hosts},
            'hardware_types': {DRIVER: {h: {} for h in hosts}},
            'known_types': {DRIVER}, 'methods': {}, 'valid_for': None}
    return hash_ring.Topology(data, 2 ** exponent)


def node_uuids(count, seed=42):
    """``count`` random version-4 UUIDs (as anvil enrolls them), reproducibly."""
    rnd = random.Random(seed)
    return [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(count)]


def build(hosts, exponent):
    """(topology with its ring built, CPU seconds, bytes allocated) for ``hosts``.

    CPU time, not wall time: on a shared machine the wall clock measures the others.
    """
    tracemalloc.start()
    started = time.process_time()
    topo = topology(hosts, exponent)
    topo.owner({'uuid': node_uuids(1)[0], 'driver': DRIVER, 'conductor_group': ''})
    seconds = time.process_time() - started
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return topo, seconds, size


def owners(topo, hosts, uuids):
    """(array of owner indices in ``hosts``, CPU seconds) for every node in ``uuids``."""
    index = {h: i for i, h in enumerate(hosts)}
    result = array.array('H')
    node = {'uuid': None, 'driver': DRIVER, 'conductor_group': ''}
    started = time.process_time()
    for u in uuids:
        node['uuid'] = u
        result.append(index[topo.owner(node)])
    return result, time.process_time() - started


def moved(before, after, before_hosts, after_hosts, changed):
    """(nodes whose owner changed, of which between two unchanged conductors)."""
    total = strays = 0
    for b, a in zip(before, after, strict=True):
        old, new = before_hosts[b], after_hosts[a]
        if old != new:
            total += 1
            if changed not in (old, new):
                strays += 1
    return total, strays


def simulate(uuids, conductors, exponent):
    """One exponent: the figures of one table row, as a dict."""
    hosts = ['conductor-%03d' % i for i in range(conductors)]
    topo, build_s, build_bytes = build(hosts, exponent)
    base, lookup_s = owners(topo, hosts, uuids)
    counts = [0] * conductors
    for i in base:
        counts[i] += 1
    mean = len(uuids) / conductors
    joiner = 'conductor-%03d' % conductors
    joined_hosts = hosts + [joiner]
    joined, _ = owners(topology(joined_hosts, exponent), joined_hosts, uuids)
    join_moved, join_strays = moved(base, joined, hosts, joined_hosts, joiner)
    leaver = hosts[random.Random(exponent).randrange(conductors)]
    left_hosts = [h for h in hosts if h != leaver]
    left, _ = owners(topology(left_hosts, exponent), left_hosts, uuids)
    leave_moved, leave_strays = moved(base, left, hosts, left_hosts, leaver)
    return {'exponent': exponent, 'max': max(counts) / mean, 'min': min(counts) / mean,
            'stdev': statistics.pstdev(counts) / mean,
            'join': join_moved / len(uuids), 'join_strays': join_strays,
            'leave': leave_moved / len(uuids), 'leave_strays': leave_strays,
            'leaver_share': counts[hosts.index(leaver)] / len(uuids),
            'build_ms': build_s * 1000, 'build_kib': build_bytes / 1024,
            'lookup_s': lookup_s, 'lookup_us': lookup_s / len(uuids) * 1e6}


def print_ring(rows, nodes, conductors):
    print('## Hash ring: %d nodes over %d conductors (anvil.api.hash_ring.Topology, tooz)\n'
          % (nodes, conductors))
    print('| exponent (points per conductor) | max/mean | min/mean | stdev/mean | '
          'moved on join (ideal %.2f %%) | moved on leave (ideal %.2f %%; the leaver\'s '
          'share) | moves between unchanged conductors | ring build (CPU) | ring memory | '
          'look up all nodes (CPU) |' % (100.0 / (conductors + 1), 100.0 / conductors))
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print('| %d (%d) | %.3f | %.3f | %.3f | %.2f %% | %.2f %% (%.2f %%) | %d | %.1f ms | '
              '%.0f KiB | %.1f s (%.1f µs/node) |' % (
                  r['exponent'], 2 ** r['exponent'], r['max'], r['min'], r['stdev'],
                  100 * r['join'], 100 * r['leave'], 100 * r['leaver_share'],
                  r['join_strays'] + r['leave_strays'], r['build_ms'], r['build_kib'],
                  r['lookup_s'], r['lookup_us']))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, default=1000000)
    parser.add_argument('--conductors', type=int, default=100)
    parser.add_argument('--exponents', type=int, nargs='*',
                        help='hash_partition_exponent values (default: the configured one)')
    parser.add_argument('--db', choices=['postgresql', 'sqlite', 'none'], default='postgresql',
                        help='where to count the heartbeat cycle\'s statements')
    args = parser.parse_args(argv)
    CONF([], project='anvil')
    exponents = args.exponents or [CONF.conductor.hash_partition_exponent]
    started = time.perf_counter()
    uuids = node_uuids(args.nodes)
    ids_mib = (sys.getsizeof(uuids) + sum(map(sys.getsizeof, uuids))) / 2 ** 20
    print('%d node UUIDs: %.0f MiB as Python strings, made in %.1f s\n' % (
        args.nodes, ids_mib, time.perf_counter() - started), file=sys.stderr)
    rows = []
    for exponent in exponents:
        rows.append(simulate(uuids, args.conductors, exponent))
        print('exponent %d done' % exponent, file=sys.stderr, flush=True)
    print_ring(rows, args.nodes, args.conductors)
    print('\nOwners are kept as 2-byte indices (%.1f MiB for every node); one look-up '
          'allocates nothing that outlives it.' % (args.nodes * 2 / 2 ** 20))
    if args.db != 'none':
        from bench import heartbeat_writes
        heartbeat_writes.main(args.db)


if __name__ == '__main__':
    main()
