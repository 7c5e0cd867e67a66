# SPDX-License-Identifier: LGPL-2.1-or-later
"""Supervision from Python (issue 15.2, 15.3): Pykka.Supervisor restarts
failed Python actors behind the same ref, with the three strategies and a
restart intensity, and stops its children first."""
import threading

from gi.repository import GLib, Pykka
import pytest

from conftest import TIMEOUT, iterate_until

Strategy = Pykka.RestartStrategy


class Worker(Pykka.ThreadingActor):
    """Each instance knows its number; 'crash' fails it."""

    made = {}
    lock = threading.Lock()

    def __init__(self, name, events):
        super().__init__()
        with Worker.lock:
            Worker.made[name] = Worker.made.get(name, 0) + 1
            self.instance = Worker.made[name]
        self.name = name
        self.events = events

    def on_receive(self, message):
        if message == 'crash':
            raise ValueError('crashed on purpose')
        return (self.name, self.instance)

    def on_stop(self):
        self.events.append(('on_stop', self.name, self.instance))

    def on_failure(self, exc_type, exc_value, tb):
        self.events.append(('on_failure', self.name, self.instance, str(exc_value)))


def start_supervisor(strategy=Strategy.ONE_FOR_ONE, max_restarts=5, within_msec=60000):
    sup = Pykka.Supervisor(strategy=strategy, max_restarts=max_restarts, within_msec=within_msec)
    return sup, sup.start()


def instance_becomes(ref, name, wanted):
    for _ in range(int(TIMEOUT * 200)):
        if ref.ask('who', timeout=TIMEOUT) == (name, wanted):
            return True
        GLib.usleep(5000)
    return False


def test_a_failed_python_actor_is_restarted_behind_the_same_ref():
    Worker.made.clear()
    events = []
    sup, sup_ref = start_supervisor()
    ref = sup.start_child(lambda: Worker('a', events))
    urn = ref.actor_urn
    assert ref.ask('who', timeout=TIMEOUT) == ('a', 1)
    ref.tell('crash')
    after = ref.ask('who', block=False)          # queued behind the crash
    assert after.get(timeout=TIMEOUT) == ('a', 2)
    assert ref.actor_urn == urn and ref.is_alive()
    assert Pykka.ActorRegistry.get_by_urn(urn) == ref
    assert events == [('on_failure', 'a', 1, 'crashed on purpose')]
    assert sup.get_restarts() == 1
    # The restarted instance is the actor of the ref now: proxies reach it.
    assert ref.proxy().instance.get(timeout=TIMEOUT) == 2
    sup_ref.stop()
    assert not ref.is_alive()
    assert events[-1] == ('on_stop', 'a', 2)


@pytest.mark.parametrize('strategy, restarted', [
    (Strategy.ONE_FOR_ONE, {'b'}),
    (Strategy.ONE_FOR_ALL, {'a', 'b', 'c'}),
    (Strategy.REST_FOR_ONE, {'b', 'c'}),
])
def test_strategies(strategy, restarted):
    Worker.made.clear()
    events = []
    sup, sup_ref = start_supervisor(strategy)
    refs = {name: sup.start_child(lambda name=name: Worker(name, events)) for name in 'abc'}
    for name, ref in refs.items():
        assert ref.ask('who', timeout=TIMEOUT) == (name, 1)
    refs['b'].tell('crash')
    for name, ref in refs.items():
        assert instance_becomes(ref, name, 2 if name in restarted else 1), name
    stopped = {e[1] for e in events if e[0] == 'on_stop'}
    assert stopped == restarted - {'b'}
    sup_ref.stop()


def test_too_many_restarts_fail_the_supervisor():
    Worker.made.clear()
    events = []
    sup, sup_ref = start_supervisor(max_restarts=1)
    ref = sup.start_child(lambda: Worker('a', events))
    other = sup.start_child(lambda: Worker('b', events))
    dead = sup_ref.get_terminated()
    ref.tell('crash')
    assert instance_becomes(ref, 'a', 2)
    ref.tell('crash')
    news = dead.get(timeout=TIMEOUT)
    assert 'more than 1 restarts' in news.get_reason().message
    iterate_until(lambda: not ref.is_alive() and not other.is_alive())
    with pytest.raises(Pykka.ActorDeadError):
        ref.tell('late')


def test_stopping_a_supervisor_stops_children_newest_first():
    Worker.made.clear()
    events = []
    sup, sup_ref = start_supervisor()
    for name in 'abc':
        sup.start_child(lambda name=name: Worker(name, events))
    assert sup_ref.stop() is True
    assert [e[1] for e in events if e[0] == 'on_stop'] == ['c', 'b', 'a']


def test_a_factory_that_makes_no_actor_is_a_clear_error():
    sup, sup_ref = start_supervisor()
    with pytest.raises(GLib.Error) as info:
        sup.start_child(lambda: None)
    assert info.value.matches(Pykka.error_quark(), Pykka.Error.FAILED)
    sup_ref.stop()


def test_an_actor_s_children_stop_first_newest_first():
    events = []

    class Parent(Pykka.ThreadingActor):
        def on_receive(self, message):
            if isinstance(message, Pykka.Terminated):
                events.append(('told', message.get_actor_ref().actor_urn))
                return None
            if message == 'spawn':
                return [self.start_child(Worker(name, events)) for name in 'xyz']
            return None

        def on_stop(self):
            events.append(('on_stop', 'parent'))

    Worker.made.clear()
    parent = Parent.start()
    children = parent.ask('spawn', timeout=TIMEOUT)
    assert [c.ask('who', timeout=TIMEOUT) for c in children] == [('x', 1), ('y', 1), ('z', 1)]
    children[0].stop()
    iterate_until(lambda: ('told', children[0].actor_urn) in events)
    assert parent.stop() is True
    stops = [e for e in events if e[0] == 'on_stop']
    assert stops == [('on_stop', 'x', 1), ('on_stop', 'z', 1), ('on_stop', 'y', 1), ('on_stop', 'parent')]
    assert not any(c.is_alive() for c in children)
