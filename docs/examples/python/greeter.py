#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# greeter.py: the smallest actor in Python, asked once and stopped.
from typing import Any

import pykka_glib as pykka


class Greeter(pykka.Actor):
    def on_receive(self, message: Any) -> str:
        return f"Hi there, {message}!"


ref = Greeter.start()
print(ref.ask("Alice"))  # Hi there, Alice!
ref.stop()
