# SPDX-License-Identifier: LGPL-2.1-or-later
"""Death watch and kill from Python (issue 15.1 and 15.4): an actor that
watches another is told once, in its mailbox, with a Pykka.Terminated;
plain code waits on ref.get_terminated(); kill jumps the queue."""
import gc
import weakref

from gi.repository import GLib, Pykka
import pytest

from conftest import TIMEOUT, iterate_until


class Monitor(Pykka.ThreadingActor):
    def __init__(self):
        super().__init__()
        self.told = []

    def on_receive(self, message):
        if isinstance(message, Pykka.Terminated):
            reason = message.get_reason()
            self.told.append((message.get_actor_ref().actor_urn,
                              None if reason is None else reason.message))
        elif message == 'told':
            return list(self.told)
        elif isinstance(message, tuple) and message[0] == 'watch':
            self.watch(message[1])
        elif isinstance(message, tuple) and message[0] == 'unwatch':
            self.unwatch(message[1])


class Worker(Pykka.ThreadingActor):
    def on_receive(self, message):
        if message == 'crash':
            raise ValueError('crashed on purpose')
        return message


def told(monitor, count):
    for _ in range(int(TIMEOUT * 100)):
        seen = monitor.ask('told', timeout=TIMEOUT)
        if len(seen) >= count:
            return seen
        GLib.usleep(10000)
    return monitor.ask('told', timeout=TIMEOUT)


def test_a_watcher_is_told_of_each_death_once_with_its_reason():
    monitor = Monitor.start()
    stopped, crashed, killed = Worker.start(), Worker.start(), Worker.start()
    for ref in (stopped, crashed, killed, stopped):
        monitor.tell(('watch', ref))
    # The watches are made (the news of a death overtakes ordinary mail:
    # a watch queued behind it would watch a dead actor again).
    assert monitor.ask('told', timeout=TIMEOUT) == []
    stopped.stop()
    crashed.tell('crash')
    assert killed.kill()
    seen = told(monitor, 3)
    assert sorted(seen) == sorted([
        (stopped.actor_urn, None),
        (crashed.actor_urn, 'a told message failed: ValueError: crashed on purpose'),
        (killed.actor_urn, 'killed'),
    ]), seen
    assert monitor.ask('told', timeout=TIMEOUT) == seen


def test_watching_a_dead_actor_tells_at_once_and_unwatch_tells_nothing():
    monitor = Monitor.start()
    dead, spared = Worker.start(), Worker.start()
    dead.stop()
    monitor.tell(('watch', dead))
    monitor.tell(('watch', spared))
    monitor.tell(('unwatch', spared))
    monitor.ask('told', timeout=TIMEOUT)  # the unwatch is made
    spared.stop()
    assert told(monitor, 1) == [(dead.actor_urn, None)]
    assert monitor.ask('told', timeout=TIMEOUT) == [(dead.actor_urn, None)]


def test_plain_code_waits_on_the_terminated_future():
    ref = Worker.start()
    terminated = ref.get_terminated()
    assert not terminated.is_done()
    ref.tell('crash')
    news = terminated.get(timeout=TIMEOUT)
    assert isinstance(news, Pykka.Terminated)
    assert news.get_actor_ref() == ref
    assert 'crashed on purpose' in news.get_reason().message
    # Dead already: done at once.
    assert ref.get_terminated().is_done()


def test_a_watcher_that_dies_first_is_freed():
    target = Worker.start()
    monitor = Monitor()
    alive = weakref.ref(monitor)
    ref = monitor.start()
    del monitor
    ref.tell(('watch', target))
    ref.ask('told', timeout=TIMEOUT)
    ref.stop()
    iterate_until(lambda: (gc.collect(), alive() is None)[1])
    target.stop()


def test_kill_jumps_the_queue():
    class Slow(Pykka.Actor):
        def __init__(self):
            super().__init__()
            self.handled = []
            self.stopped = False

        def on_receive(self, message):
            self.handled.append(message)
            return message

        def on_stop(self):
            self.stopped = True

    actor = Slow()
    ref = actor.start()
    queued = [ref.ask(i, block=False) for i in range(3)]
    assert ref.kill() is True
    assert ref.kill() is False
    with pytest.raises(Pykka.ActorDeadError):
        ref.tell('late')
    for future in queued:
        with pytest.raises(Pykka.ActorDeadError):
            future.get(timeout=TIMEOUT)
    iterate_until(lambda: actor.stopped)
    assert actor.handled == []


def test_kill_ends_a_suspended_handler_cleanly():
    blocker = Pykka.Future()
    seen = []

    class Waiter(Pykka.Actor):
        def on_receive(self, message):
            try:
                return blocker.get()
            except Pykka.ActorDeadError as error:
                seen.append(('dead', 'killed' in error.detail))
                raise
            finally:
                seen.append('finally')

        def on_stop(self):
            seen.append('on_stop')

    ref = Waiter.start()
    asked = ref.ask('wait', block=False)
    queued = ref.ask('queued', block=False)
    iterate_until(lambda: not asked.is_done() and ref.is_alive(), TIMEOUT)
    from conftest import drain
    drain()
    assert ref.kill()
    with pytest.raises(Pykka.ActorDeadError):
        asked.get(timeout=TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError):
        queued.get(timeout=TIMEOUT)
    iterate_until(lambda: 'on_stop' in seen)
    assert seen == [('dead', True), 'finally', 'on_stop']
    blocker.set(1)


def test_dead_letters_are_counted():
    ref = Worker.start()
    ref.stop()
    before = Pykka.debug_get_dead_letters()
    with pytest.raises(Pykka.ActorDeadError):
        ref.tell('nobody reads this')
    assert Pykka.debug_get_dead_letters() == before + 1
