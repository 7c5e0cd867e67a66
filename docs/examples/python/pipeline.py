#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# pipeline.py: a handler that waits for another actor without blocking its
# context, a ThreadingActor, a proxy, and exceptions that travel back.
import pykka_glib as pykka


class Doubler(pykka.ThreadingActor):
    def on_receive(self, message: int) -> int:
        return message * 2


class Summer(pykka.Actor):
    def __init__(self, doubler: pykka.ActorRef[Doubler]) -> None:
        super().__init__()
        self.doubler = doubler

    def on_receive(self, message: int) -> int:
        # Suspends this actor only; the other actors keep running.
        doubled: int = self.doubler.ask(message)
        return message + doubled


class Counter(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def increment(self, by: int = 1) -> int:
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

pykka.ActorRegistry.stop_all()
