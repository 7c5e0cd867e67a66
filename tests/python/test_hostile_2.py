# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python layer, second adversarial review (issue 18, session 5):
values that are no C value, boxed values kept past their message, greenlet
operations and deallocations inside handlers, objects going away in every
order, the same call from two threads, leaks counted with objects.

Each class is one defect of docs/reliability.md (P30...). No test asserts
a timing; every wait has a timeout."""

import gc
import threading
import weakref

import greenlet

from gi.module import get_introspection_module
from gi.repository import GLib, GObject, Pykka

import pytest

from conftest import TIMEOUT, drain, iterate_until

C = get_introspection_module('Pykka')


class Echo(Pykka.Actor):
    def on_receive(self, message):
        return message


class Keeper(Pykka.Actor):
    """Keeps every message it is told; 'kept' asks for them."""

    def __init__(self):
        super().__init__()
        self.kept = []

    def on_receive(self, message):
        if isinstance(message, str) and message == 'kept':
            return self.kept
        self.kept.append(message)
        return None


class Suspending(Pykka.Actor):
    """Replies with the message after a round trip to a helper (the reply
    then completes the handler's pending future)."""

    def __init__(self, helper):
        super().__init__()
        self.helper = helper

    def on_receive(self, message):
        self.helper.ask('hop', timeout=TIMEOUT)
        return message


def assert_all_alive(*refs):
    for ref in refs:
        assert ref.is_alive()
        assert ref.ask('ping', timeout=TIMEOUT) == 'ping'


def churn():
    """Allocates and frees boxed values and memory, so that a freed one is
    reused at once."""
    junk = [GLib.DateTime.new_utc(1999, 2, 2, 2, 2, 2) for _ in range(500)]
    junk += [GLib.Bytes.new(b'z' * 24) for _ in range(500)]
    del junk
    gc.collect()


# ---------------------------------------------------------------------------
# P30: a str that is no C string (a lone surrogate, an embedded NUL)


NOT_C_STRINGS = ['\udcff', 'caf\udce9.txt', 'a\x00b', '\x00', 'nul at the end\x00']


class TestStrThatIsNoCString:
    @pytest.mark.parametrize('text', NOT_C_STRINGS)
    def test_message_arrives_whole(self, text):
        ref = Keeper.start()
        ref.tell(text)
        assert ref.ask('kept', timeout=TIMEOUT) == [text]
        echo = Echo.start()
        assert echo.ask(text, timeout=TIMEOUT) == text
        assert echo.ask(text, block=False).get(TIMEOUT) == text

    @pytest.mark.parametrize('text', NOT_C_STRINGS)
    def test_future_value_and_suspended_reply(self, text):
        future = Pykka.Future()
        future.set(text)
        assert future.get(TIMEOUT) == text
        ref = Suspending.start(Echo.start())
        assert ref.ask(text, timeout=TIMEOUT) == text
        assert ref.ask(text, block=False).get(TIMEOUT) == text

    def test_broadcast(self):
        refs = [Keeper.start() for _ in range(2)]
        Pykka.ActorRegistry.broadcast('a\x00b', target_class=Keeper)
        for ref in refs:
            assert ref.ask('kept', timeout=TIMEOUT) == ['a\x00b']

    def test_plain_strings_still_reach_c_as_strings(self):
        ref = Echo.start()
        future = C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_STRING, 'plain'))
        assert C.Future.get(future, TIMEOUT * 1000) == 'plain'


# ---------------------------------------------------------------------------
# P31: boxed values kept after their message or future is gone


def boxed_values(i):
    return [GLib.DateTime.new_utc(2000 + i, 1, 2, 3, 4, 5),
            GLib.Bytes.new(b'bytes %d' % i),
            GObject.Value(GLib.DateTime, GLib.DateTime.new_utc(2100 + i, 1, 1, 0, 0, 0))]


def plain(value):
    if isinstance(value, GLib.DateTime):
        return value.format_iso8601()
    if isinstance(value, GLib.Bytes):
        return value.get_data()
    return value


EXPECTED_BOXED = [['%d-01-02T03:04:05Z' % (2000 + i), b'bytes %d' % i,
                   '%d-01-01T00:00:00Z' % (2100 + i)] for i in range(3)]


class TestBoxedValuesOutliveTheirCarrier:
    def test_messages_kept_by_the_handler(self):
        ref = Keeper.start()
        for i in range(3):
            for value in boxed_values(i):
                ref.tell(value)
        churn()
        kept = ref.ask('kept', timeout=TIMEOUT)
        churn()
        assert [plain(v) for v in kept] == sum(EXPECTED_BOXED, [])

    def test_future_value_after_the_future_is_gone(self):
        values = []
        for i in range(3):
            for value in boxed_values(i):
                future = Pykka.Future()
                future.set(value)
                values.append(future.get(TIMEOUT))
                del future
        churn()
        assert [plain(v) for v in values] == sum(EXPECTED_BOXED, [])

    def test_suspended_reply_after_the_future_is_gone(self):
        ref = Suspending.start(Echo.start())
        values = [ref.ask(value, block=False).get(TIMEOUT)
                  for i in range(3) for value in boxed_values(i)]
        gc.collect()
        churn()
        assert [plain(v) for v in values] == sum(EXPECTED_BOXED, [])

    def test_own_thread_actor_reply(self):
        class Threaded(Pykka.ThreadingActor):
            def __init__(self, helper):
                super().__init__()
                self.helper = helper

            def on_receive(self, message):
                # A suspension: the reply is a boxed GValue of the future.
                self.helper.ask('hop', timeout=TIMEOUT)
                return message

        ref = Threaded.start(Echo.start())
        values = [ref.ask(value, timeout=TIMEOUT) for i in range(3) for value in boxed_values(i)]
        churn()
        assert [plain(v) for v in values] == sum(EXPECTED_BOXED, [])


# ---------------------------------------------------------------------------
# P32: a GObject.Value of an abstract type


class TestAbstractGValue:
    def test_refused_with_value_error(self):
        ref = Echo.start()
        odd = GObject.Value(GObject.TYPE_ENUM)
        with pytest.raises(ValueError, match='abstract'):
            ref.tell(odd)
        with pytest.raises(ValueError, match='abstract'):
            ref.ask(odd, timeout=TIMEOUT)
        with pytest.raises(ValueError, match='abstract'):
            ref.ask(odd, block=False)
        future = Pykka.Future()
        with pytest.raises(ValueError, match='abstract'):
            future.set(odd)
        assert not future.is_done()
        assert_all_alive(ref)

    def test_as_a_reply_is_the_handlers_failure(self):
        class Odd(Pykka.Actor):
            def on_receive(self, message):
                return GObject.Value(GObject.TYPE_FLAGS)

        ref = Odd.start()
        with pytest.raises(ValueError, match='abstract'):
            ref.ask('x', timeout=TIMEOUT)
        assert ref.is_alive()


# ---------------------------------------------------------------------------
# P33: a handler switching out of its worker; a worker deallocated while
# its handler is suspended


class ParentSwitcher(Pykka.Actor):
    def __init__(self, helper=None):
        super().__init__()
        self.helper = helper
        self.unwound = []

    def on_receive(self, message):
        if message == 'unwound':
            return self.unwound
        if message in ('parent', 'parent after suspension'):
            if message == 'parent after suspension':
                self.helper.ask('hop', timeout=TIMEOUT)
            try:
                greenlet.getcurrent().parent.switch('escaped')
            finally:
                self.unwound.append(message)
            return 'never'
        return message


class TestHandlerSwitchesOut:
    @pytest.mark.parametrize('message', ['parent', 'parent after suspension'])
    def test_asker_gets_runtime_error_and_nothing_else_stops(self, message):
        helper = Echo.start()
        bystander = Echo.start()
        ref = ParentSwitcher.start(helper)
        with pytest.raises(RuntimeError, match='switched out'):
            ref.ask(message, timeout=TIMEOUT)
        gc.collect()
        drain()
        assert_all_alive(ref, helper, bystander)
        # The abandoned handler was unwound (its worker's GreenletExit).
        iterate_until(lambda: ref.ask('unwound', timeout=TIMEOUT) == [message])
        with pytest.raises(RuntimeError, match='switched out'):
            ref.ask(message, block=False).get(TIMEOUT)
        assert_all_alive(ref, helper, bystander)

    def test_killed_while_suspended_stops_nobody_else(self):
        gate = Pykka.Future()
        started = []

        class Waiting(Pykka.Actor):
            def on_receive(self, message):
                started.append(message)
                return gate.get(TIMEOUT)

        bystander = Echo.start()
        ref = Waiting.start()
        future = ref.ask('wait', block=False)
        iterate_until(lambda: started)
        C.Actor.kill(ref._actor, GLib.Error('killed by the test'))
        with pytest.raises(Pykka.ActorDeadError):
            future.get(TIMEOUT)
        gc.collect()
        drain()
        assert not ref.is_alive()
        assert_all_alive(bystander)
        assert Pykka.ActorRegistry.get_all() == [bystander]
        gate.set('late')
        drain()
        assert_all_alive(bystander)



# ---------------------------------------------------------------------------
# P34: two threads starting the same ThreadingActor at once


class Threaded(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message


def start_from_two_threads(actor):
    """actor.start() from two threads at once; the errors of the loser."""
    barrier = threading.Barrier(2)
    errors = []

    def start():
        barrier.wait(TIMEOUT)
        try:
            actor.start()
        except GLib.Error as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    return errors


class TestConcurrentStart:
    def test_one_start_wins_and_no_exit_hold_is_left(self):
        from pykka_glib import _actor

        for _ in range(20):
            actor = Threaded()
            errors = start_from_two_threads(actor)
            assert len(errors) == 1
            assert actor.actor_ref.ask('ping', timeout=TIMEOUT) == 'ping'
            # A start after the race fails too, and leaves no hold either.
            with pytest.raises(GLib.Error):
                actor.start()
            assert actor.actor_ref.stop(timeout=TIMEOUT) is True
            thread_of_actor = [t for t in threading.enumerate() if t.name.startswith('Threaded-')]
            for thread in thread_of_actor:
                thread.join(TIMEOUT)
        assert not any(hold.locked() for hold in _actor._exit_holds)
        assert not _actor._exit_holds

    def test_the_interpreter_exits(self):
        import subprocess
        import textwrap

        from conftest import PYTHON, python_env

        script = textwrap.dedent('''
            import threading
            import gi
            gi.require_version('Pykka', '1.0')
            from gi.repository import Pykka

            class Threaded(Pykka.ThreadingActor):
                def on_receive(self, message):
                    return message

            for _ in range(10):
                actor = Threaded()
                barrier = threading.Barrier(2)

                def start():
                    barrier.wait(20)
                    try:
                        actor.start()
                    except Exception:
                        pass

                threads = [threading.Thread(target=start) for _ in range(2)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(20)
                actor.actor_ref.stop(timeout=20)
            print('done', flush=True)
        ''')
        result = subprocess.run([PYTHON, '-c', script], env=python_env(), capture_output=True,
                                text=True, timeout=TIMEOUT * 3)
        assert result.returncode == 0, result.stderr
        assert result.stdout == 'done\n'


# ---------------------------------------------------------------------------
# P35: a blocking stop of its own actor in on_stop or on_failure


class StopsItselfAgain(Pykka.Actor):
    def __init__(self, record, how):
        super().__init__()
        self.record = record
        self.how = how

    def stop_again(self, hook):
        try:
            if self.how == 'ref':
                self.record.append((hook, self.actor_ref.stop(timeout=TIMEOUT)))
            else:
                self.record.append((hook, Pykka.ActorRegistry.stop_all(timeout=TIMEOUT)))
        except Exception as exc:
            self.record.append((hook, exc))

    def on_stop(self):
        self.stop_again('on_stop')

    def on_failure(self, exception_type, exception_value, traceback):
        self.stop_again('on_failure')

    def on_receive(self, message):
        if message == 'fail':
            raise ValueError('told to fail')
        return message


class TestStopItselfInStopHooks:
    @pytest.mark.parametrize('how', ['ref', 'stop_all'])
    def test_on_stop(self, how):
        record = []
        ref = StopsItselfAgain.start(record, how)
        assert ref.stop(timeout=TIMEOUT) is True
        assert record == [('on_stop', False if how == 'ref' else [])]

    @pytest.mark.parametrize('how', ['ref', 'stop_all'])
    def test_on_failure(self, how):
        record = []
        ref = StopsItselfAgain.start(record, how)
        ref.tell('fail')
        iterate_until(lambda: record)
        assert record == [('on_failure', False if how == 'ref' else [])]
        assert not ref.is_alive()

    def test_another_actor_stopped_from_on_stop(self):
        other = Echo.start()
        record = []

        class StopsOther(Pykka.Actor):
            def on_stop(self):
                record.append(other.stop(timeout=TIMEOUT))

        assert StopsOther.start().stop(timeout=TIMEOUT) is True
        assert record == [True]
        assert not other.is_alive()


# ---------------------------------------------------------------------------
# P36: a new worker kept its first actor and message for its whole life


class Finalized:
    """A message whose end is recorded."""

    def __init__(self, record, name):
        weakref.finalize(self, record.append, name)


class TestWorkersKeepNoFirstHandler:
    @pytest.mark.parametrize('how', ['ask', 'tell', 'suspend'])
    def test_first_actor_and_message_are_released(self, how):
        from pykka_glib import _speedups

        record = []

        class Recorded(Pykka.Actor):
            def __init__(self, helper):
                super().__init__()
                self.helper = helper
                weakref.finalize(self, record.append, 'actor')

            def on_receive(self, message):
                if how == 'suspend':
                    self.helper.ask('hop', timeout=TIMEOUT)
                return None

        helper = Echo.start()
        # Every handler below runs in a new worker of this thread.
        idle = _speedups.take_worker_pool()
        try:
            ref = Recorded.start(helper)
            if how == 'tell':
                ref.tell(Finalized(record, 'message'))
            else:
                ref.ask(Finalized(record, 'message'), timeout=TIMEOUT)
            assert ref.stop(timeout=TIMEOUT) is True
            del ref
            iterate_until(lambda: gc.collect() is not None and len(record) == 2)
            assert sorted(record) == ['actor', 'message']
            # The new workers went to the pool and still serve.
            assert len(_speedups.take_worker_pool()) >= 1
            assert helper.ask('ping', timeout=TIMEOUT) == 'ping'
        finally:
            del idle
            gc.collect()
            drain()


# ---------------------------------------------------------------------------
# P37: asyncio's CancelledError ending an async handler


class AwaitsCancelled(Pykka.Actor):
    def __init__(self, record):
        super().__init__()
        self.record = record

    async def on_receive(self, message):
        import asyncio

        loop = asyncio.get_running_loop()
        if message == 'future':
            awaited = loop.create_future()
            loop.call_soon(awaited.cancel)
        else:
            awaited = loop.create_task(asyncio.sleep(TIMEOUT * 10))
            loop.call_soon(awaited.cancel)
        return await awaited

    def on_failure(self, exception_type, exception_value, traceback):
        self.record.append(exception_type.__name__)


class TestCancelledErrorInAsyncHandler:
    @pytest.mark.parametrize('what', ['future', 'task'])
    def test_asker_gets_it_and_nothing_stops(self, what):
        import asyncio

        import pykka_glib.asyncio as pykka_asyncio

        record = []

        async def main():
            bystander = Echo.start()
            ref = AwaitsCancelled.start(record)
            try:
                await ref.ask(what, block=False)
            except asyncio.CancelledError as exc:
                outcome = type(exc).__name__
            alive = [ref.is_alive(), bystander.is_alive(),
                     await bystander.ask('ping', block=False)]
            # Told: on_failure, as for an Exception; only that actor stops.
            ref.tell(what)
            while ref.is_alive():
                await asyncio.sleep(0.001)
            alive.append(bystander.is_alive())
            await bystander.stop(block=False)
            return outcome, alive

        outcome, alive = pykka_asyncio.run(asyncio.wait_for(main(), TIMEOUT))
        assert outcome == 'CancelledError'
        assert alive == [True, True, 'ping', True]
        assert record == ['CancelledError']


# ---------------------------------------------------------------------------
# P38: GObjects whose wrapper has no instance dict


class SlottedObject(GObject.Object):
    __slots__ = ('tag',)

    def __init__(self, tag):
        super().__init__()
        self.tag = tag


class TestGObjectsArriveAsThemselves:
    def test_slotted_gobject_message_kept_by_the_handler(self):
        ref = Keeper.start()
        for i in range(3):
            ref.tell(SlottedObject(i))
        gc.collect()
        kept = ref.ask('kept', timeout=TIMEOUT)
        assert [obj.tag for obj in kept] == [0, 1, 2]
        del kept
        gc.collect()

    def test_identity_as_message_reply_and_future_value(self):
        class Replier(Pykka.Actor):
            def __init__(self, helper):
                super().__init__()
                self.helper = helper

            def on_receive(self, message):
                if message == 'suspend':
                    self.helper.ask('hop', timeout=TIMEOUT)
                return SlottedObject(message)

        echo = Echo.start()
        for obj in (SlottedObject('sent'), GObject.Object()):
            assert echo.ask(obj, timeout=TIMEOUT) is obj
            assert echo.ask(obj, block=False).get(TIMEOUT) is obj
            future = Pykka.Future()
            future.set(obj)
            assert future.get(TIMEOUT) is obj
        ref = Replier.start(echo)
        for how in ('direct', 'suspend'):
            reply = ref.ask(how, timeout=TIMEOUT)
            gc.collect()
            assert reply.tag == how
        gc.collect()


# ---------------------------------------------------------------------------
# P39: traversable attributes that form a cycle


class Node:
    pykka_traversable = True

    def __init__(self, name):
        self.name = name
        self.value = 'value of ' + name

    def hello(self):
        return 'hello from ' + self.name


class Cyclic(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.a = Node('a')
        self.b = Node('b')
        self.a.peer = self.b
        self.b.peer = self.a
        self.a.itself = self.a
        self.plain = 3


class TestTraversableCycles:
    def test_proxy_is_made_and_every_path_works(self):
        # Each proxy is made on a thread of its own, so that a hang fails
        # the test instead of blocking it.
        ref = Cyclic.start()
        proxies = []
        thread = threading.Thread(target=lambda: proxies.append(ref.proxy()), daemon=True)
        thread.start()
        thread.join(TIMEOUT)
        assert proxies, 'making the proxy did not end'
        proxy = proxies[0]
        assert proxy.a.hello().get(TIMEOUT) == 'hello from a'
        assert proxy.a.peer.hello().get(TIMEOUT) == 'hello from b'
        assert proxy.a.peer.peer.hello().get(TIMEOUT) == 'hello from a'
        assert proxy.b.peer.itself.itself.peer.value.get(TIMEOUT) == 'value of b'
        assert proxy.plain.get(TIMEOUT) == 3
        with pytest.raises(AttributeError):
            proxy.a.peer.peer.missing
        with pytest.raises(AttributeError):
            proxy.a.peer._private
        # Not traversable: no nested proxy below a plain value.
        with pytest.raises(AttributeError):
            proxy.plain.real
