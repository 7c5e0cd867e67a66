# SPDX-License-Identifier: LGPL-2.1-or-later
"""Actors across processes from Python (issue 17).

``Pykka.RemoteRef`` (the override) converts messages with ``to_value()``:
``tell(message)``, ``ask(message)`` (a future; ``ask(message).get()``)
and ``ask(message, timeout=…)`` (the reply) work as on a local ref.

A Python actor exported on D-Bus replies with Python values, which must
cross a process: ``exportable(cls)`` makes a subclass whose replies are
converted with ``to_value()``; ``python3 -m pykka_glib.host module:Class``
(``Pykka.subprocess_start_python_actor()``) uses it.
"""

from typing import Any, TypeVar, cast

from gi.repository import GLib, GObject


def to_variant(obj: Any) -> Any:
    """A Python value as a ``GLib.Variant``, for values inside a
    dictionary or list: bool ``b``, int ``x``, float ``d``, str ``s``,
    bytes ``ay``, a list of str ``as``, a dict with str keys ``a{sv}``, a
    list or tuple ``av``, a ``GLib.Variant`` itself."""
    if isinstance(obj, GLib.Variant):
        return obj
    if isinstance(obj, bool):
        return GLib.Variant('b', obj)
    if isinstance(obj, int):
        return GLib.Variant('x', obj)
    if isinstance(obj, float):
        return GLib.Variant('d', obj)
    if isinstance(obj, str):
        return GLib.Variant('s', obj)
    if isinstance(obj, (bytes, bytearray)):
        return GLib.Variant('ay', bytes(obj))
    if isinstance(obj, dict):
        return GLib.Variant('a{sv}', {_key(k): to_variant(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(item, str) for item in obj):
            return GLib.Variant('as', list(obj))
        return GLib.Variant('av', [to_variant(item) for item in obj])
    raise TypeError('a %s cannot cross a process' % type(obj).__name__)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError('a dictionary that crosses a process has str keys, not %s'
                        % type(key).__name__)
    return key


def to_value(obj: Any) -> Any:
    """A Python value as the ``GObject.Value`` that crosses a process (see
    ``Pykka.dbus_value_to_variant()``): None (no value), bool, an int
    (``gint``, or ``gint64`` when wider), float, str, bytes (``GBytes``),
    a list of str (``GStrv``), a dict (an ``a{sv}`` variant), a
    ``GLib.Variant`` or a ``GObject.Value`` as it is."""
    if obj is None or isinstance(obj, GObject.Value):
        return obj
    if isinstance(obj, bool):
        return GObject.Value(GObject.TYPE_BOOLEAN, obj)
    if isinstance(obj, int):
        if -2**31 <= obj < 2**31:
            return GObject.Value(GObject.TYPE_INT, obj)
        return GObject.Value(GObject.TYPE_INT64, obj)
    if isinstance(obj, float):
        return GObject.Value(GObject.TYPE_DOUBLE, obj)
    if isinstance(obj, str):
        return GObject.Value(GObject.TYPE_STRING, obj)
    if isinstance(obj, (bytes, bytearray)):
        return GObject.Value(GLib.Bytes, GLib.Bytes.new(bytes(obj)))
    if isinstance(obj, (list, tuple)) and all(isinstance(item, str) for item in obj):
        return GObject.Value(GObject.TYPE_STRV, list(obj))
    return GObject.Value(GObject.TYPE_VARIANT, to_variant(obj))


def from_value(value: Any) -> Any:
    """A reply as a Python value: variants are unpacked (a dictionary
    ``a{sv}`` becomes a dict), ``GLib.Bytes`` become bytes."""
    if isinstance(value, GLib.Variant):
        return value.unpack()
    if isinstance(value, GLib.Bytes):
        return value.get_data()
    return value


_Class = TypeVar('_Class', bound=type)


def exportable(cls: _Class) -> _Class:
    """A subclass of the actor class ``cls`` whose replies can cross a
    process: each reply goes through ``to_value()`` (a reply with no
    value, None, crosses as no value). Messages arrive converted back:
    a dictionary as a ``GLib.Variant``, which ``from_value()`` unpacks."""
    def on_receive(self: Any, message: Any) -> Any:
        reply = cls.on_receive(self, from_value(message))  # type: ignore[attr-defined]
        return None if reply is None else to_value(reply)

    return cast(_Class, type(cls.__name__, (cls,), {'on_receive': on_receive,
                                                    '__module__': cls.__module__}))
