#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""asyncio and actors on one GLib loop: a TCP server on localhost whose
connections each get a session actor. Every line a client sends is asked
to its session, whose async handler awaits asyncio (a sleep standing for
slow work) and the actor that tallies the words of all connections; the
reply goes back on the connection. Three clients run to completion, then
the program prints what they got and the tally."""

import asyncio
import collections
from typing import Any

import gi

gi.require_version('Pykka', '1.0')

import pykka_glib as pykka  # noqa: E402
import pykka_glib.asyncio  # noqa: E402


class Tally(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: collections.Counter[str] = collections.Counter()

    def count(self, word: str) -> int:
        self.seen[word] += 1
        return self.seen[word]


class Session(pykka.Actor):
    def __init__(self, tally: pykka.ActorProxy[Tally]) -> None:
        super().__init__()
        self.tally = tally

    async def on_receive(self, word: Any) -> str:
        # Both waits suspend this session only: the loop, the other
        # sessions and the tally go on meanwhile.
        await asyncio.sleep(0.01)
        await self.tally.count(word)
        return str(word).upper()


async def serve(tally: pykka.ActorProxy[Tally], reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> None:
    session = Session.start(tally)
    while line := await reader.readline():
        reply: str = await session.ask(line.decode().strip(), block=False)
        writer.write(f'{reply}\n'.encode())
        await writer.drain()
    await session.stop(block=False)
    writer.close()


async def client(port: int, words: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    for word in words:
        writer.write(f'{word}\n'.encode())
    writer.write_eof()
    # Until the server closes the connection, after its session stopped.
    replies = (await reader.read()).decode().split()
    writer.close()
    await writer.wait_closed()
    return replies


async def main() -> None:
    tally = Tally.start().proxy()
    server = await asyncio.start_server(lambda reader, writer: serve(tally, reader, writer),
                                        '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        results = await asyncio.gather(client(port, ['apple', 'pear']),
                                       client(port, ['pear', 'fig']),
                                       client(port, ['apple', 'pear', 'plum']))
    for replies in results:
        print(' '.join(replies))
    print(sorted((await tally.seen).items()))
    await tally.actor_ref.stop(block=False)


if __name__ == '__main__':
    pykka_glib.asyncio.run(main())
