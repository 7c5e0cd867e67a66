# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors across processes from Python (issue 17): a Python client of a C
actor in a helper process, a Python actor in a helper process (the
library's C client asks it), and a Python actor exported on a private
bus that a plain Gio client calls."""
import os

from gi.repository import Gio, GLib, GObject, Pykka
import pytest

from conftest import TIMEOUT, iterate_until

HOST = os.environ.get('PYKKA_GLIB_HOST')
MODULE = os.environ.get('TEST_DBUS_MODULE')

# The Python helper imports dbus_actors from here, wherever it runs.
os.environ['PYTHONPATH'] = os.pathsep.join(
    [os.path.dirname(os.path.abspath(__file__))]
    + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])


@pytest.mark.skipif(not (HOST and MODULE), reason='needs the built helper and module')
def test_a_python_client_asks_a_c_actor_in_a_helper_process():
    remote = Pykka.subprocess_start_actor(MODULE, 'TestHostActor')
    assert isinstance(remote, Pykka.RemoteRef)
    assert remote.ask(20, timeout=TIMEOUT) == 21
    pid = remote.ask('pid', timeout=TIMEOUT)
    assert pid == remote.get_subprocess().get_identifier()
    future = remote.ask(1, block=False)
    assert future.get(timeout=TIMEOUT) == 2
    with pytest.raises(Exception) as info:
        remote.ask(GLib.Variant('d', 1.5), timeout=TIMEOUT)
    assert 'unexpected' in str(info.value)
    assert remote.stop(timeout=TIMEOUT) is True
    assert not remote.is_alive()


def test_a_python_actor_in_a_helper_process():
    remote = Pykka.subprocess_start_python_actor('dbus_actors:Echo')
    assert remote.ask(1, timeout=TIMEOUT) == 2
    assert remote.ask('hello', timeout=TIMEOUT) == 'hello'
    assert remote.ask({'a': 1, 'b': 2}, timeout=TIMEOUT) == {'a': 2, 'b': 4}
    assert remote.ask(['x', 'y'], timeout=TIMEOUT) == ['x', 'y']
    assert remote.ask(None, timeout=TIMEOUT) is None
    assert remote.ask('pid', timeout=TIMEOUT) == remote.get_subprocess().get_identifier()
    with pytest.raises(Exception) as info:
        remote.ask('fail', timeout=TIMEOUT)
    assert 'failed on purpose' in str(info.value)
    remote.tell('told')
    terminated = remote.get_terminated()
    assert remote.stop(timeout=TIMEOUT) is True
    assert terminated.get(timeout=TIMEOUT) is None


def test_a_crashing_python_helper_fails_its_actor_not_this_process():
    remote = Pykka.subprocess_start_python_actor('dbus_actors:Echo')
    with pytest.raises(Exception) as info:
        remote.ask('crash', timeout=TIMEOUT)
    assert 'dead' in str(info.value)
    reason = remote.get_terminated().get(timeout=TIMEOUT)
    assert 'process crashed' in reason.message
    assert not remote.is_alive()


class Doubler(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message * 2


def test_a_gio_client_calls_a_python_actor_on_a_private_bus():
    bus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
    bus.up()
    try:
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        server = Gio.DBusConnection.new_for_address_sync(bus.get_bus_address(), flags, None, None)
        client = Gio.DBusConnection.new_for_address_sync(bus.get_bus_address(), flags, None, None)
        from pykka_glib.dbus import exportable
        ref = exportable(Doubler).start()
        export_id = ref.export_on_dbus(server, '/doubler')
        reply = client.call_sync(server.get_unique_name(), '/doubler', 'org.pykka.Actor1', 'Ask',
                                 GLib.Variant('(v)', (GLib.Variant('s', 'ab'),)),
                                 GLib.VariantType('(v)'), Gio.DBusCallFlags.NONE,
                                 TIMEOUT * 1000, None)
        assert reply.unpack() == ('abab',)

        # And the Python remote ref over the bus.
        remote = Pykka.RemoteRef.new(client, server.get_unique_name(), '/doubler')
        assert remote.ask(21, timeout=TIMEOUT) == 42
        assert remote.stop(timeout=TIMEOUT) is True
        assert not ref.is_alive()
        assert Pykka.dbus_unexport(server, export_id)
        server.close_sync(None)
        client.close_sync(None)
    finally:
        bus.down()


class RemoteMonitor(Pykka.ThreadingActor):
    """Watches remote refs and keeps what it was told."""

    def __init__(self):
        super().__init__()
        self.told = []

    def on_receive(self, message):
        if isinstance(message, Pykka.Terminated):
            reason = message.get_reason()
            self.told.append((message.get_actor_ref(), message.get_remote_ref(),
                              None if reason is None else reason.message))
        elif message == 'told':
            return list(self.told)
        elif isinstance(message, tuple) and message[0] == 'watch':
            self.watch_remote(message[1])


@pytest.mark.skipif(not (HOST and MODULE), reason='needs the built helper and module')
def test_a_python_actor_watches_an_actor_in_a_helper_process():
    remote = Pykka.subprocess_start_actor(MODULE, 'TestHostActor')
    monitor = RemoteMonitor.start()
    monitor.tell(('watch', remote))
    assert monitor.ask('told', timeout=TIMEOUT) == []
    remote.get_subprocess().force_exit()
    seen = []
    for _ in range(int(TIMEOUT * 100)):
        seen = monitor.ask('told', timeout=TIMEOUT)
        if seen:
            break
        GLib.usleep(10000)
    assert len(seen) == 1
    actor_ref, remote_ref, reason = seen[0]
    assert actor_ref is None
    assert remote_ref == remote
    assert 'process crashed' in reason
    monitor.stop()


@pytest.mark.skipif(not (HOST and MODULE), reason='needs the built helper and module')
def test_a_supervised_process_actor_restarts_in_a_fresh_process():
    supervisor = Pykka.Supervisor(strategy=Pykka.RestartStrategy.ONE_FOR_ONE,
                                  max_restarts=3, within_msec=60000)
    supervisor_ref = supervisor.start()
    child = supervisor.start_child(
        lambda: Pykka.ProcessActor.new(MODULE, 'TestHostActor'))
    first = child.ask('pid', timeout=TIMEOUT)
    with pytest.raises(Exception) as info:
        child.ask('segv', timeout=TIMEOUT)
    assert 'process crashed' in str(info.value)
    second = None
    for _ in range(int(TIMEOUT * 100)):
        try:
            second = child.ask('pid', timeout=TIMEOUT)
            break
        except Exception as error:  # the restart is not done yet
            assert 'dead' in str(error)
            GLib.usleep(10000)
    assert second is not None and second != first
    assert child.ask(1, timeout=TIMEOUT) == 2
    supervisor_ref.stop()
