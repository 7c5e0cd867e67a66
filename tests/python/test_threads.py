# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors on threads of their own (use_own_thread / ThreadingActor) and
Python threads talking to actors."""

import threading

from gi.repository import GLib, Pykka

import pytest

from conftest import TIMEOUT


class Threaded(Pykka.ThreadingActor):
    def __init__(self, other=None):
        super().__init__()
        self.other = other

    def where(self):
        return threading.get_ident()

    def forward(self, message):
        if self.other is None:
            return [message, 'own thread']
        return [message] + self.other.ask(message, timeout=TIMEOUT)

    def on_receive(self, message):
        return self.forward(message)

    def fail(self, exc):
        raise exc


class MainActor(Pykka.Actor):
    def __init__(self, other=None):
        super().__init__()
        self.other = other

    def on_receive(self, message):
        if self.other is None:
            return ['main']
        return ['main'] + self.other.ask(message, timeout=TIMEOUT)


def test_handlers_run_on_the_actors_thread():
    proxies = [Threaded.start().proxy() for _ in range(3)]
    threads = [p.where().get(TIMEOUT) for p in proxies]
    assert len(set(threads)) == 3
    assert threading.get_ident() not in threads
    # Always the same thread for one actor.
    assert proxies[0].where().get(TIMEOUT) == threads[0]


def test_own_thread_actor_waits_for_a_main_context_actor():
    # The own-thread actor suspends (its own context); the main thread's
    # blocking get iterates the main context, where the other actor runs.
    main = MainActor.start()
    threaded = Threaded.start(main)
    assert threaded.ask('x', timeout=TIMEOUT) == ['x', 'main']


def test_main_context_actor_waits_for_an_own_thread_actor():
    threaded = Threaded.start()
    main = MainActor.start(threaded)
    assert main.ask('y', timeout=TIMEOUT) == ['main', 'y', 'own thread']


def test_chain_across_threads():
    last = MainActor.start()
    middle = Threaded.start(last)
    first = Threaded.start(middle)
    top = MainActor.start(first)
    assert top.ask('z', timeout=TIMEOUT) == ['main', 'z', 'z', 'main']


def test_many_python_threads_ask_one_actor():
    counter_lock = threading.Lock()

    class Counter(Pykka.ThreadingActor):
        def __init__(self):
            super().__init__()
            self.count = 0

        def increment(self):
            # No lock needed in an actor: one message at a time.
            value = self.count
            self.count = value + 1
            return value

    proxy = Counter.start().proxy()
    seen = []

    def client():
        values = [proxy.increment().get(TIMEOUT) for _ in range(200)]
        with counter_lock:
            seen.extend(values)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert sorted(seen) == list(range(800))
    assert proxy.count.get(TIMEOUT) == 800


def test_exceptions_keep_identity_across_threads():
    proxy = Threaded.start().proxy()
    exc = ZeroDivisionError('on another thread')
    with pytest.raises(ZeroDivisionError) as info:
        proxy.fail(exc).get(TIMEOUT)
    assert info.value is exc


def test_event_set_by_own_thread_actor_resumes_main_actor():
    event = Pykka.Event()

    class Waiter(Pykka.Actor):
        def on_receive(self, message):
            return event.wait(TIMEOUT)

    class Setter(Pykka.ThreadingActor):
        def on_receive(self, message):
            event.set()

    waiting = Waiter.start().ask(None, block=False)
    Setter.start().tell('set it')
    assert waiting.get(TIMEOUT) is True


def test_own_thread_context_keeps_running_while_its_actor_waits():
    # An actor started by an own-thread actor lives on that thread's
    # context; it keeps answering while the own-thread actor is suspended.
    gate = Pykka.Future()

    class Neighbour(Pykka.Actor):
        def hello(self):
            return threading.get_ident()

    class Gated(Pykka.ThreadingActor):
        def start_neighbour(self):
            return Neighbour.start(), threading.get_ident()

        def wait(self):
            return gate.get(TIMEOUT)

    gated = Gated.start().proxy()
    neighbour, gated_thread = gated.start_neighbour().get(TIMEOUT)
    waiting = gated.wait()
    assert neighbour.proxy().hello().get(TIMEOUT) == gated_thread
    assert not waiting.is_done()
    gate.set('opened')
    assert waiting.get(TIMEOUT) == 'opened'
    neighbour.stop(timeout=TIMEOUT)


def test_many_threading_actors_come_and_go():
    main = MainActor.start()
    for i in range(100):
        threaded = Threaded.start(main)
        assert threaded.ask(i, timeout=TIMEOUT) == [i, 'main']
        assert threaded.stop(timeout=TIMEOUT) is True


def test_stop_all_stops_own_thread_actors():
    refs = [Threaded.start() for _ in range(5)]
    assert Pykka.ActorRegistry.stop_all(timeout=TIMEOUT) == [True] * 5
    assert not any(ref.is_alive() for ref in refs)


def test_actor_on_a_given_context_run_by_a_thread():
    context = GLib.MainContext()
    loop = GLib.MainLoop(context)
    started = threading.Event()
    refs = []

    class Placed(Pykka.Actor):
        def on_receive(self, message):
            if message == 'wait':
                return gate.get(TIMEOUT)
            return threading.get_ident()

    gate = Pykka.Future()

    def run():
        context.push_thread_default()
        refs.append(Placed.start())
        refs.append(Placed.start())
        started.set()
        loop.run()
        context.pop_thread_default()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert started.wait(TIMEOUT)
        first, second = refs
        waiting = first.ask('wait', block=False)
        assert second.ask(None, timeout=TIMEOUT) == thread.ident
        gate.set('done')
        assert waiting.get(TIMEOUT) == 'done'
        Pykka.ActorRegistry.stop_all(timeout=TIMEOUT)
    finally:
        loop.quit()
        thread.join(TIMEOUT)
