#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's "actor with proxy" example: methods with and without return
values, and fields read and written through a proxy.

Ported from Pykka's examples/typed_actor.py by changing the import (and
adding type annotations: mypy --strict checks it; typed_proxy.py types the
proxy too); the
actor runs on a thread of its own (ThreadingActor) as in Pykka, so the
main thread goes on while AnActor.func() sleeps.
"""

import sys
import threading
import time

import pykka_glib as pykka


class AnActor(pykka.ThreadingActor):
    field = 'this is the value of AnActor.field'

    def proc(self) -> None:
        log('this was printed by AnActor.proc()')

    def func(self) -> str:
        time.sleep(0.05)  # Block a bit to make it realistic
        return 'this was returned by AnActor.func() after a delay'


def log(msg: str) -> None:
    thread_name = 'MainThread' if threading.current_thread() is threading.main_thread() else 'AnActor'
    # One write per line: the actor's thread prints too.
    sys.stdout.write(f'{thread_name}: {msg}\n')
    sys.stdout.flush()


if __name__ == '__main__':
    actor = AnActor.start().proxy()
    for _ in range(3):
        # Method with side effect
        log('calling AnActor.proc() ...')
        actor.proc()

        # Method with return value
        log('calling AnActor.func() ...')
        result = actor.func()  # Does not block, returns a future
        log('printing result ... (blocking)')
        log(result.get())  # Blocks until ready

        # Field reading
        log('reading AnActor.field ...')
        result = actor.field  # Does not block, returns a future
        log('printing result ... (blocking)')
        log(result.get())  # Blocks until ready

        # Field writing
        log('writing AnActor.field ...')
        actor.field = 'new value'  # Assignment waits until it is done
        result = actor.field  # Does not block, returns a future
        log('printing new field value ... (blocking)')
        log(result.get())  # Blocks until ready
    actor.stop()
