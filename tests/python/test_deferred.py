# SPDX-License-Identifier: LGPL-2.1-or-later
"""Deferred replies from Python (issue 16.2): a handler takes its reply
as a handle and answers later, while its actor takes other messages."""
import threading
import time

from gi.repository import GLib, Pykka
import pytest

from conftest import TIMEOUT


class Worker(Pykka.ThreadingActor):
    running = 0
    most = 0
    lock = threading.Lock()

    def on_receive(self, job):
        with Worker.lock:
            Worker.running += 1
            Worker.most = max(Worker.most, Worker.running)
        time.sleep(0.05)
        with Worker.lock:
            Worker.running -= 1
        return job * 10


class Router(Pykka.ThreadingActor):
    def __init__(self, workers):
        super().__init__()
        self.workers = workers
        self.next = 0

    def on_receive(self, job):
        handle = self.defer_reply()
        worker = self.workers[self.next % len(self.workers)]
        self.next += 1
        # Answer when the worker does; meanwhile take the next job.
        worker.ask(job, block=False).get_async(
            None, lambda future, result: handle.set(future.get_finish(result)))


def test_a_router_with_deferred_replies_runs_its_workers_at_once():
    Worker.running = Worker.most = 0
    workers = [Worker.start() for _ in range(3)]
    router = Router.start(workers)
    futures = [router.ask(job, block=False) for job in range(6)]
    assert [f.get(timeout=TIMEOUT) for f in futures] == [0, 10, 20, 30, 40, 50]
    assert Worker.most == 3


def test_a_dropped_handle_fails_the_ask_and_an_error_answers_it():
    class Odd(Pykka.Actor):
        def on_receive(self, message):
            handle = self.defer_reply()
            if message == 'raise':
                raise ValueError('after deferring')
            if message == 'answer':
                handle.set(42)
            # 'drop': the handle goes unanswered

    ref = Odd.start()
    assert ref.ask('answer', timeout=TIMEOUT) == 42
    with pytest.raises(ValueError):
        ref.ask('raise', timeout=TIMEOUT)
    with pytest.raises(GLib.Error) as info:
        ref.ask('drop', timeout=TIMEOUT)
    assert info.value.matches(Pykka.error_quark(), Pykka.Error.FAILED)
    assert ref.is_alive()


def test_deferring_outside_a_handler_is_an_error():
    class Idle(Pykka.Actor):
        pass

    actor = Idle()
    ref = actor.start()
    with pytest.raises(GLib.Error) as info:
        actor.defer_reply()
    assert info.value.matches(Pykka.error_quark(), Pykka.Error.INVALID_ARGUMENT)
    ref.stop()
