"""A plot of latency percentiles per scenario, next to the benchmark's Markdown.

The tables of latest.md give the numbers; the plot shows at a glance how far
each anvil scenario sits above its floor and how wide its tail is. For every
scenario with figures it draws p50, p90, p99 and max: the marker is the median
over the repetitions, the bar spans their min–max (the same reading as the
tables' "median (min–max)"). Latencies differ by orders of magnitude between
scenarios (a bare Flask ping against a contended node), hence a log axis.
Scenarios are rows (long titles stay readable), in the order of the tables.

    .venv/bin/python -m bench.plot bench/results/latest.json [out.svg]

redraws the plot of a run already written.
"""

import json
import os
import sys

import matplotlib
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.scenarios import BY_KEY, SCENARIOS

#: The summaries' latency fields drawn, with their legend label, colour and marker.
PERCENTILES = (('p50_ms', 'p50', '#1f77b4', 'o'), ('p90_ms', 'p90', '#2ca02c', 's'),
               ('p99_ms', 'p99', '#ff7f0e', 'D'), ('max_ms', 'max', '#d62728', 'X'))
#: Vertical offset of each percentile within its scenario's row (row pitch is 1).
OFFSETS = (-0.27, -0.09, 0.09, 0.27)
#: SVG keeps text as text (not glyph paths): smaller, searchable, testable.
STYLE = {'svg.fonttype': 'none', 'font.size': 9}


def _summary_and_meta(summary_or_results):
    """Accept the results of bench.run (with or without 'summary') or a bare summary."""
    data = summary_or_results
    if 'summary' in data:
        return data['summary'], data.get('meta') or {}
    if 'runs' in data:
        from bench import report
        return report.summarize(data['runs']), data.get('meta') or {}
    return data, {}


def _label(key):
    sc = BY_KEY.get(key)
    return sc.title if sc else key


def _rows(summary):
    """(key, summary) of every scenario with latency figures, in the tables' order."""
    keys = [sc.key for sc in SCENARIOS if sc.key in summary]
    keys += sorted(k for k in summary if k not in BY_KEY)  # from an older scenario list
    return [(k, summary[k]) for k in keys
            if any((summary[k].get(field) or {}).get('median') for field, *_ in PERCENTILES)]


def write_plot(summary_or_results, path, png=True):
    """Draw the latency percentiles per scenario to ``path`` (SVG), and a PNG beside it.

    ``summary_or_results``: what bench.report.write builds (or its 'summary').
    Returns the paths written. Uses the Agg canvas directly (no pyplot, no
    display, no global backend switch), so it runs headless in the bench process.
    """
    summary, meta = _summary_and_meta(summary_or_results)
    rows = _rows(summary)
    if not rows:
        raise ValueError('no scenario with latency figures to plot')
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(11, 1.2 + 0.42 * len(rows)), layout='constrained')
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for (field, name, colour, marker), offset in zip(PERCENTILES, OFFSETS, strict=True):
            ys, xs, lo, hi = [], [], [], []
            for i, (_key, s) in enumerate(rows):
                q = s.get(field)
                if not q or not q.get('median') or q['median'] <= 0:
                    continue  # nothing to put on a log axis
                ys.append(i + offset)
                xs.append(q['median'])
                lo.append(q['median'] - max(q['min'], q['median'] * 1e-3))
                hi.append(q['max'] - q['median'])
            ax.errorbar(xs, ys, xerr=[lo, hi], fmt=marker, color=colour, markersize=5,
                        elinewidth=1.2, capsize=2.5, label=name)
        for i, (key, _s) in enumerate(rows):
            if key.startswith('floor_'):  # shade the floor's rows, the reference
                ax.axhspan(i - 0.5, i + 0.5, color='0.93', zorder=0, linewidth=0)
            ax.axhline(i + 0.5, color='0.85', linewidth=0.5, zorder=0)
        ax.set_yticks(range(len(rows)), [_label(k) for k, _s in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first scenario on top, as in the tables
        ax.set_xscale('log')
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: '%g' % v))
        ax.xaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False))  # narrow ranges
        ax.tick_params(axis='x', which='both', top=True, labeltop=True)  # a tall figure
        ax.grid(axis='x', which='major', color='0.75', linewidth=0.7)
        ax.grid(axis='x', which='minor', color='0.9', linewidth=0.5)
        ax.set_axisbelow(True)
        reps = '/'.join(str(r) for r in sorted({s['reps'] for _k, s in rows if s.get('reps')}))
        ax.set_xlabel('latency (ms, log scale); marker: median of %s repetition(s), '
                      'bar: min–max; shaded: the floor' % (reps or 'the'))
        ax.set_title('anvil benchmark: latency percentiles per scenario'
                     + (' — %s' % meta['date'] if meta.get('date') else ''))
        fig.legend(loc='outside lower center', ncols=len(PERCENTILES), title='percentile')
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        written = [path]
        fig.savefig(path, format='svg')
        if png:
            png_path = os.path.splitext(path)[0] + '.png'
            fig.savefig(png_path, format='png', dpi=110)
            written.append(png_path)
    return written


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit('usage: python -m bench.plot RESULTS.json [OUT.svg]')
    with open(argv[0]) as f:
        results = json.load(f)
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(argv[0]), 'latency.svg')
    print('plot: %s' % ', '.join(write_plot(results, out)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
