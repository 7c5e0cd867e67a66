# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka.ActorRegistry from Python."""

from gi.repository import Pykka

import pytest

from conftest import TIMEOUT, iterate_until

stop_order = []


class Collector(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.received = []

    def on_receive(self, message):
        self.received.append(message)
        return list(self.received)

    def on_stop(self):
        stop_order.append(self.actor_urn)


class SubCollector(Collector):
    pass


class Other(Pykka.Actor):
    def on_receive(self, message):
        return 'other'


def test_alias():
    assert Pykka.ActorRegistry is Pykka.Registry


def test_get_all_in_start_order():
    refs = [Collector.start(), Other.start(), SubCollector.start()]
    assert Pykka.ActorRegistry.get_all() == refs
    refs[1].stop()
    assert Pykka.ActorRegistry.get_all() == [refs[0], refs[2]]


def test_get_by_class_includes_subclasses():
    base, other, sub = Collector.start(), Other.start(), SubCollector.start()
    assert Pykka.ActorRegistry.get_by_class(Collector) == [base, sub]
    assert Pykka.ActorRegistry.get_by_class(SubCollector) == [sub]
    assert Pykka.ActorRegistry.get_by_class(Other) == [other]
    assert Pykka.ActorRegistry.get_by_class(Pykka.Actor) == [base, other, sub]


def test_get_by_class_name():
    base, other, sub = Collector.start(), Other.start(), SubCollector.start()
    assert Pykka.ActorRegistry.get_by_class_name('Collector') == [base]
    assert Pykka.ActorRegistry.get_by_class_name('SubCollector') == [sub]
    assert Pykka.ActorRegistry.get_by_class_name('NoSuchClass') == []


def test_get_by_urn():
    ref = Collector.start()
    assert Pykka.ActorRegistry.get_by_urn(ref.actor_urn) is ref
    assert Pykka.ActorRegistry.get_by_urn('urn:uuid:00000000-0000-0000-0000-000000000000') is None
    assert Pykka.ActorRegistry.get_by_urn('not a urn') is None
    ref.stop()
    assert Pykka.ActorRegistry.get_by_urn(ref.actor_urn) is None


def received(ref):
    return ref.proxy().received.get(TIMEOUT)


def test_broadcast_to_all():
    base, other, sub = Collector.start(), Other.start(), SubCollector.start()
    message = {'broadcast': 2 ** 70}
    Pykka.ActorRegistry.broadcast(message)
    assert received(base)[0] is message
    assert received(sub)[0] is message
    assert other.ask('sync', timeout=TIMEOUT) == 'other'


def test_broadcast_to_class_and_class_name():
    base, sub = Collector.start(), SubCollector.start()
    Pykka.ActorRegistry.broadcast('to class', target_class=SubCollector)
    Pykka.ActorRegistry.broadcast('to base', Collector)
    Pykka.ActorRegistry.broadcast('by name', target_class='Collector')
    Pykka.ActorRegistry.broadcast(None, target_class='SubCollector')
    assert received(base) == ['to base', 'by name']
    assert received(sub) == ['to class', 'to base', None]


def test_stop_all_is_lifo():
    del stop_order[:]
    refs = [Collector.start() for _ in range(5)]
    results = Pykka.ActorRegistry.stop_all()
    assert results == [True] * 5
    assert stop_order == [ref.actor_urn for ref in reversed(refs)]
    assert Pykka.ActorRegistry.get_all() == []


def test_stop_all_without_blocking():
    refs = [Collector.start() for _ in range(3)]
    futures = Pykka.ActorRegistry.stop_all(block=False)
    assert len(futures) == 3
    assert all(isinstance(f, Pykka.Future) for f in futures)
    assert Pykka.get_all(futures, timeout=TIMEOUT) == [True] * 3
    assert not any(ref.is_alive() for ref in refs)


def test_stop_all_with_timeout():
    refs = [Collector.start() for _ in range(3)]
    assert Pykka.ActorRegistry.stop_all(timeout=TIMEOUT) == [True] * 3
    iterate_until(lambda: not any(ref.is_alive() for ref in refs))
