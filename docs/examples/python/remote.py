# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors across processes from Python (guide "Actors across processes"):
a Python actor in a helper process, and one exported on a bus (a private
one here; an application uses Gio.bus_get_sync(Gio.BusType.SESSION))."""
import os
import sys
from typing import Any

import gi
gi.require_version('Pykka', '1.0')
from gi.repository import Gio, Pykka  # noqa: E402

import pykka_glib  # noqa: E402
from pykka_glib.dbus import exportable  # noqa: E402


class Doubler(pykka_glib.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, dict):
            return {key: value * 2 for key, value in message.items()}
        return message * 2


def in_a_helper_process() -> None:
    # The helper imports this file as the module "remote".
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ['PYTHONPATH'] = os.pathsep.join([here] + sys.path)
    remote = Pykka.subprocess_start_python_actor('remote:Doubler')
    print('pid', remote.get_subprocess().get_identifier(), 'says', remote.ask(21))
    assert remote.ask({'a': 1}) == {'a': 2}
    remote.stop()


def on_a_bus() -> None:
    bus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
    bus.up()
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    service = Gio.DBusConnection.new_for_address_sync(bus.get_bus_address(), flags, None, None)
    client = Gio.DBusConnection.new_for_address_sync(bus.get_bus_address(), flags, None, None)

    # The service: replies of a Python actor must cross a process.
    ref = exportable(Doubler).start()
    ref.export_on_dbus(service, '/org/example/Doubler')

    # A client: tell and ask as on a local ref.
    remote = Pykka.RemoteRef.new(client, service.get_unique_name(), '/org/example/Doubler')
    print('the bus says', remote.ask('ab'))
    assert remote.ask(4) == 8
    remote.stop()
    assert not ref.is_alive()

    service.close_sync(None)
    client.close_sync(None)
    bus.down()


if __name__ == '__main__':
    in_a_helper_process()
    on_a_bus()
