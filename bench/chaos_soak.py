"""Chaos soak: passthru load over many nodes while conductors are killed, frozen and cut.

    .venv/bin/python -m bench.chaos_soak --minutes N [--nodes 1000] [--conductors 4]

Not run in CI. Starts anvil-api and ``--conductors`` anvil-conductors on the
shared RabbitMQ and a PostgreSQL database of its own, every conductor
reaching both through TCP relays the script owns (bench/chaos_faults.py);
lease, call-monitor and cache options at their defaults. Enrolls ``--nodes``
fake-hardware nodes and sends sync and async passthru calls over all of
them for ``--minutes``, while at random intervals it deals one fault at a
time to a random conductor: SIGKILL (restarted under the same host name once
a survivor serves its nodes), SIGKILL restarted at once (as a supervisor
would, maybe before its lease ends), SIGSTOP past its lease then SIGCONT,
SIGTERM and restart, its bus relay or its database relay cut and restored.
``--kill-share`` of the faults are SIGKILLs, the rest are drawn evenly from
``--kinds``.

Ends with the audit (bench/chaos_audit.py): calls by status, 202s without
exactly one outcome, duplicate runs, locks left, nodes without a live owner,
takeover times over every kill; then one row per kind of fault. Queues,
database and processes are removed at the end, also on Ctrl-C.
"""

import argparse
import concurrent.futures
import os
import random
import sys
import tempfile
import time

from bench import chaos_audit, chaos_faults, takeover_probe
from tests.functional import services
from tests.functional.call_load import CallLoad
from tests.functional.deployment import running_deployment


class Soak:
    """What the fault rounds share: the deployment, its nodes, the ledger, probe calls."""

    def __init__(self, d, uuids, ledger_path, kinds, kill_share):
        self.d = d
        self.kinds = kinds
        self.kill_share = kill_share
        self.uuids = uuids
        self.ledger_path = ledger_path
        self.ledger = takeover_probe.LedgerTail(ledger_path)
        self.probe_calls = []
        self.faults = []


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, required=True)
    parser.add_argument('--nodes', type=int, default=1000)
    parser.add_argument('--conductors', type=int, default=4)
    parser.add_argument('--kill-share', type=float, default=0.5,
                        help='share of the faults that are SIGKILLs (default 0.5)')
    parser.add_argument('--kinds', nargs='+', choices=sorted(chaos_faults.KINDS),
                        default=sorted(chaos_faults.KINDS), metavar='KIND',
                        help='the kinds of fault to deal (default: all of %s)'
                             % ', '.join(sorted(chaos_faults.KINDS)))
    parser.add_argument('--pause', type=float, nargs=2, default=(2.0, 8.0),
                        metavar=('MIN', 'MAX'),
                        help='seconds between two faults, drawn uniformly (default 2 8)')
    parser.add_argument('--sync-threads', type=int, default=4)
    parser.add_argument('--async-threads', type=int, default=1)
    parser.add_argument('--seed', type=int, help='random seed, to replay a schedule')
    return parser.parse_args()


def enroll(d, count):
    """Create ``count`` fake-hardware nodes (a few at a time); returns their UUIDs."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        nodes = pool.map(lambda i: d.create_node('soak-%d' % i), range(count))
        return [n['uuid'] for n in nodes]


def pick_kind(kinds, kill_share):
    """SIGKILL with probability ``kill_share`` (when it is one of ``kinds``), else
    one of the other ``kinds``, evenly."""
    others = [k for k in kinds if k != 'SIGKILL']
    if 'SIGKILL' in kinds and (random.random() < kill_share or not others):
        return 'SIGKILL'
    return random.choice(others)


def deal_faults(soak, minutes, pause):
    """Fault rounds, one after another with a random pause between, until time is up."""
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() + pause[0] < deadline:
        time.sleep(random.uniform(*pause))
        kind = pick_kind(soak.kinds, soak.kill_share)
        victim = random.choice(soak.d.conductor_names)
        fault = chaos_faults.run_fault(soak, kind, victim)
        soak.faults.append(fault)
        print('%3d %s %-24s %-22s takeover %s  recovery %s%s' % (
            len(soak.faults), time.strftime('%H:%M:%S'), kind, victim,
            _s(fault.takeover), _s(fault.recovery()),
            '  ERROR ' + fault.error if fault.error else ''), file=sys.stderr, flush=True)


def _s(seconds):
    return '-' if seconds is None else '%.2f s' % seconds


def soak_run(d, args, workdir, ledger):
    """Enroll, load, fault, audit; prints the tables."""
    started = time.monotonic()
    uuids = enroll(d, args.nodes)
    print('enrolled %d nodes in %.0f s' % (len(uuids), time.monotonic() - started),
          file=sys.stderr, flush=True)
    soak = Soak(d, uuids, ledger, args.kinds, args.kill_share)
    load = CallLoad(d, random.sample(uuids, len(uuids)), args.sync_threads,
                    args.async_threads)
    try:
        with load:
            deal_faults(soak, args.minutes, args.pause)
    finally:
        # a fault round cut short (Ctrl-C) must not leave a conductor frozen or cut
        for name in d.conductor_names:
            chaos_faults.force_back(soak, name)
    calls = load.calls + soak.probe_calls
    print('\n%d calls, %d faults over %.1f min; auditing' % (
        len(calls), len(soak.faults), (time.monotonic() - started) / 60), file=sys.stderr)
    rows, found = chaos_audit.audit(d, calls, uuids, ledger)
    rows.append(chaos_audit.takeover_row(soak.faults))
    print('\nnodes %d, conductors %d, minutes %g, faults %d\n' % (
        args.nodes, args.conductors, args.minutes, len(soak.faults)))
    chaos_audit.print_audit(rows)
    print()
    chaos_audit.print_faults(soak.faults, calls, found['states'])
    chaos_audit.save(os.path.join(workdir, 'calls.jsonl'), calls, found, soak.faults)


def left_behind(d):
    """What outlived the deployment: its queues, its processes."""
    queues = [q for q in [d.topic] + ['%s.%s' % (d.topic, n) for n in d.conductor_names]
              if services.queue_consumers(q) is not None]
    procs = [p.name for p in list(d.conductors.values()) + [d.api]
             if p is not None and p.popen.poll() is None]
    return queues, procs


def main():
    args = parse_args()
    random.seed(args.seed)
    workdir = tempfile.mkdtemp(prefix='anvil-chaos-')
    extra, ledger = takeover_probe.deployment_options(workdir, api_threads=64)
    print('workdir (logs, ledger): %s' % workdir, file=sys.stderr)
    with running_deployment(workdir, extra=extra, conductors=args.conductors,
                            cls=chaos_faults.ProxiedDeployment) as d:
        soak_run(d, args, workdir, ledger)
    queues, procs = left_behind(d)
    print('\nleft behind: queues %s, processes %s, database dropped' % (
        queues or 'none', procs or 'none'))


if __name__ == '__main__':
    main()
