#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# dispatch.py: on_receive dispatching by message type with match, and a
# clear error for a message of a type the actor does not handle.
from dataclasses import dataclass
from typing import Any

import pykka_glib as pykka


@dataclass(frozen=True)
class Add:
    amount: int


@dataclass(frozen=True)
class Reset:
    pass


class Calculator(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def on_receive(self, message: Any) -> Any:
        match message:
            case Add(amount):
                self.total += amount
                return self.total
            case Reset():
                self.total = 0
                return self.total
        raise TypeError(f"{self} has no handler for a {type(message).__name__}: it handles Add and Reset")


calculator = Calculator.start()
print(calculator.ask(Add(5)))  # 5
try:
    calculator.ask(2.5)
except TypeError as error:
    print(error)  # Calculator (urn:uuid:…) has no handler for a float: it handles Add and Reset
print(calculator.is_alive())  # True
calculator.stop()
