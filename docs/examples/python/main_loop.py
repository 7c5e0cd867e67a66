#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors in an application that runs a GLib.MainLoop: a chat room whose
members are actors of the main context, an async handler, and results
delivered to the loop with get_async()."""

from typing import Any

import gi

gi.require_version('Pykka', '1.0')
from gi.repository import GLib  # noqa: E402

import pykka_glib as pykka  # noqa: E402


class Member(pykka.Actor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.heard: list[str] = []

    def hear(self, speaker: str, text: str) -> None:
        self.heard.append(f'{speaker}: {text}')


class Room(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.members: list[pykka.ActorProxy[Member]] = []

    def join(self, member: pykka.ActorProxy[Member]) -> None:
        self.members.append(member)

    async def say(self, speaker: str, text: str) -> int:
        # Waits for every member, suspending only the room.
        for member in self.members:
            await member.hear(speaker, text)
        return len(self.members)


def main() -> None:
    loop = GLib.MainLoop()
    room = Room.start().proxy()
    members = [Member.start(name).proxy() for name in ('ann', 'bob', 'cid')]
    for member in members:
        room.join(member)

    def said(future: pykka.Future[int], result: Any) -> None:
        print('delivered to', future.get_finish(result), 'members')
        GLib.idle_add(finish)

    def finish() -> None:
        for member in members:
            print(member.name.get(), 'heard', member.heard.get())
        pykka.ActorRegistry.stop_all()
        loop.quit()

    room.say('ann', 'hello').get_async(None, said)
    loop.run()


if __name__ == '__main__':
    main()
