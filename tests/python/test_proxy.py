# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's actor proxies: methods, attributes, traversables, equality."""

import logging

from gi.repository import Pykka

import pytest

from conftest import TIMEOUT, iterate_until


@Pykka.traversable
class Playback:
    def __init__(self):
        self.volume = 50
        self.inner = Pykka.traversable(Inner())
        self._secret = 'hidden'

    def play(self):
        return True


class Inner:
    level = 'deep'

    def where(self):
        return 'inner'


class Calculator(Pykka.Actor):
    constant = 'class attribute'
    playback = Playback()
    not_traversable = Inner()

    def __init__(self):
        super().__init__()
        self.last_result = None
        self._private = 'private'
        self.calls = []

    def add(self, a, b=None):
        self.calls.append(('add', a, b))
        if b is not None:
            self.last_result = a + b
        else:
            self.last_result += a
        return self.last_result

    def sub(self, a, b=None):
        if b is not None:
            self.last_result = a - b
        else:
            self.last_result -= a
        return self.last_result

    def fail(self, exc):
        raise exc

    def record(self, *args, **kwargs):
        self.calls.append((args, kwargs))

    async def add_later(self, a, b):
        return a + b

    @property
    def computed(self):
        return self.last_result * 10

    def _hidden(self):
        return 'hidden'

    @staticmethod
    def static(x):
        return ('static', x)

    @classmethod
    def klass(cls):
        return cls.__name__


@pytest.fixture
def proxy():
    return Calculator.start().proxy()


def test_method_call_returns_a_future(proxy):
    future = proxy.add(1, 3)
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) == 4
    assert proxy.last_result.get(TIMEOUT) == 4
    proxy.sub(5)
    proxy.add(3)
    assert proxy.last_result.get(TIMEOUT) == 2


def test_keyword_arguments(proxy):
    proxy.record(1, 2, key='value').get(TIMEOUT)
    assert proxy.calls.get(TIMEOUT) == [((1, 2), {'key': 'value'})]


def test_defer_has_tell_semantics(proxy):
    assert proxy.record.defer('deferred', x=1) is None
    assert proxy.calls.get(TIMEOUT) == [(('deferred',), {'x': 1})]


def test_defer_failure_goes_to_on_failure():
    failures = []

    class Fragile(Pykka.Actor):
        def fail(self):
            raise ValueError('deferred failure')

        def on_failure(self, exception_type, exception_value, traceback):
            failures.append(exception_value)

    ref = Fragile.start()
    ref.proxy().fail.defer()
    iterate_until(lambda: not ref.is_alive())
    assert isinstance(failures[0], ValueError)


def test_attribute_read_returns_a_future(proxy):
    future = proxy.constant
    assert isinstance(future, Pykka.Future)
    assert future.get(TIMEOUT) == 'class attribute'
    proxy.add(1, 1)
    assert proxy.computed.get(TIMEOUT) == 20


def test_attribute_write_blocks_until_set(proxy):
    proxy.last_result = 17
    assert proxy.last_result.get(TIMEOUT) == 17
    proxy.constant = 'changed'
    assert proxy.constant.get(TIMEOUT) == 'changed'


def test_private_and_unknown_names_raise_attribute_error(proxy):
    for name in ('_private', '_hidden', 'no_such_attribute', '__no_dunder__'):
        with pytest.raises(AttributeError):
            getattr(proxy, name)
    with pytest.raises(AttributeError):
        proxy.playback._secret


def test_gobject_machinery_is_not_exposed(proxy):
    for name in ('connect', 'emit', 'get_property', 'do_on_receive', 'props'):
        with pytest.raises(AttributeError):
            getattr(proxy, name)


def test_pykka_actor_api_is_exposed(proxy):
    assert proxy.actor_urn.get(TIMEOUT) == proxy.actor_ref.actor_urn
    assert proxy.actor_ref.actor_class is Calculator
    proxy.stop().get(TIMEOUT)
    iterate_until(lambda: not proxy.actor_ref.is_alive())


def test_static_and_class_methods(proxy):
    assert proxy.static(1).get(TIMEOUT) == ('static', 1)
    assert proxy.klass().get(TIMEOUT) == 'Calculator'


def test_exception_from_method_call(proxy):
    exc = LookupError('not found')
    future = proxy.fail(exc)
    with pytest.raises(LookupError) as info:
        future.get(TIMEOUT)
    assert info.value is exc
    assert proxy.actor_ref.is_alive()


def test_async_method(proxy):
    assert proxy.add_later(2, 3).get(TIMEOUT) == 5


def test_traversable_attributes_give_nested_proxies(proxy):
    playback = proxy.playback
    assert isinstance(playback, Pykka.ActorProxy)
    assert playback.play().get(TIMEOUT) is True
    assert playback.volume.get(TIMEOUT) == 50
    playback.volume = 80
    assert proxy.playback.volume.get(TIMEOUT) == 80
    assert proxy.playback.inner.where().get(TIMEOUT) == 'inner'
    assert proxy.playback.inner.level.get(TIMEOUT) == 'deep'
    assert proxy.playback.actor_ref is proxy.actor_ref


def test_non_traversable_attribute_is_a_value(proxy):
    value = proxy.not_traversable.get(TIMEOUT)
    assert isinstance(value, Inner)
    with pytest.raises(AttributeError):
        proxy.not_traversable.where


def test_proxy_actor_ref(proxy):
    assert isinstance(proxy.actor_ref, Pykka.ActorRef)
    assert proxy.actor_ref.proxy() == proxy


def test_proxies_compare_by_actor_and_path():
    ref = Calculator.start()
    other = Calculator.start()
    a, b = ref.proxy(), ref.proxy()
    assert a == b
    assert hash(a) == hash(b)
    assert a != other.proxy()
    assert a.playback == b.playback
    assert a.playback != a
    assert a.add == b.add
    assert a.add != a.sub
    assert len({a, b, other.proxy()}) == 2
    assert 'Calculator' in repr(a)


def test_proxy_of_dead_actor_raises():
    ref = Calculator.start()
    proxy = ref.proxy()
    ref.stop()
    with pytest.raises(Pykka.ActorDeadError):
        ref.proxy()
    with pytest.raises(Pykka.ActorDeadError):
        proxy.add(1, 2).get(TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError):
        proxy.last_result.get(TIMEOUT)
    with pytest.raises(Pykka.ActorDeadError):
        Pykka.ActorProxy(ref)


def test_new_attributes_are_found():
    class Growing(Pykka.Actor):
        def grow(self):
            self.new_attribute = 'grown'

    proxy = Growing.start().proxy()
    with pytest.raises(AttributeError):
        proxy.new_attribute
    proxy.grow().get(TIMEOUT)
    assert proxy.new_attribute.get(TIMEOUT) == 'grown'


def test_dir_lists_the_actor_api(proxy):
    names = dir(proxy)
    for name in ('add', 'sub', 'last_result', 'playback', 'constant', 'stop'):
        assert name in names
    assert '_private' not in names


def test_proxy_to_itself_is_skipped_with_a_warning(caplog):
    class Selfish(Pykka.Actor):
        def on_start(self):
            self.myself = self.actor_ref.proxy()

        def hello(self):
            return 'hello'

    ref = Selfish.start()
    ref.ask('sync', timeout=TIMEOUT)   # on_start ran
    with caplog.at_level(logging.WARNING, logger='pykka'):
        proxy = ref.proxy()
        assert proxy.hello().get(TIMEOUT) == 'hello'
    assert any('proxy to itself' in r.getMessage() for r in caplog.records)


def test_proxy_from_inside_actor_to_itself():
    class Deferring(Pykka.Actor):
        def __init__(self):
            super().__init__()
            self.done = []
            self._in_future = self.actor_ref.proxy()

        def start_work(self):
            self._in_future.more_work(1)
            return 'started'

        def more_work(self, n):
            self.done.append(n)

    proxy = Deferring.start().proxy()
    assert proxy.start_work().get(TIMEOUT) == 'started'
    assert proxy.done.get(TIMEOUT) == [1]


def test_proxy_of_a_c_actor_is_refused():
    from gi.module import get_introspection_module
    ref = get_introspection_module('Pykka').Actor().start()
    with pytest.raises(TypeError):
        ref.proxy()
