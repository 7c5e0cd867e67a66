# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka.Future and Pykka.Event from Python."""

import asyncio
import gc
import sys
import threading
import weakref

from gi.module import get_introspection_module
from gi.repository import GLib, Pykka

import pytest

from conftest import TIMEOUT, drain, iterate_until

C = get_introspection_module('Pykka')


def test_set_and_get():
    future = Pykka.Future()
    assert not future.is_done()
    future.set('value')
    assert future.is_done()
    assert future.get() == 'value'
    assert future.get(0) == 'value'


def test_get_arguments():
    # get is a C method (pykka_glib._speedups): get(timeout=None).
    future = Pykka.Future()
    future.set(5)
    assert future.get(None) == 5
    assert future.get(timeout=TIMEOUT) == 5
    assert future.get(1) == 5
    assert Pykka.Future.get(future, 0.5) == 5
    with pytest.raises(TypeError):
        future.get(1, 2)
    with pytest.raises(TypeError):
        future.get(timeout_s=1)
    with pytest.raises(TypeError):
        future.get(1, timeout=1)
    with pytest.raises(TypeError):
        future.get('soon')
    with pytest.raises(TypeError):
        Pykka.Future.get(object())
    with pytest.raises(Pykka.Timeout):
        Pykka.Future().get(timeout=-1)


def test_set_none_and_default():
    future = Pykka.Future()
    future.set()
    assert future.get(TIMEOUT) is None
    future = Pykka.Future()
    future.set(None)
    assert future.get(TIMEOUT) is None


def test_set_big_values():
    value = {'n': 2 ** 100}
    future = Pykka.Future()
    future.set(value)
    assert future.get(TIMEOUT) is value
    future = Pykka.Future()
    future.set(2 ** 100)
    assert future.get(TIMEOUT) == 2 ** 100


def test_setting_twice_raises():
    future = Pykka.Future()
    future.set(1)
    with pytest.raises(GLib.Error) as info:
        future.set(2)
    assert info.value.code == Pykka.Error.ALREADY_SET
    with pytest.raises(GLib.Error):
        future.set_exception(ValueError('late'))
    assert future.get(TIMEOUT) == 1


def test_set_exception_from_except_block():
    future = Pykka.Future()
    try:
        raise ValueError('from the except block')
    except ValueError as exc:
        raised = exc
        future.set_exception()
    for _ in range(2):
        with pytest.raises(ValueError) as info:
            future.get(TIMEOUT)
        assert info.value is raised


def test_set_exception_with_exc_info_or_instance():
    try:
        raise KeyError('k')
    except KeyError:
        exc_info = sys.exc_info()
    future = Pykka.Future()
    future.set_exception(exc_info)
    with pytest.raises(KeyError) as info:
        future.get(TIMEOUT)
    assert info.value is exc_info[1]

    exc = RuntimeError('instance')
    future = Pykka.Future()
    future.set_exception(exc)
    with pytest.raises(RuntimeError) as info:
        future.get(TIMEOUT)
    assert info.value is exc

    future = Pykka.Future()
    future.set_exception((TypeError, None, None))
    with pytest.raises(TypeError):
        future.get(TIMEOUT)


def test_exception_set_from_python_reaches_c_as_gerror():
    future = Pykka.Future()
    future.set_exception(ValueError('visible to C'))
    with pytest.raises(GLib.Error) as info:
        C.Future.get(future, 0)
    assert 'visible to C' in info.value.message


def test_get_timeout():
    future = Pykka.Future()
    with pytest.raises(Pykka.Timeout):
        future.get(timeout=0)
    with pytest.raises(Pykka.Timeout):
        future.get(timeout=0.01)
    future.set('late')
    assert future.get(0) == 'late'


def test_get_from_another_thread():
    future = Pykka.Future()
    threading.Timer(0.01, future.set, ('from a thread',)).start()
    assert future.get(TIMEOUT) == 'from a thread'


def test_map():
    future = Pykka.Future()
    mapped = future.map(lambda v: v * 2)
    future.set(21)
    assert mapped.get(TIMEOUT) == 42
    assert mapped.get(TIMEOUT) == 42


def test_filter():
    future = Pykka.Future()
    filtered = future.filter(lambda v: v % 2)
    future.set([1, 2, 3, 4, 5])
    assert filtered.get(TIMEOUT) == [1, 3, 5]


def test_reduce():
    future = Pykka.Future()
    future.set([1, 2, 3, 4])
    assert future.reduce(lambda a, b: a + b).get(TIMEOUT) == 10
    assert future.reduce(lambda a, b: a + b, 100).get(TIMEOUT) == 110
    assert future.reduce(lambda a, b: a + [b], []).get(TIMEOUT) == [1, 2, 3, 4]


def test_join():
    futures = [Pykka.Future() for _ in range(3)]
    joined = futures[0].join(*futures[1:])
    for i, future in enumerate(reversed(futures)):
        future.set(i)
    assert joined.get(TIMEOUT) == [2, 1, 0]
    assert Pykka.Future.join(*futures).get(TIMEOUT) == [2, 1, 0]


def test_map_of_an_actor_reply():
    class Numbers(Pykka.Actor):
        def numbers(self):
            return [3, 1, 2]

    proxy = Numbers.start().proxy()
    assert proxy.numbers().map(sorted).get(TIMEOUT) == [1, 2, 3]
    assert proxy.numbers().join(proxy.numbers()).map(len).get(TIMEOUT) == 2


def test_map_propagates_exceptions():
    future = Pykka.Future()
    exc = ValueError('source failed')
    future.set_exception(exc)
    with pytest.raises(ValueError) as info:
        future.map(lambda v: v).get(TIMEOUT)
    assert info.value is exc


def test_set_get_hook():
    future = Pykka.Future()
    calls = []

    def hook(timeout):
        calls.append(timeout)
        return 'hooked'

    future.set_get_hook(hook)
    assert future.get(1) == 'hooked'
    assert future.get(2) == 'hooked'
    assert calls == [1]


def test_get_all():
    futures = [Pykka.Future() for _ in range(3)]
    for i, future in enumerate(futures):
        future.set(i * 10)
    assert Pykka.get_all(futures) == [0, 10, 20]
    assert Pykka.get_all(futures, timeout=TIMEOUT) == [0, 10, 20]
    with pytest.raises(Pykka.Timeout):
        Pykka.get_all([Pykka.Future()], timeout=0.01)


def test_await_outside_actors():
    class Echo(Pykka.Actor):
        def on_receive(self, message):
            return message

    ref = Echo.start()

    async def main():
        done = Pykka.Future()
        done.set('done')
        first = await done
        second = await ref.ask('asked', block=False)
        return first, second

    assert asyncio.run(main()) == ('done', 'asked')


def test_future_is_the_override_class():
    class Echo(Pykka.Actor):
        pass

    future = Echo.start().ask(None, block=False)
    assert type(future) is Pykka.Future
    assert Pykka.ThreadingFuture is Pykka.Future
    future.get(TIMEOUT)


def test_event():
    event = Pykka.Event()
    assert not event.is_set()
    assert event.wait(0) is False
    assert event.wait(0.01) is False
    event.set()
    assert event.is_set()
    assert event.wait() is True
    assert event.wait(TIMEOUT) is True
    event.clear()
    assert not event.is_set()
    threading.Timer(0.01, event.set).start()
    assert event.wait(TIMEOUT) is True
    # wait is a C method: wait(timeout=None).
    assert event.wait(timeout=TIMEOUT) is True
    assert Pykka.Event.wait(event, None) is True
    with pytest.raises(TypeError):
        event.wait(1, 2)
    with pytest.raises(TypeError):
        event.wait(seconds=1)
    with pytest.raises(TypeError):
        Pykka.Event.wait(Pykka.Future())


def test_mapped_filtered_reduced_and_joined_futures_complete_for_c_readers():
    # Python's map/filter/reduce/join are Pykka's lazy get hooks for Python
    # readers, and also complete the future itself once the sources have,
    # in this thread's context, for readers in C, JavaScript or Vala.
    from gi.module import get_introspection_module
    c_future = get_introspection_module('Pykka').Future

    numbers = Pykka.Future()
    other = Pykka.Future()
    doubled = numbers.map(lambda values: [v * 2 for v in values])
    evens = numbers.filter(lambda v: v % 2 == 0)
    total = numbers.reduce(lambda a, b: a + b, 100)
    both = numbers.join(other)
    broken = numbers.map(lambda values: 1 / 0)

    numbers.set([1, 2, 3, 4])
    iterate_until(lambda: all(c_future.is_done(f) for f in (doubled, evens, total, broken)))
    assert not c_future.is_done(both)
    other.set('x')
    iterate_until(lambda: c_future.is_done(both))

    assert c_future.get(doubled, 0) == [2, 4, 6, 8]
    assert c_future.get(evens, 0) == [2, 4]
    assert c_future.get(total, 0) == 110
    assert c_future.get(both, 0) == [[1, 2, 3, 4], 'x']
    with pytest.raises(GLib.Error):
        c_future.get(broken, 0)
    # Python readers get the same outcome, the exception itself included.
    assert doubled.get(TIMEOUT) == [2, 4, 6, 8]
    with pytest.raises(ZeroDivisionError):
        broken.get(TIMEOUT)


def test_a_mapped_future_is_computed_by_a_python_get_without_a_loop():
    source = Pykka.Future()
    calls = []
    mapped = source.map(lambda v: calls.append(v) or v + 1)
    source.set(41)
    # No iteration of the context: the get computes it, once.
    assert mapped.get(TIMEOUT) == 42
    assert mapped.get(TIMEOUT) == 42
    drain()
    assert calls == [41]


# ---------------------------------------------------------------------------
# A failed future whose exception's traceback leads back to it (the frame
# that called get() holds the future): the cycle goes through C, and the
# wrapper class makes the collector see it.


class Kept(Exception):
    pass


class _Raiser(Pykka.Actor):
    def on_receive(self, message):
        raise Kept(message)


def _fail_in_a_frame(future_factory, seen, keep=None):
    # The future stays in this frame's locals; the exception passes
    # through the frame, so its traceback holds the frame.
    future = future_factory()
    if keep is not None:
        keep(future)
    try:
        future.get(TIMEOUT)
    except Kept as exc:
        seen.append((weakref.ref(exc), weakref.ref(future)))


def _collected(seen):
    gc.collect()
    return [exc() is None and future() is None for exc, future in seen]


def test_a_failed_future_in_a_cycle_with_its_exception_is_collected():
    ref = _Raiser.start()
    seen = []
    _fail_in_a_frame(lambda: ref.ask('asked', block=False), seen)

    def set_by_hand():
        future = Pykka.Future()
        future.set_exception(Kept('set'))
        return future

    _fail_in_a_frame(set_by_hand, seen)
    assert _collected(seen) == [True, True]
    ref.stop(timeout=TIMEOUT)


def test_a_failed_future_held_elsewhere_keeps_its_exception():
    # Held by C (a list store), then only by Python: the exception stays,
    # and get() raises the very object, until the last holder lets go.
    from gi.repository import Gio

    store = Gio.ListStore.new(Pykka.Future)
    seen = []

    def failed():
        future = Pykka.Future()
        future.set_exception(Kept('held'))
        return future

    _fail_in_a_frame(failed, seen, keep=store.append)
    assert _collected(seen) == [False]
    held = store.get_item(0)
    store.remove(0)
    assert _collected(seen) == [False]
    with pytest.raises(Kept) as info:
        held.get(TIMEOUT)
    assert info.value is seen[0][0]()
    del held, info
    assert _collected(seen) == [True]


def test_an_exception_shared_by_two_failed_futures_is_collected_with_them():
    seen = []
    shared = Kept('shared')
    first, second = Pykka.Future(), Pykka.Future()
    first.set_exception(shared)
    second.set_exception(shared)
    for future in (first, second):
        _fail_in_a_frame(lambda future=future: future, seen)
    del first, second, future
    exc = weakref.ref(shared)
    del shared
    gc.collect()
    assert exc() is None
    assert _collected(seen) == [True, True]


def test_collections_while_threads_fail_futures():
    # The collector runs while other threads complete, get and drop failed
    # futures (without the GIL in C): nothing is freed early or twice.
    class OwnThread(_Raiser):
        use_own_thread = True

    ref = OwnThread.start()
    errors = []
    stop = threading.Event()

    def asker():
        try:
            while not stop.is_set():
                seen = []
                _fail_in_a_frame(lambda: ref.ask('t', block=False), seen)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=asker) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(50):
        gc.collect()
    stop.set()
    for t in threads:
        t.join(TIMEOUT)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    ref.stop(timeout=TIMEOUT)


class _Holder:
    pass


def test_a_future_whose_python_value_leads_back_to_it_is_collected():
    holder = _Holder()
    future = Pykka.Future()
    future.set(holder)
    holder.future = future
    assert future.get(TIMEOUT) is holder
    gone = weakref.ref(holder)
    del holder, future
    gc.collect()
    assert gone() is None


def test_a_future_with_a_python_value_held_elsewhere_keeps_it():
    from gi.repository import Gio

    store = Gio.ListStore.new(Pykka.Future)
    holder = _Holder()
    future = Pykka.Future()
    future.set(holder)
    holder.future = future
    store.append(future)
    gone = weakref.ref(holder)
    del holder, future
    gc.collect()
    assert gone() is not None
    assert store.get_item(0).get(TIMEOUT) is gone()
    store.remove(0)
    gc.collect()
    assert gone() is None


def test_a_collection_while_c_refs_a_failed_future_keeps_its_exception():
    # A GI call refs the future on its own thread, without the GIL, while
    # another thread's collection runs: the collector must see the
    # exception the same way all through one collection, or it takes the
    # live exception for garbage (its weak references cleared, __del__
    # run). A list store's splice refs the future after many others.
    import random
    from gi.repository import Gio, GObject

    finalized = []

    class Watched(Exception):
        def __del__(self):
            finalized.append(self.args)

    filler = GObject.Object()
    holder = Gio.ListStore.new(GObject.Object)
    holder.append(filler)  # no toggle notification (and GIL) per ref
    store = Gio.ListStore.new(GObject.Object)
    junk = [[i] for i in range(100000)]  # a collection takes a while
    stop = threading.Event()
    bad = []

    def collector():
        while not stop.is_set():
            gc.collect()

    thread = threading.Thread(target=collector)
    thread.start()
    try:
        for _ in range(60):
            exc = Watched('a', 'b')
            alive = weakref.ref(exc)
            future = Pykka.Future()
            future.set_exception(exc)
            del exc
            store.splice(0, 0, [filler] * random.randrange(1000, 60000) + [future])
            store.remove_all()
            if alive() is None or finalized:
                bad.append((alive(), list(finalized)))
            del future
            finalized.clear()
    finally:
        stop.set()
        thread.join(TIMEOUT)
    del junk
    assert not thread.is_alive()
    assert bad == []


def test_a_failed_source_of_a_derived_future_is_collected():
    # The derived future's callback re-raises the source's exception: its
    # traceback must not keep the callback's frame, whose async result
    # holds the source (through C) that holds the exception.
    seen = []
    for _ in range(3):
        source = Pykka.Future()
        derived = source.map(lambda value: value)
        exc = Kept('source')
        exc.source = source
        seen.append(weakref.ref(exc))
        source.set_exception(exc)
        del exc
        with pytest.raises(Kept):
            derived.get(TIMEOUT)
        drain()
        del source, derived
    gc.collect()
    assert [alive() is None for alive in seen] == [True] * 3
