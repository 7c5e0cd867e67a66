#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A counter used through a proxy (Pykka's quickstart Calculator): method
calls and attribute reads give futures, attribute writes wait."""

import pykka_glib as pykka


class Calculator(pykka.Actor):
    def __init__(self) -> None:
        super().__init__()
        self.last_result = 0

    def add(self, a: int, b: int | None = None) -> int:
        if b is not None:
            self.last_result = a + b
        else:
            self.last_result += a
        return self.last_result

    def sub(self, a: int, b: int | None = None) -> int:
        if b is not None:
            self.last_result = a - b
        else:
            self.last_result -= a
        return self.last_result


if __name__ == '__main__':
    proxy = Calculator.start().proxy()

    future = proxy.add(1, 3)
    print(future.get())                # 4
    print(proxy.last_result.get())     # 4

    proxy.sub(5)
    proxy.add(3)
    print(proxy.last_result.get())     # 2

    # Writing a field waits until it is set. After `proxy.last_result = 17`
    # mypy would take proxy.last_result for that int, not a future of it:
    # typed code writes fields with setattr().
    setattr(proxy, 'last_result', 17)
    print(proxy.last_result.get())     # 17

    proxy.stop()
