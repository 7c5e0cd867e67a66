# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers that type actor proxies (Pykka 4's ``pykka.typing``).

A proxy's attributes are found at run time, so a type checker sees
``ActorProxy[MyActor]`` attributes as ``Any``. A class that describes the
proxy gives them types: each field a ``Future`` of its type, each method
a callable with the method's parameters that returns a ``Future`` of its
result::

    from typing import cast

    from pykka_glib import ActorProxy, ThreadingActor
    from pykka_glib.typing import ActorMemberMixin, proxy_field, proxy_method


    class CircleActor(ThreadingActor):
        pi = 3.14

        def area(self, radius: float) -> float:
            return self.pi * radius**2


    class CircleProxy(ActorMemberMixin, ActorProxy[CircleActor]):
        pi = proxy_field(CircleActor.pi)        # Future[float]
        area = proxy_method(CircleActor.area)   # (float) -> Future[float]


    proxy = cast(CircleProxy, CircleActor.start().proxy())
    proxy.area(2.0).get()  # float

The describing class is only for the checker: at run time
``proxy_field()`` and ``proxy_method()`` return their argument, and the
proxy stays the ``ActorProxy`` that ``proxy()`` made (``cast`` does
nothing). Same names, same semantics as Pykka 4.
"""

from typing import TYPE_CHECKING, Any, Callable, Concatenate, Generic, ParamSpec, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from types import TracebackType

    from pykka_glib import Future

__all__ = ['ActorMemberMixin', 'proxy_field', 'proxy_method']

T = TypeVar('T')
P = ParamSpec('P')
R_co = TypeVar('R_co', covariant=True)


class Method(Protocol, Generic[P, R_co]):
    """What ``proxy_method()`` gives: read on a proxy, a callable with the
    method's parameters (without ``self``) returning ``R_co``."""

    def __get__(self, instance: Any, owner: 'type | None' = None) -> Callable[P, R_co]: ...

    def __call__(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


def proxy_field(field: T) -> 'Future[T]':
    """Types a field of a proxy class: reading it gives a ``Future`` of
    the field's type. Returns @field itself."""
    return cast('Future[T]', field)


def proxy_method(field: Callable[Concatenate[Any, P], T]) -> 'Method[P, Future[T]]':
    """Types a method of a proxy class: calling it takes the method's
    parameters and gives a ``Future`` of its result. Returns @field
    itself."""
    return cast('Method[P, Future[T]]', field)


if TYPE_CHECKING:
    class _Members(Protocol):
        # Actor's methods as a proxy call runs them: a hook that is
        # `async def` has run to its end when the future completes.
        def stop(self) -> None: ...
        def on_start(self) -> None: ...
        def on_stop(self) -> None: ...
        def on_failure(self, exception_type: 'type[BaseException] | None',
                       exception_value: 'BaseException | None',
                       traceback: 'TracebackType | None') -> None: ...
        def on_receive(self, message: Any) -> Any: ...
else:
    import gi

    gi.require_version('Pykka', '1.0')
    from gi.repository import Pykka  # noqa: F401 (loads the override, which loads _actor)

    from pykka_glib._actor import Actor as _Members


class ActorMemberMixin:
    """The methods every actor has, typed for a proxy class (``stop``
    and the hooks)."""

    stop = proxy_method(_Members.stop)
    on_start = proxy_method(_Members.on_start)
    on_stop = proxy_method(_Members.on_stop)
    on_failure = proxy_method(_Members.on_failure)
    on_receive = proxy_method(_Members.on_receive)
