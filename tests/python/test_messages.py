# SPDX-License-Identifier: LGPL-2.1-or-later
"""Messages and errors (issue 19) from Python: what crosses to an actor on
another thread shared, and the PYKKA_DEBUG=threads check; a proxy's
ActorDeadError is the ref's (same text, reason, urn and detail) for a
stopped, a failed and a never started actor; dispatching by type is
Python's own."""

import re
import subprocess
import textwrap

import pytest

from conftest import PYTHON, TIMEOUT, python_env

from gi.repository import GLib, Pykka

import pykka_glib

URN = r'urn:uuid:[0-9a-f-]{36}'

CROSSING = textwrap.dedent('''
    from gi.repository import GLib, GObject, Pykka
    import pykka_glib

    class Sink(pykka_glib.ThreadingActor):
        def on_receive(self, message):
            return message

    ref = Sink.start()
    shared = GObject.Object()
    items = [1, 2]
    print(ref.ask(shared) is shared, ref.ask(items) is items)
    ref.ask(GObject.Object())  # the same type again: no second warning
    ref.ask(GLib.Variant('(si)', ('n', 1)))
    ref.ask(Pykka.Future())
    ref.ask('text')
    ref.stop()
''')


class Echo(pykka_glib.Actor):
    def __init__(self):
        super().__init__()
        self.value = 1

    def method(self):
        return 2

    def on_receive(self, message):
        if message == 'raise':
            raise ValueError('boom')
        return message


def errors_of(ref, proxy):
    """The ActorDeadError of each way to reach the dead actor of @ref."""
    ways = {
        'tell': lambda: ref.tell('x'),
        'ask': lambda: ref.ask('x', timeout=TIMEOUT),
        'ask future': lambda: ref.ask('x', block=False).get(TIMEOUT),
        'proxy()': lambda: ref.proxy(),
    }
    if proxy is not None:
        ways.update({
            'proxy method': lambda: proxy.method().get(TIMEOUT),
            'proxy field': lambda: proxy.value.get(TIMEOUT),
            'proxy unknown attribute': lambda: proxy.unknown,
        })
    found = {}
    for name, way in ways.items():
        with pytest.raises(Pykka.ActorDeadError) as raised:
            way()
        found[name] = raised.value
    return found


def assert_all_alike(errors):
    first = errors['tell']
    for name, error in errors.items():
        assert (str(error), error.reason, error.actor_urn, error.detail) == \
            (str(first), first.reason, first.actor_urn, first.detail), name
        assert error.matches(Pykka.error_quark(), Pykka.Error.ACTOR_DEAD)
    return first


def test_proxy_dead_errors_match_the_ref_s_for_a_stopped_actor():
    ref = Echo.start()
    proxy = ref.proxy()
    ref.stop()
    error = assert_all_alike(errors_of(ref, proxy))
    assert str(error) == '%s not found' % (ref,)
    assert error.reason is None
    assert error.actor_urn == ref.actor_urn
    assert re.fullmatch(r'Actor .*Echo \(%s\) is dead' % URN, error.detail), error.detail


def test_proxy_dead_errors_match_the_ref_s_for_a_failed_actor():
    ref = Echo.start()
    proxy = ref.proxy()
    ref.tell('raise')
    assert ref.actor_stopped.wait(TIMEOUT)
    error = assert_all_alike(errors_of(ref, proxy))
    assert str(error) == '%s not found' % (ref,)
    assert 'ValueError: boom' in error.reason
    assert error.reason in error.detail


def test_never_started_says_so_and_how_to_start():
    actor = Echo()
    ref = actor.actor_ref
    with pytest.raises(Pykka.ActorDeadError) as raised:
        ref.tell('x')
    error = raised.value
    assert str(error) == '%s not found: it was never started (start it with Echo.start())' % (ref,)
    assert error.reason == 'it was never started'
    assert error.actor_urn == ref.actor_urn
    assert 'was never started' in error.detail and 'start()' in error.detail
    with pytest.raises(Pykka.ActorDeadError) as asked:
        ref.ask('x', timeout=TIMEOUT)
    assert str(asked.value) == str(error)
    with pytest.raises(GLib.Error) as checked:
        ref.check_alive()
    assert checked.value.message == error.detail


def test_stop_of_an_actor_whose_handler_waits_says_so():
    pending = Pykka.Future()

    class Busy(pykka_glib.Actor):
        def on_receive(self, message):
            return pending.get()

    ref = Busy.start()
    ref.ask('x', block=False)
    for wait, waiting in ((lambda: ref.ask('y', timeout=0.05), r'a reply from actor .*Busy \(%s\)' % URN),
                          (lambda: ref.stop(timeout=0.05), r'actor .*Busy \(%s\) to stop' % URN)):
        with pytest.raises(Pykka.Timeout) as raised:
            wait()
        assert re.fullmatch(r'Timed out after 50 ms waiting for ' + waiting + ': '
                            r'it is busy: its handler waits for a future, which is still pending and has no actor '
                            r'behind it \(whoever holds it must complete it\); it takes no other message, a stop '
                            r'neither, until then. Stop it at once with pykka_actor_ref_kill\(\) \(kill\(\) in '
                            r'Python, JavaScript and Vala\), which abandons the future',
                            str(raised.value)), str(raised.value)
    assert ref.is_alive()
    Pykka.ActorRef.kill(ref)
    assert ref.actor_stopped.wait(TIMEOUT)


def test_dispatch_by_type_is_python_s_own():
    class Typed(pykka_glib.Actor):
        def on_receive(self, message):
            match message:
                case int(n):
                    return n * 2
                case str(text):
                    return text.upper()
            raise TypeError(f'{self} has no handler for a {type(message).__name__}')

    ref = Typed.start()
    assert ref.ask(21, timeout=TIMEOUT) == 42
    assert ref.ask('hi', timeout=TIMEOUT) == 'HI'
    with pytest.raises(TypeError) as raised:
        ref.ask(2.5, timeout=TIMEOUT)
    assert re.fullmatch(r'Typed \(%s\) has no handler for a float' % URN, str(raised.value))
    assert ref.is_alive()


def run_crossing(**env):
    result = subprocess.run([PYTHON, '-c', CROSSING], env=python_env(**env),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split(), [line for line in result.stderr.splitlines() if 'PYKKA_DEBUG=threads' in line]


def test_objects_cross_threads_shared_and_the_check_warns_once():
    shared, warnings = run_crossing(PYKKA_DEBUG='threads')
    # A GObject and a Python object arrive as the very same object.
    assert shared == ['True', 'True']
    assert len(warnings) == 1, warnings
    assert re.search(r'a message of type GObject \(a GObject, shared by reference and not marked thread-safe\) '
                     r'crosses to actor .*Sink \(%s\), which runs on thread' % URN, warnings[0]), warnings[0]


def test_without_pykka_debug_nothing_is_checked():
    shared, warnings = run_crossing(PYKKA_DEBUG='')
    assert shared == ['True', 'True']
    assert warnings == []
