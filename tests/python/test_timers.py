# SPDX-License-Identifier: LGPL-2.1-or-later
"""Timers owned by actors on a virtual clock, from Python (issue 16.1,
16.6)."""
from gi.repository import GLib, Pykka

from conftest import TIMEOUT, iterate_until


def run_until_idle(context):
    for _ in range(1000):
        if not context.iteration(False):
            break


class Recorder(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.got = []

    def on_receive(self, message):
        self.got.append(message)


def test_timers_on_a_virtual_clock():
    context = GLib.MainContext.new()
    Pykka.context_use_virtual_clock(context)
    context.push_thread_default()
    try:
        actor = Recorder()
        ref = actor.start()
        assert actor.start_timer('retry', 10 * 60 * 1000, 0, 'retry now') != 0
        tick = actor.start_timer(None, 1000, 1000, 'tick')
        for _ in range(3):
            Pykka.context_advance_clock(context, 1000)
            run_until_idle(context)
        assert actor.got == ['tick', 'tick', 'tick']
        assert actor.cancel_timer(tick)
        # Re-arming the key replaces its timer.
        actor.start_timer('retry', 500, 0, 'retry sooner')
        Pykka.context_advance_clock(context, 10 * 60 * 1000)
        run_until_idle(context)
        assert actor.got == ['tick', 'tick', 'tick', 'retry sooner']
        stopped = ref.stop(block=False)
        iterate_until(lambda: (context.iteration(False), stopped.is_done())[1])
        # Dead: its timers went with it.
        assert actor.start_timer(None, 1, 0, 'late') == 0
    finally:
        context.pop_thread_default()


def test_a_timer_on_the_real_clock():
    actor = Recorder()
    ref = actor.start()
    actor.start_timer(None, 20, 0, ('after', 20))
    iterate_until(lambda: actor.got == [('after', 20)])
    ref.stop()


def test_a_handler_s_wait_timeout_follows_the_virtual_clock():
    context = GLib.MainContext.new()
    Pykka.context_use_virtual_clock(context)
    context.push_thread_default()
    seen = []

    class Patient(Pykka.Actor):
        def on_receive(self, message):
            try:
                Pykka.Future().get(timeout=600)   # ten minutes
            except Pykka.Timeout:
                seen.append('timed out')

    try:
        ref = Patient.start()
        ref.tell('wait')
        run_until_idle(context)
        Pykka.context_advance_clock(context, 600 * 1000 - 1)
        run_until_idle(context)
        assert seen == []
        Pykka.context_advance_clock(context, 1)
        run_until_idle(context)
        assert seen == ['timed out']
        stopped = ref.stop(block=False)
        iterate_until(lambda: (context.iteration(False), stopped.is_done())[1])
    finally:
        context.pop_thread_default()
