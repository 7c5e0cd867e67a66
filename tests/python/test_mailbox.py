# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bounded mailboxes and latest-wins tells from Python (issue 16.4)."""
from gi.repository import GLib, Pykka
import pytest

from conftest import TIMEOUT


def run_until_idle(context):
    for _ in range(1000):
        if not context.iteration(False):
            break


class Bounded(Pykka.Actor):
    mailbox_capacity = 2

    def __init__(self):
        super().__init__()
        self.got = []

    def on_receive(self, message):
        self.got.append(message)


class DropsOldest(Bounded):
    overflow_policy = Pykka.OverflowPolicy.DROP_OLDEST


def on_own_context(cls):
    context = GLib.MainContext.new()
    context.push_thread_default()
    actor = cls()
    ref = actor.start()
    run_until_idle(context)
    return context, actor, ref


def finish(context, ref):
    stopped = ref.stop(block=False)
    for _ in range(10000):
        if stopped.is_done():
            break
        context.iteration(True)
    context.pop_thread_default()


def test_a_full_mailbox_refuses_with_mailbox_full():
    context, actor, ref = on_own_context(Bounded)
    try:
        assert actor.props.mailbox_capacity == 2
        ref.tell(1)
        ref.tell(2)
        with pytest.raises(GLib.Error) as info:
            ref.tell(3)
        assert info.value.matches(Pykka.error_quark(), Pykka.Error.MAILBOX_FULL)
        run_until_idle(context)
        assert actor.got == [1, 2]
    finally:
        finish(context, ref)


def test_drop_oldest_keeps_the_newest():
    context, actor, ref = on_own_context(DropsOldest)
    try:
        for i in range(5):
            ref.tell(i)
        run_until_idle(context)
        assert actor.got == [3, 4]
    finally:
        finish(context, ref)


def test_latest_wins():
    context, actor, ref = on_own_context(Bounded)
    try:
        for percent in range(10):
            ref.tell_latest('progress', percent)
        run_until_idle(context)
        assert actor.got == [9]
    finally:
        finish(context, ref)
