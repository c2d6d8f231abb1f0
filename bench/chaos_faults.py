"""The faults bench/chaos_soak.py deals, one conductor at a time, and how each is undone.

Every conductor reaches RabbitMQ and PostgreSQL through TCP relays of its own
(``tests/functional/tcp_proxy.py``), so the soak can cut one conductor off
the bus or the database without touching the shared services. A fault is
``hurt`` (the signal or the cut), ``hold`` (how long it lasts: until a
survivor serves the victim's nodes, until the process is gone, or a random
while), ``restore`` (start again, SIGCONT, relay back); the round ends when
the victim serves again.
"""

import dataclasses
import random
import signal
import time

from bench import takeover_probe
from tests.functional.call_load import CallLoad
from tests.functional.deployment import Deployment
from tests.functional.tcp_proxy import relay

RESTORE_WITHIN = 120   # s: a victim that does not serve again by then is reported
PROBE_INTERVAL = 0.1   # s between two probe calls on the victim's nodes


class ProxiedDeployment(Deployment):
    """A Deployment whose conductors reach the bus and the database through relays."""

    def start(self):
        self.bus_relays, self.db_relays = {}, {}
        for name in self.conductor_names:
            self.bus_relays[name] = relay(self.rabbit_url, 5672)
            self.db_relays[name] = relay(self.db_url, 5432)
            self.bus_relays[name][0].start()
            self.db_relays[name][0].start()
        return super().start()

    def sections(self, host=None):
        sections = super().sections(host)
        if host in getattr(self, 'bus_relays', {}):
            sections['DEFAULT']['transport_url'] = self.bus_relays[host][1]
            sections['database']['connection'] = self.db_relays[host][1]
        return sections

    def stop(self):
        super().stop()
        for proxy, _ in list(self.bus_relays.values()) + list(self.db_relays.values()):
            proxy.stop()


@dataclasses.dataclass
class Fault:
    kind: str
    victim: str
    start: float                # time.monotonic() at the fault
    restored: float = None      # when it was undone
    end: float = None           # when the victim served again
    takeover: float = None      # s from the fault to a survivor's first 200 on its nodes
    error: str = None           # what did not happen in time

    def recovery(self):
        return None if self.end is None else self.end - self.restored


def _lease(d):
    return float(d.sections()['conductor']['heartbeat_timeout'])


def _restart(soak, victim):
    proc = soak.d.conductors[victim]
    proc.popen.wait(60)
    soak.d.start_conductor(victim)


def _hold_until_taken_over(soak, fault, probes, at_least=0.0):
    """Wait for a survivor to answer on the victim's nodes (and ``at_least`` s)."""
    survivors = set(soak.d.conductor_names) - {fault.victim}
    try:
        first = takeover_probe.wait_survivor_answer(probes, fault.start, survivors,
                                                    soak.ledger, timeout=60)
        fault.takeover = first.answered - fault.start
    except AssertionError as exc:
        fault.error = str(exc)
    remaining = fault.start + at_least - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _hold_a_while(soak, fault, probes):
    """A cut that need not cost the victim its lease: 2 to 8 s."""
    time.sleep(random.uniform(2, 8))


def _signal(sig):
    return lambda soak, victim: soak.d.conductors[victim].send_signal(sig)


def _relay(which, up):
    def act(soak, victim):
        proxy = getattr(soak.d, which)[victim][0]
        if up:
            proxy.start()
        else:
            proxy.stop()
    return act


def _hold_until_dead(soak, fault, probes):
    """A crash that a supervisor restarts at once, maybe before its lease ends."""
    soak.d.conductors[fault.victim].popen.wait(60)


def _hold_term(soak, fault, probes):
    _hold_until_taken_over(soak, fault, probes)
    soak.d.conductors[fault.victim].popen.wait(60)


#: kind: (hurt, hold, restore)
KINDS = {
    'SIGKILL': (_signal(signal.SIGKILL), _hold_until_taken_over, _restart),
    'SIGKILL, restart at once': (_signal(signal.SIGKILL), _hold_until_dead, _restart),
    'SIGSTOP': (_signal(signal.SIGSTOP),
                lambda soak, f, p: _hold_until_taken_over(soak, f, p, _lease(soak.d) + 2),
                _signal(signal.SIGCONT)),
    'SIGTERM': (_signal(signal.SIGTERM), _hold_term, _restart),
    'bus cut': (_relay('bus_relays', False), _hold_a_while, _relay('bus_relays', True)),
    'db cut': (_relay('db_relays', False),
               lambda soak, f, p: _hold_until_taken_over(soak, f, p, _lease(soak.d) + 1),
               _relay('db_relays', True)),
}


def run_fault(soak, kind, victim):
    """Deal one fault of ``kind`` to conductor ``victim`` and undo it; returns a Fault.

    Probe calls (one sync call every PROBE_INTERVAL s, each on its own thread)
    go to the victim's nodes for the whole round; they are kept in
    ``soak.probe_calls`` for the audit.
    """
    hurt, hold, restore = KINDS[kind]
    nodes = [n for n, owner in takeover_probe.owners(soak.d, soak.uuids).items()
             if owner == victim]
    probes = CallLoad(soak.d, nodes, sync_threads=0, async_threads=0)
    fault = Fault(kind, victim, time.monotonic())
    hurt(soak, victim)
    probes.start_probes(PROBE_INTERVAL, count=int(RESTORE_WITHIN * 2 / PROBE_INTERVAL))
    try:
        hold(soak, fault, probes)
        restore(soak, victim)
        fault.restored = time.monotonic()
        soak.d.wait_conductor_alive(victim, RESTORE_WITHIN)
        fault.end = time.monotonic()
    except Exception as exc:  # the soak goes on; the audit reports the round
        fault.error = '%s: %s' % (type(exc).__name__, exc)
        fault.restored = fault.restored or time.monotonic()
        force_back(soak, victim)
    finally:
        probes.stop()
        soak.probe_calls.extend(probes.calls)
    return fault


def force_back(soak, victim):
    """After a round that went wrong: every relay up, the victim running and serving."""
    for relays in (soak.d.bus_relays, soak.d.db_relays):
        try:
            relays[victim][0].start()
        except OSError:  # it was up: its port is taken by itself
            pass
    soak.d.conductors[victim].send_signal(signal.SIGCONT)
    soak.d.ensure_conductors_running()
