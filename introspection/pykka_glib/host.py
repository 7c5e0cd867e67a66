# SPDX-License-Identifier: LGPL-2.1-or-later
"""``python3 -m pykka_glib.host --fd 3 module:Class``: the helper process of
``Pykka.subprocess_start_python_actor()`` (issue 17.4). It imports the
class, starts one actor of it (converted with
``pykka_glib.dbus.exportable()``), and exports it on a peer-to-peer D-Bus
connection over the socket that the parent passed (authenticating the
parent as the same user). It exits when the actor is dead or the
connection closes."""

import argparse
import importlib
import sys

import gi
gi.require_version('Pykka', '1.0')
from gi.repository import Gio, GLib, Pykka  # noqa: E402

from pykka_glib.dbus import exportable  # noqa: E402

HOST_PATH = '/org/pykka/Actor'


def main(argv=None):
    parser = argparse.ArgumentParser(prog='pykka_glib.host')
    parser.add_argument('--fd', type=int, required=True)
    parser.add_argument('spec', help='module:Class')
    args = parser.parse_args(argv)

    module_name, _, class_name = args.spec.partition(':')
    cls = getattr(importlib.import_module(module_name), class_name)

    socket = Gio.Socket.new_from_fd(args.fd)
    stream = socket.connection_factory_create_connection()
    connection = Gio.DBusConnection.new_sync(
        stream, Gio.dbus_generate_guid(),
        Gio.DBusConnectionFlags.AUTHENTICATION_SERVER
        | Gio.DBusConnectionFlags.DELAY_MESSAGE_PROCESSING,
        Pykka.dbus_auth_observer_new_same_user(), None)

    ref = exportable(cls).start()
    ref.export_on_dbus(connection, HOST_PATH)

    loop = GLib.MainLoop()
    terminated = ref.get_terminated()
    terminated.get_async(None, lambda *_: loop.quit())
    connection.connect('closed', lambda *_: ref.stop(block=False))
    connection.start_message_processing()
    loop.run()
    # Calls taken while the actor died are answered too.
    Pykka.dbus_flush(connection, 5000)
    connection.close_sync(None)
    return 0


if __name__ == '__main__':
    sys.exit(main())
