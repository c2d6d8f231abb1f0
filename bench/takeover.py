"""Takeover times: kill (or freeze) the owner of nodes under load, again and again.

    .venv/bin/python -m bench.takeover --kills 20 [--conductors 3] [--stop]

Real processes on the shared RabbitMQ and PostgreSQL, with the lease,
call-monitor and cache options at their defaults. Each round SIGKILLs (or,
with ``--stop``, SIGSTOPs for heartbeat_timeout + 2 s) one conductor while
sync and async passthru calls hit its nodes, measures when a call sent after
the fault is first answered 200 by a survivor, audits the round
(``tests.functional.call_load.audit``) and brings the conductor back. Ends
with a table: takeover median and max, statuses of calls sent after the
fault, casts lost at a kill.
"""

import argparse
import io
import random
import signal
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout

from bench import takeover_probe
from tests.functional import call_load
from tests.functional.call_load import CallLoad
from tests.functional.deployment import running_deployment


def _round(d, uuids, victim, stop):
    """One fault; returns (takeover seconds, statuses after it, casts lost)."""
    nodes = [n for n, owner in takeover_probe.owners(d, uuids).items() if owner == victim]
    survivors = set(d.conductor_names) - {victim}
    proc = d.conductors[victim]
    with CallLoad(d, nodes) as load:
        load.wait_for_calls(5, after=0)
        proc.send_signal(signal.SIGSTOP if stop else signal.SIGKILL)
        hurt = time.monotonic()
        load.start_probes()
        try:
            first = takeover_probe.wait_survivor_answer(
                load, hurt, survivors, takeover_probe.LedgerTail(d.ledger))
            load.wait_for_calls(5, after=first.answered)
        finally:
            if stop:
                proc.send_signal(signal.SIGCONT)
    out = io.StringIO()
    with redirect_stdout(out):
        call_load.audit(d, load, d.ledger, uuids, crash_at=None if stop else hurt)
    lost = out.getvalue().count('casts lost at the kill')
    after = [c for c in load.sync_calls() if c.sent >= hurt]
    if not stop:
        proc.popen.wait(10)
        d.start_conductor(victim)
    d.wait_conductor_alive(victim)
    return first.answered - hurt, call_load.statuses(after), lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kills', type=int, default=20)
    parser.add_argument('--conductors', type=int, default=2)
    parser.add_argument('--nodes', type=int, default=30)
    parser.add_argument('--stop', action='store_true', help='SIGSTOP instead of SIGKILL')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='anvil-takeover-')
    extra, ledger = takeover_probe.deployment_options(workdir)
    times, totals, lost = [], {}, 0
    with running_deployment(workdir, extra=extra, conductors=args.conductors) as d:
        d.ledger = ledger
        uuids = [d.create_node('bench-takeover-%d' % i)['uuid'] for i in range(args.nodes)]
        for i in range(args.kills):
            victim = random.choice(d.conductor_names)
            took, statuses, round_lost = _round(d, uuids, victim, args.stop)
            times.append(took)
            lost += round_lost
            for status, count in statuses.items():
                totals[status] = totals.get(status, 0) + count
            print('%2d  %-22s takeover %.2f s  after: %s' % (i + 1, victim, took, statuses),
                  file=sys.stderr)
    fault = 'SIGSTOP' if args.stop else 'SIGKILL'
    print('| fault | rounds | conductors | takeover median | takeover max | '
          'sync calls sent after the fault | casts lost |')
    print('|---|---|---|---|---|---|---|')
    print('| %s | %d | %d | %.2f s | %.2f s | %s | %d |' % (
        fault, len(times), args.conductors, statistics.median(times), max(times),
        ', '.join('%s: %d' % (k, v) for k, v in sorted(totals.items(), key=str)), lost))


if __name__ == '__main__':
    main()
