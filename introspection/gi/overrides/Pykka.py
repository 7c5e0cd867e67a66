# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override of pykka-glib: Pykka's Python API on GLib actors.

After ``gi.require_version("Pykka", "1.0"); from gi.repository import
Pykka`` the module offers what ``import pykka`` offers (``Actor``,
``ThreadingActor``, ``ActorRef``, ``ActorProxy``, ``Future``, ``get_all``,
``ActorRegistry``, ``Timeout``, ``ActorDeadError``, ``traversable``) plus
``Event``; porting a Pykka application is mostly a matter of changing
imports (``from gi.repository import Pykka as pykka``).

How the pieces fit
==================

* Messages and replies are GValues, and any Python value is a valid one.
  A message (or a value set on a future) that is a ``str``, ``float``,
  ``bool`` or 32-bit ``int`` becomes the matching C scalar, so C actors can
  read it, and comes back equal; anything else (``None``, wide ints,
  containers, exceptions, any object) travels as a ``PyObject`` GValue and
  comes back as the very same object. A handler's reply is a ``gboolean``,
  ``gint``, ``gdouble``, a NULL pointer (``None``), a ``G_TYPE_OBJECT`` (a
  GObject, a future included) or otherwise a ``PyObject`` (a ``str``
  included): C callers of Python actors can read the scalars and objects.

* Python actors derive from ``Pykka.Actor``, which is the class
  ``pykka_glib._actor.Actor`` (GType ``PykkaPyActor``; it lives outside this
  module so that it gets a GType of its own). Every handler runs in a
  *worker greenlet*. When the handler waits for something that is not
  there yet (``future.get()``, ``ref.ask()``, ``event.wait()``, ``await
  future``), the greenlet switches out and the C runtime receives a pending
  ``Pykka.Future`` as the reply: the actor is suspended, every other actor
  of the context keeps running. When the awaited value arrives (the
  runtime resumes the handler in a turn of its actor) the greenlet switches
  back in; when the handler returns, the pending future is completed and the C
  runtime resumes the actor. This is Pykka's old EventletActor, with the
  ``GMainContext`` as the hub.

* Outside handlers (a plain script, a GTK callback) ``get()`` is the C
  blocking get: on the thread that runs the actors' context it iterates that
  context until the value arrives, so a script needs no main loop.

* asyncio: on an asyncio loop that runs the thread-default GLib context
  (gbulb's; ``pykka_glib.asyncio``), ``await future`` in a task waits on an
  asyncio future completed by the future's ``get_async()``, without
  blocking the loop, and an ``async def`` handler that awaits an asyncio
  future suspends its worker like a wait for a Pykka future (``_drive``).

* Exceptions: an exception raised by a handler (an ``Exception``; a
  ``BaseException`` that is not one kills the actor and stops the others,
  as in Pykka, and its asker gets ``ActorDeadError``)
  travels in a ``GError`` of the domain ``pykka-python-error-quark`` (code
  0, the message ``"Type: text"``), an extended error domain whose private
  data holds the exception: it lives as long as the future (or message)
  holding the error, and a Python caller gets the very same exception
  object back; a C, GJS or Vala caller gets the ``GError``. A
  ``GLib.Error`` raised by a handler keeps its domain, code and message
  (Python callers get an equal ``GLib.Error``, not the same object).
  ``Pykka.Timeout`` and ``Pykka.ActorDeadError`` are ``GLib.Error``
  subclasses (``PYKKA_ERROR_TIMEOUT`` / ``PYKKA_ERROR_ACTOR_DEAD``).

Differences from Pykka
======================

* ``map``, ``filter``, ``reduce`` and ``join`` return futures computed when
  ``get()`` is called (as in Pykka); C code waiting on them would wait
  forever.
* ``on_start``, ``on_stop`` and ``on_failure`` cannot suspend the actor: a
  blocking ``get()`` there is the C blocking get (it iterates the context).
* Completing a future twice raises ``GLib.Error`` (``PYKKA_ERROR_ALREADY_SET``).
* A handler returning a future answers with the future itself (Pykka's
  semantics); C handlers answer with its outcome instead.
* Actors still running when the interpreter exits are stopped (last started
  first) by an ``atexit`` hook, which waits for them at most
  ``_EXIT_STOP_SECONDS`` in all; Pykka's threads kept the process alive.
* In a child made by ``os.fork()``, the actors on threads of their own
  are dead (their threads did not survive the fork).
* A positive timeout below 1 ms waits 1 ms (timeouts are rounded up to
  whole milliseconds); 0 only looks.

Traps of the platform handled here
==================================

PyGObject 3.42 (Debian 12) leaks the GValue it builds for a plain Python
object returned by a vfunc for an out GValue, frees the contents of a
returned ``GObject.Value`` too early, and leaks the libffi closure of every
Python callback handed to a C function (fixed in 3.44.2); and its generic
marshalling costs more than the runtime on every message. So the hot paths
are in C, in ``pykka_glib._speedups``: the on_receive vfunc of Python
actors (which switches into a worker greenlet and writes the reply GValue
itself), ``ActorRef.tell``/``ask``, the boxing of messages and future
values, and the callbacks that resume suspended handlers. On threads
Python did not create (own-thread actors), each call into Python gets a
fresh thread state; greenlets need one that lasts, so each such actor holds
one until it dies.
"""

import atexit
import collections
import functools
import logging
import os
import re
import sys
import threading
import time
import types
import weakref

import greenlet
from _thread import get_ident as threading_get_ident

from gi.repository import GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

from pykka_glib import _speedups
from pykka_glib import messages

ProxyCall = messages.ProxyCall
ProxyGetAttr = messages.ProxyGetAttr
ProxySetAttr = messages.ProxySetAttr

Pykka = get_introspection_module('Pykka')

__all__ = []

logger = logging.getLogger('pykka')
# As Pykka does: a program that configures no logging gets no "No
# handlers could be found" warning nor logging's last-resort output on
# stderr; one that configures logging sees the records of "pykka".
logger.addHandler(logging.NullHandler())

# ---------------------------------------------------------------------------
# C entry points, looked up once (the hot paths call them unbound)

_c_ref_stop = Pykka.ActorRef.stop
_c_ref_get_urn = Pykka.ActorRef.get_urn
_c_ref_get_actor_type = Pykka.ActorRef.get_actor_type
_c_ref_dup_actor = Pykka.ActorRef.dup_actor
_c_ref_is_alive = Pykka.ActorRef.is_alive
_c_ref_check_alive = Pykka.ActorRef.check_alive
_c_future_is_done = Pykka.Future.is_done
_c_actor_get_use_own_thread = Pykka.Actor.get_use_own_thread
_c_actor_kill = Pykka.Actor.kill
_c_actor_get_context = Pykka.Actor.get_context
_c_actor_get_actor_ref = Pykka.Actor.get_actor_ref
_c_get_urn_of_actor = Pykka.Actor.get_urn
_c_registry_get_all = Pykka.Registry.get_all
_c_registry_get_by_type = Pykka.Registry.get_by_type
_c_registry_get_by_urn = Pykka.Registry.get_by_urn
_c_registry_register_name = Pykka.Registry.register_name
_c_registry_lookup_name = Pykka.Registry.lookup_name

_getcurrent = greenlet.getcurrent
_greenlet_throw = greenlet.greenlet.throw
_greenlet_switch = greenlet.greenlet.switch
_CoroutineType = types.CoroutineType

# ---------------------------------------------------------------------------
# Values
#
# A message, or a value set on a future, is boxed by _speedups exactly as
# PyGObject would box it for a GValue argument, except that None, ints
# beyond 32 bits and GLib.Error instances travel as PyObject GValues
# (PyGObject refuses None, truncates ints, and would copy a GLib.Error into
# a GError). A handler's reply is turned into its GValue by the on_receive
# vfunc in _speedups (see the module docstring). An unset GObject.Value is
# a ValueError as a message or a future's value, and the handler's failure
# as a reply.

_future_set = _speedups.future_set


# ---------------------------------------------------------------------------
# Exceptions

_PYKKA_DOMAIN = 'pykka-error-quark'
_PYTHON_DOMAIN = 'pykka-python-error-quark'


class ActorDeadError(GLib.Error):
    """The actor is dead (stopped, or stopped before it handled the
    message). Pykka's ``ActorDeadError``; also a ``GLib.Error`` of the
    ``PYKKA_ERROR`` domain with code ``ACTOR_DEAD``.

    Its text is Pykka's, ``"ActorA (urn:uuid:…) not found"``. Why the
    actor died is kept apart: ``reason`` is None when it was stopped (or
    stopped before handling the message), else the text of its failure
    (the handler of a told message or ``on_start`` raised, its context was
    orphaned: [method@Pykka.ActorRef.dup_death_reason]); ``actor_urn`` is
    the actor's urn (None if unknown) and ``detail`` the runtime's own
    text, which says both.
    """

    reason = None
    actor_urn = None
    detail = None

    def __init__(self, message='Actor is dead', domain=_PYKKA_DOMAIN,
                 code=int(Pykka.Error.ACTOR_DEAD), reason=None, actor_urn=None, detail=None):
        super().__init__(message, domain, code)
        self.reason = reason
        self.actor_urn = actor_urn
        self.detail = message if detail is None else detail

    def __str__(self):
        return self.message


class Timeout(GLib.Error):
    """A wait ran out of time. Pykka's ``Timeout``; also a ``GLib.Error``
    of the ``PYKKA_ERROR`` domain with code ``TIMEOUT``."""

    def __init__(self, message='Timed out', domain=_PYKKA_DOMAIN,
                 code=int(Pykka.Error.TIMEOUT)):
        super().__init__(message, domain, code)

    def __str__(self):
        return self.message


class NameTakenError(GLib.Error):
    """ActorRegistry.register_name(): another running actor holds the
    name. Also a ``GLib.Error`` of the ``PYKKA_ERROR`` domain with code
    ``NAME_TAKEN``; ``name`` is the name and ``holder`` the ref of the
    actor that held it (None if it has stopped since)."""

    name = None
    holder = None

    def __init__(self, message='Name taken', domain=_PYKKA_DOMAIN,
                 code=int(Pykka.Error.NAME_TAKEN), name=None, holder=None):
        super().__init__(message, domain, code)
        self.name = name
        self.holder = holder

    def __str__(self):
        return self.message


__all__ += ['ActorDeadError', 'Timeout', 'NameTakenError', 'messages', 'ProxyCall', 'ProxyGetAttr', 'ProxySetAttr']

# Exceptions raised by Python handlers (or set on futures) travel in their
# GErrors (_speedups: an extended error domain holding the exception), so
# they live as long as the futures holding them. Errors that carry no
# exception become one here:


def _exception_of(error):
    """The Python exception for @error, a GLib.Error made from a GError
    that carries no exception."""
    if error.domain == _PYKKA_DOMAIN:
        if error.code == Pykka.Error.TIMEOUT:
            return Timeout(error.message)
        if error.code == Pykka.Error.ACTOR_DEAD:
            return _dead_error(error.message)
    return error


# The runtime's ACTOR_DEAD texts: "Actor TYPE (URN) is dead" and "Actor
# TYPE (URN) is dead: WHY" (pykka-cell.c), "REF is dead: WHY" (after a
# fork), "Actor TYPE (URN) was never started: …". Translated texts do not
# match and are kept as they are.
_DEAD_TEXT = re.compile(r'(?:Actor )?(?P<who>.+?) \((?P<urn>urn:[^()\s]+)\) '
                        r'(?:is dead(?:: (?P<why>.*))?|(?P<new>was never started): .*)\Z',
                        re.S)


def _class_name_of(type_name):
    """The name ActorRef.__str__ gives the actor class of GType
    @type_name (its Python class's name, else the GType's), or
    @type_name when it names no GType (already a class name)."""
    try:
        gtype = GObject.type_from_name(type_name)
    except RuntimeError:
        return type_name
    pytype = gtype.pytype
    return getattr(pytype, '__name__', None) or gtype.name


def _dead_error(text):
    """An ActorDeadError worded as Pykka's ("A (urn:…) not found") from
    the runtime's @text, which also gives its reason and urn."""
    match = _DEAD_TEXT.match(text)
    if match is None:
        return ActorDeadError(text)
    urn = match.group('urn')
    name = _class_name_of(match.group('who'))
    if match.group('new') is not None:
        return ActorDeadError('%s (%s) not found: it was never started (start it with %s.start())'
                              % (name, urn, name),
                              reason='it was never started', actor_urn=urn, detail=text)
    return ActorDeadError('%s (%s) not found' % (name, urn),
                          reason=match.group('why'), actor_urn=urn, detail=text)


def _dead_error_for_ref(ref):
    """Pykka's ActorDeadError for the dead actor of @ref: the one its tell
    would raise (same text, reason and detail)."""
    try:
        _c_ref_check_alive(ref)
    except GLib.Error as error:
        return _dead_error(error.message)
    # Alive again in between is impossible; alive still (a proxy of an
    # actor that is not a Python one's own) keeps Pykka's text.
    death = ref.dup_death_reason()
    return ActorDeadError('%s not found' % (ref,), reason=death.message if death is not None else None,
                          actor_urn=_c_ref_get_urn(ref))


# ---------------------------------------------------------------------------
# Worker greenlets: where Python handlers run, and how they suspend
#
# The on_receive vfunc (in _speedups) takes an idle worker from this
# thread's pool (a list in the thread state) or makes one, and switches
# into it with (actor, message).


class _Worker(greenlet.greenlet):
    """Runs handlers, one at a time, for the actors of one thread.

    caller: the greenlet to switch to when the handler returns or waits
    actor: the actor whose handler runs (None when idle)
    pending: the future C got as the reply once the handler suspended (a
      capsule of _speedups)
    depth: GLib.main_depth() where the handler runs; a wait at another depth
      is inside a main loop iteration nested in the handler and must not
      switch out
    """

    __slots__ = ('caller', 'actor', 'pending', 'depth', 'suspended')

    def __init__(self):
        super().__init__()
        self.caller = None
        self.actor = None
        self.pending = None
        self.depth = -1
        self.suspended = None

    # Other code throwing into (or switching into) a suspended handler's
    # worker ends the handler's wait with that exception (or a
    # RuntimeError), and gets control back when the handler ends or waits
    # again: the intruder becomes the worker's caller. (suspended: the
    # thread it suspended on, or None.)

    def throw(self, *args):
        if self.suspended is not None and self.suspended == threading_get_ident():
            self.caller = _getcurrent()
        return _greenlet_throw(self, *args)

    def switch(self, *args, **kwargs):
        if self.suspended is not None and self.suspended == threading_get_ident():
            self.caller = _getcurrent()
        return _greenlet_switch(self, *args, **kwargs)

    #: run(actor, message): in C. Started and switched into by the
    #: on_receive vfunc with (actor, message); hands the handler's value
    #: straight back (no tuple), a _Failure if it raised, or _SUSPENDED at
    #: its first suspension (the future is self.pending). A handler that
    #: had suspended completes its pending future instead, and the
    #: worker goes back to the pool (at most 64 idle) and to the greenlet
    #: that resumed it.
    run = _speedups.worker_run


class _Failure:
    """What a worker hands back when its handler raised."""
    __slots__ = ('exc',)

    def __init__(self, exc):
        self.exc = exc
        # (A BaseException that is not an Exception kills the actor: see
        # _on_base_exception.)
        if logger.isEnabledFor(logging.INFO) and isinstance(exc, Exception):
            _log_returned(exc)


def _log_returned(exc):
    # Pykka's INFO record for a handler whose exception goes to the asker.
    # (The runtime decides between the asker and on_failure after the
    # handler has returned: a told message's failure gets this record too,
    # before on_failure's ERROR one.)
    try:
        logger.info('Exception returned from %s to caller:', _failing_actor(exc),
                    exc_info=(exc.__class__, exc, exc.__traceback__))
    except Exception:
        pass


def _failing_actor(exc):
    """The actor whose handler raised @exc: the first argument of the
    outermost frame of its traceback that has an actor there."""
    from pykka_glib._actor import Actor as _PyActor

    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_argcount > 0:
            first = tb.tb_frame.f_locals.get(code.co_varnames[0])
            if isinstance(first, _PyActor):
                return first
        tb = tb.tb_next
    return 'an actor'


# What a worker hands back when its handler suspended for the first time
# (C gets the worker's pending future).
_SUSPENDED = object()


#: The worker whose handler runs here and may suspend (not in a main loop
#: iteration nested in the handler), or None.
_current_worker = _speedups.current_worker


# Suspending and resuming handlers is _speedups' work: a wait in a handler
# (Future.get, a blocking ask, Event.wait: a wait on the future of the
# event's next set()) asks the runtime for a resume with a C callback
# (pykka_actor_suspend_until(), which also keeps the timeout and records
# the wait in the wait-for graph) and switches out of the worker; the
# runtime calls back in a turn of the actor, on the thread that owns its
# context, and the callback switches back in. (A Python callback handed to
# a C function through PyGObject 3.42 would leak its libffi closure for
# ever.)

def _resume_failed(exc):
    logger.error('Resuming a suspended handler failed', exc_info=exc)


def _drive(coroutine):
    """Runs an ``async def`` handler to completion in the worker: an
    awaited Pykka future suspends the worker like a blocking get(), and
    so does an awaited asyncio future (_wait_asyncio)."""
    send = coroutine.send
    try:
        yielded = send(None)
        while True:
            if yielded is None:
                yielded = send(None)
            elif getattr(yielded, '_asyncio_future_blocking', None) is not None:
                yielded = _wait_asyncio(coroutine, yielded)
            else:
                yielded = coroutine.throw(TypeError(
                    'pykka-glib handlers can only await Pykka futures and asyncio futures, '
                    'not %r' % (yielded,)))
    except StopIteration as stop:
        return stop.value


# asyncio in handlers. A coroutine awaiting an asyncio future (asyncio.sleep,
# streams, loop.create_future(), a task) yields it, as it would to an
# asyncio Task. _drive then suspends the worker on a Pykka future that a
# done callback of the asyncio future completes (the runtime's usual
# suspension: pykka_actor_suspend_until()), and resumes the coroutine as a
# Task would: send(None), after which the asyncio future's __await__
# returns its result or raises its exception. The loop must run the
# actor's GLib context on this thread (gbulb's loop, pykka_glib.asyncio):
# the done callback comes from it, and so does the turn that resumes the
# handler. Anything else is a RuntimeError in the handler rather than a
# wait that never ends.


def _asyncio_problem(loop, actor):
    """Why a handler of @actor (None: outside handlers) cannot wait for a
    future of the asyncio @loop here, or None if it can."""
    asyncio = sys.modules.get('asyncio')
    running = asyncio._get_running_loop() if asyncio is not None else None
    if running is None:
        return 'no asyncio event loop runs on this thread'
    if running is not loop:
        return 'the future belongs to another asyncio event loop than the one running here'
    context = getattr(loop, '_context', None)
    if not isinstance(context, GLib.MainContext):
        return 'the running asyncio event loop (%s) does not run a GLib main context' % (
            type(loop).__name__,)
    if actor is not None:
        actor_context = _c_actor_get_context(actor)
        if actor_context is None:
            actor_context = GLib.MainContext.default()
    else:
        actor_context = GLib.MainContext.ref_thread_default()
    if context != actor_context:
        return "the running asyncio event loop runs another GLib main context than the actor's"
    return None


def _wait_asyncio(coroutine, waited):
    """Suspends the worker until the asyncio future @waited (yielded by
    @coroutine) is done, then resumes @coroutine; returns what it yields
    next."""
    waited._asyncio_future_blocking = False
    # Neither the worker nor the actor stays in this frame: the traceback
    # of every exception that passes through it keeps it, and a worker
    # kept by a stored exception is reused from the pool by other
    # handlers, one of which may abandon it (P33): it would never be
    # unwound.
    worker = _current_worker()
    actor = worker.actor if worker is not None else None
    del worker
    problem = _asyncio_problem(waited.get_loop(), actor)
    if problem is not None:
        message = ('%s awaits an asyncio future, but %s: run the actors\' GLib main context with an '
                   'asyncio loop on it (pykka_glib.asyncio.run())' % (
                       actor if actor is not None else 'an actor hook', problem))
        del actor
        return coroutine.throw(RuntimeError(message))
    del actor
    if not waited.done():
        wake = Future()

        def woken(_waited):
            if not _c_future_is_done(wake):
                _future_set(wake, None)

        waited.add_done_callback(woken)
        try:
            wake.get()
        except BaseException as exc:
            # The wait ended otherwise (the actor died: GreenletExit; or
            # code threw into the worker): as a cancelled asyncio Task
            # does, cancel what was awaited, and let the coroutine see it.
            waited.remove_done_callback(woken)
            waited.cancel()
            return coroutine.throw(exc)
    return coroutine.send(None)


# ---------------------------------------------------------------------------
# Proxy messages and dispatch in the actor


# Pykka's public message types (pykka_glib.messages): proxies send them,
# and code may send them by hand; the on_receive vfunc hands them to
# _dispatch_proxy instead of on_receive, as Pykka's actors do.
_ProxyCall = messages.ProxyCall
_ProxyGetAttr = messages.ProxyGetAttr
_ProxySetAttr = messages.ProxySetAttr


_PROXY_MESSAGES = frozenset((_ProxyCall, _ProxyGetAttr, _ProxySetAttr))


def _dispatch_proxy(actor, message):
    cls = message.__class__
    if cls is _ProxyCall:
        callee = actor
        for name in message.attr_path:
            callee = getattr(callee, name)
        return callee(*message.args, **message.kwargs)
    if cls is _ProxyGetAttr:
        result = actor
        for name in message.attr_path:
            result = getattr(result, name)
        return result
    parent = actor
    for name in message.attr_path[:-1]:
        parent = getattr(parent, name)
    setattr(parent, message.attr_path[-1], message.value)
    return None


def _run_hook(func, *args):
    """Runs on_start/on_stop/on_failure (which cannot suspend the actor)."""
    result = func(*args)
    if result.__class__ is _CoroutineType:
        result = _drive(result)
    return result


# ---------------------------------------------------------------------------
# Futures


class Future(Pykka.Future):
    """A value or an exception that arrives once (Pykka's ``Future``).

    ``get()`` in a handler suspends only that actor; elsewhere it blocks
    (iterating the actors' context when the caller's thread runs it).
    Futures are awaitable: in handlers, and in asyncio tasks, where a
    loop that runs GLib (``pykka_glib.asyncio``) keeps running meanwhile.
    """

    _pykka_get_hook = None

    # Future[int], as Pykka 4's Future is generic (pykka_glib's stubs type it)
    __class_getitem__ = classmethod(types.GenericAlias)

    def _exception(self, exc):
        # @exc was made from a GError that carries no exception: every
        # get() of a completed future raises the same object.
        if _c_future_is_done(self):
            exc = self.__dict__.setdefault('_pykka_exception', exc)
        return exc

    def _get_from_hook(self, timeout):
        d = self.__dict__
        if '_pykka_hook_result' not in d:
            self._pykka_hook_result = self._pykka_get_hook(timeout)
        return self._pykka_hook_result

    def set(self, value=None):
        """Completes the future with @value."""
        _future_set(self, value)

    def set_exception(self, exc_info=None):
        """Completes the future with an exception: @exc_info is a
        ``sys.exc_info()`` tuple, an exception, or None for the exception
        being handled."""
        if exc_info is None:
            exc_info = sys.exc_info()
        if isinstance(exc_info, BaseException):
            exc = exc_info
        else:
            exc_type, exc, tb = exc_info
            if exc is None:
                exc = exc_type()
            if tb is not None and exc.__traceback__ is not tb:
                exc = exc.with_traceback(tb)
        if exc is None:
            raise ValueError('set_exception() needs an exception')
        _speedups.future_set_exception(self, exc)

    def set_get_hook(self, func):
        """Makes get(timeout) return func(timeout) (computed once)."""
        self._pykka_get_hook = func

    def _derive(self, sources, compute):
        # A future of compute(timeout). As in Pykka, a Python get()
        # computes it on the caller's thread (once). So that C, JavaScript
        # and Vala readers (and get_async()) see it too, it is also
        # computed as soon as the sources have completed, in the
        # thread-default context of the caller, and completes the future
        # itself. Whichever comes first wins; the outcome is shared.
        future = Future()
        outcome = []

        def settle(timeout):
            if not outcome:
                try:
                    value = compute(timeout)
                except Timeout:
                    raise
                except BaseException as exc:
                    if not outcome:
                        outcome.append((True, exc))
                        try:
                            future.set_exception(exc)
                        except GLib.Error:
                            pass
                else:
                    if not outcome:
                        outcome.append((False, value))
                        try:
                            future.set(value)
                        except GLib.Error:
                            pass
            failed, result = outcome[0]
            if failed:
                raise result
            return result

        def on_source_done(source, result, *args):
            # The exception settle() raises keeps this frame in its
            # traceback: it must not keep the async result, which holds
            # the source (through C, unseen by the collector) that holds
            # the exception.
            source = result = args = None
            try:
                settle(0)
            except BaseException:
                pass  # a Python reader gets it from get(); others from the future

        future.set_get_hook(settle)
        for source in sources:
            Pykka.Future.get_async(source, None, on_source_done)
        return future

    def filter(self, func):
        """A future of the items of this future's value for which @func is true."""
        return self._derive((self,), lambda timeout: list(filter(func, self.get(timeout))))

    def join(self, *futures):
        """A future of the list of the values of this future and @futures."""
        all_futures = (self,) + futures
        return self._derive(all_futures, lambda timeout: [f.get(timeout) for f in all_futures])

    def map(self, func):
        """A future of func(value)."""
        return self._derive((self,), lambda timeout: func(self.get(timeout)))

    def reduce(self, func, *initial):
        """A future of functools.reduce(func, value, *initial)."""
        return self._derive((self,), lambda timeout: functools.reduce(func, self.get(timeout), *initial))

    def __await__(self):
        if _current_worker() is None and not _c_future_is_done(self):
            loop = _glib_asyncio_loop()
            if loop is not None:
                return _await_in_loop(self, loop)
        return _await_get(self)

    __iter__ = __await__


# await in an asyncio task. On a loop that runs this thread's
# thread-default GLib context (gbulb's), the task waits on an asyncio
# future that a watch completes: pykka_future_get_async() calls back in
# that context once the future is done, and the callback sets the asyncio
# future's result or exception (the very exception get() raises). A
# cancelled task unwatches at once (no callback comes later) and cancels
# the ask's cancellable, if the future came from ask_cancellable().


def _glib_asyncio_loop():
    """The asyncio loop running on this thread if it runs this thread's
    thread-default GLib context, else None."""
    asyncio = sys.modules.get('asyncio')
    if asyncio is None:
        return None
    loop = asyncio._get_running_loop()
    if loop is None:
        return None
    context = getattr(loop, '_context', None)
    if not isinstance(context, GLib.MainContext) or context != GLib.MainContext.ref_thread_default():
        return None
    return loop


def _await_get(future):
    # In a handler, get() suspends the worker. Elsewhere, outside an
    # asyncio loop that runs GLib: one step back to the caller, then the
    # blocking get (which runs the actors of this thread's context).
    if _current_worker() is None and not _c_future_is_done(future):
        yield
    return future.get()


# The frames of the two functions below are in the traceback of a failure
# they pass on; they must not hold the future there, whose error holds the
# exception (a cycle through C that the collector cannot see).


def _settle_waiter(future, waiter):
    # In the thread-default context, the loop's: @future is done.
    if waiter.done():
        return
    try:
        value = future.get(0)
    except BaseException as exc:
        error = exc
    else:
        waiter.set_result(value)
        return
    finally:
        future = None
    if isinstance(error, StopIteration):
        # (asyncio refuses StopIteration in a future, as a Task does.)
        cause, error = error, RuntimeError('the future failed with StopIteration')
        error.__cause__ = cause
    waiter.set_exception(error)


def _await_in_loop(future, loop):
    waiter = loop.create_future()
    cancellable = future.__dict__.get('_pykka_cancellable')
    watch = _speedups.future_watch(future, functools.partial(_settle_waiter, future, waiter))
    del future
    try:
        return (yield from waiter)
    finally:
        if not waiter.done() or waiter.cancelled():
            # Cancelled, or the task was dropped: nothing waits any more.
            _speedups.future_unwatch(watch)
            if cancellable is not None:
                cancellable.cancel()


Future = override(Future)
# get(timeout=None), in C: in a handler, a wait suspends only that actor;
# elsewhere it is the C blocking get; a get hook (map, filter, ...) is
# _get_from_hook().
for _name, _method in _speedups.future_methods(Future).items():
    setattr(Future, _name, _method)
# The collector sees a failed future's exception, whose traceback often
# leads back to the future (a frame that called get()): see
# speedups-values.c.
_speedups.track_future_exceptions(Future)
ThreadingFuture = Future
__all__ += ['Future', 'ThreadingFuture']


def get_all(futures, timeout=None):
    """The values of @futures, in order (Pykka's ``pykka.get_all``)."""
    return [future.get(timeout=timeout) for future in futures]


__all__.append('get_all')


# ---------------------------------------------------------------------------
# Events


class Event(Pykka.Event):
    """``threading.Event``'s interface; wait() in a handler suspends only
    that actor."""

    isSet = Pykka.Event.is_set


Event = override(Event)
# wait(timeout=None), in C: in a handler it suspends only that actor;
# elsewhere it is the C blocking wait.
for _name, _method in _speedups.event_methods(Event).items():
    setattr(Event, _name, _method)
__all__.append('Event')


# ---------------------------------------------------------------------------
# Actor refs


def _ref_stopped(ref):
    """Whether the actor of @ref has stopped (or failed, or never got to
    run): false while it runs, and for an actor constructed and not
    started yet, as Pykka's actor_stopped."""
    if _c_ref_is_alive(ref) and not _dead_after_fork(ref):
        return False
    actor = _unstarted_actors.get(_c_ref_get_urn(ref))
    return actor is None or actor.actor_ref is not ref or _c_actor_get_context(actor) is not None


class ActorStopped:
    """Pykka's ``actor_stopped`` of an actor and of its ref: the read side
    of a ``threading.Event`` that is set once the actor has stopped.

    The runtime sets nothing: ``is_set()`` asks whether the actor is dead,
    and ``wait()`` looks again at growing intervals (at most
    ``_STOPPED_POLL_S``), each pause a ``Pykka.Event`` wait, so that a
    wait in a handler suspends only its actor and a wait on the thread
    that runs the actors' context runs them meanwhile. Only the actor
    stops itself: there is no ``set()`` or ``clear()``.
    """

    __slots__ = ('_ref',)

    def __init__(self, ref):
        self._ref = ref

    def is_set(self):
        """Whether the actor has stopped."""
        return _ref_stopped(self._ref)

    isSet = is_set

    def wait(self, timeout=None):
        """Waits until the actor has stopped, at most @timeout seconds
        (None: for ever); returns whether it has."""
        if _ref_stopped(self._ref):
            return True
        if timeout is not None and timeout <= 0:
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = Event()  # never set: its wait is the pause
        step = 0.001
        while True:
            if deadline is None:
                nap = step
            else:
                nap = min(step, deadline - time.monotonic())
                if nap <= 0:
                    return _ref_stopped(self._ref)
            pause.wait(nap)
            if _ref_stopped(self._ref):
                return True
            step = min(step * 2, _STOPPED_POLL_S)

    def __bool__(self):
        return True

    def __repr__(self):
        return '<ActorStopped of %s: %s>' % (self._ref, 'set' if self.is_set() else 'unset')


#: The longest pause between two looks of ActorStopped.wait(), in seconds.
_STOPPED_POLL_S = 0.02


class ActorRef(Pykka.ActorRef):
    """The handle of an actor (Pykka's ``ActorRef``)."""

    # ActorRef[MyActor], as in Pykka 4
    __class_getitem__ = classmethod(types.GenericAlias)

    @property
    def actor_urn(self):
        """The actor's ``urn:uuid:`` identifier."""
        return _c_ref_get_urn(self)

    @property
    def actor_class(self):
        """The actor's Python class (its GType for an actor written in C
        without a Python wrapper)."""
        gtype = _c_ref_get_actor_type(self)
        return gtype.pytype or gtype

    def _class_name(self):
        cls = self.actor_class
        return getattr(cls, '__name__', None) or cls.name

    def __str__(self):
        return '%s (%s)' % (self._class_name(), _c_ref_get_urn(self))

    def __repr__(self):
        return '<ActorRef for %s>' % (self,)

    def is_alive(self):
        """Whether the actor runs (has not stopped or failed)."""
        return _c_ref_is_alive(self) and not _dead_after_fork(self)

    @property
    def actor_stopped(self):
        """Pykka's ``actor_stopped``: an event, set once the actor has
        stopped (``is_set()`` is ``not is_alive()``, except before the
        start); ``wait(timeout=None)`` waits for it."""
        return ActorStopped(self)

    def stop(self, block=True, timeout=None):
        """Stops the actor after the messages already sent. Returns True if
        this call stopped it, False if it was dead already (or a future of
        that, with block=False)."""
        if _dead_after_fork(self):
            future = Future()
            future.set(False)
            return future.get() if block else future
        future = _c_ref_stop(self)
        if block:
            g = _getcurrent()
            if g.__class__ is _Worker and g.actor is not None and \
                    _c_actor_get_actor_ref(g.actor) is self:
                # An actor stopping itself from a handler: the stop comes
                # after this handler, so waiting for it would never end.
                return _c_ref_is_alive(self)
            # (Not kept in this frame, which a Timeout's traceback keeps:
            # see _wait_asyncio.)
            del g
            try:
                return future.get(timeout)
            except GLib.Error as error:
                # Its own on_stop or on_failure stopping the actor (or a
                # hook that another actor's stop waits for): the actor is
                # stopping already, and its death waits for this hook. As
                # in Pykka, whose actor_stopped is set before on_stop:
                # this call did not stop it (P35).
                if error.domain == _PYKKA_DOMAIN and error.code == Pykka.Error.DEADLOCK and \
                        not _c_ref_is_alive(self):
                    return False
                raise
        return future

    def ask_cancellable(self, message, cancellable=None):
        """Sends @message and returns a ``Future`` of the reply
        ([method@Pykka.ActorRef.ask_cancellable]): cancelling
        @cancellable (a ``Gio.Cancellable``; None makes one) drops the
        message while it is queued, and the future fails with
        ``G_IO_ERROR_CANCELLED``; a running handler sees it through
        ``get_current_cancellable()``. The future keeps the cancellable:
        cancelling an asyncio task that awaits the future cancels it."""
        if cancellable is None:
            from gi.repository import Gio
            cancellable = Gio.Cancellable()
        future = _speedups.ask_cancellable(self, message, cancellable)
        future._pykka_cancellable = cancellable
        return future

    def proxy(self):
        """An ``ActorProxy`` of the actor."""
        return ActorProxy(self)

    @property
    def _actor(self):
        return _c_ref_dup_actor(self)


ActorRef = override(ActorRef)
# tell(message) and ask(message, block=True, timeout=None), in C: a
# blocking ask outside handlers to an actor whose context this thread runs
# is one pykka_actor_ref_ask_sync() (no Python wrapper for its future);
# otherwise ask makes a future, returned as is (block=False) or waited for
# as Future.get does (without a Python wrapper).
for _name, _method in _speedups.ref_methods(ActorRef).items():
    setattr(ActorRef, _name, _method)
del _name, _method
__all__.append('ActorRef')



# ---------------------------------------------------------------------------
# Proxies

_AttrInfo = collections.namedtuple('_AttrInfo', ['callable', 'traversable'])


def traversable(obj):
    """Marks an actor attribute (or a class) as traversable: proxies then
    give nested proxies for it (Pykka's ``pykka.traversable``)."""
    if hasattr(obj, '__slots__'):
        raise Exception('traversable() cannot be used to mark an object using slots as traversable.')
    obj._pykka_traversable = True
    return obj


__all__.append('traversable')


def _is_traversable(attr):
    if isinstance(attr, (ActorProxy, CallableProxy)):
        # A proxy held by an actor is a value, not a traversable object
        # (asking it would introspect its actor, which may hold a proxy of
        # this one).
        return False
    return (getattr(attr, '_pykka_traversable', False) is True
            or getattr(attr, 'pykka_traversable', False) is True)


def _public_attributes(obj):
    """The attributes of @obj a proxy exposes: for an actor, those of its
    Python classes (not GObject's machinery) and of the instance."""
    from pykka_glib._actor import Actor as _PyActor

    result = {}
    if isinstance(obj, _PyActor):
        for cls in reversed(type(obj).__mro__):
            if issubclass(cls, _PyActor):
                result.update(cls.__dict__)
        for name in _PyActor._pykka_hidden:
            result.pop(name, None)
    else:
        for cls in reversed(type(obj).__mro__):
            result.update(cls.__dict__)
    d = getattr(obj, '__dict__', None)
    if d is not None:
        result.update(d)
    return result


# Python actors constructed but not started yet, by urn.
_unstarted_actors = weakref.WeakValueDictionary()


def _c_actor_get_state_dead(actor):
    # Not started: no context chosen, no ref alive, not in the registry.
    return _c_registry_get_by_urn(_c_get_urn_of_actor(actor)) is None and \
        _c_actor_get_context(actor) is not None


class ActorProxy:
    """Calls methods of an actor and reads or writes its attributes
    through messages (Pykka's ``ActorProxy``).

    ``proxy.method(args)`` returns a ``Future`` of the result,
    ``proxy.method.defer(args)`` sends without a future, ``proxy.attr`` is a
    ``Future`` of the attribute, ``proxy.attr = v`` waits until it is set.
    Attributes marked with ``traversable()`` give nested proxies.
    """

    actor_ref = None

    # ActorProxy[MyActor], as in Pykka 4: a typed proxy class subclasses it
    # (pykka_glib.typing)
    __class_getitem__ = classmethod(types.GenericAlias)

    def __init__(self, actor_ref, attr_path=None):
        actor = _c_ref_dup_actor(actor_ref)
        if actor is None:
            # Dead, or constructed and not started yet (a proxy made in
            # __init__, as Pykka allows).
            actor = _unstarted_actors.get(_c_ref_get_urn(actor_ref))
            if actor is None or actor.actor_ref is not actor_ref or \
                    _c_actor_get_state_dead(actor):
                raise _dead_error_for_ref(actor_ref)
        from pykka_glib._actor import Actor as _PyActor
        if not isinstance(actor, _PyActor):
            raise TypeError('%s is not a Python actor: it has no proxy' % (actor_ref,))
        self.actor_ref = actor_ref
        self._actor = actor
        self._attr_path = tuple(attr_path or ())
        self._known_attrs = self._introspect_attributes()
        self._actor_proxies = {}
        self._callable_proxies = {}

    def _introspect_attributes(self):
        result = {}
        actor = self._actor
        to_visit = collections.deque()
        for name, attr in _public_attributes(actor).items():
            to_visit.append(((name,), attr))
        # Traversable objects looked into already: one reachable again (a
        # cycle, such as two traversables holding each other) is listed
        # but not looked into again, or this would never end (P39);
        # paths through it are found on demand (_introspect_path).
        seen = {id(actor)}
        while to_visit:
            path, attr = to_visit.popleft()
            if path[-1].startswith('_'):
                continue
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if isinstance(attr, ActorProxy) and attr == self:
                logger.warning('%s attribute %r is a proxy to itself. Consider making it private '
                               'by renaming it to %r.', actor, '.'.join(path), '_' + path[-1])
                continue
            is_traversable = _is_traversable(attr)
            result[path] = _AttrInfo(callable=callable(attr), traversable=is_traversable)
            if is_traversable and id(attr) not in seen:
                seen.add(id(attr))
                for name, sub in _public_attributes(attr).items():
                    to_visit.append((path + (name,), sub))
        return result

    def _introspect_path(self, path):
        """The _AttrInfo of @path, looked up in the object at its parent
        path (a path through a cycle of traversables, which
        _introspect_attributes() does not list), or None."""
        if path[-1].startswith('_'):
            return None
        parent_path = path[:-1]
        if parent_path:
            parent_info = self._known_attrs.get(parent_path) or self._introspect_path(parent_path)
            if parent_info is None or not parent_info.traversable:
                return None
        try:
            parent = self._object_at(parent_path)
        except AttributeError:
            return None
        attrs = _public_attributes(parent)
        if path[-1] not in attrs:
            return None
        attr = attrs[path[-1]]
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        info = _AttrInfo(callable=callable(attr), traversable=_is_traversable(attr))
        self._known_attrs[path] = info
        return info

    def _object_at(self, path):
        obj = self._actor
        for name in path:
            obj = getattr(obj, name)
        return obj

    def __eq__(self, other):
        if not isinstance(other, ActorProxy):
            return NotImplemented
        return self._actor is other._actor and self._attr_path == other._attr_path

    def __hash__(self):
        return hash((id(self._actor), self._attr_path))

    def __repr__(self):
        return '<ActorProxy for %s, attr_path=%r>' % (self.actor_ref, self._attr_path)

    def __dir__(self):
        result = ['__class__']
        result += list(self.__class__.__dict__.keys())
        result += list(self.__dict__.keys())
        result += [path[0] for path in self._known_attrs if len(path) == len(self._attr_path) + 1]
        return sorted(set(result))

    def __getattr__(self, name):
        if name.startswith('_'):
            # Proxies expose no private attribute (and a lookup such as
            # _pykka_traversable on a proxy must not introspect the actor:
            # two actors holding proxies of each other would recurse).
            raise AttributeError(name)
        path = self._attr_path + (name,)
        info = self._known_attrs.get(path)
        if info is None:
            if not self.actor_ref.is_alive():
                raise _dead_error_for_ref(self.actor_ref)
            self._known_attrs = self._introspect_attributes()
            info = self._known_attrs.get(path)
            if info is None:
                info = self._introspect_path(path)
            if info is None:
                raise AttributeError('%s has no attribute %r' % (self, name))
        if info.callable:
            proxy = self._callable_proxies.get(path)
            if proxy is None:
                proxy = self._callable_proxies[path] = CallableProxy(self.actor_ref, path)
            return proxy
        if info.traversable:
            proxy = self._actor_proxies.get(path)
            if proxy is None:
                proxy = self._actor_proxies[path] = ActorProxy(self.actor_ref, path)
            return proxy
        return self.actor_ref.ask(_ProxyGetAttr(path), block=False)

    def __setattr__(self, name, value):
        if name == 'actor_ref' or name.startswith('_'):
            return super().__setattr__(name, value)
        self.actor_ref.ask(_ProxySetAttr(self._attr_path + (name,), value))


class CallableProxy:
    """A method of an actor, through a proxy (Pykka's ``CallableProxy``)."""

    __slots__ = ('actor_ref', '_attr_path')

    __class_getitem__ = classmethod(types.GenericAlias)

    def __init__(self, actor_ref, attr_path):
        self.actor_ref = actor_ref
        self._attr_path = attr_path

    def __call__(self, *args, **kwargs):
        """Calls the method in the actor; returns a ``Future`` of the result."""
        return self.actor_ref.ask(_ProxyCall(self._attr_path, args, kwargs), block=False)

    def defer(self, *args, **kwargs):
        """Calls the method in the actor without a future (tell
        semantics): a failure goes to the actor's on_failure."""
        self.actor_ref.tell(_ProxyCall(self._attr_path, args, kwargs))

    def __eq__(self, other):
        if not isinstance(other, CallableProxy):
            return NotImplemented
        return self.actor_ref == other.actor_ref and self._attr_path == other._attr_path

    def __hash__(self):
        return hash((self.actor_ref, self._attr_path))

    def __repr__(self):
        return '<CallableProxy for %s, attr_path=%r>' % (self.actor_ref, self._attr_path)


__all__ += ['ActorProxy', 'CallableProxy']


# ---------------------------------------------------------------------------
# Registry


# What register() and unregister() changed in Python's view of the
# registry (the runtime's registry holds every running actor, from start
# to death): urns of running actors unregistered by hand, and refs
# registered by hand that the runtime does not list (dead actors'), in
# order. Both empty unless a program calls them.
_registry_lock = threading.Lock()
_unregistered_urns = set()
_registered_by_hand = []


def _registry_view(refs):
    """@refs (of the runtime's registry) as Python sees them: without the
    actors dead after a fork and those unregistered by hand, with the refs
    registered by hand."""
    refs = [ref for ref in refs if not _dead_after_fork(ref)]
    if _unregistered_urns or _registered_by_hand:
        with _registry_lock:
            if _unregistered_urns:
                refs = [ref for ref in refs if _c_ref_get_urn(ref) not in _unregistered_urns]
            refs += [ref for ref in _registered_by_hand if ref not in refs]
    return refs


def _registry_forget_dead():
    # The urns unregistered by hand of actors that have died since.
    with _registry_lock:
        if _unregistered_urns:
            running = {_c_ref_get_urn(ref) for ref in _c_registry_get_all()}
            _unregistered_urns.intersection_update(running)


class Registry(Pykka.Registry):
    """All running actors (Pykka's ``ActorRegistry``, also available under
    that name). Every method is static."""

    @staticmethod
    def get_all():
        """Refs of all running actors, in start order."""
        return _registry_view(_c_registry_get_all())

    @staticmethod
    def get_by_class(actor_class):
        """Refs of the running actors of @actor_class or its subclasses."""
        refs = _registry_view(_c_registry_get_by_type(_gtype_of(actor_class)))
        if _registered_by_hand:
            gtype = _gtype_of(actor_class)
            refs = [ref for ref in refs if _c_ref_get_actor_type(ref).is_a(gtype)]
        return refs

    @staticmethod
    def register(actor_ref):
        """Lists @actor_ref in the registry (Pykka's
        ``ActorRegistry.register``). Starting an actor does it: this undoes
        an unregister(), or lists the ref of an actor that is not running
        until unregister() is called for it. A ref listed already stays
        listed once."""
        urn = _c_ref_get_urn(actor_ref)
        with _registry_lock:
            if urn in _unregistered_urns:
                _unregistered_urns.discard(urn)
            elif _c_registry_get_by_urn(urn) is None and actor_ref not in _registered_by_hand:
                _registered_by_hand.append(actor_ref)
        logger.debug('Registered %s', actor_ref)

    @staticmethod
    def unregister(actor_ref):
        """Removes @actor_ref from the registry (Pykka's
        ``ActorRegistry.unregister``); the actor goes on running. The
        death of an actor does it. Unregistering a ref the registry does
        not list is not an error."""
        urn = _c_ref_get_urn(actor_ref)
        removed = False
        with _registry_lock:
            if actor_ref in _registered_by_hand:
                _registered_by_hand.remove(actor_ref)
                removed = True
            elif urn not in _unregistered_urns and _c_registry_get_by_urn(urn) is not None:
                _unregistered_urns.add(urn)
                removed = True
        if removed:
            logger.debug('Unregistered %s', actor_ref)
        else:
            logger.debug('Unregistered %s (not found in registry)', actor_ref)
        _registry_forget_dead()

    @staticmethod
    def get_by_class_name(actor_class_name):
        """Refs of the running actors whose class is called
        @actor_class_name (its Python ``__name__``, or its GType name)."""
        return [ref for ref in Registry.get_all()
                if ref._class_name() == actor_class_name
                or _c_ref_get_actor_type(ref).name == actor_class_name]

    @staticmethod
    def get_by_urn(actor_urn):
        """The ref of the running actor @actor_urn, or None."""
        ref = _c_registry_get_by_urn(actor_urn)
        if _unregistered_urns or _registered_by_hand:
            refs = _registry_view([ref] if ref is not None else [])
            refs = [r for r in refs if _c_ref_get_urn(r) == actor_urn]
            return refs[0] if refs else None
        return None if ref is None or _dead_after_fork(ref) else ref

    @staticmethod
    def broadcast(message, target_class=None):
        """Tells @message to every running actor, or to those of
        @target_class (a class, subclasses included, or a class name)."""
        if isinstance(target_class, str) or _unregistered_urns or _registered_by_hand:
            # (Registered by hand, unregistered: the registry Python sees.)
            if isinstance(target_class, str):
                refs = Registry.get_by_class_name(target_class)
            elif target_class is None:
                refs = Registry.get_all()
            else:
                refs = Registry.get_by_class(target_class)
            for ref in refs:
                try:
                    ref.tell(message)
                except ActorDeadError:
                    pass
            return
        # (G_TYPE_INVALID does not cross PyGObject: every actor is a PykkaActor)
        gtype = Pykka.Actor.__gtype__ if target_class is None else _gtype_of(target_class)
        _speedups.broadcast(message, gtype)

    # Names (not in Pykka: Erlang's register/whereis; issue 15.5)

    @staticmethod
    def register_name(name, actor_ref):
        """Gives the running actor of @actor_ref the name @name (a
        non-empty str), unique in the process, by which get_by_name()
        finds it until the actor stops or unregister_name(name). Again for
        the same actor is fine; an actor may have several names. Raises
        NameTakenError if another actor holds @name, ActorDeadError if
        the actor is not running, ValueError if @name is empty."""
        if not isinstance(name, str):
            raise TypeError('an actor name is a str, not %s' % type(name).__name__)
        try:
            _c_registry_register_name(name, actor_ref)
        except GLib.Error as error:
            if error.domain != _PYKKA_DOMAIN:
                raise
            if error.code == Pykka.Error.NAME_TAKEN:
                raise NameTakenError(error.message, name=name,
                                     holder=Registry.get_by_name(name)) from None
            if error.code == Pykka.Error.ACTOR_DEAD:
                raise _dead_error_for_ref(actor_ref) from None
            if error.code == Pykka.Error.INVALID_ARGUMENT:
                raise ValueError(error.message) from None
            raise

    @staticmethod
    def get_by_name(name):
        """The ref of the running actor named @name, or None."""
        ref = _c_registry_lookup_name(name)
        return None if ref is None or _dead_after_fork(ref) else ref

    @staticmethod
    def unregister_name(name):
        """Frees @name before its actor stops. Returns whether a running
        actor held it."""
        return Pykka.Registry.unregister_name(name)

    @staticmethod
    def get_names(actor_ref):
        """The names of the actor of @actor_ref, in the order it took
        them (an empty list if none)."""
        return list(Pykka.Registry.dup_names(actor_ref))

    @staticmethod
    def stop_all(block=True, timeout=None):
        """Stops every running actor, last started first. Returns the
        results of the stops (or futures of them, with block=False)."""
        return [ref.stop(block=block, timeout=timeout) for ref in reversed(Registry.get_all())]


def _gtype_of(actor_class):
    if isinstance(actor_class, GObject.GType):
        return actor_class
    return actor_class.__gtype__


Registry = override(Registry)
ActorRegistry = Registry
__all__ += ['Registry', 'ActorRegistry']


#: What the atexit stop waits for all actors together, in seconds.
_EXIT_STOP_SECONDS = 2.0


def _stop_all_at_exit():
    # Actors on threads of their own would otherwise run Python code while
    # the interpreter is torn down (Pykka's threads kept the process alive
    # instead). Every actor still running is stopped, last started first,
    # each waited for until one overall deadline: an actor that cannot
    # stop (suspended on something that never comes) costs that bound
    # once, not per actor. Those left running are named in one warning.
    try:
        deadline = time.monotonic() + _EXIT_STOP_SECONDS
        left = []
        # Every running actor, unregistered ones included.
        for ref in reversed([ref for ref in _c_registry_get_all() if not _dead_after_fork(ref)]):
            try:
                future = _c_ref_stop(ref)
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    future.get(remaining)
                elif not _c_future_is_done(future):
                    left.append(ref)
            except Timeout:
                left.append(ref)
            except Exception:
                logger.warning('Could not stop %s at exit', ref, exc_info=True)
        if left:
            logger.warning('%d actors did not stop within %s s at exit: %s', len(left),
                           _EXIT_STOP_SECONDS, ', '.join(str(ref) for ref in left))
    except Exception:
        pass


atexit.register(_stop_all_at_exit)

_dead_after_fork = _speedups.dead_after_fork


def _after_fork_in_child():
    # Only the thread that forked goes on in the child: actors on threads
    # of their own are dead there. Their asks fail at once with
    # ActorDeadError, and exit does not wait for them.
    try:
        dead = []
        for ref in _c_registry_get_all():
            actor = _c_ref_dup_actor(ref)
            if actor is not None and _c_actor_get_use_own_thread(actor):
                dead.append(ref)
        _speedups.mark_dead_after_fork(dead)
    except Exception:
        logger.warning('Could not mark the actors of other threads dead after fork', exc_info=True)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _on_failure(actor, exc):
    """The on_failure vfunc of Python actors (called by _speedups with the
    very exception the told handler raised): logs, runs on_failure."""
    exc_info = (exc.__class__, exc, exc.__traceback__)
    try:
        logger.error('Unhandled exception in %s:', actor, exc_info=exc_info)
        logger.debug('Unregistered %s', _c_actor_get_actor_ref(actor))
        _run_hook(actor.on_failure, *exc_info)
    except BaseException:
        logger.error('Unhandled exception in %s.on_failure:', actor, exc_info=True)
    finally:
        actor._pykka_release_thread()


def _on_base_exception(actor, exc):
    """A handler of @actor raised @exc, a BaseException that is not an
    Exception (SystemExit, KeyboardInterrupt, GeneratorExit...). As in
    Pykka, the actor stops at once (on_stop runs, on_failure does not;
    what is queued fails with ActorDeadError) and so does every other
    actor. Unlike Pykka, whose asker never gets an answer, the asker of
    that message gets ActorDeadError: a reply is never lost here.

    asyncio's CancelledError is no such signal: it is how an awaited
    asyncio future or task that was cancelled ends an ``async def``
    handler, and fails the handler as an Exception does (P37)."""
    asyncio = sys.modules.get('asyncio')
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        return
    try:
        logger.debug('%r in %s. Stopping all actors.', exc, actor)
    except Exception:
        pass
    reason = GLib.Error.new_literal(Pykka.error_quark(),
                                    'its handler raised %s' % _speedups.exception_text(exc),
                                    Pykka.Error.ACTOR_DEAD)
    _c_actor_kill(actor, reason)
    for ref in reversed(Registry.get_all()):
        try:
            ref.stop(block=False)
        except Exception:
            pass


_speedups.on_base_exception = _on_base_exception


# ---------------------------------------------------------------------------
# The C side of the hot paths

_speedups.setup(
    worker=_Worker,
    failure=_Failure,
    suspended=_SUSPENDED,
    exception_of=_exception_of,
    on_failure=_on_failure,
    resume_failed=_resume_failed,
    timeout=Timeout,
    proxy_messages=_PROXY_MESSAGES,
    dispatch_proxy=_dispatch_proxy,
    drive=_drive,
    glib_error=GLib.Error,
    gvalue=GObject.Value,
)


# ---------------------------------------------------------------------------
# Actors: the base classes register a GType, so they live in pykka_glib.

from pykka_glib._actor import Actor, ThreadingActor  # noqa: E402

__all__ += ['Actor', 'ThreadingActor']


# ---------------------------------------------------------------------------
# Remote refs (issue 17): messages converted to values that cross a
# process (pykka_glib.dbus.to_value), replies unpacked.

from pykka_glib import dbus as _dbus  # noqa: E402


class RemoteRef(Pykka.RemoteRef):
    """A ref to an actor in another process, on D-Bus
    ([class@Pykka.RemoteRef]): ``tell(message)``, ``ask(message)`` (the
    reply; a future with ``block=False``), ``stop()``, ``is_alive()``.
    Messages go through ``pykka_glib.dbus.to_value()``: None, bool, int,
    float, str, bytes, lists of str, dicts with str keys, GLib.Variant."""

    def tell(self, message):
        """Sends ``message`` without waiting."""
        return Pykka.RemoteRef.tell(self, _remote_value(message))

    def ask(self, message, block=True, timeout=None):
        """Asks the remote actor: its reply (variants unpacked), or a
        future of it with ``block=False``."""
        future = Pykka.RemoteRef.ask(self, _remote_value(message))
        if not block:
            return future
        return _dbus.from_value(future.get(timeout=timeout))

    def stop(self, block=True, timeout=None):
        """Stops the remote actor: True once it is dead (or a future of
        that, with ``block=False``)."""
        future = Pykka.RemoteRef.stop(self)
        return future.get(timeout=timeout) if block else future


def _remote_value(message):
    value = _dbus.to_value(message)
    return GObject.Value() if value is None else value


RemoteRef = override(RemoteRef)
__all__.append('RemoteRef')
