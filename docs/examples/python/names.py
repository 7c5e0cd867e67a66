#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Names: an actor found by a name of our choosing, unique in the process
(Erlang's register/whereis), taken by another actor once it stops."""

from gi.repository import Pykka

import pykka_glib as pykka


class Cache(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, str] = {}

    def on_receive(self, message: tuple[str, str]) -> str:
        key, value = message
        return self.entries.setdefault(key, value)


if __name__ == '__main__':
    cache = Cache.start()
    pykka.ActorRegistry.register_name('cache', cache)

    # Anywhere in the program: find it by its name.
    found = pykka.ActorRegistry.get_by_name('cache')
    assert found is not None
    print(found.ask(('colour', 'blue')))  # blue

    # A name is one actor's at a time.
    spare = Cache.start()
    try:
        pykka.ActorRegistry.register_name('cache', spare)
    except Pykka.NameTakenError as error:
        print(error.holder == cache)  # True

    # Stopping frees the name: the spare takes over.
    cache.stop()
    pykka.ActorRegistry.register_name('cache', spare)
    print(pykka.ActorRegistry.get_by_name('cache') == spare)  # True
    pykka.ActorRegistry.stop_all()
