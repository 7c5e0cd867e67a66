#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's "plain actor" example: on_receive, tell and ask.

Ported from Pykka's examples/plain_actor.py by changing the import and
adding type annotations (mypy --strict checks it).
"""

from typing import Any

import pykka_glib as pykka

GetMessages = object()


class PlainActor(pykka.ThreadingActor):
    def __init__(self) -> None:
        super().__init__()
        self.stored_messages: list[Any] = []

    def on_receive(self, message: Any) -> Any:
        if message is GetMessages:
            return self.stored_messages
        else:
            self.stored_messages.append(message)
            return None


if __name__ == '__main__':
    actor = PlainActor.start()
    actor.tell({'no': 'Norway', 'se': 'Sweden'})
    actor.tell({'a': 3, 'b': 4, 'c': 5})
    print(actor.ask(GetMessages))
    actor.stop()
