#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's "multiple cooperating actors" example: the Bookkeeper waits for
the Adder's replies with blocking get() calls.

Ported from Pykka's examples/counter.py by changing the import and the base
class, and adding type annotations (mypy --strict checks it). Both actors run in the main context of the main thread: each get()
in Bookkeeper.count_to() suspends only the Bookkeeper (a greenlet), so the
Adder, on the same thread, runs meanwhile. With Pykka's ThreadingActor this
takes two threads; here it takes none.
"""

import pykka_glib as pykka


class Adder(pykka.Actor):
    def add_one(self, i: int) -> int:
        print(f'{self} is increasing {i}')
        return i + 1


class Bookkeeper(pykka.Actor):
    def __init__(self, adder: pykka.ActorProxy[Adder]) -> None:
        super().__init__()
        self.adder = adder

    def count_to(self, target: int) -> None:
        i = 0
        while i < target:
            i = self.adder.add_one(i).get()
            print(f'{self} got {i} back')


if __name__ == '__main__':
    adder = Adder.start().proxy()
    bookkeeper = Bookkeeper.start(adder).proxy()
    bookkeeper.count_to(10).get()
    pykka.ActorRegistry.stop_all()
