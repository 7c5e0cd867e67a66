# SPDX-License-Identifier: LGPL-2.1-or-later
# Types of pykka_glib.compat: Pykka's public names, which are pykka_glib's.

from pykka_glib import (
    Actor as Actor,
    ActorDeadError as ActorDeadError,
    ActorProxy as ActorProxy,
    ActorRef as ActorRef,
    ActorRegistry as ActorRegistry,
    CallableProxy as CallableProxy,
    Event as Event,
    Future as Future,
    ThreadingActor as ThreadingActor,
    ThreadingFuture as ThreadingFuture,
    Timeout as Timeout,
    __version__ as __version__,
    debug as debug,
    get_all as get_all,
    messages as messages,
    traversable as traversable,
    typing as typing,
)

__all__ = ['Actor', 'ActorDeadError', 'ActorProxy', 'ActorRef', 'ActorRegistry', 'CallableProxy',
           'Future', 'ThreadingActor', 'ThreadingFuture', 'Timeout', 'get_all', 'traversable']
