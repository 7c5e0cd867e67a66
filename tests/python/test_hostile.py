# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile handlers and values (issue 12): every BaseException and
greenlet operation inside handlers, values whose dunders raise, __slots__
actors, unset GObject.Values, leaks counted with objects (weak refs, gc),
timeouts below 1 ms, interpreter exit and fork.

No test asserts a timing: every wait has a generous timeout, and the
subprocess tests only need to end well within it."""

import gc
import logging
import subprocess
import textwrap
import threading
import weakref

import greenlet

from gi.module import get_introspection_module
from gi.repository import GLib, GObject, Pykka

import pytest

from conftest import PYTHON, TIMEOUT, drain, iterate_until, python_env

C = get_introspection_module('Pykka')


def collect_until(predicate, timeout=TIMEOUT):
    """Collects garbage and runs the default context until predicate()."""
    def check():
        gc.collect()
        return predicate()
    iterate_until(check, timeout)


class Echo(Pykka.Actor):
    def on_receive(self, message):
        return message


class ThreadedEcho(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message


class CustomBase(BaseException):
    pass


def base_exceptions():
    return [SystemExit(3), KeyboardInterrupt(), GeneratorExit(),
            greenlet.GreenletExit(), CustomBase('custom')]


BASE_IDS = ['SystemExit', 'KeyboardInterrupt', 'GeneratorExit', 'GreenletExit', 'CustomBase']


class Raiser(Pykka.Actor):
    """Raises the exception it gets (after a suspension when asked to)."""

    def __init__(self, helper=None):
        super().__init__()
        self.helper = helper
        self.failures = []

    def on_receive(self, message):
        if message == 'failures':
            return self.failures
        if isinstance(message, tuple) and message[0] == 'suspend':
            assert self.helper.ask('hop', timeout=TIMEOUT) == 'hop'
            message = message[1]
        if isinstance(message, BaseException):
            raise message
        return message

    def on_failure(self, exception_type, exception_value, traceback):
        self.failures.append(exception_value)


class ThreadedRaiser(Raiser):
    use_own_thread = True


def assert_thread_still_serves(ref):
    """The actor and other Python actors of the main thread still answer
    asks and handle tells in order."""
    assert ref.ask('ping', timeout=TIMEOUT) == 'ping'
    other = Echo.start()
    try:
        for i in range(5):
            other.tell(i)
            assert other.ask(('after', i), timeout=TIMEOUT) == ('after', i)
    finally:
        other.stop(timeout=TIMEOUT)


# ---------------------------------------------------------------------------
# F2: actor classes with __slots__


class Slotted(Pykka.Actor):
    __slots__ = ('count', 'marker')

    def __init__(self, marker):
        super().__init__()
        self.count = 0
        self.marker = marker

    def on_receive(self, message):
        self.count += 1
        return (self.count, self.marker, self if message == 'self' else None)


class ThreadedSlotted(Slotted):
    __slots__ = ()
    use_own_thread = True


class TestSlots:
    @pytest.mark.parametrize('cls', [Slotted, ThreadedSlotted])
    def test_handler_self_is_the_constructed_object(self, cls):
        marker = object()
        constructed = cls(marker)
        alive = weakref.ref(constructed)
        ref = constructed.start()
        del constructed
        for i in range(1, 41):
            # Heap churn between asks.
            churn = [object() for _ in range(200)]
            del churn
            if i % 10 == 0:
                gc.collect()
            count, got_marker, handler_self = ref.ask('self', timeout=TIMEOUT)
            assert (count, got_marker) == (i, marker)
            assert handler_self is alive()
            del handler_self
        ref.stop(timeout=TIMEOUT)

    def test_slots_kept_when_started_by_the_class(self):
        marker = object()
        ref = Slotted.start(marker)
        for i in range(1, 21):
            gc.collect()
            assert ref.ask('x', timeout=TIMEOUT)[:2] == (i, marker)
        ref.stop(timeout=TIMEOUT)


# ---------------------------------------------------------------------------
# F3 and the other BaseExceptions raised by handlers


class Watcher(Pykka.Actor):
    """Records its on_stop, to see that a BaseException stops all actors."""

    def __init__(self, record):
        super().__init__()
        self.record = record

    def on_stop(self):
        self.record.append('stopped')


def assert_all_stopped(*refs):
    iterate_until(lambda: not any(ref.is_alive() for ref in refs))
    iterate_until(lambda: not Pykka.ActorRegistry.get_all())


class TestBaseExceptionsInHandlers:
    # Issue 14.1: as in Pykka, a BaseException that is not an Exception
    # kills the actor whose handler raised it (on_stop, not on_failure)
    # and stops every other actor; its asker gets ActorDeadError (Pykka's
    # would get nothing). The thread and the runtime go on.

    @pytest.mark.parametrize('suspend', [False, True], ids=['direct', 'suspended'])
    @pytest.mark.parametrize('index', range(5), ids=BASE_IDS)
    def test_asker_gets_actor_dead_and_every_actor_stops(self, index, suspend):
        exc = base_exceptions()[index]
        record = []
        watcher = Watcher.start(record)
        helper = Echo.start()
        ref = Raiser.start(helper)
        with pytest.raises(Pykka.ActorDeadError) as info:
            ref.ask(('suspend', exc) if suspend else exc, timeout=TIMEOUT)
        assert type(exc).__name__ in info.value.detail
        assert_all_stopped(ref, helper, watcher)
        assert record == ['stopped']
        with pytest.raises(Pykka.ActorDeadError):
            ref.tell('late')
        assert_thread_still_serves(Echo.start())

    @pytest.mark.parametrize('index', range(5), ids=BASE_IDS)
    def test_own_thread_actor_is_killed_and_the_process_goes_on(self, index):
        for suspend in (False, True):
            helper = ThreadedEcho.start()
            ref = ThreadedRaiser.start(helper)
            exc = base_exceptions()[index]
            with pytest.raises(Pykka.ActorDeadError):
                ref.ask(('suspend', exc) if suspend else exc, timeout=TIMEOUT)
            assert_all_stopped(ref, helper)
            fresh = ThreadedEcho.start()
            assert fresh.ask('ping', timeout=TIMEOUT) == 'ping'
            fresh.stop(timeout=TIMEOUT)

    @pytest.mark.parametrize('index', range(5), ids=BASE_IDS)
    def test_told_base_exception_runs_on_stop_not_on_failure(self, index):
        exc = base_exceptions()[index]
        record = []

        class Recording(Raiser):
            def on_failure(self, exception_type, exception_value, traceback):
                record.append(('failure', exception_value))

            def on_stop(self):
                record.append('on_stop')

        ref = Recording.start()
        queued = []
        ref.tell(exc)
        queued.append(ref.ask('queued', block=False))
        assert_all_stopped(ref)
        assert record == ['on_stop']
        with pytest.raises(Pykka.ActorDeadError):
            queued[0].get(TIMEOUT)
        assert_thread_still_serves(Echo.start())

    def test_an_exception_still_goes_to_the_asker_only(self):
        helper = Echo.start()
        ref = Raiser.start(helper)
        exc = ValueError('an Exception, not a BaseException')
        for message in (exc, ('suspend', exc)):
            with pytest.raises(ValueError) as info:
                ref.ask(message, timeout=TIMEOUT)
            assert info.value is exc
        assert ref.is_alive() and helper.is_alive()
        ref.stop(timeout=TIMEOUT)
        helper.stop(timeout=TIMEOUT)


# ---------------------------------------------------------------------------
# F17: greenlet operations on a suspended handler's worker


class Suspender(Pykka.Actor):
    """Suspends on an event; records the worker greenlet it runs in."""

    def __init__(self, event, workers):
        super().__init__()
        self.event = event
        self.workers = workers

    def on_receive(self, message):
        if message == 'wait':
            self.workers.append(greenlet.getcurrent())
            self.event.wait(TIMEOUT)
            return 'woke'
        return message


def suspended_worker(event):
    workers = []
    ref = Suspender.start(event, workers)
    future = ref.ask('wait', block=False)
    iterate_until(lambda: workers)
    drain()
    worker = workers.pop()
    assert not worker.dead and not future.is_done()
    return ref, future, worker


def assert_actor_goes_on(ref, event):
    from pykka_glib import _speedups

    assert ref.ask('ping', timeout=TIMEOUT) == 'ping'
    # The abandoned wait resumes nothing, and goes.
    event.set()
    drain()
    assert ref.ask('pong', timeout=TIMEOUT) == 'pong'
    assert ref.ask('wait', timeout=TIMEOUT) == 'woke'
    iterate_until(lambda: _speedups.n_waiters() == 0)
    assert_thread_still_serves(ref)
    # A Suspender keeps the workers it ran in (they go back to the pool):
    # stopped, it keeps them from later tests no more.
    ref.stop(timeout=TIMEOUT)


class TestGreenletOperations:
    def test_throw_ends_the_handler_with_the_exception(self):
        event = Pykka.Event()
        ref, future, worker = suspended_worker(event)
        exc = ValueError('thrown')
        worker.throw(exc)
        with pytest.raises(ValueError) as info:
            future.get(TIMEOUT)
        assert info.value is exc
        assert_actor_goes_on(ref, event)

    @pytest.mark.parametrize('exc', [greenlet.GreenletExit('killed'), KeyboardInterrupt(),
                                     CustomBase('thrown'), None],
                             ids=['GreenletExit', 'KeyboardInterrupt', 'CustomBase', 'bare'])
    def test_throwing_a_base_exception_kills_the_actor(self, exc):
        # The handler ends with a BaseException that is not an Exception (a
        # bare throw() is GreenletExit): as raised by the handler itself,
        # it kills the actor and stops the others (issue 14.1); the
        # abandoned wait resumes nothing.
        from pykka_glib import _speedups

        event = Pykka.Event()
        ref, future, worker = suspended_worker(event)
        if exc is None:
            worker.throw()
        else:
            worker.throw(exc)
        with pytest.raises(Pykka.ActorDeadError):
            future.get(TIMEOUT)
        assert_all_stopped(ref)
        event.set()
        drain()
        iterate_until(lambda: _speedups.n_waiters() == 0)
        assert_thread_still_serves(Echo.start())

    def test_throw_from_another_greenlet(self):
        event = Pykka.Event()
        ref, future, worker = suspended_worker(event)
        exc = ValueError('from a greenlet')
        done = []
        thrower = greenlet.greenlet(lambda: done.append(worker.throw(exc)))
        thrower.switch()
        assert thrower.dead and len(done) == 1
        with pytest.raises(ValueError) as info:
            future.get(TIMEOUT)
        assert info.value is exc
        assert_actor_goes_on(ref, event)

    def test_throw_from_another_actors_handler(self):
        event = Pykka.Event()
        ref, future, worker = suspended_worker(event)
        exc = ValueError('from a handler')
        # (Through a list emptied at the end: PyGObject keeps the class of
        # a registered GType for ever, and with it what its handler's
        # closure holds; the worker goes back to the pool and must not be
        # kept from later tests.)
        target = [worker, exc]

        class Thrower(Pykka.Actor):
            def on_receive(self, message):
                target[0].throw(target[1])
                return 'thrown'

        thrower = Thrower.start()
        assert thrower.ask('go', timeout=TIMEOUT) == 'thrown'
        with pytest.raises(ValueError) as info:
            future.get(TIMEOUT)
        assert info.value is exc
        assert_actor_goes_on(ref, event)
        thrower.stop(timeout=TIMEOUT)
        target.clear()

    def test_throw_makes_the_runtime_forget_the_wait_at_once(self):
        # The thrown-into handler goes on (here: catches and waits on an
        # event; thrown into from a handler, so that it may suspend again);
        # the runtime dropped its abandoned wait for B at once, the resume
        # and the wait-for edge A -> B included: when B later waits for A,
        # that is no cycle (a stale edge would make it DEADLOCK).
        from pykka_glib import _speedups

        gate = Pykka.Future()
        event = Pykka.Event()
        workers, seen, b_got = [], [], []

        class B(Pykka.Actor):
            def on_receive(self, message):
                gate.get(TIMEOUT)
                try:
                    b_got.append(a.ask('from b', timeout=TIMEOUT))
                except GLib.Error as error:
                    b_got.append(error.message)

        class A(Pykka.Actor):
            def on_receive(self, message):
                if message == 'from b':
                    return 'answer for b'
                workers.append(greenlet.getcurrent())
                try:
                    return b.ask('hold', timeout=TIMEOUT)
                except ValueError:
                    # B's wait on the gate is the only one left.
                    seen.append(_speedups.n_waiters())
                    event.wait(TIMEOUT)
                    return 'caught'

        b = B.start()
        a = A.start()
        future = a.ask('wait', block=False)
        iterate_until(lambda: workers)
        drain()
        worker = workers.pop()

        class Thrower(Pykka.Actor):
            def on_receive(self, message):
                worker.throw(ValueError('give up'))
                seen.append('thrown')

        # Told, so that it runs at the main loop depth A's handler ran at.
        thrower = Thrower.start()
        thrower.tell('go')
        iterate_until(lambda: 'thrown' in seen)
        assert seen == [1, 'thrown']
        gate.set('open')
        drain()
        event.set()
        assert future.get(TIMEOUT) == 'caught'
        iterate_until(lambda: b_got)
        assert b_got == ['answer for b']
        iterate_until(lambda: _speedups.n_waiters() == 0)
        thrower.stop(timeout=TIMEOUT)
        a.stop(timeout=TIMEOUT)
        b.stop(timeout=TIMEOUT)

    def test_switch_into_a_suspended_worker(self):
        event = Pykka.Event()
        ref, future, worker = suspended_worker(event)
        worker.switch('intruder')
        with pytest.raises(RuntimeError, match='switched into'):
            future.get(TIMEOUT)
        assert_actor_goes_on(ref, event)


# ---------------------------------------------------------------------------
# Hostile values: F9 (unset GObject.Value), F18 (__str__ raising), dunders


class Hostile:
    """Every dunder a careless layer might call raises."""

    def __str__(self):
        raise RuntimeError('__str__')

    def __repr__(self):
        raise RuntimeError('__repr__')

    def __eq__(self, other):
        raise RuntimeError('__eq__')

    def __hash__(self):
        raise RuntimeError('__hash__')

    def __bool__(self):
        raise RuntimeError('__bool__')


class BadStrError(Exception):
    def __str__(self):
        raise RuntimeError('no str for you')

    def __repr__(self):
        raise RuntimeError('no repr either')


class UnsetReplier(Pykka.Actor):
    def __init__(self, helper):
        super().__init__()
        self.helper = helper

    def on_receive(self, message):
        if message == 'suspend':
            self.helper.ask('hop', timeout=TIMEOUT)
        return GObject.Value()


class TestHostileValues:
    def test_unset_gvalue_as_message_or_future_value(self):
        ref = Echo.start()
        with pytest.raises(ValueError, match='unset'):
            ref.tell(GObject.Value())
        with pytest.raises(ValueError, match='unset'):
            ref.ask(GObject.Value(), timeout=TIMEOUT)
        with pytest.raises(ValueError, match='unset'):
            ref.ask(GObject.Value(), block=False)
        with pytest.raises(ValueError, match='unset'):
            Pykka.ActorRegistry.broadcast(GObject.Value())
        future = Pykka.Future()
        with pytest.raises(ValueError, match='unset'):
            future.set(GObject.Value())
        assert not future.is_done()
        future.set('later')
        assert future.get(TIMEOUT) == 'later'
        assert ref.ask('ping', timeout=TIMEOUT) == 'ping'

    @pytest.mark.parametrize('message', ['direct', 'suspend'])
    def test_unset_gvalue_as_reply(self, message):
        ref = UnsetReplier.start(Echo.start())
        with pytest.raises(ValueError, match='unset'):
            ref.ask(message, timeout=TIMEOUT)
        with pytest.raises(ValueError, match='unset'):
            ref.ask(message, block=False).get(TIMEOUT)
        # A C caller gets a failed future too, never one left pending.
        future = C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_STRING, message))
        with pytest.raises(GLib.Error) as info:
            C.Future.get(future, TIMEOUT * 1000)
        assert 'unset' in info.value.message
        assert ref.is_alive()

    @pytest.mark.parametrize('message', ['direct', 'suspend'])
    def test_exception_whose_str_raises_reaches_the_asker(self, message):
        exc = BadStrError('x')

        class Failing(Pykka.Actor):
            def __init__(self):
                super().__init__()
                self.helper = Echo.start()

            def on_receive(self, msg):
                if msg == 'suspend':
                    self.helper.ask('hop', timeout=TIMEOUT)
                raise exc

        ref = Failing.start()
        with pytest.raises(BadStrError) as info:
            ref.ask(message, timeout=TIMEOUT)
        assert info.value is exc
        with pytest.raises(BadStrError) as info:
            ref.ask(message, block=False).get(TIMEOUT)
        assert info.value is exc
        future = C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_STRING, message))
        with pytest.raises(GLib.Error) as info:
            C.Future.get(future, TIMEOUT * 1000)
        assert 'BadStrError' in info.value.message

    def test_future_set_exception_whose_str_raises(self):
        exc = BadStrError()
        future = Pykka.Future()
        future.set_exception(exc)
        with pytest.raises(BadStrError) as info:
            future.get(TIMEOUT)
        assert info.value is exc

    def test_hostile_objects_travel_as_themselves(self):
        hostile = Hostile()
        ref = Echo.start()
        assert ref.ask(hostile, timeout=TIMEOUT) is hostile
        assert ref.ask(hostile, block=False).get(TIMEOUT) is hostile
        ref.tell(hostile)
        Pykka.ActorRegistry.broadcast(hostile)
        future = Pykka.Future()
        future.set(hostile)
        assert future.get(TIMEOUT) is hostile
        assert ref.ask('ping', timeout=TIMEOUT) == 'ping'

    def test_hostile_exception_told_reaches_on_failure(self):
        exc = BadStrError()
        record = []

        class Recording(Raiser):
            def on_failure(self, exception_type, exception_value, traceback):
                record.append(exception_value)

        ref = Recording.start()
        ref.tell(exc)
        iterate_until(lambda: not ref.is_alive())
        assert record == [exc]


# ---------------------------------------------------------------------------
# F11: exceptions travel with their futures


class Canary:
    pass


class LocalsFailing(Pykka.Actor):
    """Raises with a canary in the handler's locals (kept by the
    traceback as long as the exception lives)."""

    def __init__(self, finalized):
        super().__init__()
        self.finalized = finalized

    def on_receive(self, message):
        canary = Canary()
        weakref.finalize(canary, self.finalized.append, message)
        raise ValueError('failed with a canary %r' % (message,))


class TestExceptionsTravelWithFutures:
    def test_more_than_1024_pending_failures_keep_their_exceptions(self):
        ref = Raiser.start()
        excs = [KeyError(i) for i in range(1100)]
        futures = [ref.ask(exc, block=False) for exc in excs]
        # Every failure is pending before the first is read.
        iterate_until(lambda: all(future.is_done() for future in futures))
        for exc, future in zip(excs, futures):
            with pytest.raises(KeyError) as info:
                future.get(TIMEOUT)
            assert info.value is exc

    def test_unread_failures_release_tracebacks_and_locals(self):
        finalized = []
        ref = LocalsFailing.start(finalized)
        n = 30
        futures = [ref.ask(i, block=False) for i in range(n)]
        futures += [C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_INT, n + i)) for i in range(n)]
        iterate_until(lambda: all(C.Future.is_done(f) for f in futures))
        assert finalized == []
        del futures
        collect_until(lambda: len(finalized) == 2 * n)

    def test_read_failures_are_released_with_their_future(self):
        finalized = []
        ref = LocalsFailing.start(finalized)
        future = ref.ask('read', block=False)
        with pytest.raises(ValueError):
            future.get(TIMEOUT)
        with pytest.raises(ValueError):
            ref.ask('sync', timeout=TIMEOUT)
        collect_until(lambda: 'sync' in finalized)
        assert 'read' not in finalized
        del future
        collect_until(lambda: 'read' in finalized)

    def test_set_exception_is_released_with_its_future(self):
        finalized = []
        exc = ValueError('never read')
        exc.canary = Canary()
        weakref.finalize(exc.canary, finalized.append, 'exc')
        future = Pykka.Future()
        future.set_exception(exc)
        del exc
        gc.collect()
        assert finalized == []
        del future
        collect_until(lambda: finalized == ['exc'])

    def test_equal_glib_errors_do_not_swap(self):
        def make(origin):
            exc = GLib.Error('same failure', 'my-test-domain', 5)
            exc.origin = origin
            return exc

        a, b = Raiser.start(), Raiser.start()
        exc_a, exc_b = make('a'), make('b')
        future_a = a.ask(exc_a, block=False)
        future_b = b.ask(exc_b, block=False)
        iterate_until(lambda: future_a.is_done() and future_b.is_done())
        for future, own, other in ((future_a, exc_a, exc_b), (future_b, exc_b, exc_a)):
            with pytest.raises(GLib.Error) as info:
                future.get(TIMEOUT)
            assert info.value is not other
            assert getattr(info.value, 'origin', None) != other.origin
            assert (info.value.domain, info.value.code, info.value.message) == \
                ('my-test-domain', 5, 'same failure')

    def test_told_failure_is_released_after_on_failure(self, monkeypatch):
        # (pytest's log capture would keep the logged record's exc_info.)
        monkeypatch.setattr(logging.getLogger('pykka'), 'propagate', False)
        finalized = []
        ref = LocalsFailing.start(finalized)
        ref.tell('told')
        iterate_until(lambda: not ref.is_alive())
        collect_until(lambda: finalized == ['told'])


# ---------------------------------------------------------------------------
# F19: BaseException in a ThreadingActor's on_start


class FailingStart(Pykka.ThreadingActor):
    def __init__(self, exc, local, finalized):
        super().__init__()
        self.exc = exc
        self.local = local
        self.finalized = finalized

    def on_start(self):
        # Lives in the thread state of the actor's thread.
        self.local.canary = Canary()
        weakref.finalize(self.local.canary, self.finalized.append, 1)
        raise self.exc


class TestOnStartBaseException:
    @pytest.mark.parametrize('index', [0, 1, 4], ids=['SystemExit', 'KeyboardInterrupt', 'CustomBase'])
    def test_thread_state_is_released(self, index):
        local = threading.local()
        finalized = []
        n = 10
        refs = [FailingStart.start(base_exceptions()[index], local, finalized) for _ in range(n)]
        iterate_until(lambda: not any(ref.is_alive() for ref in refs))
        collect_until(lambda: len(finalized) == n)
        assert_thread_still_serves(Echo.start())


# ---------------------------------------------------------------------------
# F22: timeouts below 1 ms


class TestSubMillisecondTimeouts:
    @pytest.mark.parametrize('timeout', [1e-9, 0.0001, 0.0009])
    def test_a_positive_timeout_waits(self, timeout):
        ref = Echo.start()
        # 0 would only look: the reply of an actor of this context is never
        # there before the context runs. A positive timeout (1 ms at least)
        # runs it; on a very slow machine (valgrind) a wait may still pass
        # its deadline before the handler starts, so some may time out.
        answered = 0
        for i in range(20):
            try:
                assert ref.ask(i, timeout=timeout) == i
                answered += 1
            except Pykka.Timeout:
                pass
        assert answered > 0
        with pytest.raises(Pykka.Timeout):
            ref.ask('looks only', timeout=0)

    @pytest.mark.parametrize('timeout', [1e-9, 0.0001])
    def test_a_positive_timeout_suspends_a_handler(self, timeout):
        class Waiter(Pykka.Actor):
            def on_receive(self, message):
                future = Pykka.Future()
                GLib.idle_add(lambda: future.set('set') and False)
                try:
                    return future.get(timeout)
                except Pykka.Timeout:
                    return 'timed out'

        ref = Waiter.start()
        # A wait that only looked would always time out.
        results = [ref.ask(i, timeout=TIMEOUT) for i in range(20)]
        assert 'set' in results

    def test_zero_and_negative_timeouts_only_look(self):
        for timeout in (0, -1, -0.5):
            with pytest.raises(Pykka.Timeout):
                Pykka.Future().get(timeout)


# ---------------------------------------------------------------------------
# F15: interpreter exit and fork


def run_script(body, timeout=TIMEOUT * 2):
    source = textwrap.dedent(PRELUDE) + textwrap.dedent(body)
    return subprocess.run([PYTHON, '-c', source], env=python_env(),
                          capture_output=True, text=True, timeout=timeout)


PRELUDE = '''
    import os, sys, time
    import gi
    gi.require_version('Pykka', '1.0')
    from gi.repository import Pykka

    class Stuck(Pykka.Actor):
        def on_receive(self, message):
            return Pykka.Event().wait()   # suspends for ever

    class ThreadedStuck(Stuck):
        use_own_thread = True

    class Echo(Pykka.ThreadingActor):
        def on_receive(self, message):
            return message
'''


class TestExitAndFork:
    def test_exit_has_one_overall_bound(self):
        result = run_script('''
            refs = [Stuck.start() for _ in range(3)] + [ThreadedStuck.start() for _ in range(2)]
            for ref in refs:
                ref.tell('wait')
            for ref in refs:
                ref.ask('probe', block=False)
            print('exiting', flush=True)
        ''')
        assert result.returncode == 0, result.stderr
        assert 'exiting' in result.stdout

    def test_forked_child_sees_parent_threads_actors_dead(self):
        result = run_script('''
            class MainEcho(Pykka.Actor):
                def on_receive(self, message):
                    return message

            threaded = [Echo.start() for _ in range(3)]
            main = MainEcho.start()
            assert [ref.ask(1, timeout=20) for ref in threaded] == [1, 1, 1]
            pid = os.fork()
            if pid == 0:
                outcomes = []
                for ref in threaded:
                    try:
                        ref.ask('x', timeout=5)
                        outcomes.append('answered')
                    except Pykka.ActorDeadError:
                        outcomes.append('dead')
                    except Pykka.Timeout:
                        outcomes.append('timeout')
                    try:
                        ref.tell('x')
                        outcomes.append('told')
                    except Pykka.ActorDeadError:
                        outcomes.append('dead')
                    outcomes.append(ref.is_alive())
                outcomes.append(main.ask('main', timeout=20))
                print('child', outcomes, flush=True)
                sys.exit(0)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.01)
            else:
                os.kill(pid, 9)
                print('child hung', flush=True)
                sys.exit(1)
            print('parent', [ref.ask(2, timeout=20) for ref in threaded], status, flush=True)
            # (Exit waits for ThreadingActors, as Pykka's; the child's exit
            # did not: they are dead there.)
            Pykka.ActorRegistry.stop_all()
        ''', timeout=TIMEOUT * 3)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "child ['dead', 'dead', False, 'dead', 'dead', False, 'dead', 'dead', False, 'main']" \
            in result.stdout, result.stdout + result.stderr
        assert 'parent [2, 2, 2] 0' in result.stdout
