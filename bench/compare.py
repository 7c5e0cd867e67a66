#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs pykka-glib, its floors and its peers in one go and compares them.

    bench/compare.py [--builddir DIR] [--tiny] [--repeat R] [--json FILE]
                     [--save] [--no-peers] [--no-python] [--chrt PRIORITY]

In one run, one after the other on the same machine: pykka-bench (every C
workload with its bare-GLib and GObject floors) from a release build,
bench/pykka_bench.py (the Python layer, its python floor and Debian's
python3-pykka, Pykka 3 on threads), then the same workloads on Erlang/OTP
(bench/peers/pykka_peers.erl) and on CAF (bench/peers/pykka-peers-caf.cpp).
Prints each program's own table, then the comparison: each figure of
pykka-glib as a ratio to the floor and to each peer (a cost: 2.0x is twice
as slow, 0.5x twice as fast).

The build directory (default _build-rel) is set up with
--buildtype=release if it does not exist; the peers are built in it when
their tools are installed (scripts/setup-peers.sh), else skipped.

--chrt PRIORITY runs every benchmark under `chrt -f PRIORITY` (as root):
on a machine that other work loads, the benchmarks then take the CPUs
first (the kernel still leaves 5 % to the others).

--json FILE writes {"run": {...}, "records": [...]}: the machine, the date
and the commit, and the records of all the programs (those of pykka-bench's
--json, each with "suite": "c", "python" or "peers"). --save writes it to
docs/bench/latest.json and redraws the plots of docs/performance.md
(bench/plot.py, which needs python3-matplotlib).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The workloads the peers run too, in the order of the table.
PEER_WORKLOADS = ['pingpong', 'threadring', 'counting', 'ask-thread',
                  'ask-thread-cpu', 'spawn', 'spawn-memory']
FLOORS = ('glib-floor', 'gobject-floor')
RATES = ('hops/s', 'msgs/s')


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    log('$ ' + ' '.join(command))
    subprocess.run(command, check=True, **kwargs)


def capture(command):
    try:
        return subprocess.run(command, check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ''


def machine():
    """A description of the machine and the software measured."""
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ''
    try:
        with open('/proc/meminfo') as f:
            mem = '%.0f GB' % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    os_name = ''
    try:
        with open('/etc/os-release') as f:
            for line in f:
                if line.startswith('PRETTY_NAME='):
                    os_name = line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        'cpu': cpu,
        'cpus': os.cpu_count(),
        'memory': mem,
        'os': os_name,
        'kernel': platform.release(),
        'load_before': os.getloadavg()[0],
        'glib': capture(['pkg-config', '--modversion', 'glib-2.0']),
        'gcc': capture(['gcc', '-dumpfullversion']),
        'python': platform.python_version(),
        'pykka': capture(['dpkg-query', '-W', '-f=${Version}', 'python3-pykka']),
        'erlang': capture(['dpkg-query', '-W', '-f=${Version}', 'erlang-base']),
        'caf': capture(['dpkg-query', '-W', '-f=${Version}', 'libcaf-dev']),
    }


def targets(builddir):
    out = subprocess.run(['meson', 'introspect', '--targets', builddir], check=True,
                         capture_output=True, text=True).stdout
    return {t['name'] for t in json.loads(out)}


def load(path, suite):
    with open(path) as f:
        records = json.load(f)
    for r in records:
        r['suite'] = suite
    return records


def find(records, workload, system, suite=None):
    for r in records:
        if (r['workload'] == workload and r['system'] == system
                and (suite is None or r['suite'] == suite)):
            return r
    return None


def cost_ratio(ours, theirs):
    """Our cost relative to theirs: > 1 means pykka-glib is slower (for a
    rate, when it does less per second; for memory, when it takes more)."""
    if not ours or not theirs or ours['value'] <= 0 or theirs['value'] <= 0:
        return None
    if ours['unit'] in RATES:
        return theirs['value'] / ours['value']
    return ours['value'] / theirs['value']


def fmt(value):
    if value is None:
        return '-'
    if value >= 100000:
        return '%.3g M' % (value / 1e6) if value >= 1e6 else '%.0f k' % (value / 1e3)
    if value >= 100:
        return '%.0f' % value
    return '%.3g' % value


def ratio_text(r):
    return '-' if r is None else '%.2fx' % r


def comparison_tables(records):
    """The comparison, as lines of text."""
    lines = []
    header = ('%-16s %-12s %11s %11s %11s %11s %9s %9s %9s' %
              ('workload', 'unit', 'pykka-glib', 'floor', 'erlang', 'caf',
               'vs floor', 'vs erlang', 'vs caf'))
    lines += ['pykka-glib (C) against its floor and its peers; a ratio is pykka-glib\'s '
              'cost relative to that system (> 1: slower or bigger)', '', header]
    for workload in PEER_WORKLOADS:
        ours = find(records, workload, 'pykka-glib', 'c')
        if ours is None:
            continue
        floor = next((r for r in (find(records, workload, f, 'c') for f in FLOORS) if r), None)
        erlang = find(records, workload, 'erlang', 'peers')
        caf = find(records, workload, 'caf', 'peers')
        lines.append('%-16s %-12s %11s %11s %11s %11s %9s %9s %9s' % (
            workload, ours['unit'], fmt(ours['value']),
            fmt(floor['value']) if floor else '-',
            fmt(erlang['value']) if erlang else '-',
            fmt(caf['value']) if caf else '-',
            ratio_text(cost_ratio(ours, floor)), ratio_text(cost_ratio(ours, erlang)),
            ratio_text(cost_ratio(ours, caf))))
    unbound = find(records, 'ask-thread-unbound', 'erlang', 'peers')
    ours = find(records, 'ask-thread', 'pykka-glib', 'c')
    if unbound and ours:
        lines.append('%-16s %-12s %11s %11s %11s %11s %9s %9s %9s' % (
            'ask-thread*', 'us/ask', fmt(ours['value']), '-', fmt(unbound['value']), '-',
            '-', ratio_text(cost_ratio(ours, unbound)), '-'))
        lines.append('* Erlang placing both processes itself: ' + unbound.get('note', ''))
    floor_names = {r['system'] for r in records if r['system'] in FLOORS}
    if floor_names:
        lines.append('floor: %s (see docs/performance.md)' % ' / '.join(sorted(floor_names)))

    py = [r for r in records if r['suite'] == 'python' and r['system'] == 'pykka-glib-py']
    if py:
        lines += ['', 'pykka-glib-py against the python floor (the same handler, a deque '
                  'between two greenlets) and Pykka 3 on threads', '',
                  '%-12s %-18s %13s %13s %13s %9s %12s' %
                  ('workload', 'unit', 'pykka-glib-py', 'python-floor', 'pykka-threads',
                   'vs floor', 'vs threads')]
        for ours in py:
            floor = find(records, ours['workload'], 'python-floor', 'python')
            threads = find(records, ours['workload'], 'pykka-threads', 'python')
            lines.append('%-12s %-18s %13s %13s %13s %9s %12s' % (
                ours['workload'], ours['unit'], fmt(ours['value']),
                fmt(floor['value']) if floor else '-',
                fmt(threads['value']) if threads else '-',
                ratio_text(cost_ratio(ours, floor)), ratio_text(cost_ratio(ours, threads))))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--builddir', default=os.path.join(SOURCE, '_build-rel'),
                        help='release build directory (default: _build-rel)')
    parser.add_argument('--tiny', action='store_true', help='smoke-test sizes')
    parser.add_argument('--repeat', type=int, default=3, help='runs per figure (median)')
    parser.add_argument('--json', metavar='FILE', help='write the run and its records')
    parser.add_argument('--save', action='store_true',
                        help='write docs/bench/latest.json and redraw the plots')
    parser.add_argument('--no-peers', action='store_true', help='skip Erlang and CAF')
    parser.add_argument('--no-python', action='store_true', help='skip the Python benchmark')
    parser.add_argument('--chrt', type=int, metavar='PRIORITY',
                        help='run the benchmarks with chrt -f PRIORITY')
    args = parser.parse_args()
    builddir = os.path.abspath(args.builddir)
    repeat = ['--repeat', str(args.repeat)] + (['--tiny'] if args.tiny else [])

    if not os.path.exists(os.path.join(builddir, 'build.ninja')):
        run(['meson', 'setup', builddir, SOURCE, '--buildtype=release'])
    buildtype = json.loads(capture(['meson', 'introspect', '--buildoptions', builddir]) or '[]')
    buildtype = next((o['value'] for o in buildtype if o['name'] == 'buildtype'), '?')
    if buildtype != 'release':
        log('compare.py: warning: %s is a %s build, not release' % (builddir, buildtype))
    known = targets(builddir)
    # Peers installed after the build directory was set up: look again.
    if not args.no_peers and (
            (shutil.which('erlc') and 'pykka-peers-erlang' not in known)
            or (os.path.exists('/usr/include/caf/all.hpp') and 'pykka-peers-caf' not in known)):
        run(['meson', 'setup', '--reconfigure', builddir, SOURCE])
        known = targets(builddir)
    # Everything built by default (pykka-bench, the typelib and the C
    # extension of the Python layer), then the peers, which are not.
    run(['meson', 'compile', '-C', builddir])
    peer_targets = [t for t in ('pykka-peers-erlang', 'pykka-peers-caf') if t in known]
    if peer_targets and not args.no_peers:
        run(['meson', 'compile', '-C', builddir] + peer_targets)

    info = machine()
    info['date'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    info['commit'] = capture(['git', '-C', SOURCE, 'describe', '--always', '--dirty'])
    info['buildtype'] = buildtype
    info['chrt'] = 'chrt -f %d' % args.chrt if args.chrt else ''
    rt = ['chrt', '-f', str(args.chrt)] if args.chrt else []
    records = []
    skipped = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'c.json')
        run(rt + [os.path.join(builddir, 'bench', 'pykka-bench'), *repeat, '--json', out])
        records += load(out, 'c')

        if not args.no_python:
            out = os.path.join(tmp, 'python.json')
            run(rt + ['meson', 'devenv', '-C', builddir, '/usr/bin/python3', '-B',
                 os.path.join(SOURCE, 'bench', 'pykka_bench.py'), *repeat, '--json', out])
            records += load(out, 'python')

        if not args.no_peers:
            peers = os.path.join(builddir, 'bench', 'peers')
            erl = shutil.which('erl')
            if 'pykka-peers-erlang' in known and erl:
                out = os.path.join(tmp, 'erlang.json')
                run(rt + [erl, '-noshell', '-noinput', '+S', str(max(2, os.cpu_count() or 2)),
                     '-pa', peers, '-run', 'pykka_peers', 'main', '-extra', *repeat,
                     '--json', out])
                records += load(out, 'peers')
            else:
                skipped.append('Erlang (scripts/setup-peers.sh installs erlang-base)')
            if 'pykka-peers-caf' in known:
                out = os.path.join(tmp, 'caf.json')
                run(rt + [os.path.join(peers, 'pykka-peers-caf'), *repeat, '--json', out])
                records += load(out, 'peers')
            else:
                skipped.append('CAF (scripts/setup-peers.sh installs libcaf-dev and g++)')
    info['load_after'] = os.getloadavg()[0]

    print()
    print('Machine: %(cpu)s, %(cpus)s CPUs, %(memory)s, %(os)s, Linux %(kernel)s; '
          'load average %(load_before).1f before, %(load_after).1f after' % info)
    print('GLib %(glib)s, GCC %(gcc)s (%(buildtype)s), Python %(python)s, python3-pykka '
          '%(pykka)s, erlang-base %(erlang)s, libcaf-dev %(caf)s; %(date)s at %(commit)s'
          % info + (', under ' + info['chrt'] if info['chrt'] else ''))
    print()
    print('\n'.join(comparison_tables(records)))
    for s in skipped:
        print('skipped: ' + s)

    result = {'run': info, 'records': records}
    paths = ([args.json] if args.json else []) + (
        [os.path.join(SOURCE, 'docs', 'bench', 'latest.json')] if args.save else [])
    for path in paths:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(result, f, indent=1)
            f.write('\n')
        log('compare.py: wrote ' + path)
    if args.save:
        run([sys.executable, os.path.join(SOURCE, 'bench', 'plot.py'),
             '--output-dir', os.path.join(SOURCE, 'docs', 'images'),
             os.path.join(SOURCE, 'docs', 'bench', 'latest.json')])
    return 0


if __name__ == '__main__':
    sys.exit(main())
