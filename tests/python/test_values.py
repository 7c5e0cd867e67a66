# SPDX-License-Identifier: LGPL-2.1-or-later
"""Any Python value is a valid message and reply, and arrives as itself;
exceptions cross to Python callers as themselves and to C callers as
GErrors with their text."""

import enum
import fractions

from gi.module import get_introspection_module
from gi.repository import GLib, GObject, Pykka

import pytest

from conftest import TIMEOUT

# The C API as a C, GJS or Vala caller sees it (no override).
C = get_introspection_module('Pykka')


class Echo(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.received = []

    def on_receive(self, message):
        self.received.append(message)
        return message


class Color(enum.Enum):
    RED = 1


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


IDENTICAL = [
    None,
    2 ** 31,
    -2 ** 31 - 1,
    2 ** 40,
    2 ** 63 - 1,
    -2 ** 63,
    2 ** 64,
    2 ** 200,
    -2 ** 200,
    {'a': [1, 2, {'b': None}]},
    [1, 'two', 3.0],
    (1, 2),
    set([1, 2]),
    frozenset([3]),
    b'bytes\0with nul',
    bytearray(b'x'),
    Point(1, 2),
    Color.RED,
    fractions.Fraction(1, 3),
    1j,
    Echo,
    len,
    object(),
    ValueError('an exception as a value'),
    GLib.Error('a GLib.Error as a value', 'some-domain', 3),
    True,
    False,
]

EQUAL = [0, 1, -1, 2 ** 31 - 1, -2 ** 31, 1.5, float('inf'), 'text', 'unicode \u00e9\u4e2d', '']


@pytest.mark.parametrize('value', IDENTICAL, ids=repr)
def test_message_and_reply_arrive_as_the_same_object(value):
    ref = Echo.start()
    reply = ref.ask(value, timeout=TIMEOUT)
    assert reply is value
    assert ref.proxy().received.get(TIMEOUT)[0] is value
    ref.tell(value)
    assert ref.proxy().received.get(TIMEOUT)[1] is value


@pytest.mark.parametrize('value', EQUAL, ids=repr)
def test_scalars_arrive_equal_and_of_the_same_type(value):
    ref = Echo.start()
    reply = ref.ask(value, timeout=TIMEOUT)
    assert reply == value
    assert type(reply) is type(value)


def test_reply_none_is_none():
    class Nothing(Pykka.Actor):
        def on_receive(self, message):
            pass

    assert Nothing.start().ask('anything', timeout=TIMEOUT) is None


def test_a_future_is_a_reply_like_any_other():
    # As in Pykka: returning a future answers with the future itself.
    inner = Pykka.Future()
    inner.set('inner value')

    class Returner(Pykka.Actor):
        def on_receive(self, message):
            return inner

    reply = Returner.start().ask('x', timeout=TIMEOUT)
    assert reply is inner
    assert reply.get(TIMEOUT) == 'inner value'


def test_a_gvalue_reply_keeps_its_gtype_for_c_callers():
    class Typed(Pykka.Actor):
        def on_receive(self, message):
            return GObject.Value(GObject.TYPE_UINT64, 2 ** 60)

    ref = Typed.start()
    assert ref.ask(None, timeout=TIMEOUT) == 2 ** 60
    assert C.Future.get(C.ActorRef.ask(ref, 1), TIMEOUT * 1000) == 2 ** 60


def test_values_from_c_callers():
    # What C code sends (plain GValues) arrives as plain Python values.
    ref = Echo.start()
    C.ActorRef.tell(ref, GObject.Value(GObject.TYPE_INT64, -2 ** 50))
    assert ref.proxy().received.get(TIMEOUT) == [-2 ** 50]
    assert C.Future.get(C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_INT, -7)), TIMEOUT * 1000) == -7
    assert C.Future.get(C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_STRING, 'hi')), TIMEOUT * 1000) == 'hi'
    variant = GLib.Variant('(si)', ('x', 1))
    assert ref.ask(variant, timeout=TIMEOUT).unpack() == ('x', 1)


def test_many_messages_arrive_in_order():
    ref = Echo.start()
    for i in range(1000):
        ref.tell(i * 2 ** 40)
    assert ref.proxy().received.get(TIMEOUT) == [i * 2 ** 40 for i in range(1000)]


class Failing(Pykka.Actor):
    def on_receive(self, message):
        raise message


def test_exception_reaches_python_caller_as_the_same_object():
    exc = KeyError('the key')
    ref = Failing.start()
    with pytest.raises(KeyError) as info:
        ref.ask(exc, timeout=TIMEOUT)
    assert info.value is exc
    # The actor lives on after an ask failed.
    assert ref.is_alive()
    future = ref.ask(exc, block=False)
    for _ in range(2):
        with pytest.raises(KeyError) as info:
            future.get(TIMEOUT)
        assert info.value is exc


def test_custom_exception_keeps_its_attributes():
    class MyError(Exception):
        def __init__(self, detail):
            super().__init__('my error')
            self.detail = detail

    exc = MyError({'some': 'detail'})
    with pytest.raises(MyError) as info:
        Failing.start().ask(exc, timeout=TIMEOUT)
    assert info.value is exc
    assert info.value.detail == {'some': 'detail'}
    assert info.value.__traceback__ is not None


def test_exception_reaches_c_caller_as_gerror_with_its_text():
    ref = Failing.start()
    future = C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_PYOBJECT, ValueError('bad value 42')))
    with pytest.raises(GLib.Error) as info:
        C.Future.get(future, TIMEOUT * 1000)
    assert 'bad value 42' in info.value.message
    assert 'ValueError' in info.value.message


def test_glib_error_from_handler_keeps_domain_and_code():
    exc = GLib.Error('custom failure', 'my-test-domain', 7)
    ref = Failing.start()
    with pytest.raises(GLib.Error) as info:
        ref.ask(exc, timeout=TIMEOUT)
    # GErrors of other domains carry nothing but domain, code and message:
    # a Python caller gets an equal GLib.Error (issue 12, F11: equal errors
    # of two actors must not swap objects).
    assert (info.value.domain, info.value.code, info.value.message) == \
        ('my-test-domain', 7, 'custom failure')
    future = C.ActorRef.ask(ref, GObject.Value(GObject.TYPE_PYOBJECT, GLib.Error('again', 'my-test-domain', 8)))
    with pytest.raises(GLib.Error) as info:
        C.Future.get(future, TIMEOUT * 1000)
    assert (info.value.domain, info.value.code, info.value.message) == ('my-test-domain', 8, 'again')


def test_errors_of_c_actors_reach_python():
    # A plain PykkaActor replies nothing (and logs a warning).
    ref = C.Actor().start()
    assert ref.ask(1, timeout=TIMEOUT) is None
    ref.stop()
    with pytest.raises(Pykka.ActorDeadError):
        ref.ask(1, timeout=TIMEOUT)


def test_returned_exceptions_and_sentinels_are_plain_values():
    # The worker hands a returned value straight back to the dispatch: a
    # returned exception object (not raised), a tuple shaped like the
    # dispatch's own results, or a big int are replies like any other.
    exc = ValueError('returned, not raised')
    shaped = (False, exc)
    ref = Echo.start()
    try:
        assert ref.ask(exc, timeout=TIMEOUT) is exc
        assert ref.ask(shaped, timeout=TIMEOUT) is shaped
        assert ref.ask(2 ** 40, timeout=TIMEOUT) == 2 ** 40
        assert ref.ask(-0x80000000, timeout=TIMEOUT) == -0x80000000
        assert ref.ask(True, timeout=TIMEOUT) is True
    finally:
        ref.stop()


class ThreadedEcho(Pykka.ThreadingActor):
    def on_receive(self, message):
        if isinstance(message, BaseException):
            raise message
        return message


@pytest.mark.parametrize('cls', [Echo, ThreadedEcho])
def test_blocking_asks_on_either_path_give_the_same_results(cls):
    # A blocking ask outside handlers is one C ask_sync for an actor on
    # this context, ask + get for one on a thread of its own.
    ref = cls.start()
    try:
        future = Pykka.Future()
        for value in [7, 2 ** 40, 'text', 0.5, True, None, (1, 2), future, ref]:
            reply = ref.ask(value, timeout=TIMEOUT)
            assert reply == value and type(reply) is type(value)
        assert ref.ask(future, timeout=TIMEOUT) is future
        if cls is ThreadedEcho:
            exc = KeyError('boom')
            with pytest.raises(KeyError) as info:
                ref.ask(exc, timeout=TIMEOUT)
            assert info.value is exc
    finally:
        ref.stop(timeout=TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError):
        ref.ask(1, timeout=TIMEOUT)


def test_blocking_ask_times_out_on_this_context():
    gate = Pykka.Future()

    class Slow(Pykka.Actor):
        def on_receive(self, message):
            return gate.get(timeout=TIMEOUT)

    ref = Slow.start()
    with pytest.raises(Pykka.Timeout):
        ref.ask(1, timeout=0.05)
    gate.set('open')
    assert ref.ask(2, timeout=TIMEOUT) == 'open'
    ref.stop(timeout=TIMEOUT)


def test_ask_and_tell_arguments():
    # tell and ask are C methods (pykka_glib._speedups) with Pykka's
    # signatures: ask(message, block=True, timeout=None).
    ref = Echo.start()
    assert ref.ask(1) == 1
    assert ref.ask(2, True) == 2
    assert ref.ask(3, True, TIMEOUT) == 3
    assert ref.ask(message=4, timeout=TIMEOUT) == 4
    assert ref.ask(5, block=1, timeout=TIMEOUT) == 5
    future = ref.ask(6, False)
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) == 6
    assert ref.ask(7, block=False, timeout=0).get(TIMEOUT) == 7
    assert Pykka.ActorRef.ask(ref, 8, timeout=TIMEOUT) == 8
    Pykka.ActorRef.tell(ref, 9)
    assert ref.proxy().received.get(TIMEOUT) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(TypeError):
        ref.ask()
    with pytest.raises(TypeError):
        ref.ask(1, True, None, 'extra')
    with pytest.raises(TypeError):
        ref.ask(1, block=True, blocking=False)
    with pytest.raises(TypeError):
        ref.ask(1, message=2)
    with pytest.raises(TypeError):
        ref.ask(1, timeout='soon')
    with pytest.raises(TypeError):
        ref.tell()
    with pytest.raises(TypeError):
        Pykka.ActorRef.tell(object(), 1)
    # A str that is no C string is a message as any other (P30).
    ref.tell('lone surrogate \ud800')
    assert ref.ask('after', timeout=TIMEOUT) == 'after'
    assert ref.proxy().received.get(TIMEOUT)[9:] == ['lone surrogate \ud800', 'after']


def test_a_gvalue_message_arrives_as_its_value():
    ref = Echo.start()
    assert ref.ask(GObject.Value(GObject.TYPE_INT64, -2 ** 50), timeout=TIMEOUT) == -2 ** 50
    ref.tell(GObject.Value(GObject.TYPE_STRING, 'told'))
    future = Pykka.Future()
    future.set(GObject.Value(GObject.TYPE_UINT64, 2 ** 60))
    assert future.get(TIMEOUT) == 2 ** 60
    assert ref.proxy().received.get(TIMEOUT) == [-2 ** 50, 'told']


def test_replies_to_c_callers_have_c_types():
    # What a C caller gets from a Python handler: scalars as gboolean,
    # gint, gdouble; a GObject as a G_TYPE_OBJECT; anything else
    # (str included) as a PyObject, which PyGObject gives back as itself.
    replies = {1: True, 2: 42, 3: 2.5, 4: 'text', 5: 2 ** 40, 6: None}

    class Replier(Pykka.Actor):
        def on_receive(self, message):
            if message == 7:
                return self.actor_ref
            return replies[message]

    ref = Replier.start()
    for message, expected in replies.items():
        reply = C.Future.get(C.ActorRef.ask(ref, message), TIMEOUT * 1000)
        assert reply == expected and type(reply) is type(expected)
    assert C.Future.get(C.ActorRef.ask(ref, 7), TIMEOUT * 1000) is ref


def test_messages_to_c_actors_have_c_types():
    # What an actor written in C gets from a Python sender (the GValue
    # type its default handler names in a warning): scalars and str as C
    # types, GObjects and GLib.Variants as themselves, anything else as an
    # opaque PyObject (the table of docs/guides/04-contexts-and-threads.md).
    seen = []

    def handler(domain, level, message, data):
        if message.startswith('Unexpected message of type '):
            seen.append(message.split()[4])

    cases = [(1, 'gint'), (2 ** 40, 'PyObject'), (2.5, 'gdouble'), (True, 'gboolean'),
             ('x', 'gchararray'), (None, 'PyObject'), ([1], 'PyObject'), ({'a': 1}, 'PyObject'),
             (GLib.Variant('as', ['a']), 'GVariant')]
    handler_id = GLib.log_set_handler('Pykka', GLib.LogLevelFlags.LEVEL_WARNING, handler, None)
    try:
        ref = C.Actor().start()
        for message, _ in cases:
            ref.tell(message)
        ref.tell(ref)
        context = GLib.MainContext.default()
        end = GLib.get_monotonic_time() + TIMEOUT * 1_000_000
        while len(seen) < len(cases) + 1 and GLib.get_monotonic_time() < end:
            context.iteration(False)
        ref.stop()
    finally:
        GLib.log_remove_handler('Pykka', handler_id)
    assert seen == [name for _, name in cases] + ['PykkaActorRef']
