#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# pipeline.py: a handler that waits for another actor without blocking its
# context, a ThreadingActor, a proxy, and exceptions that travel back.
import gi
gi.require_version("Pykka", "1.0")
from gi.repository import Pykka


class Doubler(Pykka.ThreadingActor):
    def on_receive(self, message):
        return message * 2


class Summer(Pykka.Actor):
    def __init__(self, doubler):
        super().__init__()
        self.doubler = doubler

    def on_receive(self, message):
        # Suspends this actor only; the other actors keep running.
        doubled = self.doubler.ask(message)
        return message + doubled


class Counter(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.count = 0

    def increment(self, by=1):
        if by < 0:
            raise ValueError("cannot count down")
        self.count += by
        return self.count


doubler = Doubler.start()
summer = Summer.start(doubler)
print(summer.ask(10))  # 30

counter = Counter.start().proxy()
counter.increment()
print(counter.increment(2).get())  # 3
try:
    counter.increment(-1).get()
except ValueError as error:
    print("failed:", error)  # failed: cannot count down

Pykka.ActorRegistry.stop_all()
