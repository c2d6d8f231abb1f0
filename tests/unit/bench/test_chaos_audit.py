"""bench/chaos_audit.py and bench/takeover_probe.py: the soak's audit finds each broken promise.

The audit counts rather than asserts, so a count that stays 0 whatever
happened would hide every bug the soak exists to find: each case below
breaks one promise and checks that exactly its row counts it.
"""

from bench import chaos_audit
from bench.takeover_probe import LedgerTail
from tests.functional.call_load import ASYNC, SYNC, Call


def _call(request_id, method=ASYNC, status=202):
    return Call('node-1', method, 0.0, 1.0, status, request_id)


def _rows(rows):
    return dict(rows)


def test_ledger_tail_reads_complete_lines_only_and_each_once(tmp_path):
    path = tmp_path / 'ledger.txt'
    tail = LedgerTail(str(path))
    assert tail.read() == {}                      # no ledger yet
    path.write_text('req-1 second_method n1 cond-a\nreq-2 third_method_sync n2 cond-')
    assert tail.read() == {'req-1': [('second_method', 'n1', 'cond-a')]}
    with open(path, 'a') as f:                    # the writer finishes its line
        f.write('b\nreq-1 second_method n1 cond-b\n')
    assert tail.read() == {'req-1': [('second_method', 'n1', 'cond-a'),
                                     ('second_method', 'n1', 'cond-b')],
                           'req-2': [('third_method_sync', 'n2', 'cond-b')]}
    assert tail.read()['req-1'] == [('second_method', 'n1', 'cond-a'),
                                    ('second_method', 'n1', 'cond-b')]


STARTED = 'Vendor passthru second_method started'
SUCCEEDED = 'Vendor passthru second_method succeeded: returned True'
FAILED = 'Vendor passthru second_method failed: conductor c stopped renewing its lease'
REFUSED = 'Vendor passthru second_method refused: fenced'
EXPIRED = 'Vendor passthru second_method expired: no conductor took it up'


def test_async_findings_count_each_broken_promise():
    run = [('second_method', 'node-1', 'cond-a')]
    cases = {  # request id: (final state, history texts, runs)
        'ok': ('succeeded', [STARTED, SUCCEEDED], run),
        'open': ('queued', [], []),
        'started-no-outcome': ('failed', [STARTED], run),
        'two-outcomes': ('failed', [STARTED, FAILED, FAILED], []),
        'ran-twice': ('succeeded', [STARTED, SUCCEEDED], run * 2),
        'expired-ran': ('expired', [EXPIRED], run),
        'history-says-succeeded': ('failed', [STARTED, SUCCEEDED], run),
        'expired-untold': ('expired', [], []),
        'failed-untold': ('failed', [], []),   # claimed, died before it started: untold
        'started-twice': ('failed', [STARTED, STARTED, FAILED], run),
    }
    calls = [_call(r) for r in cases]
    rows = _rows(chaos_audit.async_findings(
        calls, {r: c[0] for r, c in cases.items()}, {r: c[1] for r, c in cases.items()},
        {r: c[2] for r, c in cases.items() if c[2]}))
    assert rows['202s by final state (/v1/passthru_calls)'] == (
        'expired: 2, failed: 5, queued: 1, succeeded: 2')
    assert rows['202s whose outcome is missing (no final state)'] == 1
    assert rows['final 202s whose node history has not exactly one outcome'] == 5
    assert rows['202s whose runs (ledger) or history disagree with their state'] == 3


def test_async_findings_are_zero_when_every_promise_holds():
    run = [('second_method', 'node-1', 'cond-a')]
    cases = {
        'ran': ('succeeded', [STARTED, SUCCEEDED], run),
        'refused-by-fenced': ('refused', [REFUSED], []),
        'expired': ('expired', ['Vendor passthru second_method expired: sent 70 s ago'], []),
        'expired-by-the-sweep': ('expired', [EXPIRED], []),
        'failed-before-lock': ('failed', [FAILED + ' before it started the method; it did '
                                          'not run'], []),   # claimed, died before it started
        'open': ('running', [STARTED], run),
        'failed-while-running': ('failed', [STARTED, FAILED], run),
    }
    rows = _rows(chaos_audit.async_findings(
        [_call(r) for r in cases], {r: c[0] for r, c in cases.items()},
        {r: c[1] for r, c in cases.items()}, {r: c[2] for r, c in cases.items() if c[2]}))
    rows.pop('202s whose outcome is missing (no final state)')   # 'open': not yet final
    assert [rows[k] for k in list(rows)[1:]] == [0, 0]


def test_sync_findings_count_200s_not_run_once_and_refusals_that_ran():
    run = [('third_method_sync', 'node-1', 'cond-a')]
    calls = [_call('once', SYNC, 200), _call('never', SYNC, 200), _call('twice', SYNC, 200),
             _call('refused-ran', SYNC, 503), _call('locked', SYNC, 409),
             _call('gave-up', SYNC, 504)]
    runs = {'once': run, 'twice': run * 2, 'refused-ran': run, 'gave-up': run}
    rows = _rows(chaos_audit.sync_findings(calls, runs))
    assert rows == {'sync 200s not run exactly once (ledger)': 2,
                    'sync 409/503s that ran (ledger)': 1,
                    'sync 504s that ran (once; more would be a duplicate run)': '1 of 1'}
