# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka.Actor and Pykka.ActorRef from Python: construction, hooks,
tell/ask/stop, identity, failures, and plain scripts and main loops."""

import logging
import subprocess
import textwrap
import threading

from gi.repository import GLib, GObject, Pykka

import pytest

from conftest import PYTHON, TIMEOUT, drain, iterate_until, python_env


class Recorder(Pykka.Actor):
    """Records its life; class attributes collect what the hooks saw."""

    def __init__(self, log, *args, **kwargs):
        super().__init__()
        self.log = log
        self.log.append(('init', args, kwargs))

    def on_start(self):
        self.log.append('on_start')

    def on_stop(self):
        self.log.append('on_stop')

    def on_failure(self, exception_type, exception_value, traceback):
        self.log.append(('on_failure', exception_type, exception_value, traceback))

    def on_receive(self, message):
        self.log.append(('on_receive', message))
        if isinstance(message, Exception):
            raise message
        if message == 'stop yourself':
            self.stop()
        if message == 'who':
            return (self.actor_ref, self.actor_urn, str(self))
        return message


def test_start_passes_constructor_arguments():
    log = []
    ref = Recorder.start(log, 1, 2, key='value')
    assert isinstance(ref, Pykka.ActorRef)
    assert log[0] == ('init', (1, 2), {'key': 'value'})
    assert ref.ask('ping', timeout=TIMEOUT) == 'ping'
    assert log[1:] == ['on_start', ('on_receive', 'ping')]


def test_hooks_run_in_order():
    log = []
    ref = Recorder.start(log)
    ref.tell('a')
    ref.tell('b')
    assert ref.stop(timeout=TIMEOUT) is True
    assert log[1:] == ['on_start', ('on_receive', 'a'), ('on_receive', 'b'), 'on_stop']


def test_actor_ref_urn_and_str_inside_and_outside():
    ref = Recorder.start([])
    inner_ref, inner_urn, inner_str = ref.ask('who', timeout=TIMEOUT)
    assert inner_ref is ref
    assert inner_urn == ref.actor_urn
    assert ref.actor_urn.startswith('urn:uuid:')
    assert str(ref) == 'Recorder (%s)' % ref.actor_urn
    assert inner_str == str(ref)
    assert repr(ref) == '<ActorRef for Recorder (%s)>' % ref.actor_urn
    assert ref.actor_class is Recorder
    assert Pykka.ActorRef is type(ref)


def test_urns_are_unique():
    refs = [Recorder.start([]) for _ in range(50)]
    assert len({ref.actor_urn for ref in refs}) == 50


def test_self_stop():
    log = []
    ref = Recorder.start(log)
    ref.tell('stop yourself')
    iterate_until(lambda: not ref.is_alive())
    assert log[-1] == 'on_stop'


def test_stop_returns_whether_it_stopped():
    ref = Recorder.start([])
    assert ref.is_alive()
    assert ref.stop() is True
    assert not ref.is_alive()
    assert ref.stop() is False
    future = ref.stop(block=False)
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) is False


def test_stop_without_blocking():
    ref = Recorder.start([])
    future = ref.stop(block=False)
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) is True
    assert not ref.is_alive()


def test_tell_and_ask_a_dead_actor():
    ref = Recorder.start([])
    ref.stop(timeout=TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError):
        ref.tell('x')
    with pytest.raises(Pykka.ActorDeadError):
        ref.ask('x', timeout=TIMEOUT)
    future = ref.ask('x', block=False)
    with pytest.raises(Pykka.ActorDeadError):
        future.get(TIMEOUT)


def test_messages_queued_before_stop_are_handled_after_it_dead():
    log = []
    ref = Recorder.start(log)
    before = ref.ask('before', block=False)
    stopped = ref.stop(block=False)
    after = ref.ask('after', block=False)
    assert before.get(TIMEOUT) == 'before'
    assert stopped.get(TIMEOUT) is True
    with pytest.raises(Pykka.ActorDeadError):
        after.get(TIMEOUT)


def test_ask_returns_a_future_when_not_blocking():
    ref = Recorder.start([])
    future = ref.ask('x', block=False)
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) == 'x'


def test_ask_timeout_raises_timeout():
    release = Pykka.Event()

    class Slow(Pykka.Actor):
        def on_receive(self, message):
            return release.wait(TIMEOUT)   # suspends

    ref = Slow.start()
    with pytest.raises(Pykka.Timeout):
        ref.ask('x', timeout=0.05)
    release.set()
    assert ref.ask('y', timeout=TIMEOUT) is True


def test_exceptions_are_exceptions_and_glib_errors():
    for cls in (Pykka.Timeout, Pykka.ActorDeadError):
        assert issubclass(cls, Exception)
        assert issubclass(cls, GLib.Error)
    ref = Recorder.start([])
    ref.stop()
    with pytest.raises(GLib.Error) as info:
        ref.tell('x')
    assert info.value.domain == 'pykka-error-quark'
    assert info.value.code == Pykka.Error.ACTOR_DEAD
    with pytest.raises(GLib.Error) as info:
        Pykka.Future().get(0)
    assert info.value.code == Pykka.Error.TIMEOUT
    assert isinstance(info.value, Pykka.Timeout)


def test_ask_failure_keeps_the_actor_alive():
    log = []
    ref = Recorder.start(log)
    exc = RuntimeError('oops')
    with pytest.raises(RuntimeError) as info:
        ref.ask(exc, timeout=TIMEOUT)
    assert info.value is exc
    assert ref.is_alive()
    assert not any(isinstance(e, tuple) and e[0] == 'on_failure' for e in log)


def test_tell_failure_calls_on_failure_and_stops(caplog):
    log = []
    ref = Recorder.start(log)
    exc = ValueError('told failure')
    with caplog.at_level(logging.ERROR, logger='pykka'):
        ref.tell(exc)
        iterate_until(lambda: not ref.is_alive())
    name, exc_type, exc_value, traceback = log[-1]
    assert name == 'on_failure'
    assert exc_type is ValueError
    assert exc_value is exc
    assert traceback is exc.__traceback__ and traceback is not None
    assert 'on_stop' not in log
    assert any('Unhandled exception' in r.getMessage() for r in caplog.records)


def test_on_start_failure_stops_the_actor(caplog):
    class BadStart(Pykka.Actor):
        def on_start(self):
            raise RuntimeError('cannot start')

    with caplog.at_level(logging.ERROR, logger='pykka'):
        ref = BadStart.start()
        iterate_until(lambda: not ref.is_alive())
    assert any('Unhandled exception' in r.getMessage() for r in caplog.records)


def test_default_on_receive_warns(caplog):
    class Nothing(Pykka.Actor):
        pass

    with caplog.at_level(logging.WARNING, logger='pykka'):
        assert Nothing.start().ask('unexpected', timeout=TIMEOUT) is None
    assert any('Unexpected message' in r.getMessage() for r in caplog.records)


def test_async_on_receive():
    class Async(Pykka.Actor):
        async def on_receive(self, message):
            return message * 2

    assert Async.start().ask(21, timeout=TIMEOUT) == 42


def test_instance_start_and_no_restart():
    actor = Recorder([])
    ref = actor.start()
    assert ref is actor.actor_ref
    assert ref.ask('x', timeout=TIMEOUT) == 'x'
    with pytest.raises(GLib.Error):
        actor.start()


def test_subclass_of_subclass_gets_hooks():
    class Base(Pykka.Actor):
        def on_receive(self, message):
            return self.answer(message)

        def answer(self, message):
            return 'base'

    class Derived(Base):
        def answer(self, message):
            return 'derived'

    assert Base.start().ask(1, timeout=TIMEOUT) == 'base'
    ref = Derived.start()
    assert ref.ask(1, timeout=TIMEOUT) == 'derived'
    assert ref.actor_class is Derived


def test_classes_with_the_same_name_coexist():
    def make(value):
        class Same(Pykka.Actor):
            def on_receive(self, message):
                return value
        return Same

    a, b = make('a'), make('b')
    assert a.start().ask(0, timeout=TIMEOUT) == 'a'
    assert b.start().ask(0, timeout=TIMEOUT) == 'b'


def test_actor_runs_on_the_callers_thread_default_context():
    seen = []

    class Where(Pykka.Actor):
        def on_receive(self, message):
            seen.append(threading.get_ident())

    Where.start().ask(None, timeout=TIMEOUT)
    assert seen == [threading.get_ident()]

    # Started under another thread-default context: runs there.
    context = GLib.MainContext()
    context.push_thread_default()
    try:
        ref = Where.start()
        future = ref.ask(None, block=False)
        drain()  # the default context has nothing to do with it
        assert not future.is_done()
        iterate_until(future.is_done, context=context)
    finally:
        context.pop_thread_default()
    ref.stop(block=False)
    iterate_until(lambda: not ref.is_alive(), context=context)


def test_use_own_thread():
    class Own(Pykka.Actor):
        use_own_thread = True

        def on_receive(self, message):
            return threading.get_ident()

    ref = Own.start()
    assert ref.ask(None, timeout=TIMEOUT) != threading.get_ident()
    assert ref.dup_actor().get_use_own_thread()
    assert issubclass(Pykka.ThreadingActor, Pykka.Actor)
    assert Pykka.ThreadingActor.use_own_thread is True


def run_script(source):
    return subprocess.run([PYTHON, '-c', textwrap.dedent(source)], env=python_env(),
                          capture_output=True, text=True, timeout=120)


def test_plain_script_without_main_loop():
    result = run_script('''
        import gi
        gi.require_version("Pykka", "1.0")
        from gi.repository import Pykka

        class Adder(Pykka.Actor):
            def on_receive(self, message):
                return message + 1

        class Doubler(Pykka.ThreadingActor):
            def on_receive(self, message):
                return message * 2

        adder = Adder.start()
        doubler = Doubler.start()
        print(adder.ask(1), doubler.ask(adder.ask(2)))
        print(Pykka.ActorRegistry.stop_all())
    ''')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split('\n')[:2] == ['2 6', '[True, True]']


def test_application_running_a_main_loop():
    result = run_script('''
        import gi
        gi.require_version("Pykka", "1.0")
        from gi.repository import GLib, Pykka

        class Greeter(Pykka.Actor):
            def greet(self, name):
                return "Hello, %s" % name

        class Worker(Pykka.ThreadingActor):
            def work(self, n):
                return sum(range(n))

        loop = GLib.MainLoop()
        greeter = Greeter.start().proxy()
        worker = Worker.start().proxy()

        def on_idle():
            # A callback of the loop: get() iterates the loop's context.
            print(greeter.greet("loop").get(), worker.work(10).get())
            future = greeter.greet("async")
            def finish():
                Pykka.ActorRegistry.stop_all()
                loop.quit()
            def done(future, result):
                # May run inside the turn of the actor that answered:
                # block later, from a source of its own.
                print(future.get_finish(result))
                GLib.idle_add(finish)
            future.get_async(None, done)
            return GLib.SOURCE_REMOVE

        GLib.idle_add(on_idle)
        GLib.timeout_add_seconds(60, loop.quit)
        loop.run()
        print("alive:", len(Pykka.ActorRegistry.get_all()))
    ''')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split('\n')[:3] == ['Hello, loop 45', 'Hello, async', 'alive: 0']


def test_actors_left_running_are_stopped_at_exit():
    result = run_script('''
        import gi, time
        gi.require_version("Pykka", "1.0")
        from gi.repository import Pykka

        class Busy(Pykka.ThreadingActor):
            use_daemon_thread = True  # else exit waits for it, as in Pykka

            def on_receive(self, message):
                time.sleep(0.001)
                return message

        class Main(Pykka.Actor):
            def on_stop(self):
                print("main actor stopped")

        refs = [Busy.start() for _ in range(4)]
        Main.start()
        for ref in refs:
            ref.ask(0)
            for i in range(50):
                ref.tell(i)
        print("exiting")
    ''')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split('\n')[:2] == ['exiting', 'main actor stopped']


def test_lifecycle_observed_from_python_alive_started_and_death_reason():
    class Fragile(Pykka.Actor):
        def on_start(self):
            raise ValueError('no config')

    class Sturdy(Pykka.Actor):
        def on_receive(self, message):
            return message

    ref = Sturdy.start()
    assert ref.get_started().get(TIMEOUT) is True
    assert ref.props.alive
    seen = []
    ref.connect('notify::alive', lambda obj, pspec: seen.append((threading.get_ident(), obj.props.alive)))
    ref.stop()
    iterate_until(lambda: seen)
    assert seen == [(threading.get_ident(), False)]
    assert ref.dup_death_reason() is None

    fragile = Fragile.start()
    with pytest.raises(Exception):
        fragile.get_started().get(TIMEOUT)
    iterate_until(lambda: not fragile.is_alive())
    assert 'no config' in fragile.dup_death_reason().message


def test_a_cancelled_python_ask_is_never_handled():
    from gi.repository import Gio
    gate = threading.Event()
    handled = []

    class Slow(Pykka.ThreadingActor):
        def on_receive(self, message):
            handled.append(message)
            if message == 'block':
                gate.wait(TIMEOUT)
            return message

    ref = Slow.start()
    blocker = ref.ask('block', block=False)
    cancellable = Gio.Cancellable()
    queued = ref.ask_cancellable('queued', cancellable)
    cancellable.cancel()
    with pytest.raises(GLib.Error) as raised:
        queued.get(TIMEOUT)
    assert raised.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    gate.set()
    assert blocker.get(TIMEOUT) == 'block'
    assert ref.ask('after', timeout=TIMEOUT) == 'after'
    assert handled == ['block', 'after']


def test_the_main_context_s_time_budget_from_python():
    assert Pykka.context_get_time_budget(None) == 8000
    Pykka.context_set_time_budget(None, 3000)
    try:
        assert Pykka.context_get_time_budget(None) == 3000
    finally:
        Pykka.context_set_time_budget(None, 8000)
