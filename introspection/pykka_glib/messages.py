# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's own actor messages (Pykka's ``pykka.messages``).

An actor's proxy sends these; any code may send them by hand, and every
Python actor understands them before its ``on_receive`` sees anything,
as in Pykka::

    reply = actor_ref.ask(
        ProxyCall(attr_path=['my_method'], args=['foo'], kwargs={'bar': 'baz'})
    )

    actor_ref.tell(ProxySetAttr(attr_path=['counter'], value=0))

They are Pykka's shapes: named tuples with the same fields, in the same
order. A C, Vala or JavaScript actor sees them as boxed ``PyObject``
values and does not understand them.
"""

from typing import Any, Dict, NamedTuple, Sequence, Tuple

__all__ = ['ProxyCall', 'ProxyGetAttr', 'ProxySetAttr']


class ProxyCall(NamedTuple):
    """Message to ask the actor to call the method with the arguments."""

    #: The path from the actor to the method (a sequence of names).
    attr_path: Sequence[str]

    #: The positional arguments.
    args: Tuple[Any, ...]

    #: The keyword arguments.
    kwargs: Dict[str, Any]


class ProxyGetAttr(NamedTuple):
    """Message to ask the actor to return the value of the attribute."""

    #: The path from the actor to the attribute.
    attr_path: Sequence[str]


class ProxySetAttr(NamedTuple):
    """Message to ask the actor to set the attribute to the value."""

    #: The path from the actor to the attribute.
    attr_path: Sequence[str]

    #: The value to set the attribute to.
    value: Any
