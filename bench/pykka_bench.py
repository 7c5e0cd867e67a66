#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python benchmarks of pykka-glib, against Debian's python3-pykka.

The same workload code runs on two implementations of Pykka's API in one
invocation: pykka-glib through its PyGObject override (``from
gi.repository import Pykka``; system ``pykka-glib-py``) and Pykka on
threads (``import pykka``; system ``pykka-threads``). Every pykka-glib
figure is printed with its ratio to Pykka's (cost relative to Pykka: 0.05x
means 20 times faster) and the speed-up.

For the workloads on one context (pingpong, threadring) a python floor
runs the same actor classes without any runtime: ``python-floor`` hands
each message over through a deque to the greenlet of its actor, which
calls the handler directly in a loop (the least a greenlet-based actor
runtime does per message); ``python-loop`` calls the handler from the
loop itself, without greenlets. pykka-glib-py's figure is printed with its
ratio to ``python-floor`` too (``floor_ratio`` in the JSON).

    bench/pykka_bench.py [--tiny] [--repeat R] [--json FILE] [WORKLOAD[=N]...]

Run it in the uninstalled environment (``meson devenv -C _build``) or
against an installed pykka-glib. Without python3-pykka only pykka-glib
runs.
"""

import argparse
import collections
import gc
import json
import statistics
import sys
import threading
import time

import gi
import greenlet

gi.require_version('Pykka', '1.0')
from gi.repository import Pykka  # noqa: E402

try:
    import pykka
except ImportError:  # pragma: no cover
    pykka = None

TIMEOUT = 600


class System:
    """One implementation of Pykka's API, as the workloads see it."""

    def __init__(self, name, module, actor, threading_actor, future, same_context):
        self.name = name
        self.mod = module
        self.Actor = actor                  # the default actor
        self.ThreadingActor = threading_actor
        self.Future = future
        # Whether Actor runs on the caller's context (else on a thread).
        self.same_context = same_context

    def get_all(self, futures):
        return self.mod.get_all(futures, timeout=TIMEOUT)


def glib_system():
    return System('pykka-glib-py', Pykka, Pykka.Actor, Pykka.ThreadingActor,
                  Pykka.Future, True)


def threads_system():
    return System('pykka-threads', pykka, pykka.ThreadingActor, pykka.ThreadingActor,
                  pykka.ThreadingFuture, False)


# ---- the python floor ----------------------------------------------------


class FloorFuture:
    """A value set once; get() runs the floor's loop until it is."""

    def __init__(self, floor):
        self._floor = floor
        self._set = False
        self._value = None

    def set(self, value=None):
        self._value = value
        self._set = True

    def get(self, timeout=None):
        while not self._set:
            if not self._floor.run_once():
                raise AssertionError('the floor ran out of messages before its future was set')
        return self._value


class FloorRef:
    """An actor of the floor: a deque of messages and, with greenlets, the
    greenlet that handles them. A told message goes to the deque; an actor
    with messages waits in the run queue for its turn."""

    def __init__(self, floor, actor):
        self._floor = floor
        self._actor = actor
        self._mailbox = collections.deque()
        self._scheduled = False
        if floor.greenlets:
            self._greenlet = greenlet.greenlet(self._loop, parent=floor.main)

    def _loop(self):
        mailbox = self._mailbox
        receive = self._actor.on_receive
        main = self._floor.main
        while True:
            while mailbox:
                receive(mailbox.popleft())
            self._scheduled = False
            main.switch()

    def _turn(self):
        if self._floor.greenlets:
            self._greenlet.switch()
        else:
            mailbox = self._mailbox
            receive = self._actor.on_receive
            while mailbox:
                receive(mailbox.popleft())
            self._scheduled = False

    def tell(self, message):
        self._mailbox.append(message)
        if not self._scheduled:
            self._scheduled = True
            self._floor.run_queue.append(self)

    def ask(self, message, timeout=None, block=True):
        self._floor.run_all()
        return self._actor.on_receive(message)

    def stop(self, block=True, timeout=None):
        self._floor.run_all()
        future = FloorFuture(self._floor)
        future.set(True)
        return future if not block else True


class Floor:
    """The loop of the python floor, in the greenlet that starts it."""

    def __init__(self, greenlets):
        self.greenlets = greenlets
        self.run_queue = collections.deque()
        self.main = greenlet.getcurrent()

    def run_once(self):
        if not self.run_queue:
            return False
        self.run_queue.popleft()._turn()
        return True

    def run_all(self):
        while self.run_once():
            pass


def floor_system(greenlets):
    floor = Floor(greenlets)

    class FloorActor:
        @classmethod
        def start(cls, *args):
            return FloorRef(floor, cls(*args))

    class FloorModule:
        @staticmethod
        def get_all(futures, timeout=None):
            return [f.get() for f in futures]

    return System('python-floor' if greenlets else 'python-loop', FloorModule, FloorActor,
                  None, lambda: FloorFuture(floor), True)


# Workloads the python floor runs (one context, tells only).
FLOOR_WORKLOADS = ('pingpong', 'threadring')

_classes = {}


def classes(system):
    """The actor classes of the workloads, made once per system."""
    if system.name in _classes:
        return _classes[system.name]

    def make(base):
        class Bouncer(base):
            def __init__(self, done):
                super().__init__()
                self.done = done
                self.peer = None

            def on_receive(self, message):
                if isinstance(message, tuple):
                    self.peer = message[1]
                elif message == 0:
                    self.done.set(True)
                else:
                    self.peer.tell(message - 1)

        class Counter(base):
            def __init__(self):
                super().__init__()
                self.count = 0

            def on_receive(self, message):
                if message == 'count':
                    return self.count
                self.count += 1

        class Echo(base):
            def on_receive(self, message):
                return message

        class Sink(base):
            def on_receive(self, message):
                pass

        class Chain(base):
            def __init__(self, peer):
                super().__init__()
                self.peer = peer

            def on_receive(self, message):
                if self.peer is None:
                    return 1
                return self.peer.ask(message, timeout=TIMEOUT) + 1

        class Boss(base):
            def __init__(self, workers):
                super().__init__()
                self.workers = workers

            def on_receive(self, message):
                futures = [w.ask(message, block=False) for w in self.workers]
                return len(system.get_all(futures))

        return locals()

    result = {'same': make(system.Actor),
              'thread': make(system.ThreadingActor) if system.ThreadingActor else None}
    _classes[system.name] = result
    return result


def stop(refs):
    futures = [r.stop(block=False) for r in refs]
    for f in futures:
        f.get(timeout=TIMEOUT)


def ring(system, n_actors, hops, n_idle=0):
    """Seconds per hop of a counter passed around a ring of actors."""
    cls = classes(system)['same']
    idle = [cls['Sink'].start() for _ in range(n_idle)]
    done = system.Future()
    refs = [cls['Bouncer'].start(done) for _ in range(n_actors)]
    for i, ref in enumerate(refs):
        ref.tell(('peer', refs[(i + 1) % n_actors]))
    # Everyone is started and knows its peer.
    for ref in refs:
        ref.ask(('peer', refs[(refs.index(ref) + 1) % n_actors]), timeout=TIMEOUT)
    start = time.perf_counter()
    refs[0].tell(hops)
    done.get(timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    stop(refs + idle)
    return elapsed / (hops + 1)


def counting(system, n):
    """Messages per second told by another thread, then counted by an ask."""
    ref = classes(system)['thread']['Counter'].start()
    ref.ask('count', timeout=TIMEOUT)
    start = time.perf_counter()
    for _ in range(n):
        ref.tell(1)
    count = ref.ask('count', timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    assert count == n, (count, n)
    stop([ref])
    return n / elapsed


def timed_asks(ref, message, expected, n):
    """Seconds for @n blocking asks of @message to @ref, after one to warm
    up; each reply must equal @expected."""
    ref.ask(message, timeout=TIMEOUT)
    start = time.perf_counter()
    for _ in range(n):
        if ref.ask(message, timeout=TIMEOUT) != expected:
            raise AssertionError('wrong reply')
    return time.perf_counter() - start


def ask(system, n, own_thread):
    """Seconds per blocking ask from a non-actor caller."""
    ref = classes(system)['thread' if own_thread else 'same']['Echo'].start()
    elapsed = timed_asks(ref, 7, 7, n)
    stop([ref])
    return elapsed / n


def spawn(system, k):
    """Seconds per actor: create, one message, stop."""
    cls = classes(system)['same']['Sink']
    start = time.perf_counter()
    refs = [cls.start() for _ in range(k)]
    for ref in refs:
        ref.tell(1)
    stop(refs)
    return (time.perf_counter() - start) / k


def chain(system, length, rounds):
    """Seconds per hop of a chain of actors each asking the next one and
    waiting inside its handler (a suspension for pykka-glib)."""
    cls = classes(system)['same']['Chain']
    refs = []
    peer = None
    for _ in range(length):
        peer = cls.start(peer)
        refs.append(peer)
    elapsed = timed_asks(refs[-1], 0, length, rounds)
    stop(refs)
    return elapsed / rounds / (length - 1)


def fan_out(system, n_workers, rounds):
    """Seconds per round of one actor asking every worker and joining."""
    cls = classes(system)['same']
    workers = [cls['Echo'].start() for _ in range(n_workers)]
    boss = cls['Boss'].start(workers)
    elapsed = timed_asks(boss, 1, n_workers, rounds)
    stop([boss] + workers)
    return elapsed / rounds


# name: (default size for pykka-glib, for threads, tiny size, unit, scale,
#        is a rate, function(system, n))
WORKLOADS = {
    'pingpong': (200000, 20000, 200, 'us/hop', 1e6, False,
                 lambda s, n: ring(s, 2, n)),
    'threadring': (200000, 20000, 200, 'hops/s', 1, True,
                   lambda s, n: 1 / ring(s, 100, n)),
    'counting': (200000, 50000, 200, 'msgs/s', 1, True, counting),
    'ask': (50000, 5000, 50, 'us/ask', 1e6, False,
            lambda s, n: ask(s, n, False)),
    'ask-thread': (10000, 5000, 50, 'us/ask', 1e6, False,
                   lambda s, n: ask(s, n, True)),
    'spawn': (20000, 1000, 50, 'us/actor', 1e6, False, spawn),
    'idle': (200000, 20000, 200, 'us/hop', 1e6, False, None),
    'coroutines': (20000, 2000, 20, 'us/suspend+resume', 1e6, False,
                   lambda s, n: chain(s, 10, n)),
    'fan-out': (100, 20, 3, 'us/round', 1e6, False, None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tiny', action='store_true', help='smoke-test sizes')
    parser.add_argument('--repeat', type=int, default=3, help='runs per figure (median)')
    parser.add_argument('--json', metavar='FILE', help='write the records as JSON')
    parser.add_argument('--no-threads', action='store_true',
                        help='skip python3-pykka')
    parser.add_argument('--no-floor', action='store_true',
                        help='skip the python floor')
    parser.add_argument('--system', action='append', metavar='NAME',
                        help='run only this system (repeatable): pykka-glib-py, '
                        'pykka-threads, python-floor, python-loop')
    parser.add_argument('workloads', nargs='*', metavar='WORKLOAD[=N]')
    args = parser.parse_args()
    repeat = 1 if args.tiny else max(1, args.repeat)

    chosen = {}
    for spec in args.workloads:
        name, _, size = spec.partition('=')
        if name not in WORKLOADS:
            parser.error('unknown workload %r (known: %s)' % (name, ', '.join(WORKLOADS)))
        chosen[name] = int(size) if size else None
    if not chosen:
        chosen = dict.fromkeys(WORKLOADS)

    systems = [glib_system()]
    if pykka is not None and not args.no_threads:
        systems.append(threads_system())
    if not args.no_floor:
        systems += [floor_system(True), floor_system(False)]
    if args.system:
        systems = [s for s in systems if s.name in args.system]
    n_idle = 1000 if args.tiny else 100000
    n_idle_threads = 100 if args.tiny else 1000
    n_workers = 100 if args.tiny else 1000

    records = []

    def measure(name, system, n, func):
        values = []
        for _ in range(repeat):
            gc.collect()
            values.append(func(system, n))
        return statistics.median(values)

    for name, size in chosen.items():
        glib_n, threads_n, tiny_n, unit, scale, rate, func = WORKLOADS[name]
        if name == 'idle':
            def func(s, n):
                return ring(s, 2, n, n_idle if s.same_context else n_idle_threads)
        elif name == 'fan-out':
            def func(s, n):
                return fan_out(s, n_workers, n)
        base = None
        floor = None
        for system in reversed(systems):   # the baselines first
            if system.name.startswith('python-') and name not in FLOOR_WORKLOADS:
                continue
            if args.tiny:
                n = tiny_n
            elif size is not None:
                n = size
            else:
                n = threads_n if system.name == 'pykka-threads' else glib_n
            print('%s on %s (n=%d)...' % (name, system.name, n), file=sys.stderr, flush=True)
            value = measure(name, system, n, func) * scale
            record = {'workload': name, 'system': system.name, 'n': n,
                      'value': value, 'unit': unit}
            if name == 'idle':
                record['idle_actors'] = n_idle if system.same_context else n_idle_threads
            if system.name == 'pykka-threads':
                base = value
            elif system.name == 'python-floor':
                floor = value
            elif system.name == 'pykka-glib-py':
                if base:
                    record['ratio'] = base / value if rate else value / base
                    record['ratio_to'] = 'pykka-threads'
                if floor:
                    record['floor_ratio'] = floor / value if rate else value / floor
                    record['floor'] = 'python-floor'
            records.append(record)

    print('\n%-12s %-14s %8s %14s %-18s %8s %9s %9s' %
          ('workload', 'system', 'n', 'value', 'unit', 'ratio', 'speed-up', 'vs floor'))
    for r in records:
        ratio = '%.3fx' % r['ratio'] if 'ratio' in r else ''
        speedup = '%.1fx' % (1 / r['ratio']) if 'ratio' in r else ''
        floor_ratio = '%.2fx' % r['floor_ratio'] if 'floor_ratio' in r else ''
        print('%-12s %-14s %8d %14.3f %-18s %8s %9s %9s' %
              (r['workload'], r['system'], r['n'], r['value'], r['unit'], ratio, speedup,
               floor_ratio))
    if 'idle' in chosen:
        print('(idle: %d idle actors for pykka-glib-py, %d idle threads for pykka-threads)'
              % (n_idle, n_idle_threads))
    if any('floor_ratio' in r for r in records):
        print('(vs floor: cost relative to python-floor, the same handler fed through a deque '
              'by another greenlet)')

    if args.json:
        with open(args.json, 'w') as f:
            json.dump(records, f, indent=1)
            f.write('\n')

    # Threads of Pykka that are still alive would keep the process.
    if pykka is not None:
        pykka.ActorRegistry.stop_all()
    return 0


if __name__ == '__main__':
    sys.exit(main())
