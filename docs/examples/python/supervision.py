#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# supervision.py: a supervisor restarts a failed worker behind the same
# ref; a monitor watches it die at the end.
from typing import Any

import gi

gi.require_version("Pykka", "1.0")
from gi.repository import Pykka  # noqa: E402

import pykka_glib as pykka  # noqa: E402


class Worker(pykka.ThreadingActor):
    instances = 0

    def __init__(self) -> None:
        super().__init__()
        Worker.instances += 1
        self.instance = Worker.instances

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise ValueError("crashed on purpose")
        return self.instance


supervisor = Pykka.Supervisor(strategy=Pykka.RestartStrategy.ONE_FOR_ONE,
                              max_restarts=3, within_msec=5000)
supervisor_ref = supervisor.start()
# The factory makes each instance: the first, and one per restart.
worker = supervisor.start_child(Worker)
print(worker.ask("who"))  # 1
worker.tell("crash")
print(worker.ask("who"))  # 2: the same ref, a new instance

# Plain code learns of a death with a future.
terminated = worker.get_terminated()
supervisor_ref.stop()  # stops its children first
print(terminated.get(timeout=5).get_reason())  # None: a normal stop
