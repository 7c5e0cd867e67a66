# SPDX-License-Identifier: LGPL-2.1-or-later
"""Which thread runs a Python actor's handlers, and what happens to its
actors when the thread that owns their context ends (issue 11.1, issue 12
F8)."""

import threading

from gi.repository import GLib, Pykka
import pytest
from conftest import TIMEOUT, iterate_until


class Recorder(Pykka.Actor):
    def __init__(self, gate=None, entered=None):
        super().__init__()
        self.gate = gate
        self.entered = entered
        self.threads = []

    def on_receive(self, message):
        self.threads.append(threading.get_ident())
        if message == 'wait':
            self.entered.set()
            return self.gate.get(timeout=TIMEOUT)
        if message == 'threads':
            return list(self.threads)
        return message


def test_a_worker_never_runs_a_main_context_actor():
    ref = Recorder.start()
    outcome = []

    def worker():
        try:
            outcome.append(ref.ask('from the worker', timeout=0.2))
        except Pykka.Timeout as error:
            outcome.append(str(error))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(TIMEOUT)
    assert len(outcome) == 1 and 'not being run' in outcome[0]
    # The main thread runs it now, and only the main thread ever did.
    assert ref.ask('threads', timeout=TIMEOUT) == [threading.get_ident()] * 2


def test_a_suspended_handler_of_an_orphaned_context_fails_its_asker():
    # F8: the handler suspends in a greenlet of the thread that owns the
    # actor's context; the thread ends without stopping the actor. The
    # actor dies with its context: the ask fails, the actor is gone, and
    # stopping it does not hang.
    gate = Pykka.Future()
    entered = threading.Event()
    started = []

    def owner():
        context = GLib.MainContext.new()
        context.push_thread_default()
        try:
            ref = Recorder.start(gate, entered)
            future = ref.ask('wait', block=False)
            started.append((ref, future))
            # Run until the handler has suspended on the gate.
            iterate_until(entered.is_set, context=context)
            context.iteration(False)
        finally:
            context.pop_thread_default()

    thread = threading.Thread(target=owner, name='owner')
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    ref, future = started[0]
    with pytest.raises(Pykka.ActorDeadError) as raised:
        future.get(timeout=TIMEOUT)
    # Pykka's text ("Recorder (urn:…) not found"); the cause apart.
    assert str(raised.value) == '%s not found' % (ref,)
    assert 'orphaned' in raised.value.reason
    assert not ref.is_alive()
    assert ref.stop(timeout=TIMEOUT) in (None, False)
    with pytest.raises(Pykka.ActorDeadError):
        ref.ask('again', timeout=TIMEOUT)
    gate.set('late')  # nothing left to resume
    assert Pykka.ActorRegistry.get_by_urn(ref.actor_urn) is None
