# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka compatibility (issue 14): actor_stopped, ActorDeadError texts,
ActorRegistry.register/unregister, Pykka's logging, pykka.messages, the
drop-in import pykka_glib.compat and Pykka's own examples run through it.

Where python3-pykka is installed, the tests compare with Pykka itself."""

import importlib.util
import logging
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import HERE, PYTHON, TIMEOUT, python_env

from gi.repository import GLib, Pykka

import pykka_glib
import pykka_glib.compat as compat
from pykka_glib.messages import ProxyCall, ProxyGetAttr, ProxySetAttr

PYKKA_DIST = '/usr/lib/python3/dist-packages'
HAVE_PYKKA = os.path.exists(os.path.join(PYKKA_DIST, 'pykka', '__init__.py'))
PYKKA_EXAMPLES = '/usr/share/doc/python3-pykka/examples'
PORTED = os.path.join(HERE, 'pykka_examples')
URN = r'urn:uuid:[0-9a-f-]{36}'


def real_pykka():
    """Pykka itself, imported under its own name (skips without it)."""
    if not HAVE_PYKKA:
        pytest.skip('python3-pykka is not installed')
    import pykka
    return pykka


class Recorder(logging.Handler):
    """Collects the records of the "pykka" logger, at DEBUG."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
        self.records_lock = threading.Lock()

    def emit(self, record):
        with self.records_lock:
            self.records.append(record)

    def at(self, level):
        with self.records_lock:
            return [r for r in self.records if r.levelno == level]

    def messages(self, level=None):
        with self.records_lock:
            return [r.getMessage() for r in self.records if level is None or r.levelno == level]


@pytest.fixture
def log():
    logger = logging.getLogger('pykka')
    recorder = Recorder()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(old_level)


class Echo(Pykka.Actor):
    value = 1

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_receive(self, message):
        self.seen.append(message)
        if message == 'raise':
            raise ValueError('boom')
        return message

    def add(self, a, b=0):
        return a + b

    def get_seen(self):
        return self.seen


class ThreadedEcho(Echo, Pykka.ThreadingActor):
    pass


class StoppedWaiter(Pykka.Actor):
    """Waits, in its handler, for another actor's actor_stopped."""

    def on_receive(self, ref):
        return ref.actor_stopped.wait(TIMEOUT)


# ---------------------------------------------------------------------------
# 3. actor_stopped


@pytest.mark.parametrize('cls', [Echo, ThreadedEcho])
def test_actor_stopped_is_set_once_the_actor_has_stopped(cls):
    actor = cls()
    assert not actor.actor_stopped.is_set()       # constructed, not started
    ref = actor.start()
    assert not ref.actor_stopped.is_set()
    assert not actor.actor_stopped.is_set()
    assert ref.actor_stopped.wait(0) is False
    assert ref.actor_stopped.wait(0.01) is False  # running: the wait ends unset
    ref.stop(block=False)
    assert ref.actor_stopped.wait(TIMEOUT) is True
    assert ref.actor_stopped.is_set() and ref.actor_stopped.isSet()
    assert actor.actor_stopped.is_set()
    assert not ref.is_alive()


def test_actor_stopped_after_a_failure():
    ref = ThreadedEcho.start()
    ref.tell('raise')
    assert ref.actor_stopped.wait(TIMEOUT) is True
    assert not ref.is_alive()


def test_actor_stopped_wait_on_another_thread():
    ref = ThreadedEcho.start()
    results = []
    waiter = threading.Thread(target=lambda: results.append(ref.actor_stopped.wait(TIMEOUT)))
    waiter.start()
    ref.stop()
    waiter.join(TIMEOUT)
    assert results == [True]


def test_actor_stopped_wait_in_a_handler_suspends_only_that_actor():
    # Both actors share the main context: the waiting handler must let the
    # other actor run its stop.
    target = Echo.start()
    waiter = StoppedWaiter.start()
    answer = waiter.ask(target, block=False)
    target.stop(block=False)
    assert answer.get(TIMEOUT) is True
    waiter.stop()


# ---------------------------------------------------------------------------
# 5. ActorDeadError texts


def test_dead_error_texts_are_pykkas():
    ref = Echo.start()
    ref.stop()
    text = '%s not found' % (ref,)
    assert re.fullmatch(r'Echo \(%s\) not found' % URN, text)
    with pytest.raises(Pykka.ActorDeadError) as tell_error:
        ref.tell('hello')
    with pytest.raises(Pykka.ActorDeadError) as ask_error:
        ref.ask('hello', timeout=TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError) as future_error:
        ref.ask('hello', block=False).get(TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError) as proxy_error:
        ref.proxy()
    for error in (tell_error.value, ask_error.value, future_error.value, proxy_error.value):
        assert str(error) == text
        assert error.reason is None                 # stopped, not failed
        assert error.actor_urn == ref.actor_urn
        assert isinstance(error, GLib.Error)
        assert error.matches(Pykka.error_quark(), Pykka.Error.ACTOR_DEAD)


def test_dead_error_keeps_the_reason_of_a_failure():
    ref = ThreadedEcho.start()
    ref.tell('raise')
    assert ref.actor_stopped.wait(TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError) as error:
        ref.tell('hello')
    assert str(error.value) == '%s not found' % (ref,)
    assert 'ValueError: boom' in error.value.reason
    assert error.value.reason == ref.dup_death_reason().message
    assert ref.actor_urn in error.value.detail


def test_dead_error_text_matches_pykka_itself():
    pykka = real_pykka()

    class ActorA(pykka.ThreadingActor):
        pass

    class ActorB(Pykka.Actor):
        pass

    theirs = ActorA.start()
    theirs.stop()
    ours = ActorB.start()
    ours.stop()
    with pytest.raises(pykka.ActorDeadError) as their_error:
        theirs.tell('x')
    with pytest.raises(Pykka.ActorDeadError) as our_error:
        ours.tell('x')
    shape = r'Actor[AB] \(%s\) not found' % URN
    assert re.fullmatch(shape, str(their_error.value)), str(their_error.value)
    assert re.fullmatch(shape, str(our_error.value)), str(our_error.value)


# ---------------------------------------------------------------------------
# 6. ActorRegistry.register() and unregister()


def test_unregister_and_register():
    registry = Pykka.ActorRegistry
    ref = Echo.start()
    other = ThreadedEcho.start()
    try:
        registry.unregister(ref)
        assert ref.is_alive()                          # still running
        assert ref not in registry.get_all() and other in registry.get_all()
        assert registry.get_by_urn(ref.actor_urn) is None
        assert ref not in registry.get_by_class(Echo)
        assert registry.get_by_class_name('Echo') == []
        registry.unregister(ref)                       # twice: not an error
        registry.broadcast('hello')
        assert other.proxy().get_seen().get(TIMEOUT) == ['hello']
        assert ref.proxy().get_seen().get(TIMEOUT) == []   # not told
        registry.register(ref)
        registry.register(ref)                         # listed once
        assert registry.get_all() == [ref, other]
        assert registry.get_by_urn(ref.actor_urn) == ref
        assert registry.get_by_class(Echo) == [ref, other]
    finally:
        registry.register(ref)
        registry.stop_all(timeout=TIMEOUT)


def test_register_a_dead_ref_lists_it_until_unregistered():
    registry = Pykka.ActorRegistry
    ref = Echo.start()
    ref.stop()
    assert registry.get_all() == []
    registry.register(ref)
    try:
        assert registry.get_all() == [ref]
        assert registry.get_by_class(Echo) == [ref]
        assert registry.stop_all(timeout=TIMEOUT) == [False]
    finally:
        registry.unregister(ref)
    assert registry.get_all() == []
    registry.unregister(ref)


def test_register_unregister_log_as_pykka(log):
    ref = Echo.start()
    Pykka.ActorRegistry.unregister(ref)
    Pykka.ActorRegistry.unregister(ref)
    Pykka.ActorRegistry.register(ref)
    assert log.messages(logging.DEBUG)[-3:] == [
        'Unregistered %s' % ref,
        'Unregistered %s (not found in registry)' % ref,
        'Registered %s' % ref,
    ]
    ref.stop()


# ---------------------------------------------------------------------------
# 7. Logging


def test_null_handler_on_the_pykka_logger():
    handlers = logging.getLogger('pykka').handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_no_traceback_on_stderr_without_logging_configured():
    script = (
        'import pykka_glib.compat as pykka\n'
        'class A(pykka.ThreadingActor):\n'
        '    def on_receive(self, message):\n'
        '        raise ValueError("boom")\n'
        'ref = A.start()\n'
        'ref.tell(1)\n'
        'assert ref.actor_stopped.wait(20)\n'
        'try:\n'
        '    A.start().ask(1)\n'
        'except ValueError:\n'
        '    pass\n'
        'pykka.ActorRegistry.stop_all()\n'
    )
    result = subprocess.run([PYTHON, '-c', script], env=python_env(G_MESSAGES_DEBUG=''),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Traceback' not in result.stderr, result.stderr


class Divider(Echo):
    def divide(self, a, b):
        return a / b


class ThreadedDivider(Divider, Pykka.ThreadingActor):
    pass


def test_exception_returned_to_caller_is_logged_at_info(log):
    ref = ThreadedDivider.start()
    with pytest.raises(ValueError):
        ref.ask('raise', timeout=TIMEOUT)
    with pytest.raises(ZeroDivisionError):
        ref.proxy().divide(1, 0).get(TIMEOUT)
    info = log.at(logging.INFO)
    assert [r.getMessage() for r in info] == ['Exception returned from %s to caller:' % ref] * 2
    assert info[0].exc_info[0] is ValueError and str(info[0].exc_info[1]) == 'boom'
    assert info[1].exc_info[0] is ZeroDivisionError
    assert info[0].name == 'pykka'
    assert ref.is_alive()
    ref.stop()


def test_unhandled_exception_of_a_tell_is_logged_at_error(log):
    ref = Echo.start()
    ref.tell('raise')
    assert ref.actor_stopped.wait(TIMEOUT)
    errors = log.at(logging.ERROR)
    assert [r.getMessage() for r in errors] == ['Unhandled exception in %s:' % ref]
    assert errors[0].exc_info[0] is ValueError


def test_unexpected_message_is_logged_at_warning(log):
    ref = Pykka.Actor.start()
    ref.ask({'unhandled': 'message'}, timeout=TIMEOUT)
    warnings = log.messages(logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].split(': ')[0] == 'Unexpected message received by %s' % ref
    ref.stop()


def test_lifecycle_is_logged_at_debug(log):
    ref = ThreadedEcho.start()
    ref.stop()
    assert log.messages(logging.DEBUG) == [
        'Registered %s' % ref,
        'Starting %s' % ref,
        'Unregistered %s' % ref,
        'Stopped %s' % ref,
    ]
    assert {r.name for r in log.records} == {'pykka'}


# ---------------------------------------------------------------------------
# 4. pykka.messages


def test_proxy_messages_sent_by_hand():
    ref = Divider.start()
    assert ref.ask(ProxyCall(attr_path=['add'], args=(1,), kwargs={'b': 2}), timeout=TIMEOUT) == 3
    assert ref.ask(ProxyCall(['add'], (40, 2), {}), timeout=TIMEOUT) == 42
    assert ref.ask(ProxyGetAttr(attr_path=['value']), timeout=TIMEOUT) == 1
    ref.tell(ProxySetAttr(attr_path=['value'], value=5))
    assert ref.ask(ProxySetAttr(['value'], 6), timeout=TIMEOUT) is None
    assert ref.ask(ProxyGetAttr(['value']), timeout=TIMEOUT) == 6
    ref.tell(ProxyCall(attr_path=['add'], args=(1, 1), kwargs={}))
    # on_receive saw none of them
    assert ref.ask('hello', timeout=TIMEOUT) == 'hello'
    assert ref.proxy().get_seen().get(TIMEOUT) == ['hello']
    ref.stop()


def test_message_shapes_are_pykkas():
    assert ProxyCall(['m'], (1,), {}) == (['m'], (1,), {})
    assert repr(ProxyGetAttr(('x',))) == "ProxyGetAttr(attr_path=('x',))"
    assert compat.messages is pykka_glib.messages
    assert Pykka.messages is pykka_glib.messages and Pykka.ProxyCall is ProxyCall
    pykka = real_pykka()
    import pykka.messages as theirs
    for name in ('ProxyCall', 'ProxyGetAttr', 'ProxySetAttr'):
        assert getattr(pykka_glib.messages, name)._fields == getattr(theirs, name)._fields


# ---------------------------------------------------------------------------
# 9. Drop-in import


def test_compat_has_every_public_name_of_pykka():
    names = ['Actor', 'ActorDeadError', 'ActorProxy', 'ActorRef', 'ActorRegistry', 'CallableProxy',
             'Future', 'ThreadingActor', 'ThreadingFuture', 'Timeout', 'get_all', 'traversable']
    if HAVE_PYKKA:
        names = sorted(set(names) | set(real_pykka().__all__))
    for name in names + ['messages', 'debug', '__version__']:
        assert getattr(compat, name) is getattr(pykka_glib, name), name
    for name in names:
        assert getattr(compat, name) is getattr(Pykka, name), name
    assert sorted(compat.__all__) == sorted(names)
    assert callable(compat.debug.log_thread_tracebacks)


def test_compat_never_shadows_pykka():
    script = (
        'import sys\n'
        'import pykka_glib.compat as pykka\n'
        'import pykka_glib\n'
        'pykka_glib.Actor, pykka_glib.messages\n'
        'assert "pykka" not in sys.modules, sorted(sys.modules)\n'
        'try:\n'
        '    import pykka as real\n'
        'except ImportError:\n'
        '    print("none")\n'
        'else:\n'
        '    assert real is not pykka and real.Actor is not pykka.Actor\n'
        '    print(real.__file__)\n'
    )
    result = subprocess.run([PYTHON, '-c', script], env=python_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    expected = os.path.join(PYKKA_DIST, 'pykka', '__init__.py') if HAVE_PYKKA else 'none'
    assert result.stdout.strip() == expected


def test_log_thread_tracebacks(log):
    compat.debug.log_thread_tracebacks('any', 'arguments')
    critical = log.messages(logging.CRITICAL)
    assert any(m.startswith('Current state of MainThread (ident: ') for m in critical)


def run_example(name):
    result = subprocess.run([PYTHON, os.path.join(PORTED, name)], env=python_env(),
                            capture_output=True, text=True, timeout=120, cwd=PORTED)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize('name', ['counter.py', 'plain_actor.py', 'typed_actor.py'])
def test_example_differs_from_pykkas_only_by_its_import(name):
    if not os.path.exists(os.path.join(PYKKA_EXAMPLES, name)):
        pytest.skip('python3-pykka does not ship its examples here')
    with open(os.path.join(PYKKA_EXAMPLES, name)) as f:
        original = f.read().splitlines()
    with open(os.path.join(PORTED, name)) as f:
        ported = f.read().splitlines()
    changed = [(a, b) for a, b in zip(original, ported) if a != b]
    assert len(original) == len(ported)
    assert changed == [('import pykka', 'import pykka_glib.compat as pykka')]


def test_pykka_example_plain_actor():
    assert run_example('plain_actor.py') == ["[{'no': 'Norway', 'se': 'Sweden'}, {'a': 3, 'b': 4, 'c': 5}]"]


def test_pykka_example_counter():
    lines = run_example('counter.py')
    assert len(lines) == 20
    for i in range(10):
        assert re.fullmatch(r'Adder \(%s\) is increasing %d' % (URN, i), lines[2 * i]), lines[2 * i]
        assert re.fullmatch(r'Bookkeeper \(%s\) got %d back' % (URN, i + 1), lines[2 * i + 1])


def test_pykka_example_typed_actor():
    # The actor's thread and the main thread print concurrently: count
    # the texts in the whole output rather than line by line.
    output = '\n'.join(run_example('typed_actor.py'))
    assert output.count(': this was printed by AnActor.proc()') == 3
    assert output.count('MainThread: this was returned by AnActor.func() after a delay') == 3
    assert output.count('MainThread: this is the value of AnActor.field') == 1
    assert output.count('MainThread: new value') == 5
    assert output.count('MainThread: calling AnActor.proc() ...') == 3


# ---------------------------------------------------------------------------
# 2. Order of the last hooks (not done: the runtime's, see the guide)


class HookProbe(Pykka.ThreadingActor):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def _look(self):
        ref = self.actor_ref
        try:
            ref.tell('to myself')
            told = 'sent'
        except Pykka.ActorDeadError:
            told = 'dead'
        self.seen.append((ref.is_alive(),
                          Pykka.ActorRegistry.get_by_urn(self.actor_urn) is not None,
                          ref in Pykka.ActorRegistry.get_all(),
                          self.actor_stopped.is_set(),
                          told))

    def on_stop(self):
        self._look()

    def on_failure(self, exc_type, exc_value, tb):
        self._look()

    def on_receive(self, message):
        if message == 'fail':
            raise ValueError('failing on purpose')


def test_in_on_stop_the_actor_is_already_unregistered():
    # Pykka's order: unregistered, actor_stopped set (is_alive() false),
    # then on_stop; a tell to itself there raises ActorDeadError.
    seen = []
    ref = HookProbe.start(seen)
    assert ref.stop() is True
    assert seen == [(False, False, False, True, 'dead')]


def test_in_on_failure_the_actor_is_already_unregistered():
    seen = []
    ref = HookProbe.start(seen)
    ref.tell('fail')
    assert ref.actor_stopped.wait(10)
    for _ in range(1000):
        if seen:
            break
        time.sleep(0.01)
    assert seen == [(False, False, False, True, 'dead')]


def test_importlib_finds_no_pykka_of_ours():
    # The compatibility module lives in pykka_glib only: no pykka.py, no
    # pykka/ package of this project on the path.
    spec = importlib.util.find_spec('pykka')
    if spec is not None:
        assert spec.origin == os.path.join(PYKKA_DIST, 'pykka', '__init__.py')


# 1. A BaseException that is not an Exception, raised by a handler: as in
# Pykka, the actor stops at once (on_stop, not on_failure), every other
# actor stops too; the asker gets ActorDeadError (Pykka's gets no answer).

class BaseExceptionActor(Pykka.ThreadingActor):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def on_receive(self, message):
        if message == 'wait then raise':
            blocker = Pykka.Future()
            blocker.set(1)
            blocker.get(timeout=TIMEOUT)
            raise SystemExit(7)
        if isinstance(message, type) and issubclass(message, BaseException):
            raise message()
        self.seen.append(message)
        return message

    def on_stop(self):
        self.seen.append('on_stop')

    def on_failure(self, *exc_info):
        self.seen.append('on_failure')


class Bystander(Pykka.Actor):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def on_stop(self):
        self.seen.append('bystander on_stop')


def _wait_until(predicate):
    # Iterates the default context: the bystander runs on it.
    context = GLib.MainContext.default()
    for _ in range(int(TIMEOUT * 100)):
        if predicate():
            return True
        while context.iteration(False):
            pass
        time.sleep(0.01)
    return predicate()


@pytest.mark.parametrize('exc_class', [SystemExit, KeyboardInterrupt, GeneratorExit])
def test_base_exception_in_told_handler_stops_all_actors(exc_class):
    seen, other = [], []
    ref = BaseExceptionActor.start(seen)
    bystander = Bystander.start(other)
    assert len(Pykka.ActorRegistry.get_all()) == 2
    ref.tell(exc_class)
    assert ref.actor_stopped.wait(TIMEOUT)
    assert _wait_until(lambda: not Pykka.ActorRegistry.get_all())
    assert _wait_until(lambda: not bystander.is_alive())
    # on_stop, not on_failure; the bystander stopped too (on_stop ran).
    assert _wait_until(lambda: 'on_stop' in seen)
    assert 'on_failure' not in seen
    assert _wait_until(lambda: other == ['bystander on_stop'])


def test_base_exception_in_asked_handler_kills_and_answers_dead():
    seen = []
    ref = BaseExceptionActor.start(seen)
    asked = ref.ask(SystemExit, block=False)
    queued = ref.ask('queued', block=False)
    with pytest.raises(Pykka.ActorDeadError):
        asked.get(timeout=TIMEOUT)
    # What was queued behind is not handled: it fails too.
    with pytest.raises(Pykka.ActorDeadError):
        queued.get(timeout=TIMEOUT)
    assert ref.actor_stopped.wait(TIMEOUT)
    assert not ref.is_alive()
    assert _wait_until(lambda: 'on_stop' in seen)
    assert seen == ['on_stop']
    with pytest.raises(Pykka.ActorDeadError):
        ref.tell('late')


def test_base_exception_after_a_suspension_kills_too():
    seen = []
    ref = BaseExceptionActor.start(seen)
    with pytest.raises(Pykka.ActorDeadError):
        ref.ask('wait then raise', timeout=TIMEOUT)
    assert ref.actor_stopped.wait(TIMEOUT)
    assert _wait_until(lambda: 'on_stop' in seen)
    assert 'on_failure' not in seen


def test_base_exception_is_not_logged_as_returned_to_caller(caplog):
    seen = []
    with caplog.at_level(logging.DEBUG, logger='pykka'):
        ref = BaseExceptionActor.start(seen)
        with pytest.raises(Pykka.ActorDeadError):
            ref.ask(SystemExit, timeout=TIMEOUT)
        assert ref.actor_stopped.wait(TIMEOUT)
    assert not [r for r in caplog.records if r.getMessage().startswith('Exception returned')]
    assert [r for r in caplog.records
            if r.levelno == logging.DEBUG and r.getMessage().startswith('SystemExit()')
            and r.getMessage().endswith('Stopping all actors.')]


def test_exception_still_goes_to_the_asker_and_the_actor_lives():
    seen = []
    ref = BaseExceptionActor.start(seen)
    with pytest.raises(ValueError):
        ref.ask(ValueError, timeout=TIMEOUT)
    assert ref.is_alive()
    assert ref.ask('still here', timeout=TIMEOUT) == 'still here'
    ref.stop()


# 8. Own-thread actors as Python threads, use_daemon_thread honoured.

class RegularActor(Pykka.ThreadingActor):
    def on_receive(self, message):
        current = threading.current_thread()
        logging.getLogger('pykka.test').info('in a handler')
        return (current.name, current.daemon, current.ident == threading.get_ident())


class DaemonActor(RegularActor):
    use_daemon_thread = True


def _actor_threads(prefix):
    return [t for t in threading.enumerate() if t.name.startswith(prefix + '-')]


def test_actor_thread_is_named_after_the_actor_class_and_not_daemonic_by_default():
    ref = RegularActor.start()
    name, daemon, same = ref.ask('who', timeout=TIMEOUT)
    assert re.fullmatch(r'RegularActor-\d+', name)
    assert daemon is False and same
    threads = _actor_threads('RegularActor')
    assert [t.name for t in threads] == [name]
    assert threads[0].daemon is False and threads[0].is_alive()
    assert threads[0].ident is not None and threads[0].ident != threading.get_ident()
    ref.stop()
    threads[0].join(TIMEOUT)
    assert not threads[0].is_alive()
    assert not _actor_threads('RegularActor')


def test_actor_thread_is_daemonic_if_use_daemon_thread_is_set():
    ref = DaemonActor.start()
    name, daemon, _ = ref.ask('who', timeout=TIMEOUT)
    assert name.startswith('DaemonActor-') and daemon is True
    assert [t.daemon for t in _actor_threads('DaemonActor')] == [True]
    ref.stop()


def test_log_records_of_a_handler_name_the_actor_thread(caplog):
    ref = RegularActor.start()
    with caplog.at_level(logging.INFO, logger='pykka.test'):
        name, _, _ = ref.ask('who', timeout=TIMEOUT)
    assert [r.threadName for r in caplog.records if r.name == 'pykka.test'] == [name]
    ref.stop()


def test_context_actors_get_no_thread_of_their_own():
    class OnContext(Pykka.Actor):
        def on_receive(self, message):
            return threading.current_thread().name

    before = {t.name for t in threading.enumerate()}
    ref = OnContext.start()
    assert ref.ask('who', timeout=TIMEOUT) == threading.current_thread().name
    assert {t.name for t in threading.enumerate()} == before
    ref.stop()


_EXIT_PRELUDE = '''
import sys, threading, time
import gi
gi.require_version('Pykka', '1.0')
from gi.repository import Pykka

class Lingering(Pykka.ThreadingActor):
    def on_stop(self):
        print('on_stop ran', flush=True)
'''


def _run(body):
    return subprocess.Popen([PYTHON, '-c', _EXIT_PRELUDE + body], env=python_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_exit_waits_for_a_non_daemon_actor_until_it_stops():
    # The main thread ends at once; a daemon thread stops the actor later:
    # the interpreter waits for that, as with Pykka's threads.
    proc = _run('''
ref = Lingering.start()
def later():
    time.sleep(0.3)
    print('stopping', flush=True)
    ref.stop()
threading.Thread(target=later, daemon=True).start()
print('main done', flush=True)
''')
    out, err = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 0, err
    assert out.splitlines() == ['main done', 'stopping', 'on_stop ran'], out + err


def test_exit_does_not_wait_for_a_daemon_actor():
    proc = _run('''
class Daemonic(Lingering):
    use_daemon_thread = True
Daemonic.start()
print('main done', flush=True)
''')
    out, err = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 0, err
    # The atexit hook stops it (Pykka's daemon threads just vanish).
    assert out.splitlines() == ['main done', 'on_stop ran'], out + err


def test_a_non_daemon_actor_nobody_stops_keeps_the_interpreter_alive():
    proc = _run('''
Lingering.start()
print('main done', flush=True)
''')
    try:
        assert proc.stdout.readline() == 'main done\n'
        # As Pykka's: still running after its main thread ended.
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
    finally:
        proc.kill()
        proc.communicate(timeout=TIMEOUT)
