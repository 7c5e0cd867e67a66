#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors in an application that runs a GLib.MainLoop: a chat room whose
members are actors of the main context, an async handler, and results
delivered to the loop with get_async()."""

import gi

gi.require_version('Pykka', '1.0')
from gi.repository import GLib, Pykka  # noqa: E402


class Member(Pykka.Actor):
    def __init__(self, name):
        super().__init__()
        self.name = name
        self.heard = []

    def hear(self, speaker, text):
        self.heard.append(f'{speaker}: {text}')


class Room(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.members = []

    def join(self, member):
        self.members.append(member)

    async def say(self, speaker, text):
        # Waits for every member, suspending only the room.
        for member in self.members:
            await member.hear(speaker, text)
        return len(self.members)


def main():
    loop = GLib.MainLoop()
    room = Room.start().proxy()
    members = [Member.start(name).proxy() for name in ('ann', 'bob', 'cid')]
    for member in members:
        room.join(member)

    def said(future, result):
        print('delivered to', future.get_finish(result), 'members')
        GLib.idle_add(finish)

    def finish():
        for member in members:
            print(member.name.get(), 'heard', member.heard.get())
        Pykka.ActorRegistry.stop_all()
        loop.quit()

    room.say('ann', 'hello').get_async(None, said)
    loop.run()


if __name__ == '__main__':
    main()
