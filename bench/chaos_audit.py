"""The audit at the end of bench/chaos_soak.py: what every call became, counted, not asserted.

``tests.functional.call_load.audit`` stops at the first broken promise; a
soak of thousands of calls and dozens of faults wants the count of each
kind of breakage instead. Sources: the calls the load noted (status,
request id), ``GET /v1/passthru_calls/<request id>`` (the final state of
each 202), each node's history (outcome events per request id), the fake
driver's execution ledger (runs per request id), the node list
(reservations, owners) and RabbitMQ (readers of each conductor's queue).
"""

import collections
import concurrent.futures
import dataclasses
import json
import statistics
import time

from anvil.drivers.fake import vendor as fake_vendor
from bench import takeover_probe
from tests.functional import call_load, services

FINAL = ('succeeded', 'failed', 'refused', 'expired')
#: s to wait for every 202 to reach a final state: a cast lost with its
#: conductor is marked expired [conductor] async_cast_ttl (60 s) after it was accepted
SETTLE_WITHIN = 100
_POOL = 8


def _parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(_POOL) as pool:
        return dict(zip(items, pool.map(fn, items), strict=True))


def _state(d, request_id):
    resp = d.get('/v1/passthru_calls/%s' % request_id)
    return resp.json()['state'] if resp.status_code == 200 else 'HTTP %d' % resp.status_code


def final_states(d, request_ids):
    """{request id: state}, polled until every one is final or SETTLE_WITHIN is over."""
    states = {}
    deadline = time.monotonic() + SETTLE_WITHIN
    pending = list(request_ids)
    while pending:
        states.update(_parallel(lambda r: _state(d, r), pending))
        pending = [r for r in pending if states[r] not in FINAL]
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    return states


def history_events(d, nodes):
    """{request id: [its events' texts, oldest first]} from the history of ``nodes``."""
    texts = collections.defaultdict(list)
    for events in _parallel(d.history, list(nodes)).values():
        for event in events:
            texts[event['request_id']].append(event['event'])
    return texts


def _outcome_count_wrong(state, events):
    """A 202 that reached a final state has exactly one outcome in its node's history,
    whether it ran, was refused, expired or failed with its conductor (the sweep's
    "did not run" or "may have run in part"), and at most one "started". One still
    open (counted as missing) has at most one of each."""
    started = sum(e.endswith(' started') for e in events)
    outcomes = len(events) - started
    if state not in FINAL:
        return outcomes > 1 or started > 1
    return outcomes != 1 or started > 1


def _disagree(state, events, ran):
    """The ledger or the history contradict the record's final state."""
    succeeded = any(e.endswith('succeeded') or ' succeeded: ' in e for e in events)
    return (ran > 1 or (state == 'succeeded' and ran != 1)
            or (state in ('expired', 'refused') and ran > 0)
            or (succeeded and state != 'succeeded'))


def reserved_after_settling(d, timeout=30):
    """Nodes still reserved once nothing has been sent for ``timeout`` s at most."""
    deadline = time.monotonic() + timeout
    while True:
        reserved = [n['uuid'] for n in takeover_probe.list_nodes(d, 'uuid,reservation')
                    if n['reservation']]
        if not reserved or time.monotonic() > deadline:
            return reserved
        time.sleep(1)


def ownership(d, uuids):
    """(nodes whose owner is not a live conductor, conductors whose queue has not one reader)."""
    live = {c['hostname'] for c in d.get('/v1/conductors').json()['conductors']
            if c['alive']}
    orphans = [n for n, owner in takeover_probe.owners(d, uuids).items() if owner not in live]
    readers = {name: services.queue_consumers('%s.%s' % (d.topic, name))
               for name in d.conductor_names}
    return orphans, {name: n for name, n in readers.items() if n != 1}


def async_findings(accepted, states, events, runs):
    """Rows on the 202s: final states, and how many break each promise."""
    missing = not_one = disagree = 0
    for call in accepted:
        state, ran = states[call.request_id], len(runs.get(call.request_id, []))
        mine = events.get(call.request_id, [])
        missing += state not in FINAL
        not_one += _outcome_count_wrong(state, mine)
        disagree += _disagree(state, mine, ran)
    final = collections.Counter(states[c.request_id] for c in accepted)
    return [('202s by final state (/v1/passthru_calls)',
             ', '.join('%s: %d' % kv for kv in sorted(final.items()))),
            ('202s whose outcome is missing (no final state)', missing),
            ('final 202s whose node history has not exactly one outcome', not_one),
            ('202s whose runs (ledger) or history disagree with their state', disagree)]


def sync_findings(sync, runs):
    """Rows on the sync calls: 200 ran once, 409/503 ("nothing ran") never ran, and how
    many 504s ("may or may not have run") did run."""
    twice_or_never = sum(c.status == 200 and len(runs.get(c.request_id, [])) != 1
                         for c in sync)
    ran_anyway = sum(c.status in (409, 503) and c.request_id in runs for c in sync)
    gave_up = [c for c in sync if c.status == 504]
    return [('sync 200s not run exactly once (ledger)', twice_or_never),
            ('sync 409/503s that ran (ledger)', ran_anyway),
            ('sync 504s that ran (once; more would be a duplicate run)',
             '%d of %d' % (sum(c.request_id in runs for c in gave_up), len(gave_up)))]


def audit(d, calls, uuids, ledger_path):
    """(the audit as an ordered list of (row, value), what it read: ``{'states': {request
    id: final state of each 202}, 'events': {request id: history texts}, 'runs': ledger}``)."""
    sync = [c for c in calls if c.method == call_load.SYNC]
    asynchronous = [c for c in calls if c.method == call_load.ASYNC]
    accepted = [c for c in asynchronous if c.status == 202]
    states = final_states(d, [c.request_id for c in accepted])
    reserved = reserved_after_settling(d)
    runs = fake_vendor.read_ledger(ledger_path)
    events = history_events(d, {c.node for c in accepted})
    orphans, bad_readers = ownership(d, uuids)
    rows = [('sync calls by status', _statuses(sync)),
            ('async calls by status', _statuses(asynchronous)),
            ('calls without an HTTP answer (hang)', sum(c.status is None for c in calls)),
            ('500s', sum(c.status == 500 for c in calls))]
    rows += async_findings(accepted, states, events, runs)
    rows += sync_findings(sync, runs)
    rows += [('duplicate runs (ledger request ids run more than once)',
              sum(len(r) > 1 for r in runs.values())),
             ('locks left (nodes reserved after the load settled)', len(reserved)),
             ('nodes without a live owner', len(orphans)),
             ('conductor queues without exactly one reader', bad_readers or 0)]
    return rows, {'states': states, 'events': events, 'runs': runs}


def _statuses(calls):
    counts = call_load.statuses(calls)
    return ', '.join('%s: %d' % (k, v) for k, v in sorted(counts.items(), key=str))


def _seconds(values):
    values = [v for v in values if v is not None]
    if not values:
        return '-', '-'
    return '%.2f s' % statistics.median(values), '%.2f s' % max(values)


def takeover_row(faults):
    kills = [f for f in faults if f.kind == 'SIGKILL']
    median, worst = _seconds(f.takeover for f in kills)
    return ('takeover after SIGKILL (%d kills, %d without a survivor answer): median, max'
            % (len(kills), sum(f.takeover is None for f in kills)), '%s, %s' % (median, worst))


def print_audit(rows):
    print('| audit | value |')
    print('|---|---|')
    for row, value in rows:
        print('| %s | %s |' % (row, value))


def print_faults(faults, calls, states):
    """One row per kind of fault: rounds, takeover and recovery times, calls sent meanwhile."""
    print('| fault | rounds | takeover median | takeover max | recovery median | '
          'recovery max | rounds in error | sync calls sent during the fault | '
          'async calls sent during the fault | their 202s by final state |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for kind in sorted({f.kind for f in faults}):
        mine = [f for f in faults if f.kind == kind]
        during = [c for c in calls if any(f.start <= c.sent <= (f.end or f.restored)
                                          for f in mine)]
        final = collections.Counter(states[c.request_id] for c in during
                                    if c.request_id in states)
        print('| %s | %d | %s | %s | %s | %s | %d | %s | %s | %s |' % (
            kind, len(mine), *_seconds(f.takeover for f in mine),
            *_seconds(f.recovery() for f in mine), sum(f.error is not None for f in mine),
            _statuses([c for c in during if c.method == call_load.SYNC]),
            _statuses([c for c in during if c.method == call_load.ASYNC]),
            ', '.join('%s: %d' % kv for kv in sorted(final.items()))))


def save(path, calls, found, faults):
    """Every call and fault as JSON lines in ``path``, wall-clock times (to read with the logs)."""
    to_wall = time.time() - time.monotonic()
    with open(path, 'w') as f:
        for fault in faults:
            record = dataclasses.asdict(fault)
            for key in ('start', 'restored', 'end'):
                record[key] = record[key] and record[key] + to_wall
            f.write(json.dumps(dict(record, record='fault')) + '\n')
        for call in calls:
            record = dataclasses.asdict(call)
            record.update(sent=call.sent + to_wall, answered=call.answered + to_wall,
                          state=found['states'].get(call.request_id),
                          history=found['events'].get(call.request_id, []),
                          runs=found['runs'].get(call.request_id, []), record='call')
            f.write(json.dumps(record) + '\n')
