# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pykka's public API under Pykka's names, for running Pykka programs by
changing only their import::

    import pykka_glib.compat as pykka

(``import pykka_glib as pykka`` gives the same names.) This module never
takes the name ``pykka``: it does not touch ``sys.modules["pykka"]``, so
an installed Pykka stays importable and untouched next to it.

Every name is the PyGObject override's (``gi.repository.Pykka``):
``Actor`` and ``ThreadingActor``, ``ActorRef``, ``ActorProxy`` and
``CallableProxy``, ``traversable``, ``Future`` and ``ThreadingFuture``,
``get_all``, ``ActorRegistry``, ``Timeout``, ``ActorDeadError``, the
``messages`` module (``ProxyCall``, ``ProxyGetAttr``, ``ProxySetAttr``),
``debug.log_thread_tracebacks`` and Pykka 4's ``typing`` helpers
(``pykka_glib.typing``); ``Event`` is pykka-glib's, not Pykka's. What still differs from Pykka, and
why, is in the guide "Coming from Pykka".
"""

import logging as _logging
import sys as _sys
import threading as _threading
import traceback as _traceback
import types as _types

import gi as _gi

_gi.require_version('Pykka', '1.0')

from gi.repository import Pykka as _Pykka  # noqa: E402

from pykka_glib import messages  # noqa: E402
from pykka_glib import typing  # noqa: E402

Actor = _Pykka.Actor
ActorDeadError = _Pykka.ActorDeadError
ActorProxy = _Pykka.ActorProxy
ActorRef = _Pykka.ActorRef
ActorRegistry = _Pykka.ActorRegistry
CallableProxy = _Pykka.CallableProxy
Event = _Pykka.Event
Future = _Pykka.Future
ThreadingActor = _Pykka.ThreadingActor
ThreadingFuture = _Pykka.ThreadingFuture
Timeout = _Pykka.Timeout
get_all = _Pykka.get_all
traversable = _Pykka.traversable

#: The version of Pykka whose API this module offers.
__version__ = '3.1.1'


def _log_thread_tracebacks(*args, **kwargs):
    """Logs at CRITICAL level a traceback for each running Python thread,
    then the state of every actor (Pykka's
    ``pykka.debug.log_thread_tracebacks``); usable as a signal handler,
    it ignores its arguments."""
    logger = _logging.getLogger('pykka')
    thread_names = {t.ident: t.name for t in _threading.enumerate()}
    for ident, frame in _sys._current_frames().items():
        name = thread_names.get(ident, '?')
        stack = ''.join(_traceback.format_stack(frame))
        logger.critical('Current state of %s (ident: %s):\n%s', name, ident, stack)
    logger.critical('Actors:\n%s', _Pykka.debug_dump_actors())


#: Pykka's ``pykka.debug`` (also importable as ``pykka_glib.compat.debug``).
debug = _types.ModuleType(__name__ + '.debug', 'Debug helpers (Pykka\'s pykka.debug).')
debug.log_thread_tracebacks = _log_thread_tracebacks
debug.__all__ = ['log_thread_tracebacks']
_sys.modules.setdefault(debug.__name__, debug)

# Pykka 4's ``pykka.typing`` is ``pykka_glib.typing``; also reachable as
# ``pykka.typing`` after ``import pykka_glib.compat as pykka``, and
# importable as ``pykka_glib.compat.typing``.
_sys.modules.setdefault(__name__ + '.typing', typing)

__all__ = [
    'Actor',
    'ActorDeadError',
    'ActorProxy',
    'ActorRef',
    'ActorRegistry',
    'CallableProxy',
    'Future',
    'ThreadingActor',
    'ThreadingFuture',
    'Timeout',
    'get_all',
    'traversable',
]
