"""The sample dashboard's panels, drawn from a real run's scraped /metrics (PNG).

    .venv/bin/python -m bench.dashboard [--out bench/results/dashboard.png] [--phase 15]

Starts anvil-api and one conductor (its ``[conductor] metrics_port`` on) on
RabbitMQ and PostgreSQL, drives three phases with wrk (sync c=2, sync c=8,
async c=4, ``--phase`` seconds each; a little lock contention from a few nodes
shared by the async phase), scrapes the API's and the conductor's /metrics
every second, and plots what etc/grafana/anvil-dashboard.json shows: requests
per second by status, API latency p50/p99 (from the histogram), passthru calls
per second by mode, and the conductor's lock wait p99 and busy workers.
"""

import argparse
import os
import sys
import tempfile
import threading
import time

import requests
from prometheus_client import parser as prom_parser

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import targets, wrk  # noqa: E402
from bench.scenarios import ASYNC, KAZOO, MEOW, NODES, SYNC  # noqa: E402
from tests.functional.deployment import free_port, running_deployment  # noqa: E402

PHASES = (('sync c=2', SYNC, MEOW, 2), ('sync c=8', SYNC, MEOW, 8),
          ('async c=4', ASYNC, KAZOO, 4))


def scrape(url):
    """{(name, frozenset(labels)): value} of one /metrics page."""
    text = requests.get(url, timeout=5).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in prom_parser.text_string_to_metric_families(text)
            for s in family.samples}


def total(sample, name, **labels):
    return sum(v for (n, lab), v in sample.items() if n == name
               and all(dict(lab).get(k) == w for k, w in labels.items()))


def _scraper(urls, stop, series):
    while not stop.wait(1.0):
        try:
            series.append((time.monotonic(), {k: scrape(u) for k, u in urls.items()}))
        except requests.RequestException:
            continue


def rate(series, fn, window=5):
    """[(t, per-second increase of fn(sample) over ``window`` scrapes)]."""
    points = []
    for i in range(window, len(series)):
        (t0, a), (t1, b) = series[i - window], series[i]
        points.append((t1, (fn(b) - fn(a)) / (t1 - t0)))
    return points


def quantile(series, name, q, window=5, **labels):
    """[(t, q-quantile in ms)] from a histogram's bucket increases over ``window``."""
    points = []
    for i in range(window, len(series)):
        a, b = series[i - window][1], series[i][1]
        buckets = sorted((float(dict(lab)['le']), total(b, n, **dict(lab)) -
                          total(a, n, **dict(lab)))
                         for (n, lab) in b if n == name + '_bucket'
                         and all(dict(lab).get(k) == w for k, w in labels.items()))
        merged = {}
        for le, count in buckets:
            merged[le] = merged.get(le, 0) + count
        counts = sorted(merged.items())
        if not counts or counts[-1][1] <= 0:
            continue
        goal = q * counts[-1][1]
        points.append((series[i][0], next(le for le, c in counts if c >= goal) * 1000))
    return points


def plot(series, marks, out):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    start = series[0][0]
    fig = Figure(figsize=(13, 8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    api = [(t, s['api']) for t, s in series]
    cond = [(t, s['conductor']) for t, s in series]

    def draw(ax, points, label):
        ax.plot([t - start for t, _ in points], [v for _, v in points], label=label)

    for status in ('200', '202', '409'):
        draw(axes[0][0], rate(api, lambda s, st=status: total(
            s, 'anvil_api_requests_total', status=st)), status)
    axes[0][0].set_title('API requests/s by status')
    for q in (0.5, 0.99):
        draw(axes[0][1], quantile(api, 'anvil_api_request_duration_seconds', q,
                                  method='POST'), 'p%d' % (q * 100))
    axes[0][1].set_title('API latency, POST (ms, from the histogram)')
    for mode in ('sync', 'async'):
        draw(axes[1][0], rate(api, lambda s, m=mode: total(
            s, 'anvil_api_passthru_calls_total', mode=m)), mode)
    axes[1][0].set_title('passthru calls/s by mode')
    draw(axes[1][1], quantile(cond, 'anvil_conductor_lock_wait_seconds', 0.99),
         'lock wait p99 (ms)')
    draw(axes[1][1], [(t, total(s, 'anvil_conductor_async_calls_running')) for t, s in cond],
         'busy workers')
    axes[1][1].set_title('conductor: lock wait, worker pool')
    for row in axes:
        for ax in row:
            for t, name in marks:
                ax.axvline(t - start, color='grey', linewidth=0.5)
                ax.text(t - start, ax.get_ylim()[1], ' ' + name, fontsize=7, va='top')
            ax.set_xlabel('s')
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(REPO, 'bench', 'results',
                                                      'dashboard.png'))
    parser.add_argument('--phase', type=int, default=15, help='seconds per phase')
    args = parser.parse_args(argv)
    wrk.ensure_wrk()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    metrics_port = free_port()
    extra = {'conductor': {'metrics_port': metrics_port},
             'fake': {'vendor_delay': '0.005'}, 'metrics': {'public': True}}
    with running_deployment(tempfile.mkdtemp(prefix='anvil-dashboard-'), extra=extra,
                            conductors=1) as dep:
        template = targets.node_template(dep.url, dep.db_url)
        targets.add_nodes(dep.db_url, template, 'bench-', 0, NODES)
        urls = {'api': dep.url + '/metrics',
                'conductor': 'http://127.0.0.1:%d/metrics' % metrics_port}
        series, stop, marks = [], threading.Event(), []
        scraper = threading.Thread(target=_scraper, args=(urls, stop, series), daemon=True)
        scraper.start()
        try:
            for name, path, body, conns in PHASES:
                marks.append((time.monotonic(), name))
                nodes = 6 if path == ASYNC else NODES  # a few shared nodes: some 409s
                wrk.run(dep.url, 'POST', path, nodes, conns, args.phase, body)
        finally:
            stop.set()
            scraper.join()
    plot(series, marks, args.out)
    print('%d scrapes; wrote %s' % (len(series), args.out))


if __name__ == '__main__':
    main()
