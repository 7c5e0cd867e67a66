#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's "multiple cooperating actors" example: the Bookkeeper waits for
the Adder's replies with blocking get() calls.

Ported from Pykka's examples/counter.py by changing the import and the base
class. Both actors run in the main context of the main thread: each get()
in Bookkeeper.count_to() suspends only the Bookkeeper (a greenlet), so the
Adder, on the same thread, runs meanwhile. With Pykka's ThreadingActor this
takes two threads; here it takes none.
"""

import gi

gi.require_version('Pykka', '1.0')
from gi.repository import Pykka as pykka  # noqa: E402


class Adder(pykka.Actor):
    def add_one(self, i):
        print(f'{self} is increasing {i}')
        return i + 1


class Bookkeeper(pykka.Actor):
    def __init__(self, adder):
        super().__init__()
        self.adder = adder

    def count_to(self, target):
        i = 0
        while i < target:
            i = self.adder.add_one(i).get()
            print(f'{self} got {i} back')


if __name__ == '__main__':
    adder = Adder.start().proxy()
    bookkeeper = Bookkeeper.start(adder).proxy()
    bookkeeper.count_to(10).get()
    pykka.ActorRegistry.stop_all()
