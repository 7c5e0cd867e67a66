# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python actors that tests/python/test_dbus.py and tests/test-dbus.c start
in a helper process (python3 -m pykka_glib.host dbus_actors:Echo)."""

import os

import gi
gi.require_version('Pykka', '1.0')
from gi.repository import Pykka  # noqa: E402


class Echo(Pykka.ThreadingActor):
    def on_receive(self, message):
        if message == 'pid':
            return str(os.getpid())
        if message == 'fail':
            raise ValueError('failed on purpose')
        if message == 'crash':
            os.abort()
        if isinstance(message, int):
            return message + 1
        if isinstance(message, dict):
            return {k: v * 2 for k, v in message.items()}
        return message
