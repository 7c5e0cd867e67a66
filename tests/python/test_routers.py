# SPDX-License-Identifier: LGPL-2.1-or-later
"""Routers and pools from Python (issue 16.3)."""
import threading

from gi.repository import GLib, Pykka

from conftest import TIMEOUT, iterate_until


class Named(Pykka.ThreadingActor):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def on_receive(self, message):
        if message == 'crash':
            raise ValueError('crash')
        return (self.name, message)


def test_round_robin_router_over_python_actors():
    routees = [Named.start(name) for name in 'abc']
    router = Pykka.Router.new(Pykka.RouterKind.ROUND_ROBIN, routees)
    ref = router.start()
    answers = [ref.ask(i, timeout=TIMEOUT) for i in range(6)]
    assert [a[0] for a in answers] == ['a', 'b', 'c', 'a', 'b', 'c']
    assert [a[1] for a in answers] == list(range(6))
    ref.stop()
    for r in routees:
        r.stop()


def test_consistent_hash_with_a_python_key_function():
    routees = [Named.start(name) for name in 'abc']
    router = Pykka.Router.new(Pykka.RouterKind.CONSISTENT_HASH, routees)
    router.set_key_func(lambda message: len(message))
    ref = router.start()
    for word in ['one', 'two', 'six', 'three', 'seven', 'eight']:
        same = {ref.ask(w, timeout=TIMEOUT)[0] for w in ['one', 'two', 'six']}
        assert len(same) == 1
    ref.stop()
    for r in routees:
        r.stop()


def test_a_pool_of_python_workers_restarts_a_failed_one():
    made = []
    lock = threading.Lock()

    def factory():
        with lock:
            made.append(1)
            return Named('w%d' % len(made))

    pool = Pykka.Router.start_pool(Pykka.RouterKind.ROUND_ROBIN, 2, factory)
    assert sorted(pool.ask(i, timeout=TIMEOUT)[0] for i in range(2)) == ['w1', 'w2']
    pool.tell('crash')
    # The router runs on this thread's context: iterate it.
    iterate_until(lambda: len(made) == 3)
    names = {pool.ask(i, timeout=TIMEOUT)[0] for i in range(4)}
    assert 'w3' in names
    assert pool.stop() is True
