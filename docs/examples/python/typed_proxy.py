#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A proxy that mypy --strict checks: Pykka 4's typing helpers on
pykka-glib (Pykka's examples/proxy_typing.py, made to run).

CircleProxy describes the proxy of CircleActor for the type checker:
each field is a Future of its type, each method a callable with the
method's parameters that returns a Future of its result. At run time the
proxy is the plain ActorProxy that proxy() made; cast() changes nothing.
"""

from typing import cast

from pykka_glib import ActorProxy, ActorRef, Future, ThreadingActor
from pykka_glib.typing import ActorMemberMixin, proxy_field, proxy_method


class CircleActor(ThreadingActor):
    pi = 3.14

    def area(self, radius: float) -> float:
        return self.pi * radius**2


class CircleProxy(ActorMemberMixin, ActorProxy[CircleActor]):
    pi = proxy_field(CircleActor.pi)
    area = proxy_method(CircleActor.area)


def total_area(proxy: CircleProxy, radii: list[float]) -> float:
    # Every call is a Future[float]: they run in the actor one after the
    # other while this thread waits for all of them.
    futures: list[Future[float]] = [proxy.area(r) for r in radii]
    return sum(f.get() for f in futures)


if __name__ == '__main__':
    ref: ActorRef[CircleActor] = CircleActor.start()
    proxy = cast(CircleProxy, ref.proxy())

    pi: float = proxy.pi.get()
    print(f'pi is {pi}')
    print(f'area of radius 2: {proxy.area(2.0).get():.2f}')
    print(f'total area: {total_area(proxy, [1.0, 2.0, 3.0]):.2f}')
    doubled = proxy.area(1.0).map(lambda a: a * 2)
    print(f'doubled: {doubled.get():.2f}')

    # The actor stops itself after this call's message.
    proxy.stop().get()
    print(f'stopped: {ref.actor_stopped.wait(5.0)}')
