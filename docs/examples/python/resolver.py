#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's "pool of actors sharing work" example: resolve a bunch of IP
addresses with a pool of resolver actors, fanning out with futures and
gathering them with get_all().

Ported from Pykka's examples/resolver.py by changing the import and adding
type annotations (mypy --strict checks it). Without
arguments it resolves from a built-in table (no network needed); give
--network to ask the system resolver, as the original does:

    ./resolver.py
    ./resolver.py --network 3 193.35.52.{1,2,3,4,5,6,7,8,9}
"""

import pprint
import socket
import sys
from typing import Callable

import pykka_glib as pykka

#: What a lookup returns: socket.gethostbyaddr()'s (name, aliases, addresses).
HostInfo = tuple[str, list[str], list[str]]

TABLE = {f'192.0.2.{i}': f'host{i}.example.net' for i in range(1, 50) if i % 7}


def say(line: str) -> None:
    # One write per line: the resolvers print from their own threads.
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def table_lookup(ip: str) -> HostInfo:
    try:
        return (TABLE[ip], [], [ip])
    except KeyError:
        raise socket.herror(1, 'Unknown host')


class Resolver(pykka.ThreadingActor):
    def __init__(self, lookup: Callable[[str], HostInfo]) -> None:
        super().__init__()
        self.lookup = lookup

    def resolve(self, ip: str) -> str | None:
        try:
            info = self.lookup(ip)
            say(f'Finished resolving {ip}')
            return info[0]
        except Exception:
            say(f'Failed resolving {ip}')
            return None


def run(pool_size: int, *ips: str, lookup: Callable[[str], HostInfo] = table_lookup) -> None:
    # Start resolvers
    resolvers = [Resolver.start(lookup).proxy() for _ in range(pool_size)]

    # Distribute work by mapping IPs to resolvers (not blocking)
    hosts: list[pykka.Future[str | None]] = []
    for i, ip in enumerate(ips):
        hosts.append(resolvers[i % len(resolvers)].resolve(ip))

    # Gather results (blocking)
    ip_to_host = zip(ips, pykka.get_all(hosts))
    pprint.pprint(list(ip_to_host))

    # Clean up
    pykka.ActorRegistry.stop_all()


if __name__ == '__main__':
    args = sys.argv[1:]
    lookup: Callable[[str], HostInfo] = table_lookup
    if args[:1] == ['--network']:
        args = args[1:]
        lookup = socket.gethostbyaddr
    if len(args) >= 2:
        run(int(args[0]), *args[1:], lookup=lookup)
    else:
        ips = [f'192.0.2.{i}' for i in range(1, 16)]
        run(4, *ips, lookup=lookup)
