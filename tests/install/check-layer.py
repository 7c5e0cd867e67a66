#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loads the Python layer the way a program does and prints, as JSON,
where each part came from: the override, the pykka_glib package, its C
extension, its asyncio helper and libpykka-glib. One actor asks another
from its handler, which suspends the asker (the C extension's greenlet
path).

With directories as arguments, also fails unless every one of those
files is under one of them (tests/install/test-install-prefix.sh).
tests/python/test_install.py runs it under `meson devenv`."""

import json
import os
import sys

import gi
gi.require_version("Pykka", "1.0")
from gi.repository import Pykka
import gi.overrides.Pykka
import pykka_glib
import pykka_glib._speedups
import pykka_glib.asyncio


class Inner(Pykka.Actor):
    def on_receive(self, message):
        return message + 1


class Outer(Pykka.Actor):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def on_receive(self, message):
        return self.inner.ask(message) * 2    # suspends this actor


reply = Outer.start(Inner.start()).ask(20, timeout=20)
Pykka.ActorRegistry.stop_all()
with open("/proc/self/maps") as maps:
    library = sorted(set(p for p in maps.read().split() if "libpykka-glib" in p))
info = {
    "reply": reply,
    "override": gi.overrides.Pykka.__file__,
    "module": pykka_glib.__file__,
    "speedups": pykka_glib._speedups.__file__,
    "asyncio": pykka_glib.asyncio.__file__,
    "library": library,
    "actor_class": Pykka.Actor.__module__,
}
print(json.dumps(info))

roots = [os.path.join(os.path.realpath(d), "") for d in sys.argv[1:]]
if roots:
    problems = []
    if reply != 42:
        problems.append("reply %r, not 42" % reply)
    if info["actor_class"] != "pykka_glib._actor":
        problems.append("Pykka.Actor is %s, not pykka_glib._actor" % info["actor_class"])
    if not library:
        problems.append("libpykka-glib is not mapped")
    for path in [info["override"], info["module"], info["speedups"], info["asyncio"]] + library:
        if not any(os.path.realpath(path).startswith(r) for r in roots):
            problems.append("%s is not under %s" % (path, " or ".join(roots)))
    for problem in problems:
        print("check-layer: " + problem, file=sys.stderr)
    sys.exit(1 if problems else 0)
