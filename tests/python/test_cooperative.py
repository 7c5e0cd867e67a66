# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cooperative handlers: a blocking get(), ask(), proxy call or event wait
inside a Python handler suspends only that actor (greenlets), while the
other actors of the same context keep running."""

import gc
import threading
import time

from gi.module import get_introspection_module
from gi.repository import GLib, GObject, Pykka

import pytest

from conftest import TIMEOUT, drain, iterate_until

C = get_introspection_module('Pykka')


class Forwarder(Pykka.Actor):
    """Asks the next actor and waits for its reply (a blocking get)."""

    def __init__(self, name, next_ref=None):
        super().__init__()
        self.name = name
        self.next_ref = next_ref

    def on_receive(self, message):
        path = message + [self.name]
        if self.next_ref is None:
            return path + ['reply']
        return self.next_ref.ask(path, timeout=TIMEOUT)


def test_chain_of_blocking_asks_on_one_context():
    # A -> B -> C -> reply, all on the main context, each waiting.
    c = Forwarder.start('C')
    b = Forwarder.start('B', c)
    a = Forwarder.start('A', b)
    assert a.ask([], timeout=TIMEOUT) == ['A', 'B', 'C', 'reply']
    # Several chains in flight at once.
    futures = [a.ask([i], block=False) for i in range(50)]
    assert Pykka.get_all(futures, TIMEOUT) == [[i, 'A', 'B', 'C', 'reply'] for i in range(50)]


class ProxyCaller(Pykka.Actor):
    def __init__(self, other=None):
        super().__init__()
        self.other = other

    def compute(self, n):
        if self.other is None:
            return n + 1
        return self.other.compute(n).get(TIMEOUT) * 2

    def compute_future(self, n):
        return self.other.compute(n).map(lambda v: v * 3).get(TIMEOUT)


def test_chain_of_proxy_calls():
    c = ProxyCaller.start().proxy()
    b = ProxyCaller.start(c).proxy()
    a = ProxyCaller.start(b).proxy()
    assert a.compute(1).get(TIMEOUT) == 8
    assert b.compute_future(1).get(TIMEOUT) == 6


def test_event_set_by_another_actor_on_the_same_context():
    event = Pykka.Event()

    class Waiter(Pykka.Actor):
        def wait(self):
            return event.wait(TIMEOUT), 'waited'

    class Setter(Pykka.Actor):
        def set(self):
            event.set()
            return 'set'

    waiter = Waiter.start().proxy()
    setter = Setter.start().proxy()
    waited = waiter.wait()
    drain()
    assert not waited.is_done()
    assert setter.set().get(TIMEOUT) == 'set'
    assert waited.get(TIMEOUT) == (True, 'waited')


class Sleeper(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.handled = []

    def on_receive(self, message):
        self.handled.append(message)
        if isinstance(message, Pykka.Event):
            return message.wait(TIMEOUT)
        return message


def test_other_actors_keep_running_while_one_is_suspended():
    event = Pykka.Event()
    sleeper = Sleeper.start()
    other = Sleeper.start()
    suspended = sleeper.ask(event, block=False)
    queued = sleeper.ask('after the event', block=False)
    for i in range(20):
        assert other.ask(i, timeout=TIMEOUT) == i
    assert not suspended.is_done()
    assert not queued.is_done()
    assert sleeper.is_alive()
    event.set()
    assert suspended.get(TIMEOUT) is True
    # The suspended actor took no other message meanwhile; order is kept.
    assert queued.get(TIMEOUT) == 'after the event'
    assert sleeper.proxy().handled.get(TIMEOUT) == [event, 'after the event']


def test_thousand_actors_suspended_at_once():
    event = Pykka.Event()
    refs = [Sleeper.start() for _ in range(1000)]
    futures = [ref.ask(event, block=False) for ref in refs]
    drain()
    assert not any(future.is_done() for future in futures)
    # The context is still free.
    assert Sleeper.start().ask('free', timeout=TIMEOUT) == 'free'
    event.set()
    assert Pykka.get_all(futures, TIMEOUT) == [True] * 1000
    assert all(ref.ask('again', timeout=TIMEOUT) == 'again' for ref in refs[:10])


def test_thousand_actors_suspended_on_each_others_replies():
    # A ring of 1000 actors, each waiting on the next: only the last one
    # answers at once; the replies then unwind the whole chain.
    last = Forwarder.start('last')
    ref = last
    for i in range(999):
        ref = Forwarder.start(i, ref)
    assert ref.ask([], timeout=TIMEOUT) == list(range(998, -1, -1)) + ['last', 'reply']


def test_async_handlers_suspend_the_same_way():
    event = Pykka.Event()
    source = Pykka.Future()

    class AsyncActor(Pykka.Actor):
        async def on_receive(self, message):
            value = await source
            return value + message

    class AsyncProxyUser(Pykka.Actor):
        def __init__(self, other):
            super().__init__()
            self.other = other

        async def call(self):
            first = await self.other.ask(1, block=False)
            second = await self.other.ask(2, block=False)
            return first, second

    actor = AsyncActor.start()
    user = AsyncProxyUser.start(actor).proxy()
    pending = actor.ask(1, block=False)
    called = user.call()
    drain()
    assert not pending.is_done() and not called.is_done()
    assert Sleeper.start().ask('free', timeout=TIMEOUT) == 'free'
    source.set(10)
    assert pending.get(TIMEOUT) == 11
    assert called.get(TIMEOUT) == (11, 12)
    del event


def test_awaiting_something_else_fails_the_handler():
    class Foreign:
        def __await__(self):
            yield 'something an event loop would understand'

    class Bad(Pykka.Actor):
        async def on_receive(self, message):
            await Foreign()

    with pytest.raises(TypeError):
        Bad.start().ask(None, timeout=TIMEOUT)


def test_timeout_inside_a_handler():
    class Impatient(Pykka.Actor):
        def on_receive(self, message):
            try:
                Pykka.Future().get(timeout=0.02)
            except Pykka.Timeout:
                pass
            else:
                return 'no timeout?'
            if Pykka.Event().wait(0.02):
                return 'event set?'
            try:
                Pykka.Future().get(timeout=0)
            except Pykka.Timeout:
                return 'timed out thrice'

    ref = Impatient.start()
    assert ref.ask(None, timeout=TIMEOUT) == 'timed out thrice'
    assert ref.ask(None, timeout=TIMEOUT) == 'timed out thrice'


def test_asking_itself_with_a_timeout_fails_at_once_with_deadlock():
    class Narcissus(Pykka.Actor):
        def on_receive(self, message):
            if message == 'inner':
                return 'inner'
            try:
                return self.actor_ref.ask('inner', timeout=TIMEOUT)
            except GLib.Error as error:
                return (error.code, error.message)

    ref = Narcissus.start()
    start = time.monotonic()
    code, message = ref.ask('outer', timeout=TIMEOUT)
    assert code == Pykka.Error.DEADLOCK
    assert 'Deadlock' in message and ref.actor_urn in message
    # At once, not after the handler's timeout.
    assert time.monotonic() - start < TIMEOUT
    # The inner message is handled afterwards.
    assert ref.ask('inner', timeout=TIMEOUT) == 'inner'


def test_a_proxy_call_cycle_fails_with_deadlock_naming_both_actors():
    class Ping(Pykka.Actor):
        other = None

        def set_other(self, other):
            self.other = other

        def ping(self):
            return self.other.pong().get(timeout=TIMEOUT)

        def echo(self):
            return 'ping'

    class Pong(Pykka.Actor):
        def __init__(self, ping):
            super().__init__()
            self.ping_proxy = ping

        def pong(self):
            try:
                return self.ping_proxy.echo().get(timeout=TIMEOUT)
            except GLib.Error as error:
                return (error.code, error.message)

    ping = Ping.start()
    pong = Pong.start(ping.proxy())
    ping.proxy().set_other(pong.proxy()).get(timeout=TIMEOUT)
    code, message = ping.proxy().ping().get(timeout=TIMEOUT)
    assert code == Pykka.Error.DEADLOCK
    assert ping.actor_urn in message and pong.actor_urn in message
    assert 'waits for' in message


def test_several_suspensions_in_one_handler():
    class Counter(Pykka.Actor):
        def __init__(self):
            super().__init__()
            self.count = 0

        def on_receive(self, message):
            self.count += 1
            return self.count

    class Looper(Pykka.Actor):
        def __init__(self, counter):
            super().__init__()
            self.counter = counter

        def on_receive(self, message):
            return [self.counter.ask(None) for _ in range(message)]

    counter = Counter.start()
    looper = Looper.start(counter)
    assert looper.ask(100, timeout=TIMEOUT) == list(range(1, 101))


def test_failure_after_suspension():
    failures = []
    gate = Pykka.Future()

    class Late(Pykka.Actor):
        def on_receive(self, message):
            gate.get(TIMEOUT)
            raise message

        def on_failure(self, exception_type, exception_value, traceback):
            failures.append(exception_value)

    ref = Late.start()
    exc = ArithmeticError('after waiting')
    future = ref.ask(exc, block=False)
    gate.set(None)
    with pytest.raises(ArithmeticError) as info:
        future.get(TIMEOUT)
    assert info.value is exc
    assert ref.is_alive()
    told = OverflowError('told')
    ref.tell(told)
    iterate_until(lambda: not ref.is_alive())
    assert failures == [told]


def test_value_from_another_thread_resumes_the_handler():
    future = Pykka.Future()

    class Waiter(Pykka.Actor):
        def on_receive(self, message):
            return future.get(TIMEOUT)

    ref = Waiter.start()
    reply = ref.ask(None, block=False)
    threading.Timer(0.01, future.set, ({'from': 'thread'},)).start()
    assert reply.get(TIMEOUT) == {'from': 'thread'}


def test_failed_future_raises_in_the_suspended_handler():
    future = Pykka.Future()

    class Waiter(Pykka.Actor):
        def on_receive(self, message):
            try:
                future.get(TIMEOUT)
            except KeyError as exc:
                return exc

    ref = Waiter.start()
    reply = ref.ask(None, block=False)
    drain()
    exc = KeyError('missing')
    future.set_exception(exc)
    assert reply.get(TIMEOUT) is exc


def test_stop_waits_for_the_suspended_handler():
    event = Pykka.Event()
    sleeper = Sleeper.start()
    suspended = sleeper.ask(event, block=False)
    stopped = sleeper.stop(block=False)
    drain()
    assert not stopped.is_done()
    event.set()
    assert suspended.get(TIMEOUT) is True
    assert stopped.get(TIMEOUT) is True


def test_c_blocking_call_inside_a_handler_nests_safely():
    # A handler makes a C-level blocking ask (not cooperative: it iterates
    # the context); the actors it waits for suspend in greenlets of their
    # own inside that nested iteration.
    c = Forwarder.start('C')
    b = Forwarder.start('B', c)

    class CCaller(Pykka.Actor):
        def on_receive(self, message):
            ok, reply = C.ActorRef.ask_sync(b, GObject.Value(GObject.TYPE_PYOBJECT, ['X']), TIMEOUT * 1000)
            return reply

    ref = CCaller.start()
    assert ref.ask(None, timeout=TIMEOUT) == ['X', 'B', 'C', 'reply']


def test_wait_in_a_callback_nested_in_a_handler_does_not_switch_out():
    # A GLib callback that runs inside a nested iteration started by a
    # handler must block normally, not switch the handler's greenlet out.
    answer = Forwarder.start('answer')
    results = []

    def idle():
        results.append(answer.ask([], timeout=TIMEOUT))
        return GLib.SOURCE_REMOVE

    class Nester(Pykka.Actor):
        def on_receive(self, message):
            GLib.idle_add(idle)
            context = GLib.MainContext.default()
            while not results:
                context.iteration(True)
            return results[0]

    assert Nester.start().ask(None, timeout=TIMEOUT) == ['answer', 'reply']


def test_main_loop_application_with_suspending_actors():
    loop = GLib.MainLoop()
    c = Forwarder.start('C')
    b = Forwarder.start('B', c)
    a = Forwarder.start('A', b)
    results = []

    def done(future, result):
        results.append(future.get_finish(result))
        loop.quit()

    a.ask([], block=False).get_async(None, done)
    timeout_id = GLib.timeout_add_seconds(TIMEOUT, loop.quit)
    loop.run()
    GLib.source_remove(timeout_id)
    assert results == [['A', 'B', 'C', 'reply']]


def rss_kib():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])


def test_memory_of_many_asks_and_suspensions_is_stable():
    class Echo(Pykka.Actor):
        def on_receive(self, message):
            return message

    class Patient(Pykka.Actor):
        def on_receive(self, message):
            try:
                Pykka.Future().get(timeout=0.0001)
            except Pykka.Timeout:
                return message

    echo = Echo.start()
    forwarder = Forwarder.start('F', Forwarder.start('G'))
    patient = Patient.start()
    event = Pykka.Event()
    event.set()
    waiter = Sleeper.start()

    def round_of_asks():
        for i in range(100000):
            echo.ask(i)
            echo.ask([i])
            echo.tell(str(i))
        for i in range(5000):
            forwarder.ask([])
            waiter.ask(event)
        for i in range(500):
            patient.ask(i)

    round_of_asks()
    gc.collect()
    before = rss_kib()
    round_of_asks()
    gc.collect()
    after = rss_kib()
    # A leak of even 32 bytes per message would show as > 3 MiB.
    assert after - before < 3 * 1024, (before, after)


def test_actor_stopping_itself_through_its_ref_does_not_hang():
    class Quitter(Pykka.Actor):
        def on_receive(self, message):
            return self.actor_ref.stop()

    ref = Quitter.start()
    assert ref.ask('quit', timeout=TIMEOUT) is True
    iterate_until(lambda: not ref.is_alive())


def test_stop_all_from_inside_a_handler():
    class Janitor(Pykka.Actor):
        def on_receive(self, message):
            return Pykka.ActorRegistry.stop_all(timeout=TIMEOUT)

    others = [Sleeper.start() for _ in range(3)]
    janitor = Janitor.start()
    assert janitor.ask(None, timeout=TIMEOUT) == [True, True, True, True]
    iterate_until(lambda: not janitor.is_alive())
    assert not any(ref.is_alive() for ref in others)


def test_asking_itself_without_timeout_fails_instead_of_hanging():
    class Narcissus(Pykka.Actor):
        def on_receive(self, message):
            if message == 'inner':
                return 'inner'
            try:
                self.actor_ref.ask('inner')
            except GLib.Error as error:
                return error.code

    ref = Narcissus.start()
    assert ref.ask('outer', timeout=TIMEOUT) == Pykka.Error.DEADLOCK


def test_timed_waits_release_their_resumes():
    # A suspension with a timeout is a resume of the runtime with a timer
    # and a hook on the awaited future; they go when the wait ends,
    # whether the value came first or the timeout did (the hook too: the
    # futures of Patient are never completed).
    from pykka_glib import _speedups

    forwarder = Forwarder.start('F', Forwarder.start('G'))

    class Patient(Pykka.Actor):
        def on_receive(self, message):
            try:
                return Pykka.Future().get(timeout=0.001)
            except Pykka.Timeout:
                return 'timed out'

    patient = Patient.start()
    for _ in range(200):
        assert forwarder.ask([], timeout=TIMEOUT) == ['F', 'G', 'reply']
    for _ in range(20):
        assert patient.ask(None, timeout=TIMEOUT) == 'timed out'
    iterate_until(lambda: _speedups.n_waiters() == 0)
    assert _speedups.n_waiters() == 0
    forwarder.stop(timeout=TIMEOUT)
    patient.stop(timeout=TIMEOUT)


def test_a_timed_out_ask_in_a_handler_ends_its_wait_with_its_suspension():
    # A handler waiting on an ask is resumed by the runtime in a turn of
    # its actor (pykka_actor_suspend_until). After a timeout the handler
    # goes on and ends its suspension, which drops the resume: the late
    # reply resumes nothing, and the handler is not resumed twice.
    from pykka_glib import _speedups

    gate = Pykka.Future()

    class Slow(Pykka.Actor):
        def on_receive(self, message):
            return gate.get(timeout=TIMEOUT)

    class Impatient(Pykka.Actor):
        def __init__(self, slow):
            super().__init__()
            self.slow = slow
            self.handled = 0

        def on_receive(self, message):
            self.handled += 1
            if message == 'count':
                return self.handled
            try:
                return self.slow.ask(message, timeout=0.01)
            except Pykka.Timeout:
                return 'timed out'

    slow = Slow.start()
    impatient = Impatient.start(slow)
    assert impatient.ask('first', timeout=TIMEOUT) == 'timed out'
    # Slow waits on the gate; Impatient's wait went with its suspension.
    assert _speedups.n_waiters() == 1
    gate.set('late')
    iterate_until(lambda: _speedups.n_waiters() == 0)
    assert impatient.ask('count', timeout=TIMEOUT) == 2
    assert slow.ask('again', timeout=TIMEOUT) == 'late'
    slow.stop(timeout=TIMEOUT)
    # A dead actor's ask fails at once: no wait at all.
    with pytest.raises(Pykka.ActorDeadError):
        impatient.ask('second', timeout=TIMEOUT)
    assert _speedups.n_waiters() == 0


def test_timeouts_of_one_context_fire_by_deadline_not_by_start():
    # Each wait's timeout is its own (the runtime's timer of its resume):
    # a short wait started after a long one times out first, and the long
    # one still gets its value.
    from pykka_glib import _speedups

    never = Pykka.Future()
    later = Pykka.Future()
    last = Pykka.Future()

    class Waiter(Pykka.Actor):
        def on_receive(self, message):
            future, timeout = message
            try:
                return future.get(timeout=timeout)
            except Pykka.Timeout:
                return 'timed out'

    long_wait = Waiter.start().ask((later, TIMEOUT), block=False)
    medium_wait = Waiter.start().ask((last, TIMEOUT / 2), block=False)
    short_wait = Waiter.start().ask((never, 0.01), block=False)
    assert short_wait.get(TIMEOUT) == 'timed out'
    assert not long_wait.is_done() and not medium_wait.is_done()
    later.set('in time')
    assert long_wait.get(TIMEOUT) == 'in time'
    assert not medium_wait.is_done()
    last.set('last')
    assert medium_wait.get(TIMEOUT) == 'last'
    iterate_until(lambda: _speedups.n_waiters() == 0)


def test_only_the_owner_thread_runs_a_context_s_actors_and_resumes_their_handlers():
    # The global default context belongs to the main thread. Another
    # thread that iterates it, or waits for one of its actors, runs none
    # of them: its wait times out saying the context is not being run,
    # and the suspended handler resumes on the main thread later.
    from pykka_glib import _speedups

    gate = Pykka.Future()
    threads_seen = []

    class Gatekeeper(Pykka.Actor):
        def on_receive(self, message):
            threads_seen.append(threading.get_ident())
            value = gate.get(timeout=TIMEOUT)
            threads_seen.append(threading.get_ident())
            return value

    class Echo(Pykka.Actor):
        def on_receive(self, message):
            threads_seen.append(threading.get_ident())
            return message

    gatekeeper = Gatekeeper.start()
    echo = Echo.start()
    reply = gatekeeper.ask('wait', block=False)
    iterate_until(lambda: _speedups.n_waiters() == 1)
    results = []

    def other_thread():
        gate.set('open')
        drain()
        try:
            echo.ask('from the thread', timeout=0.2)
        except Pykka.Timeout as e:
            results.append(str(e))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(TIMEOUT)
    assert len(results) == 1 and 'not being run' in results[0]
    assert reply.get(TIMEOUT) == 'open'
    assert echo.ask('from main', timeout=TIMEOUT) == 'from main'
    assert set(threads_seen) == {threading.get_ident()}
    assert gatekeeper.ask('again', timeout=TIMEOUT) == 'open'
