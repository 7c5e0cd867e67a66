# SPDX-License-Identifier: LGPL-2.1-or-later
"""asyncio on the GLib loop (issue 14, point 10): with gbulb's loop on
the main context, asyncio tasks await Pykka futures without blocking the
loop, async handlers await asyncio futures, and cancelling a task stops
its wait. Every wait is bounded (asyncio.wait_for, TIMEOUT)."""

import asyncio
import gc
import operator
import socket
import threading
import time
import weakref

from gi.repository import Gio, GLib, Pykka

import pytest

import pykka_glib.asyncio as pykka_asyncio
from pykka_glib import _speedups

from conftest import TIMEOUT, drain


def run(coroutine):
    """Runs @coroutine on a GLib asyncio loop of the main context, at most
    TIMEOUT seconds. (In a task, blocking calls such as ref.stop() would
    iterate the context while the other tasks wait: the tests await
    instead.)"""
    return pykka_asyncio.run(asyncio.wait_for(coroutine, TIMEOUT))


class Echo(Pykka.Actor):
    def on_receive(self, message):
        if isinstance(message, BaseException):
            raise message
        return message

    def double(self, value):
        return 2 * value


class Gated(Pykka.Actor):
    """Replies 'opened' once the future @gate is set; meanwhile the actor
    is suspended."""

    def __init__(self, gate):
        super().__init__()
        self.gate = gate
        self.handled = []

    def on_receive(self, message):
        self.handled.append(message)
        if message == 'wait':
            return self.gate.get(TIMEOUT)
        return message


@pytest.fixture(autouse=True)
def _nothing_left_behind():
    yield
    gc.collect()
    drain()
    assert _speedups.n_watches() == 0
    assert _speedups.n_waiters() == 0


# ---------------------------------------------------------------------------
# a) await a Pykka future in an asyncio task


def test_await_an_ask_and_a_proxy_call_in_a_task():
    async def main():
        ref = Echo.start()
        reply = await ref.ask('hello', block=False)
        doubled = await ref.proxy().double(21)
        await ref.stop(block=False)
        return reply, doubled

    assert run(main()) == ('hello', 42)


def test_the_loop_runs_while_a_task_awaits_an_ask():
    # The actor replies only once another task has run: a blocking get in
    # the awaiting task would stop the loop, and never end.
    gate = Pykka.Future()
    ticks = []

    async def opener():
        for i in range(3):
            await asyncio.sleep(0.01)
            ticks.append(i)
        gate.set('open')

    async def main():
        ref = Gated.start(gate)
        opening = asyncio.ensure_future(opener())
        reply = await ref.ask('wait', block=False)
        await opening
        return reply

    assert run(main()) == 'open'
    assert ticks == [0, 1, 2]


def test_await_does_not_poll():
    # A task waiting for a future completed 0.2 s later by a GLib timeout:
    # the loop schedules a handful of callbacks, not one per iteration.
    async def main():
        loop = asyncio.get_running_loop()
        scheduled = []
        call_soon = loop.call_soon

        def counting_call_soon(*args, **kwargs):
            scheduled.append(args[0])
            return call_soon(*args, **kwargs)

        loop.call_soon = counting_call_soon
        future = Pykka.Future()

        def complete():
            future.set('late')
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(200, complete)
        try:
            return await future, len(scheduled)
        finally:
            del loop.call_soon

    value, n_scheduled = run(main())
    assert value == 'late'
    assert n_scheduled < 10


def test_await_a_future_of_an_actor_on_its_own_thread():
    class Threaded(Pykka.ThreadingActor):
        def on_receive(self, message):
            time.sleep(0.05)
            return message.upper()

    async def main():
        ref = Threaded.start()
        try:
            return await asyncio.gather(*(ref.ask(word, block=False) for word in ('a', 'b')))
        finally:
            await ref.stop(block=False)

    assert run(main()) == ['A', 'B']


def test_errors_come_through_as_get_raises_them():
    async def main():
        ref = Echo.start()
        future = ref.ask(KeyError('missing'), block=False)
        with pytest.raises(KeyError) as awaited:
            await future
        with pytest.raises(KeyError) as got:
            future.get(0)
        dead = Echo.start()
        await dead.stop(block=False)
        with pytest.raises(Pykka.ActorDeadError):
            await dead.ask('anyone?', block=False)
        await ref.stop(block=False)
        # (The tracebacks hold this frame: it must let the future go,
        # whose error holds the exception.)
        del future
        return awaited.value, got.value

    awaited, got = run(main())
    assert awaited is got
    assert awaited.args == ('missing',)


def test_a_failure_with_stopiteration_is_a_runtime_error():
    async def main():
        future = Pykka.Future()
        GLib.idle_add(lambda: future.set_exception(StopIteration('odd')))
        with pytest.raises(RuntimeError) as raised:
            await future
        del future
        return raised.value

    error = run(main())
    assert isinstance(error.__cause__, StopIteration)


def test_wrap_future_gives_an_asyncio_future():
    async def main():
        ref = Echo.start()
        wrapped = pykka_asyncio.wrap_future(ref.ask('wrapped', block=False))
        assert isinstance(wrapped, asyncio.Future)
        done, _ = await asyncio.wait({wrapped}, timeout=TIMEOUT)
        await ref.stop(block=False)
        return done == {wrapped} and wrapped.result()

    assert run(main()) == 'wrapped'


def test_install_makes_asyncio_run_use_the_glib_loop_every_time():
    previous = pykka_asyncio.install()
    try:
        async def main():
            ref = Echo.start()
            try:
                return await ref.ask('installed', block=False)
            finally:
                await ref.stop(block=False)

        # gbulb's own policy would give the second loop a private context.
        assert asyncio.run(asyncio.wait_for(main(), TIMEOUT)) == 'installed'
        assert asyncio.run(asyncio.wait_for(main(), TIMEOUT)) == 'installed'
    finally:
        asyncio.set_event_loop_policy(previous)


def test_await_in_a_loop_without_glib_still_works_blocking():
    # asyncio's own loop does not run GLib: the await falls back to the
    # blocking get, which runs the main context's actors itself.
    async def main():
        ref = Echo.start()
        try:
            return await ref.ask('plain', block=False)
        finally:
            await ref.stop(block=False)

    assert asyncio.run(asyncio.wait_for(main(), TIMEOUT)) == 'plain'


# ---------------------------------------------------------------------------
# pykka_glib.asyncio's loop: call_soon() through one source


def test_call_soon_runs_in_order_and_skips_cancelled_callbacks():
    async def main():
        loop = asyncio.get_running_loop()
        ran = []
        done = loop.create_future()
        sources = len(loop._handlers)  # gbulb's timers (wait_for's)
        for i in range(5):
            handle = loop.call_soon(ran.append, i)
            if i == 2:
                handle.cancel()
        loop.call_soon(done.set_result, None)
        # gbulb made a GLib source (and PyGObject leaked its callback's
        # closure) per call; this loop queues them for one source.
        assert len(loop._handlers) == sources
        await done
        return ran

    assert run(main()) == [0, 1, 3, 4]


def test_call_soon_threadsafe_wakes_the_loop_from_another_thread():
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def other_thread():
            time.sleep(0.05)
            loop.call_soon_threadsafe(done.set_result, threading.current_thread().name)

        thread = threading.Thread(target=other_thread, name='waker')
        thread.start()
        try:
            return await asyncio.wait_for(done, TIMEOUT)
        finally:
            thread.join(TIMEOUT)

    assert run(main()) == 'waker'


def test_a_failing_callback_goes_to_the_exception_handler():
    errors = []

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: errors.append(context['exception']))
        loop.call_soon(operator.truediv, 1, 0)
        await asyncio.sleep(0.01)
        return True

    assert run(main())
    assert [type(e) for e in errors] == [ZeroDivisionError]


def test_a_closed_loop_calls_nothing_back():
    loop = pykka_asyncio.new_event_loop()
    loop.call_soon(pytest.fail, 'called after close')
    loop.close()
    loop.close()
    drain()


# ---------------------------------------------------------------------------
# b) async handlers await asyncio things


def test_an_async_handler_awaits_asyncio_sleep_and_another_actor():
    class Sleeper(Pykka.Actor):
        def __init__(self, echo):
            super().__init__()
            self.echo = echo

        async def on_receive(self, message):
            started = asyncio.get_running_loop().time()
            await asyncio.sleep(0.05)
            slept = asyncio.get_running_loop().time() - started
            reply = await self.echo.ask(message, block=False)
            return reply, slept >= 0.04

    async def main():
        echo = Echo.start()
        sleepers = [Sleeper.start(echo) for _ in range(3)]
        # The three sleep at once: each suspends only its own actor.
        replies = await asyncio.gather(*(s.ask(i, block=False) for i, s in enumerate(sleepers)))
        for ref in sleepers + [echo]:
            await ref.stop(block=False)
        return replies

    assert run(main()) == [(0, True), (1, True), (2, True)]


def test_an_async_handler_gets_an_asyncio_future_s_result_and_exception():
    futures = []

    class Awaiter(Pykka.Actor):
        async def on_receive(self, message):
            future = asyncio.get_running_loop().create_future()
            futures.append(future)
            try:
                return 'got %s' % (await future,)
            except LookupError as error:
                return 'failed %r' % (error,)

    async def main():
        ref = Awaiter.start()
        first = ref.ask(1, block=False)
        while not futures:
            await asyncio.sleep(0.005)
        assert not first.is_done()
        futures[0].set_result('value')
        assert await first == 'got value'
        second = ref.ask(2, block=False)
        while len(futures) < 2:
            await asyncio.sleep(0.005)
        futures[1].set_exception(KeyError('k'))
        reply = await second
        await ref.stop(block=False)
        return reply

    assert run(main()) == "failed KeyError('k')"


def test_an_async_handler_awaits_a_task_and_a_wait_for():
    class Planner(Pykka.Actor):
        async def on_receive(self, message):
            async def later():
                await asyncio.sleep(0.01)
                return message * 2

            doubled = await asyncio.get_running_loop().create_task(later())
            with_timeout = await asyncio.wait_for(later(), TIMEOUT)
            try:
                await asyncio.wait_for(asyncio.sleep(TIMEOUT), 0.01)
            except asyncio.TimeoutError:
                timed_out = True
            return doubled, with_timeout, timed_out

    async def main():
        ref = Planner.start()
        reply = await ref.ask(4, block=False)
        await ref.stop(block=False)
        return reply

    assert run(main()) == (8, 8, True)


def test_an_async_handler_uses_asyncio_streams():
    class Client(Pykka.Actor):
        async def on_receive(self, port):
            reader, writer = await asyncio.open_connection('127.0.0.1', port)
            writer.write(b'ping\n')
            await writer.drain()
            line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            return line.decode().strip()

    async def serve(reader, writer):
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(serve, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        ref = Client.start()
        try:
            return await ref.ask(port, block=False)
        finally:
            await ref.stop(block=False)
            server.close()
            await server.wait_closed()

    assert run(main()) == 'PING'


def test_an_async_handler_awaiting_asyncio_without_a_loop_fails_clearly():
    class NeedsLoop(Pykka.Actor):
        async def on_receive(self, loop):
            await loop.create_future()

    loop = pykka_asyncio.new_event_loop()
    try:
        ref = NeedsLoop.start()
        with pytest.raises(RuntimeError, match='no asyncio event loop runs on this thread'):
            ref.ask(loop, timeout=TIMEOUT)
        # asyncio's own functions say so too.

        class Sleeps(Pykka.Actor):
            async def on_receive(self, message):
                await asyncio.sleep(0.01)

        with pytest.raises(RuntimeError, match='no running event loop'):
            Sleeps.start().ask(None, timeout=TIMEOUT)
    finally:
        loop.close()


def test_an_async_handler_awaiting_asyncio_under_a_loop_without_glib_fails_clearly():
    class Sleeps(Pykka.Actor):
        async def on_receive(self, message):
            await asyncio.sleep(0.01)

    async def main():
        ref = Sleeps.start()
        try:
            with pytest.raises(RuntimeError, match='does not run a GLib main context'):
                await ref.ask(None, block=False)
        finally:
            await ref.stop(block=False)
        return True

    assert asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_a_kept_failure_of_an_async_handler_keeps_neither_its_worker_nor_its_actor():
    # The traceback of a failure that passed through the runtime's wait
    # holds that wait's frame: the frame must not hold the worker greenlet
    # (pooled and reused by later handlers: one that abandons it would
    # never be unwound, P33) nor the actor.
    import greenlet

    class Sleeps(Pykka.Actor):
        async def on_receive(self, message):
            await asyncio.sleep(0.01)

    kept = []

    async def main():
        ref = Sleeps.start()
        try:
            await ref.ask(None, block=False)
        except RuntimeError as exc:
            kept.append(exc)
        finally:
            await ref.stop(block=False)

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert kept and 'does not run a GLib main context' in str(kept[0])
    tb = kept[0].__traceback__
    names = []
    while tb is not None:
        frame = tb.tb_frame
        names.append(frame.f_code.co_name)
        for name, value in frame.f_locals.items():
            assert not isinstance(value, greenlet.greenlet), (frame.f_code.co_name, name)
            if 'tests' not in frame.f_code.co_filename:
                # (The handler's own frame holds its self, as in Pykka.)
                assert not isinstance(value, Pykka.Actor), (frame.f_code.co_name, name)
        tb = tb.tb_next
    assert '_wait_asyncio' in names


def test_an_actor_that_awaited_asyncio_is_finalized_after_stop():
    class Sleeper(Pykka.Actor):
        async def on_receive(self, message):
            await asyncio.sleep(0.01)
            return message

    async def main():
        ref = Sleeper.start()
        actor = weakref.ref(ref._actor)
        assert await ref.ask('once', block=False) == 'once'
        await ref.stop(block=False)
        return actor

    actor = run(main())
    for _ in range(10):
        if actor() is None:
            break
        gc.collect()
        drain()
    assert actor() is None


# ---------------------------------------------------------------------------
# c) cancelling a task that awaits an ask


def test_cancelling_a_task_stops_its_wait_at_once():
    gate = Pykka.Future()
    errors = []

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: errors.append(context))
        ref = Gated.start(gate)
        asked = ref.ask('wait', block=False)
        task = asyncio.ensure_future(_await(asked))
        await asyncio.sleep(0.01)
        assert _speedups.n_watches() == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, TIMEOUT)
        assert _speedups.n_watches() == 0
        # The ask goes on; when it is answered, nothing calls back into
        # the cancelled task's future.
        gate.set('late')
        for _ in range(5):
            await asyncio.sleep(0.01)
        assert asked.get(0) == 'late'
        await ref.stop(block=False)
        return task.cancelled()

    assert run(main())
    assert errors == []


async def _await(future):
    return await future


def test_cancelling_a_task_cancels_a_cancellable_ask():
    gate = Pykka.Future()

    async def main():
        ref = Gated.start(gate)
        blocker = ref.ask('wait', block=False)
        queued = ref.ask_cancellable('queued')
        task = asyncio.ensure_future(_await(queued))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, TIMEOUT)
        with pytest.raises(GLib.Error) as raised:
            queued.get(0)
        gate.set('opened')
        assert await blocker == 'opened'
        assert await ref.ask('after', block=False) == 'after'
        handled = ref.proxy().handled
        result = await handled
        await ref.stop(block=False)
        return raised.value, result

    error, handled = run(main())
    assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert handled == ['wait', 'after']


def test_a_running_handler_sees_the_cancelled_task_s_cancellation():
    gate = Pykka.Future()

    class Watchful(Pykka.Actor):
        def on_receive(self, message):
            gate.get(TIMEOUT)
            return self.get_current_cancellable().is_cancelled()

    async def main():
        ref = Watchful.start()
        asked = ref.ask_cancellable('watch')
        task = asyncio.ensure_future(_await(asked))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, TIMEOUT)
        gate.set(None)
        # The handler ran on: it answers, having seen the cancellation.
        seen = await asked
        await ref.stop(block=False)
        return seen

    assert run(main()) is True


def test_await_a_derived_future():
    async def main():
        ref = Echo.start()
        mapped = await ref.ask(4, block=False).map(lambda value: value * 10)
        joined = await ref.ask(1, block=False).join(ref.ask(2, block=False))
        await ref.stop(block=False)
        return mapped, joined

    assert run(main()) == (40, [1, 2])


def test_ask_cancellable_takes_any_message_and_a_given_cancellable():
    cancellable = Gio.Cancellable()

    async def main():
        ref = Echo.start()
        values = [await ref.ask_cancellable(message, cancellable)
                  for message in (None, 2 ** 40, {'a': 1})]
        await ref.stop(block=False)
        return values

    assert run(main()) == [None, 2 ** 40, {'a': 1}]
    assert not cancellable.is_cancelled()


def test_a_cancelled_wait_inside_a_handler_cancels_the_asyncio_future():
    # greenlet.throw() into a handler suspended on an asyncio future ends
    # the wait: the handler sees the exception, and the asyncio future is
    # cancelled as a cancelled Task's would be.
    awaited = []

    class Awaiter(Pykka.Actor):
        async def on_receive(self, message):
            future = asyncio.get_running_loop().create_future()
            awaited.append(future)
            try:
                await future
            except KeyError:
                return 'interrupted'

    async def main():
        ref = Awaiter.start()
        reply = ref.ask(None, block=False)
        while not awaited:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)
        workers = [g for g in gc.get_objects() if type(g).__name__ == '_Worker' and g.actor is not None]
        assert len(workers) == 1
        workers[0].throw(KeyError('stop'))
        result = await reply
        await ref.stop(block=False)
        return result

    assert run(main()) == 'interrupted'
    assert awaited[0].cancelled()


# ---------------------------------------------------------------------------
# d) the example server's pieces: a server whose connections talk to actors


def test_a_server_connection_asks_an_actor_per_line():
    async def main():
        echo = Echo.start()

        async def serve(reader, writer):
            while line := await reader.readline():
                reply = await echo.ask(line.decode().strip(), block=False)
                writer.write(('%s\n' % reply).encode())
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, '127.0.0.1', 0, family=socket.AF_INET)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        replies = []
        for word in ('one', 'two'):
            writer.write(('%s\n' % word).encode())
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        await echo.stop(block=False)
        return replies

    assert run(main()) == ['one', 'two']
