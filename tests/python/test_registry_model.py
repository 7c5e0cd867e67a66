# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka.RegistryModel from Python: the running actors as a Gio.ListModel
(issue 13.4)."""

import gc
import threading
import weakref

from gi.repository import GObject, Gio, Pykka

from conftest import TIMEOUT, drain, iterate_until


class Worker(Pykka.Actor):
    def on_receive(self, message):
        return message


class SubWorker(Worker):
    pass


class Other(Pykka.Actor):
    pass


class ThreadedWorker(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message


def test_is_a_list_model_of_refs_in_start_order():
    refs = [Worker.start(), Other.start(), SubWorker.start()]
    model = Pykka.RegistryModel()
    assert isinstance(model, Gio.ListModel)
    assert model.get_item_type() == Pykka.ActorRef.__gtype__
    assert model.props.item_type == Pykka.ActorRef.__gtype__
    # Every actor: the C base type (Pykka.Actor in Python is its subclass).
    assert model.props.actor_type == GObject.type_from_name('PykkaActor')
    assert model.props.n_items == 3
    assert list(model) == refs
    assert all(model.get_item(i) is ref for i, ref in enumerate(refs))
    assert model.get_item(3) is None


def test_follows_starts_and_stops_on_its_context():
    model = Pykka.RegistryModel.new(Worker)
    changes = []
    model.connect('items-changed', lambda m, pos, removed, added: changes.append((pos, removed, added)))
    first, second, third = Worker.start(), Worker.start(), Worker.start()
    # Nothing changes before the model's context runs.
    assert len(model) == 0
    iterate_until(lambda: len(model) == 3)
    assert list(model) == [first, second, third]
    assert changes and sum(added - removed for _, removed, added in changes) == 3

    second.stop()
    iterate_until(lambda: len(model) == 2)
    assert list(model) == [first, third]
    assert changes[-1] == (1, 1, 0)


def test_filter_by_class_includes_subclasses():
    base, other, sub = Worker.start(), Other.start(), SubWorker.start()
    workers = Pykka.RegistryModel.new(Worker)
    subs = Pykka.RegistryModel(actor_type=SubWorker)
    others = Pykka.RegistryModel.new(Other)
    assert workers.props.actor_type == Worker.__gtype__
    assert list(workers) == [base, sub] == Pykka.ActorRegistry.get_by_class(Worker)
    assert list(subs) == [sub]
    assert list(others) == [other]


def test_signals_only_on_the_models_thread():
    main = threading.get_ident()
    model = Pykka.RegistryModel.new(ThreadedWorker)
    threads = set()
    model.connect('items-changed', lambda *args: threads.add(threading.get_ident()))

    # Started here, stopped (unregistered) on their own threads.
    refs = [ThreadedWorker.start() for _ in range(8)]
    iterate_until(lambda: len(model) == 8)
    for ref in refs[::2]:
        ref.stop(block=False)
    iterate_until(lambda: list(model) == refs[1::2])
    assert list(model) == Pykka.ActorRegistry.get_by_class(ThreadedWorker)
    assert threads == {main}


def test_starts_from_other_threads_reach_the_model():
    model = Pykka.RegistryModel.new(ThreadedWorker)
    started = []

    def start_some():
        for _ in range(10):
            started.append(ThreadedWorker.start())

    threads = [threading.Thread(target=start_some) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    iterate_until(lambda: len(model) == 30)
    assert list(model) == Pykka.ActorRegistry.get_by_class(ThreadedWorker)
    assert set(model) == set(started)


def test_a_dropped_model_stops_listening():
    model = Pykka.RegistryModel.new(Worker)
    gone = weakref.ref(model)
    model.connect('items-changed', lambda *args: None)
    Worker.start()
    del model
    gc.collect()
    assert gone() is None
    # Changes after the model is gone, and the one pending, do nothing.
    for _ in range(20):
        Worker.start().stop()
    drain()

