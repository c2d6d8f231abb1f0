"""bench/plot.py: the latency plot of the benchmark, from summaries in report's real shape."""

import os
import sys
import xml.etree.ElementTree as ET

import pytest

import bench
from bench import plot, report
from bench.scenarios import BY_KEY

SVG = '{http://www.w3.org/2000/svg}svg'
#: Two floor scenarios and anvil ones, titles with characters SVG must escape (<n>).
KEYS = ('floor_ping_c8', 'floor_composed_c8', 'sync_c8', 'get_node_c8', 'aio_get_node_c8')


def _run(p50_ms, spread=1.0):
    """One repetition as bench.run records it (wrk's percentiles in µs)."""
    us = {'p50': p50_ms, 'p90': 2 * p50_ms, 'p99': 5 * p50_ms, 'max': 20 * p50_ms}
    return {'rps': 1000.0 / p50_ms, 'requests': 1000, 'non2xx': {}, 'socket_errors': {},
            'code_rps': {'200': 1000.0 / p50_ms},
            'latency_us': {q: 1000.0 * v * spread for q, v in us.items()}}


def _results():
    runs = {key: [_run(0.5 * (i + 1), spread) for spread in (0.9, 1.0, 1.3)]
            for i, key in enumerate(KEYS)}
    runs['async_c8'] = []  # not run: no figures, no row
    meta = {'date': '2025-01-01 00:00:00', 'command': 'python -m bench.run', 'duration_s': 8,
            'reps': 3, 'workers': 2, 'threads': 8, 'cpus': 2, 'loadavg': (1.0, 1.0, 1.0),
            'elapsed_s': 60}
    return {'runs': runs, 'rss': {}, 'meta': meta}


def _svg_text(path):
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == SVG
    return ''.join(root.itertext())


def test_write_plot_labels_every_scenario(tmp_path):
    summary = report.summarize(_results()['runs'])
    assert summary['sync_c8']['p99_ms']['min'] < summary['sync_c8']['p99_ms']['max']
    path = str(tmp_path / 'latency.svg')

    written = plot.write_plot(summary, path)

    assert written == [path, str(tmp_path / 'latency.png')]
    text = _svg_text(path)
    for key in KEYS:
        assert BY_KEY[key].title in text
    assert BY_KEY['async_c8'].title not in text
    for name in ('p50', 'p90', 'p99', 'max'):
        assert name in text
    with open(written[1], 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_write_plot_accepts_results_and_refuses_nothing(tmp_path):
    results = _results()
    path = str(tmp_path / 'out' / 'latency.svg')
    assert plot.write_plot(results, path, png=False) == [path]
    assert '2025-01-01' in _svg_text(path)
    with pytest.raises(ValueError):
        plot.write_plot({}, str(tmp_path / 'empty.svg'))


def test_report_write_links_the_plot(tmp_path):
    paths = report.write(_results(), str(tmp_path))

    assert [os.path.splitext(p)[1] for p in paths] == ['.json', '.md', '.svg', '.png']
    with open(tmp_path / 'latest.md') as f:
        assert '![latency percentiles](latency.svg)' in f.read()
    with open(paths[1]) as f:
        assert '![latency percentiles](%s)' % os.path.basename(paths[2]) in f.read()
    assert BY_KEY['sync_c8'].title in _svg_text(tmp_path / 'latency.svg')


def test_report_write_without_matplotlib(tmp_path, monkeypatch, capsys):
    (tmp_path / 'latency.svg').write_text('stale')
    # as without matplotlib: importing bench.plot raises ImportError
    monkeypatch.setitem(sys.modules, 'bench.plot', None)
    monkeypatch.delattr(bench, 'plot')

    paths = report.write(_results(), str(tmp_path))

    assert len(paths) == 2
    assert 'latency plot skipped' in capsys.readouterr().out
    with open(tmp_path / 'latest.md') as f:
        assert 'latency percentiles' not in f.read()
    assert not (tmp_path / 'latency.svg').exists()
