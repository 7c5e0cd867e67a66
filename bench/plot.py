#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Draws the records of a benchmark run as PNG bar charts.

    bench/plot.py [--output-dir DIR] RUN.json

RUN.json is what bench/compare.py --json writes ({"run": ..., "records":
[...]}) or a plain list of records (pykka-bench --json, pykka_bench.py
--json). Writes, for the workloads present:

- bench-c.png: per workload, pykka-glib, its floor, Erlang and CAF;
- bench-python.png: per workload, pykka-glib-py, the python floor and
  Pykka 3 on threads.

Each panel says whether lower or higher is better and uses a log scale
when its bars differ by more than 10x. Needs python3-matplotlib; the docs
build runs it on docs/bench/latest.json when matplotlib is there.
"""

import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

RATES = ('hops/s', 'msgs/s')
COLOURS = {
    'pykka-glib': '#3465a4', 'pykka-glib-py': '#3465a4',
    'glib-floor': '#babdb6', 'gobject-floor': '#babdb6',
    'python-floor': '#babdb6', 'python-loop': '#d3d7cf',
    'erlang': '#cc0000', 'erlang (VM placed)': '#ef2929', 'caf': '#75507b',
    'pykka-threads': '#f57900',
}

C_WORKLOADS = ['pingpong', 'threadring', 'counting', 'ask-thread', 'ask-thread-cpu',
               'spawn', 'spawn-memory']
C_SYSTEMS = ['pykka-glib', 'glib-floor', 'gobject-floor', 'erlang', 'caf']
PY_WORKLOADS = ['pingpong', 'threadring', 'counting', 'ask', 'ask-thread', 'spawn',
                'idle', 'coroutines', 'fan-out']
PY_SYSTEMS = ['pykka-glib-py', 'python-floor', 'python-loop', 'pykka-threads']


def label(value):
    if value >= 1e6:
        return '%.3g M' % (value / 1e6)
    if value >= 1e4:
        return '%.3g k' % (value / 1e3)
    if value >= 100:
        return '%.0f' % value
    return '%.3g' % value


def bars(records, suite, workloads, systems):
    """[(workload, unit, [(system, value)])] for the panels."""
    panels = []
    for workload in workloads:
        rows = []
        unit = None
        for system in systems:
            for r in records:
                if (r['workload'] == workload and r['system'] == system
                        and r.get('suite', suite) in (suite, 'peers')):
                    rows.append((system, r['value']))
                    unit = r['unit']
                    break
        if suite == 'c' and workload == 'ask-thread':
            for r in records:
                if r['workload'] == 'ask-thread-unbound' and r['system'] == 'erlang':
                    rows.insert(len(rows) - (1 if rows and rows[-1][0] == 'caf' else 0),
                                ('erlang (VM placed)', r['value']))
        if len(rows) > 1 or (rows and suite == 'c'):
            panels.append((workload, unit, rows))
    return panels


def draw(panels, title, path):
    columns = 4 if len(panels) > 6 else 3
    lines = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(4.0 * columns, 3.3 * lines),
                             squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (workload, unit, rows) in zip(axes.flat, panels):
        names = [name for name, _ in rows]
        values = [value for _, value in rows]
        positions = range(len(rows))
        ax.bar(positions, values, color=[COLOURS.get(n, '#888a85') for n in names],
               edgecolor='#2e3436', linewidth=0.5)
        if min(values) > 0 and max(values) / min(values) > 10:
            ax.set_yscale('log')
            ax.set_ylim(min(values) / 2, max(values) * 4)
        else:
            ax.set_ylim(0, max(values) * 1.25)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: label(v) if v else '0'))
        for x, v in zip(positions, values):
            ax.annotate(label(v), (x, v), ha='center', va='bottom', fontsize=8,
                        xytext=(0, 2), textcoords='offset points')
        ax.set_xticks(list(positions))
        ax.set_xticklabels([n.replace(' (', '\n(').replace('-floor', '\nfloor')
                            for n in names], fontsize=8)
        better = 'higher' if unit in RATES else 'lower'
        ax.set_title('%s\n%s, %s is better' % (workload, unit, better), fontsize=9)
        ax.tick_params(axis='y', labelsize=8)
        ax.grid(axis='y', alpha=0.3)
        ax.set_axisbelow(True)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print('plot.py: wrote ' + path, file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--output-dir', default='.', help='where the PNGs go')
    parser.add_argument('run', help='the JSON of a run')
    args = parser.parse_args()

    with open(args.run) as f:
        data = json.load(f)
    if isinstance(data, dict):
        records, run = data['records'], data.get('run', {})
    else:
        records, run = data, {}
    when = ''
    if run:
        when = ' (%s, %s CPUs, %s)' % (run.get('date', ''), run.get('cpus', ''),
                                       run.get('cpu', ''))
    os.makedirs(args.output_dir, exist_ok=True)

    panels = bars(records, 'c', C_WORKLOADS, C_SYSTEMS)
    if panels:
        draw(panels, 'pykka-glib (C), its floors, Erlang/OTP and CAF, one run' + when,
             os.path.join(args.output_dir, 'bench-c.png'))
    panels = bars(records, 'python', PY_WORKLOADS, PY_SYSTEMS)
    if panels:
        draw(panels, 'pykka-glib-py, the python floor and Pykka 3 on threads, one run' + when,
             os.path.join(args.output_dir, 'bench-python.png'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
