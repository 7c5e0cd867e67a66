# SPDX-License-Identifier: LGPL-2.1-or-later
"""Names of actors from Python (issue 15.5): ActorRegistry.register_name,
get_by_name, unregister_name and get_names over Pykka.Registry's names."""

import threading

from gi.repository import GLib, Pykka

import pytest

from conftest import TIMEOUT, iterate_until


class Named(Pykka.Actor):
    def on_receive(self, message):
        return message


class Failing(Pykka.Actor):
    def on_receive(self, message):
        raise ValueError('failed on purpose')


class Threaded(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message


def test_register_and_get_by_name():
    ref = Named.start()
    assert Pykka.ActorRegistry.get_by_name('db') is None
    Pykka.ActorRegistry.register_name('db', ref)
    assert Pykka.ActorRegistry.get_by_name('db') == ref
    assert Pykka.ActorRegistry.get_by_name('db').ask('ping', timeout=TIMEOUT) == 'ping'
    # Again for the same actor is fine; several names; non-ASCII names.
    Pykka.ActorRegistry.register_name('db', ref)
    Pykka.ActorRegistry.register_name('données', ref)
    assert Pykka.ActorRegistry.get_names(ref) == ['db', 'données']
    # The C API is there too.
    assert Pykka.Registry.lookup_name('données') == ref


def test_duplicate_raises_name_taken():
    first, second = Named.start(), Named.start()
    Pykka.ActorRegistry.register_name('db', first)
    with pytest.raises(Pykka.NameTakenError) as info:
        Pykka.ActorRegistry.register_name('db', second)
    error = info.value
    assert error.name == 'db'
    assert error.holder == first
    assert 'db' in str(error) and first.actor_urn in str(error)
    # Also a GLib.Error of the PYKKA_ERROR domain.
    assert isinstance(error, GLib.Error)
    assert error.matches(Pykka.error_quark(), Pykka.Error.NAME_TAKEN)
    assert Pykka.ActorRegistry.get_by_name('db') == first
    assert Pykka.ActorRegistry.get_names(second) == []


def test_freed_on_stop_and_unregister():
    ref, successor = Named.start(), Named.start()
    Pykka.ActorRegistry.register_name('a', ref)
    Pykka.ActorRegistry.register_name('b', ref)
    assert Pykka.ActorRegistry.unregister_name('a') is True
    assert Pykka.ActorRegistry.unregister_name('a') is False
    assert Pykka.ActorRegistry.get_by_name('a') is None
    assert Pykka.ActorRegistry.get_names(ref) == ['b']
    ref.stop()
    assert Pykka.ActorRegistry.get_by_name('b') is None
    Pykka.ActorRegistry.register_name('b', successor)
    assert Pykka.ActorRegistry.get_by_name('b') == successor


def test_free_in_on_stop():
    seen = []

    class Watcher(Pykka.Actor):
        def on_stop(self):
            seen.append(Pykka.ActorRegistry.get_by_name('watcher'))

    ref = Watcher.start()
    Pykka.ActorRegistry.register_name('watcher', ref)
    ref.stop()
    assert seen == [None]


def test_freed_on_failure_and_kill():
    failing, killed = Failing.start(), Named.start()
    Pykka.ActorRegistry.register_name('failing', failing)
    Pykka.ActorRegistry.register_name('killed', killed)
    failing.tell('boom')
    iterate_until(lambda: not failing.is_alive())
    assert Pykka.ActorRegistry.get_by_name('failing') is None
    killed.kill()
    assert Pykka.ActorRegistry.get_by_name('killed') is None


def test_dead_actor_raises_actor_dead():
    ref = Named.start()
    ref.stop()
    with pytest.raises(Pykka.ActorDeadError) as info:
        Pykka.ActorRegistry.register_name('late', ref)
    assert info.value.actor_urn == ref.actor_urn
    assert Pykka.ActorRegistry.get_by_name('late') is None


def test_invalid_names():
    ref = Named.start()
    with pytest.raises(ValueError):
        Pykka.ActorRegistry.register_name('', ref)
    with pytest.raises(TypeError):
        Pykka.ActorRegistry.register_name(None, ref)
    with pytest.raises(TypeError):
        Pykka.ActorRegistry.register_name(b'bytes', ref)
    assert Pykka.ActorRegistry.get_by_name('') is None
    assert Pykka.ActorRegistry.get_names(ref) == []


def test_race_one_winner():
    refs = [Threaded.start() for _ in range(6)]
    barrier = threading.Barrier(len(refs))
    won, taken = [], []

    def racer(ref):
        barrier.wait()
        try:
            Pykka.ActorRegistry.register_name('leader', ref)
            won.append(ref)
        except Pykka.NameTakenError as error:
            taken.append(error.holder)

    threads = [threading.Thread(target=racer, args=(ref,)) for ref in refs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert len(won) == 1
    assert taken == [won[0]] * (len(refs) - 1)
    assert Pykka.ActorRegistry.get_by_name('leader') == won[0]
    # The winner stops: another takes the name.
    won[0].stop()
    successor = next(ref for ref in refs if ref != won[0])
    Pykka.ActorRegistry.register_name('leader', successor)
    assert Pykka.ActorRegistry.get_by_name('leader') == successor
