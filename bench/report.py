"""Summaries, ratios to the floor, the target checks of issue 6, JSON and Markdown."""

import json
import os
import shutil
import statistics
import time

from bench.scenarios import BY_KEY, SCENARIOS

#: Scenario whose figures are divided by which floor scenario (same concurrency).
FLOOR_OF = {
    'sync_c1': 'floor_composed_c1', 'sync_c8': 'floor_composed_c8',
    'sync_c32': 'floor_composed_c32', 'sync_c8_10k': 'floor_composed_c8',
    'sync_c8_1cond': 'floor_composed_c8', 'contention_c8': 'floor_composed_c8',
    'async_c8': 'floor_composed_c8', 'async_c32': 'floor_composed_c32',
    'get_node_c8': 'floor_ping_c8', 'get_methods_c8': 'floor_ping_c8',
    'aio_sync_c1': 'floor_composed_c1', 'aio_sync_c8': 'floor_composed_c8',
    'aio_get_node_c8': 'floor_ping_c8',
}
RSS_LIMIT_MIB = 120


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {'median': statistics.median(values), 'min': min(values), 'max': max(values)}


def _ms(run, q):
    return run['latency_us'][q] / 1000.0


def _rate(run, code=None):
    return run['rps'] if code is None else run['code_rps'].get(code, 0.0)


def summarize(runs):
    out = {}
    for key, reps in runs.items():
        if not reps:
            continue
        codes = {}
        for r in reps:
            for code, n in r['non2xx'].items():
                codes.setdefault(code, []).append(n)
        summary = {
            'reps': len(reps), 'rps': spread([r['rps'] for r in reps]),
            'p50_ms': spread([_ms(r, 'p50') for r in reps]),
            'p90_ms': spread([_ms(r, 'p90') for r in reps]),
            'p99_ms': spread([_ms(r, 'p99') for r in reps]),
            'max_ms': spread([_ms(r, 'max') for r in reps]),
            'non2xx': {code: sum(ns) for code, ns in codes.items()},
            'socket_errors': sum(sum(r.get('socket_errors', {}).values()) for r in reps),
            'cpu_ms_per_req': {}}
        for group in reps[0].get('cpu_s', {}):
            summary['cpu_ms_per_req'][group] = statistics.median(
                [1000.0 * r['cpu_s'][group] / max(1, r['requests']) for r in reps])
        if 'completed_rps' in reps[0]:
            summary['accepted_rps'] = spread([_rate(r, '202') for r in reps])
            summary['completed_rps'] = spread([r['completed_rps'] for r in reps])
            summary['drain_s'] = spread([r['drain_s'] for r in reps])
            summary['refused'] = sum(r.get('refused', 0) for r in reps)
            summary['unaccounted'] = sum(max(0, r['accepted'] - r['outcomes']) for r in reps)
        by_status = {}
        for r in reps:
            for code, lat in r.get('latency_by_status_us', {}).items():
                by_status.setdefault(code, []).append(lat)
        summary['by_status_ms'] = {
            code: {q: statistics.median([x[q] / 1000.0 for x in lats])
                   for q in ('p50', 'p90', 'p99', 'max')} | {'n': sum(x['n'] for x in lats)}
            for code, lats in by_status.items()}
        out[key] = summary
    return out


def paired(runs, a, b, fa, fb):
    """fa(run of a) / fb(run of b), repetition by repetition (side by side)."""
    pairs = zip(runs.get(a, []), runs.get(b, []), strict=False)
    return [fa(x) / fb(y) for x, y in pairs if fb(y)]


def _verdict(ratios, ok):
    s = spread(ratios)
    if s is None:
        return None, 'not measured'
    return s, 'met' if ok(s['median']) else 'NOT met'


def check_targets(results):
    runs = results['runs']
    rows = []

    def add(row, figure, target, ratios, ok, extra=''):
        s, verdict = _verdict(ratios, ok)
        value = ('%.2f (%.2f–%.2f)' % (s['median'], s['min'], s['max'])) if s else '–'
        rows.append({'row': row, 'figure': figure, 'target': target, 'value': value,
                     'ratios': ratios, 'verdict': verdict, 'detail': extra})

    rps, p50 = (lambda r: r['rps']), (lambda r: r['latency_us']['p50'])
    add(1, 'sync c=8, 100 nodes: req/s ÷ floor c=8', '≥ 1.5',
        paired(runs, 'sync_c8', 'floor_composed_c8', rps, rps), lambda v: v >= 1.5)
    add(2, 'sync c=1: p50 ÷ floor p50', '≤ 0.8',
        paired(runs, 'sync_c1', 'floor_composed_c1', p50, p50), lambda v: v <= 0.8)
    add(3, 'async c=32: 202/s ÷ sync c=8 req/s', '≥ 3',
        paired(runs, 'async_c32', 'sync_c8', lambda r: _rate(r, '202'), rps),
        lambda v: v >= 3)
    add(3, 'async c=32: completed methods/s ÷ sync c=8 req/s', '≥ 1',
        paired(runs, 'async_c32', 'sync_c8', lambda r: r.get('completed_rps', 0), rps),
        lambda v: v >= 1)
    add(4, 'GET node c=8: req/s ÷ bare Flask /ping c=8', '≥ 0.25',
        paired(runs, 'get_node_c8', 'floor_ping_c8', rps, rps), lambda v: v >= 0.25)
    cont = runs.get('contention_c8', [])
    n409 = sum(r['codes'].get('409', 0) for r in cont)
    add(5, 'one node, c=8: p99 ÷ p50', '≤ 10 and 0 × 409',
        [r['latency_us']['p99'] / r['latency_us']['p50'] for r in cont if r['latency_us']['p50']],
        lambda v: v <= 10 and n409 == 0, '%d × 409 in %d requests' % (
            n409, sum(r['requests'] for r in cont)))
    add(6, 'sync c=8: 10,000 ÷ 100 nodes req/s', '≥ 0.9',
        paired(runs, 'sync_c8_10k', 'sync_c8', rps, rps), lambda v: v >= 0.9)
    add(6, 'sync c=8: 2 ÷ 1 conductors req/s', '≥ 1.0 (not slower)',
        paired(runs, 'sync_c8', 'sync_c8_1cond', rps, rps), lambda v: v >= 1.0)
    after = results['rss'].get('after', {})
    checked = {k: v for k, v in after.items()
               if v is not None and (k.startswith('api worker') or k.startswith('cond-'))}
    worst = max(checked.values()) if checked else None
    rows.append({'row': 7, 'figure': 'RSS after the run, largest API worker / conductor (MiB)',
                 'target': '≤ %d' % RSS_LIMIT_MIB,
                 'value': '%.1f' % worst if worst is not None else '–', 'ratios': [],
                 'verdict': 'not measured' if worst is None else
                 ('met' if worst <= RSS_LIMIT_MIB else 'NOT met'),
                 'detail': ', '.join('%s %.0f' % kv for kv in sorted(checked.items()))})
    add(8, 'all-in-one sync c=1: p50 (ms)', '≤ 3',
        [_ms(r, 'p50') for r in runs.get('aio_sync_c1', [])], lambda v: v <= 3.0)
    return rows


def _fmt(s, digits=1):
    if s is None:
        return '–'
    f = '%%.%df' % digits
    if s['min'] == s['max']:
        return f % s['median']
    return (f + ' (' + f + '–' + f + ')') % (s['median'], s['min'], s['max'])


def markdown(results, plot=None):
    """The report; ``plot``: the latency plot's file name, beside the Markdown, to link."""
    summary, runs, meta = results['summary'], results['runs'], results['meta']
    lines = ['# anvil benchmark — %s' % meta['date'], '',
             'Command: `%s`; %d s per scenario, %d repetition(s) interleaved; anvil-api and the '
             "floor's Flask apps under gunicorn gthread, %d workers × %d threads; %d CPUs, "
             'load average at the end %.1f; took %d s.' % (
                 meta['command'], meta['duration_s'], meta['reps'], meta['workers'],
                 meta['threads'], meta['cpus'], meta['loadavg'][0], meta['elapsed_s']), '',
             'Medians of the repetitions, (min–max) when they differ. Latencies in ms. '
             '"× floor" is the median of per-repetition ratios to the floor scenario named '
             '(req/s ratio; for c=1 the p50 ratio).', '',
             '## Targets (issue 6)', '',
             '| # | figure | target | measured | verdict | detail |', '|---|---|---|---|---|---|']
    for t in results['targets']:
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            t['row'], t['figure'], t['target'], t['value'], t['verdict'], t['detail']))
    lines += ['', '## Scenarios', '',
              '| scenario | req/s | p50 | p90 | p99 | max | non-2xx | × floor |',
              '|---|---|---|---|---|---|---|---|']
    for sc in SCENARIOS:
        s = summary.get(sc.key)
        if s is None:
            continue
        ratio = ''
        floor = FLOOR_OF.get(sc.key)
        if floor and runs.get(floor):
            if sc.conns == 1:
                r = spread(paired(runs, sc.key, floor, lambda x: x['latency_us']['p50'],
                                  lambda x: x['latency_us']['p50']))
                ratio = 'p50 %s of %s' % (_fmt(r, 2), floor)
            else:
                r = spread(paired(runs, sc.key, floor, lambda x: x['rps'], lambda x: x['rps']))
                ratio = '%s of %s' % (_fmt(r, 2), floor)
        non2xx = ', '.join('%s×%s' % (n, c) for c, n in sorted(s['non2xx'].items())) or '0'
        if s['socket_errors']:
            non2xx += '; %d socket errors' % s['socket_errors']
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            sc.title, _fmt(s['rps']), _fmt(s['p50_ms'], 2), _fmt(s['p90_ms'], 2),
            _fmt(s['p99_ms'], 2), _fmt(s['max_ms'], 1), non2xx, ratio))
    if plot:
        lines += ['', '![latency percentiles](%s)' % plot]
    lines += ['', '### Async passthru, from the conductors\' side', '',
              '| scenario | 202/s | completed methods/s (history, during the run) | '
              'drain after the run (s) | refused (history) | 202s with no outcome |',
              '|---|---|---|---|---|---|']
    for key in ('async_c8', 'async_c32'):
        s = summary.get(key)
        if s and 'completed_rps' in s:
            lines.append('| %s | %s | %s | %s | %d | %d |' % (
                BY_KEY[key].title, _fmt(s['accepted_rps']), _fmt(s['completed_rps']),
                _fmt(s['drain_s']), s['refused'], s['unaccounted']))
    s = summary.get('contention_c8')
    if s:
        lines += ['', '### One node, 8 clients: latency by status', '',
                  '| status | count | p50 | p90 | p99 | max |', '|---|---|---|---|---|---|']
        for code, q in sorted(s['by_status_ms'].items()):
            lines.append('| %s | %d | %.2f | %.2f | %.2f | %.2f |' % (
                code, q['n'], q['p50'], q['p90'], q['p99'], q['max']))
    lines += ['', '## Resident memory (MiB, from /proc)', '', '| process | idle | after the run |',
              '|---|---|---|']
    idle, after = results['rss'].get('idle', {}), results['rss'].get('after', {})
    for label in sorted(set(idle) | set(after)):
        fmt = lambda v: '%.1f' % v if v is not None else '–'  # noqa: E731
        lines.append('| %s | %s | %s |' % (label, fmt(idle.get(label)), fmt(after.get(label))))
    groups = sorted({g for s in summary.values() for g in s['cpu_ms_per_req']})
    lines += ['', '## CPU time per request (ms, all processes of each group, /proc)', '',
              'rabbitmq and postgres are the whole shared servers (other users included); '
              'client is wrk or the floor\'s load process.', '',
              '| scenario | ' + ' | '.join(groups) + ' |', '|---|' + '---|' * len(groups)]
    for sc in SCENARIOS:
        s = summary.get(sc.key)
        if s:
            lines.append('| %s | %s |' % (sc.key, ' | '.join(
                '%.2f' % s['cpu_ms_per_req'].get(g, 0.0) for g in groups)))
    return '\n'.join(lines) + '\n'


def _plot(results, path):
    """The latency plot (bench/plot.py): a plus, so it never fails the run; [] if skipped."""
    try:
        from bench import plot
    except ImportError as e:
        print('latency plot skipped: %s (tools/venv.sh installs matplotlib)' % e)
        return []
    try:
        return plot.write_plot(results, path)
    except Exception as e:  # the results are written already; say why and go on
        print('latency plot skipped: %s: %s' % (type(e).__name__, e))
        return []


def write(results, out_dir):
    """bench-<time>.{json,md,svg,png}, and latest.{json,md} with latency.{svg,png}.

    Each Markdown links the plot of its own run. Returns the paths (JSON, Markdown, plots).
    """
    results['summary'] = summarize(results['runs'])
    results['targets'] = check_targets(results)
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, 'bench-%s' % time.strftime('%Y%m%d-%H%M%S'))
    with open(stem + '.json', 'w') as f:
        json.dump(results, f, indent=1, default=str)
    plots = _plot(results, stem + '.svg')
    for ext in ('.svg', '.png'):  # latency.* is this run's plot, or none
        latest = os.path.join(out_dir, 'latency' + ext)
        if stem + ext in plots:
            shutil.copyfile(stem + ext, latest)
        elif os.path.exists(latest):
            os.remove(latest)
    with open(stem + '.md', 'w') as f:
        f.write(markdown(results, os.path.basename(plots[0]) if plots else None))
    with open(os.path.join(out_dir, 'latest.md'), 'w') as f:
        f.write(markdown(results, 'latency.svg' if plots else None))
    shutil.copyfile(stem + '.json', os.path.join(out_dir, 'latest.json'))
    return (stem + '.json', stem + '.md', *plots)
