# SPDX-License-Identifier: LGPL-2.1-or-later
"""The GTK helpers from Python (issue 13.5, 13.6): Pykka.application_attach()
holds a Gio.Application while actors run and stops them at shutdown;
Pykka.PropertyRelay mirrors an own-thread actor's property onto an object
of the main thread."""

import threading

from gi.repository import Gio, GLib, GObject, Pykka

from conftest import TIMEOUT, drain, iterate_until


class Counter(Pykka.ThreadingActor):
    count = GObject.Property(type=int, default=0)

    def on_receive(self, message):
        if message == 'stop':
            self.stop()
            return None
        if message == 'get':
            return self.count
        for _ in range(message):
            self.count += 1
        return self.count


class Mirror(GObject.Object):
    def __init__(self):
        super().__init__()
        self.values = []
        self.threads = set()

    @GObject.Property(type=int, default=-1)
    def value(self):
        return self.values[-1] if self.values else -1

    @value.setter
    def value(self, v):
        self.threads.add(threading.get_ident())
        self.values.append(v)


def test_relay_delivers_on_the_main_thread_in_order():
    ref = Counter.start()
    actor = ref.dup_actor()
    mirror = Mirror()
    relay = Pykka.PropertyRelay.new(actor, 'count', mirror, 'value',
                                    GObject.BindingFlags.SYNC_CREATE, None)
    iterate_until(lambda: mirror.value == 0)
    for _ in range(100):
        ref.tell(10)
        GLib.MainContext.default().iteration(False)
    final = ref.ask('get', timeout=TIMEOUT)
    assert final == 1000
    iterate_until(lambda: mirror.value == final)
    assert mirror.threads == {threading.get_ident()}
    assert mirror.values == sorted(set(mirror.values))

    relay.unbind()
    seen = len(mirror.values)
    ref.ask(5, timeout=TIMEOUT)
    drain()
    assert len(mirror.values) == seen
    ref.stop()


def test_relay_outlives_its_actor():
    ref = Counter.start()
    actor = ref.dup_actor()
    mirror = Mirror()
    relay = Pykka.PropertyRelay.new(actor, 'count', mirror, 'value',
                                    GObject.BindingFlags.DEFAULT, None)
    ref.ask(3, timeout=TIMEOUT)
    iterate_until(lambda: mirror.value == 3)
    del actor
    ref.stop()
    drain()
    assert mirror.value == 3
    del relay


def test_application_held_while_an_actor_runs_and_stopped_lifo():
    stopped = []

    class Recorder(Pykka.ThreadingActor):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_stop(self):
            stopped.append(self.name)

        def on_receive(self, message):
            self.stop()

    app = Gio.Application(flags=Gio.ApplicationFlags.NON_UNIQUE)
    Pykka.application_attach(app, TIMEOUT * 1000)
    state = {}

    def quit_when_first_stopped():
        # The application ran on after activate (the actor held it); now
        # quit with two actors still running: shutdown stops them.
        if stopped:
            app.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    def on_activate(app):
        state['refs'] = [Recorder.start(name) for name in ('a', 'b', 'c')]
        state['refs'][0].tell('stop')
        GLib.timeout_add(10, quit_when_first_stopped)

    def watchdog():
        state['timed_out'] = True
        app.quit()
        return GLib.SOURCE_REMOVE

    app.connect('activate', on_activate)
    watchdog_id = GLib.timeout_add(TIMEOUT * 1000, watchdog)
    assert app.run([]) == 0
    GLib.source_remove(watchdog_id)
    assert 'timed_out' not in state
    assert stopped == ['a', 'c', 'b']
    assert not any(ref.is_alive() for ref in state['refs'])
