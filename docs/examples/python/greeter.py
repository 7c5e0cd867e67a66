#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# greeter.py: the smallest actor in Python, asked once and stopped.
import gi
gi.require_version("Pykka", "1.0")
from gi.repository import Pykka


class Greeter(Pykka.Actor):
    def on_receive(self, message):
        return f"Hi there, {message}!"


ref = Greeter.start()
print(ref.ask("Alice"))  # Hi there, Alice!
ref.stop()
