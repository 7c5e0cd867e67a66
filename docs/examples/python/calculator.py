#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A counter used through a proxy (Pykka's quickstart Calculator): method
calls and attribute reads give futures, attribute writes wait."""

import gi

gi.require_version('Pykka', '1.0')
from gi.repository import Pykka  # noqa: E402


class Calculator(Pykka.Actor):
    def __init__(self):
        super().__init__()
        self.last_result = None

    def add(self, a, b=None):
        if b is not None:
            self.last_result = a + b
        else:
            self.last_result += a
        return self.last_result

    def sub(self, a, b=None):
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

    proxy.last_result = 17
    print(proxy.last_result.get())     # 17

    proxy.stop()
