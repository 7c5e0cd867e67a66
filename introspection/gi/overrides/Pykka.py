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
  of the context keeps running. When the awaited value arrives (a
  ``get_async`` callback in the actor's context) the greenlet switches back
  in; when the handler returns, the pending future is completed and the C
  runtime resumes the actor. This is Pykka's old EventletActor, with the
  ``GMainContext`` as the hub.

* Outside handlers (a plain script, a GTK callback) ``get()`` is the C
  blocking get: on the thread that runs the actors' context it iterates that
  context until the value arrives, so a script needs no main loop.

* Exceptions: an exception raised by a handler is kept in a table and
  travels as a ``GError`` (domain ``pykka-python-error-quark``, the code a
  key into the table, the message ``"Type: text"``). A Python caller gets
  the very same exception object back; a C, GJS or Vala caller gets the
  ``GError``. A ``GLib.Error`` raised by a handler keeps its domain and code.
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
  first) by an ``atexit`` hook; Pykka's threads kept the process alive.

Traps of the platform handled here
==================================

PyGObject 3.42 (Debian 12) leaks the GValue it builds for a plain Python
object returned by a vfunc for an out GValue, frees the contents of a
returned ``GObject.Value`` too early, and leaks the libffi closure of every
Python callback handed to a C function (fixed in 3.44.2). Replies therefore
go through ``GObject.Value`` objects kept by the worker, and suspended
handlers are resumed through ctypes trampolines made once. On threads
Python did not create (own-thread actors), each call into Python gets a
fresh thread state; greenlets need one that lasts, so each such actor holds
one until it dies.
"""

import atexit
import collections
import ctypes
import functools
import itertools
import logging
import sys
import threading
import types
import weakref

import greenlet

import gi

from gi import _gi
from gi.repository import GLib, GObject, Gio

from ..module import get_introspection_module
from ..overrides import override

Pykka = get_introspection_module('Pykka')

__all__ = []

logger = logging.getLogger('pykka')

# ---------------------------------------------------------------------------
# C entry points, looked up once (the hot paths call them unbound)

_c_tell = Pykka.ActorRef.tell
_c_ask = Pykka.ActorRef.ask
_c_ask_sync = Pykka.ActorRef.ask_sync
# What PyGObject raises for a G_TYPE_INVALID (unset) GValue it returns.
_UNSET_REPLY_ERROR = 'unknown type (null)'
_c_ref_stop = Pykka.ActorRef.stop
_c_ref_get_urn = Pykka.ActorRef.get_urn
_c_ref_get_actor_type = Pykka.ActorRef.get_actor_type
_c_ref_dup_actor = Pykka.ActorRef.dup_actor
_c_ref_is_alive = Pykka.ActorRef.is_alive
_c_future_get = Pykka.Future.get
_c_future_is_done = Pykka.Future.is_done
_c_future_set_value = Pykka.Future.set_value
_c_future_set_error = Pykka.Future.set_error
_c_future_get_async = Pykka.Future.get_async
_c_event_wait = Pykka.Event.wait
_c_event_wait_async = Pykka.Event.wait_async
_c_event_is_set = Pykka.Event.is_set
_c_actor_get_context = Pykka.Actor.get_context
_c_actor_get_actor_ref = Pykka.Actor.get_actor_ref
_c_get_urn_of_actor = Pykka.Actor.get_urn
_c_registry_get_all = Pykka.Registry.get_all
_c_registry_get_by_type = Pykka.Registry.get_by_type
_c_registry_get_by_urn = Pykka.Registry.get_by_urn
_c_registry_broadcast = Pykka.Registry.broadcast

_getcurrent = greenlet.getcurrent
try:
    # g_main_depth() without PyGObject's marshalling (and GIL release):
    # asked once per handler.
    _main_depth = ctypes.PyDLL('libglib-2.0.so.0').g_main_depth
    _main_depth.argtypes = []
    _main_depth.restype = ctypes.c_int
except (OSError, AttributeError):  # pragma: no cover
    _main_depth = GLib.main_depth
_CoroutineType = types.CoroutineType

_PYOBJECT = GObject.TYPE_PYOBJECT
_Value = GObject.Value
_GError = GLib.Error
_FUTURE_GTYPE = Pykka.Future.__gtype__

# ---------------------------------------------------------------------------
# Values

_INT_MIN = -0x80000000
_INT_MAX = 0x7fffffff

# A message or a value set on a future: PyGObject guesses the GValue type
# of a plain Python value, which refuses None and truncates ints to 32
# bits; those two are boxed as PyObject GValues.
_NONE_VALUE = _Value(_PYOBJECT, None)

def _message_value(value):
    """The argument to give C for a message or a future's value."""
    if value is None:
        return _NONE_VALUE
    if value.__class__ is int:
        if not _INT_MIN <= value <= _INT_MAX:
            return _Value(_PYOBJECT, value)
    elif isinstance(value, _GError):
        # Would travel as a copied GError, not as itself.
        return _Value(_PYOBJECT, value)
    return value


# Replies returned by handlers. PyGObject 3.42 leaks the GValue it makes
# when a vfunc returns a plain Python object for an out GValue, and copies a
# returned GObject.Value shallowly (its contents are freed with it, under
# C's feet). So a reply is a GObject.Value that stays alive: constants for
# None and booleans, and otherwise values reused by the worker greenlet,
# with the reference C takes over added by hand.
_NONE_REPLY = _Value(GObject.TYPE_POINTER, None)
_TRUE_REPLY = _Value(GObject.TYPE_BOOLEAN, True)
_FALSE_REPLY = _Value(GObject.TYPE_BOOLEAN, False)

_gvalue_set = _gi._gvalue_set
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None

_REPLY_PYOBJECT, _REPLY_INT, _REPLY_DOUBLE, _REPLY_OBJECT, _REPLY_GVALUE = range(5)
_reply_kinds = {int: _REPLY_INT, float: _REPLY_DOUBLE, _Value: _REPLY_GVALUE}


def _reply_kind(cls):
    if issubclass(cls, GObject.Object):
        kind = _REPLY_OBJECT
    else:
        kind = _REPLY_PYOBJECT
    _reply_kinds[cls] = kind
    return kind


def _reply(worker, value):
    """The GObject.Value the on_receive vfunc returns for @value."""
    if value is None:
        return _NONE_REPLY
    cls = value.__class__
    if cls is bool:
        return _TRUE_REPLY if value else _FALSE_REPLY
    kind = _reply_kinds.get(cls)
    if kind is None:
        kind = _reply_kind(cls)
    if kind == _REPLY_INT:
        if _INT_MIN <= value <= _INT_MAX:
            gvalue = worker.v_int
            _gvalue_set(gvalue, value)
            return gvalue
    elif kind == _REPLY_DOUBLE:
        gvalue = worker.v_double
        if gvalue is None:
            gvalue = worker.v_double = _Value(GObject.TYPE_DOUBLE, 0.0)
        _gvalue_set(gvalue, value)
        return gvalue
    elif kind == _REPLY_OBJECT:
        # As a G_TYPE_OBJECT value: a future travels as a value (Pykka's
        # semantics), not as a suspension.
        gvalue = worker.v_object
        if gvalue is None:
            gvalue = worker.v_object = _Value(GObject.TYPE_OBJECT)
        _gvalue_set(gvalue, value)
        value._ref()
        return gvalue
    elif kind == _REPLY_GVALUE:
        # Keep its GType: hand it over through a completed future.
        future = Future()
        _c_future_set_value(future, value)
        return _reply_future(worker, future)
    gvalue = worker.v_pyobject
    _incref(value)
    _gvalue_set(gvalue, value)
    return gvalue


def _reply_future(worker, future):
    """The GObject.Value that makes C wait for @future (a suspension)."""
    gvalue = worker.v_future
    if gvalue is None:
        gvalue = worker.v_future = _Value(_FUTURE_GTYPE)
    _gvalue_set(gvalue, future)
    future._ref()
    return gvalue


def _ms(timeout):
    """Seconds (None: for ever) to the milliseconds of the C API."""
    if timeout is None:
        return -1
    ms = int(timeout * 1000)
    if ms <= 0:
        return 0
    return ms if ms < _INT_MAX else _INT_MAX


# ---------------------------------------------------------------------------
# Exceptions

_PYKKA_DOMAIN = 'pykka-error-quark'
_PYTHON_DOMAIN = 'pykka-python-error-quark'


class ActorDeadError(GLib.Error):
    """The actor is dead (stopped, or stopped before it handled the
    message). Pykka's ``ActorDeadError``; also a ``GLib.Error`` of the
    ``PYKKA_ERROR`` domain with code ``ACTOR_DEAD``."""

    def __init__(self, message='Actor is dead', domain=_PYKKA_DOMAIN,
                 code=int(Pykka.Error.ACTOR_DEAD)):
        super().__init__(message, domain, code)

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


__all__ += ['ActorDeadError', 'Timeout']

# Exceptions raised by Python handlers (or set on futures) on their way to
# a Python caller, by key: the GError code for ordinary exceptions, or
# (domain, code, message) for a GLib.Error. An entry is taken out when a
# Python get() meets its GError; entries nobody takes (a C caller) are
# dropped oldest first past _MAX_PENDING_EXCEPTIONS.
_exceptions = collections.OrderedDict()
_exception_keys = itertools.count(1)
_MAX_PENDING_EXCEPTIONS = 1024
_exceptions_lock = threading.Lock()


def _exception_text(exc):
    text = str(exc)
    name = exc.__class__.__name__
    return '%s: %s' % (name, text) if text else name


def _stash_exception(exc):
    """Keeps @exc for a Python caller; returns the GLib.Error to give C."""
    if isinstance(exc, GLib.Error):
        key = (exc.domain, exc.code, exc.message)
        error = exc
    else:
        key = next(_exception_keys) & _INT_MAX
        error = GLib.Error(_exception_text(exc), _PYTHON_DOMAIN, key)
    with _exceptions_lock:
        _exceptions[key] = exc
        while len(_exceptions) > _MAX_PENDING_EXCEPTIONS:
            _exceptions.popitem(last=False)
    return error


def _take_exception(error):
    """The Python exception that @error (a GLib.Error from C) stands for."""
    domain = error.domain
    key = error.code if domain == _PYTHON_DOMAIN else (domain, error.code, error.message)
    with _exceptions_lock:
        exc = _exceptions.pop(key, None)
    if exc is not None:
        return exc
    if domain == _PYKKA_DOMAIN:
        if error.code == Pykka.Error.TIMEOUT:
            return Timeout(error.message)
        if error.code == Pykka.Error.ACTOR_DEAD:
            return ActorDeadError(error.message)
    return error


def _exc_info_of(exc):
    return (exc.__class__, exc, exc.__traceback__)


# ---------------------------------------------------------------------------
# Worker greenlets: where Python handlers run, and how they suspend

_tls = threading.local()
_MAX_IDLE_WORKERS = 64


def _worker_pool():
    try:
        return _tls.pool
    except AttributeError:
        pool = _tls.pool = []
        return pool


class _Worker(greenlet.greenlet):
    """Runs handlers, one at a time, for the actors of one thread.

    caller: the greenlet to switch to when the handler returns or waits
    actor: the actor whose handler runs (None when idle)
    pending: the future C got as the reply once the handler suspended
    depth: GLib.main_depth() where the handler runs; a wait at another depth
      is inside a main loop iteration nested in the handler and must not
      switch out
    """

    __slots__ = ('caller', 'actor', 'pending', 'depth',
                 'v_int', 'v_pyobject', 'v_double', 'v_object', 'v_future')

    def __init__(self):
        super().__init__()
        self.caller = None
        self.actor = None
        self.pending = None
        self.depth = -1
        # Reused reply values (see _reply)
        self.v_int = _Value(GObject.TYPE_INT, 0)
        self.v_pyobject = _Value(_PYOBJECT, None)
        self.v_double = None
        self.v_object = None
        self.v_future = None

    def run(self, actor, message):
        # Hot path: a handler that returns hands its value straight back
        # to do_on_receive (no tuple); a failure comes back as a _Failure,
        # a first suspension as _SUSPENDED (the future is self.pending).
        proxy_messages = _PROXY_MESSAGES
        dispatch_proxy = _dispatch_proxy
        coroutine = _CoroutineType
        failure = _Failure
        while True:
            try:
                if message.__class__ in proxy_messages:
                    value = dispatch_proxy(actor, message)
                else:
                    value = actor.on_receive(message)
                if value.__class__ is coroutine:
                    value = _drive(value)
                ok = True
            except greenlet.GreenletExit:
                raise
            except BaseException as exc:
                value = exc
                ok = False
            actor = message = None
            self.actor = None
            pending = self.pending
            if pending is None:
                if ok:
                    actor, message = self.caller.switch(value)
                else:
                    actor, message = self.caller.switch(failure(value))
            else:
                # The handler had suspended: C waits on @pending.
                self.pending = None
                caller = self.caller
                self.caller = None
                _settle(pending, ok, value)
                value = None
                pool = _worker_pool()
                if len(pool) < _MAX_IDLE_WORKERS:
                    pool.append(self)
                actor, message = caller.switch()


class _Failure:
    """What a worker hands back when its handler raised."""
    __slots__ = ('exc',)

    def __init__(self, exc):
        self.exc = exc


# What a worker hands back when its handler suspended for the first time
# (C gets the worker's pending future).
_SUSPENDED = object()


def _settle(future, ok, value):
    """Completes the pending reply @future of a handler that had suspended."""
    if ok:
        _c_future_set_value(future, _message_value(value))
    else:
        _c_future_set_error(future, _stash_exception(value))


def _current_worker():
    """The worker greenlet that may suspend here, or None."""
    g = _getcurrent()
    if g.__class__ is _Worker and g.actor is not None and g.depth == _main_depth():
        return g
    return None


# Resuming suspended handlers. A Python callback handed to a C function
# through PyGObject 3.42 (get_async, a GSource callback) leaks its libffi
# closure, for ever (fixed in PyGObject 3.44.2); one per suspension would
# grow without bound. So the callbacks below are ctypes trampolines made
# once, and a waiter is found again through an integer key.

def _load_library(namespace, fallback):
    try:
        gi.require_version('GIRepository', '2.0')
        from gi.repository import GIRepository
        name = GIRepository.Repository.get_default().get_shared_library(namespace)
        if name:
            return ctypes.CDLL(name.split(',')[0])
    except (ValueError, ImportError, OSError):
        pass
    return ctypes.CDLL(fallback)


_libpykka = _load_library('Pykka', 'libpykka-glib-1.0.so.0')
_libglib = ctypes.CDLL('libglib-2.0.so.0')

_ASYNC_READY_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_SOURCE_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)

for _name in ('pykka_future_get_async', 'pykka_event_wait_async'):
    getattr(_libpykka, _name).argtypes = [ctypes.c_void_p, ctypes.c_void_p, _ASYNC_READY_FUNC, ctypes.c_void_p]
    getattr(_libpykka, _name).restype = None
_ll_future_get_async = _libpykka.pykka_future_get_async
_ll_event_wait_async = _libpykka.pykka_event_wait_async
_libglib.g_timeout_source_new.argtypes = [ctypes.c_uint]
_libglib.g_timeout_source_new.restype = ctypes.c_void_p
_libglib.g_source_set_callback.argtypes = [ctypes.c_void_p, _SOURCE_FUNC, ctypes.c_void_p, ctypes.c_void_p]
_libglib.g_source_set_callback.restype = None
_libglib.g_source_attach.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_libglib.g_source_attach.restype = ctypes.c_uint
_libglib.g_source_destroy.argtypes = [ctypes.c_void_p]
_libglib.g_source_destroy.restype = None
_libglib.g_source_unref.argtypes = [ctypes.c_void_p]
_libglib.g_source_unref.restype = None
_libglib.g_main_context_push_thread_default.argtypes = [ctypes.c_void_p]
_libglib.g_main_context_push_thread_default.restype = None
_libglib.g_main_context_pop_thread_default.argtypes = [ctypes.c_void_p]
_libglib.g_main_context_pop_thread_default.restype = None
_libgobject = ctypes.CDLL('libgobject-2.0.so.0')
_libgobject.g_object_unref.argtypes = [ctypes.c_void_p]
_libgobject.g_object_unref.restype = None
_libgio = ctypes.CDLL('libgio-2.0.so.0')
_libgio.g_cancellable_new.argtypes = []
_libgio.g_cancellable_new.restype = ctypes.c_void_p
_libgio.g_cancellable_cancel.argtypes = [ctypes.c_void_p]
_libgio.g_cancellable_cancel.restype = None
_libpykka.pykka_actor_get_context.argtypes = [ctypes.c_void_p]
_libpykka.pykka_actor_get_context.restype = ctypes.c_void_p
_libglib.g_main_context_get_thread_default.argtypes = []
_libglib.g_main_context_get_thread_default.restype = ctypes.c_void_p

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer.restype = ctypes.c_void_p


def _pointer(gobject):
    return _capsule_pointer(gobject.__gpointer__, None)


class _Waiter:
    """One suspension of a handler: fired once, by the awaited object or by
    the timeout."""
    __slots__ = ('worker', 'fired', 'source', 'cancellable')

    def __init__(self, worker):
        self.worker = worker
        self.fired = False
        self.source = None       # pointer of the timeout GSource (one ref)
        self.cancellable = None  # GCancellable pointer (one ref), with a timeout


_waiters = {}
_waiter_keys = itertools.count(1)
# Classes whose hash() is their GObject pointer (PyGObject's default),
# checked once they exist; others go through their capsule.
_HASH_IS_POINTER = set()


def _resume(worker, value):
    worker.caller = _getcurrent()
    worker.depth = _main_depth()
    worker.switch(value)


def _ready_cb(source_object, result, key):
    waiter = _waiters.pop(key, None)
    if waiter is None:
        return
    cancellable = waiter.cancellable
    if cancellable is not None:
        # This callback comes once, cancelled or not: the last use.
        waiter.cancellable = None
        _libgobject.g_object_unref(cancellable)
    if waiter.fired:
        return
    waiter.fired = True
    if waiter.source is not None:
        _libglib.g_source_destroy(waiter.source)
        _libglib.g_source_unref(waiter.source)
        waiter.source = None
    try:
        _resume(waiter.worker, True)
    except BaseException:
        logger.exception('Resuming a suspended handler failed')


def _timeout_cb(key):
    waiter = _waiters.get(key)
    if waiter is None or waiter.fired:
        return False
    waiter.fired = True
    _libglib.g_source_unref(waiter.source)
    waiter.source = None
    # The get_async callback still comes (cancelled), drops the key and
    # the cancellable.
    _libgio.g_cancellable_cancel(waiter.cancellable)
    try:
        _resume(waiter.worker, False)
    except BaseException:
        logger.exception('Resuming a suspended handler failed')
    return False


_ready_trampoline = _ASYNC_READY_FUNC(_ready_cb)
_timeout_trampoline = _SOURCE_FUNC(_timeout_cb)


def _suspend(worker, obj, start_async, timeout):
    """Suspends the handler running in @worker until @obj (a future or an
    event) is ready or @timeout seconds pass. Returns True if ready."""
    waiter = _Waiter(worker)
    key = next(_waiter_keys)
    _waiters[key] = waiter
    actor = worker.actor
    context = actor.__dict__.get('_pykka_context_pointer')
    if context is None:
        # Fixed once the actor runs; it holds a reference while it lives.
        context = actor._pykka_context_pointer = _libpykka.pykka_actor_get_context(_pointer(actor))
    if timeout is not None:
        # A bare GCancellable (no Python wrapper): ours is dropped in
        # _ready_cb, which always comes.
        waiter.cancellable = _libgio.g_cancellable_new()
    # Callbacks run in the thread-default context when registered: the
    # actor's, even when its thread runs it without pushing it.
    _libglib.g_main_context_push_thread_default(context)
    try:
        start_async(hash(obj) if obj.__class__ in _HASH_IS_POINTER else _pointer(obj),
                    waiter.cancellable, _ready_trampoline, key)
        if timeout is not None:
            source = _libglib.g_timeout_source_new(max(_ms(timeout), 1))
            _libglib.g_source_set_callback(source, _timeout_trampoline, key, None)
            _libglib.g_source_attach(source, context)
            waiter.source = source
    finally:
        _libglib.g_main_context_pop_thread_default(context)
    pending = worker.pending
    if pending is None:
        worker.pending = Future()
        return worker.caller.switch(_SUSPENDED)
    return worker.caller.switch(None)


def _drive(coroutine):
    """Runs an ``async def`` handler to completion in the worker: an
    awaited Pykka future suspends the worker like a blocking get()."""
    send = coroutine.send
    try:
        yielded = send(None)
        while True:
            if yielded is None:
                yielded = send(None)
            else:
                yielded = coroutine.throw(TypeError(
                    'pykka-glib handlers can only await Pykka futures, not %r' % (yielded,)))
    except StopIteration as stop:
        return stop.value


# ---------------------------------------------------------------------------
# Proxy messages and dispatch in the actor


class _ProxyCall:
    __slots__ = ('attr_path', 'args', 'kwargs')

    def __init__(self, attr_path, args, kwargs):
        self.attr_path = attr_path
        self.args = args
        self.kwargs = kwargs

    def __repr__(self):
        return 'ProxyCall(attr_path=%r, args=%r, kwargs=%r)' % (self.attr_path, self.args, self.kwargs)


class _ProxyGetAttr:
    __slots__ = ('attr_path',)

    def __init__(self, attr_path):
        self.attr_path = attr_path

    def __repr__(self):
        return 'ProxyGetAttr(attr_path=%r)' % (self.attr_path,)


class _ProxySetAttr:
    __slots__ = ('attr_path', 'value')

    def __init__(self, attr_path, value):
        self.attr_path = attr_path
        self.value = value

    def __repr__(self):
        return 'ProxySetAttr(attr_path=%r, value=%r)' % (self.attr_path, self.value)


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
    Futures are awaitable.
    """

    _pykka_get_hook = None

    def get(self, timeout=None):
        """Returns the value, or raises the exception, waiting at most
        @timeout seconds (None: for ever) before raising ``Timeout``."""
        if self._pykka_get_hook is not None:
            return self._get_from_hook(timeout)
        g = _getcurrent()
        if g.__class__ is _Worker and not _c_future_is_done(self) and \
                g.actor is not None and g.depth == _main_depth() and \
                (timeout is None or _ms(timeout) > 0):
            if not _suspend(g, self, _ll_future_get_async, timeout):
                raise Timeout('%s seconds' % (timeout,))
        try:
            value = _c_future_get(self, -1 if timeout is None else _ms(timeout))
        except GLib.Error as error:
            raise self._exception(error) from None
        except TypeError:
            # An unset reply (a C handler that answered nothing).
            if _c_future_is_done(self):
                return None
            raise
        return value

    def _exception(self, error):
        exc = _take_exception(error)
        if _c_future_is_done(self):
            if exc is error or exc.__class__ in (Timeout, ActorDeadError):
                exc = self.__dict__.get('_pykka_exception', exc)
            self._pykka_exception = exc
        return exc

    def _get_from_hook(self, timeout):
        d = self.__dict__
        if '_pykka_hook_result' not in d:
            self._pykka_hook_result = self._pykka_get_hook(timeout)
        return self._pykka_hook_result

    def set(self, value=None):
        """Completes the future with @value."""
        _c_future_set_value(self, _message_value(value))

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
        _c_future_set_error(self, _stash_exception(exc))

    def set_get_hook(self, func):
        """Makes get(timeout) return func(timeout) (computed once)."""
        self._pykka_get_hook = func

    def filter(self, func):
        """A future of the items of this future's value for which @func is true."""
        future = Future()
        future.set_get_hook(lambda timeout: list(filter(func, self.get(timeout))))
        return future

    def join(self, *futures):
        """A future of the list of the values of this future and @futures."""
        all_futures = (self,) + futures
        future = Future()
        future.set_get_hook(lambda timeout: [f.get(timeout) for f in all_futures])
        return future

    def map(self, func):
        """A future of func(value)."""
        future = Future()
        future.set_get_hook(lambda timeout: func(self.get(timeout)))
        return future

    def reduce(self, func, *initial):
        """A future of functools.reduce(func, value, *initial)."""
        future = Future()
        future.set_get_hook(lambda timeout: functools.reduce(func, self.get(timeout), *initial))
        return future

    def __await__(self):
        if _current_worker() is None and not _c_future_is_done(self):
            yield
        return self.get()

    __iter__ = __await__


Future = override(Future)
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

    def wait(self, timeout=None):
        """Waits until the event is set or @timeout seconds pass; returns
        whether it is set."""
        g = _getcurrent()
        if g.__class__ is _Worker and g.actor is not None and \
                not _c_event_is_set(self) and g.depth == _main_depth() and \
                (timeout is None or _ms(timeout) > 0):
            return bool(_suspend(g, self, _ll_event_wait_async, timeout))
        return _c_event_wait(self, -1 if timeout is None else _ms(timeout))

    isSet = Pykka.Event.is_set


Event = override(Event)
for _cls in (Future, Event):
    _probe = _cls()
    if hash(_probe) == _pointer(_probe):
        _HASH_IS_POINTER.add(_cls)
del _cls, _probe
__all__.append('Event')


# ---------------------------------------------------------------------------
# Actor refs


class ActorRef(Pykka.ActorRef):
    """The handle of an actor (Pykka's ``ActorRef``)."""

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

    def tell(self, message):
        """Sends @message without waiting; raises ``ActorDeadError`` if the
        actor is dead."""
        if message is None:
            message = _NONE_VALUE
        elif message.__class__ is int:
            if not _INT_MIN <= message <= _INT_MAX:
                message = _Value(_PYOBJECT, message)
        elif isinstance(message, _GError):
            message = _Value(_PYOBJECT, message)
        try:
            _c_tell(self, message)
        except GLib.Error as error:
            raise _take_exception(error) from None

    def ask(self, message, block=True, timeout=None):
        """Sends @message and returns the reply (block=True, waiting at
        most @timeout seconds) or a ``Future`` of it (block=False)."""
        if message is None:
            message = _NONE_VALUE
        elif message.__class__ is int:
            if not _INT_MIN <= message <= _INT_MAX:
                message = _Value(_PYOBJECT, message)
        elif isinstance(message, _GError):
            message = _Value(_PYOBJECT, message)
        if block:
            g = _getcurrent()
            own_thread = self.__dict__.get('_pykka_own_thread')
            if own_thread is None:
                own_thread = self._own_thread()
            if (g.__class__ is not _Worker or g.actor is None) and not own_thread and \
                    (message.__class__ is not _Value or message is _NONE_VALUE):
                # Not in a handler, and the get will iterate the actor's
                # context here: the C blocking ask, whose future never gets
                # a Python wrapper (0.5 µs less than ask + get). For an
                # actor on a thread of its own, ask + get is faster: the
                # actor's thread takes the GIL while this one comes back
                # from the ask, and the get finds the reply ready instead of
                # sleeping on a condition variable.
                try:
                    return _c_ask_sync(self, message, -1 if timeout is None else _ms(timeout))[1]
                except GLib.Error as error:
                    raise _take_exception(error) from None
                except TypeError as error:
                    # An unset reply (a C handler that answered nothing).
                    if str(error) == _UNSET_REPLY_ERROR:
                        return None
                    raise
        future = _c_ask(self, message)
        if not block:
            return future
        g = _getcurrent()
        if g.__class__ is _Worker and g.actor is not None:
            if timeout is None and _c_actor_get_actor_ref(g.actor) is self:
                raise GLib.Error('%s asked itself and waits for the answer: this wait could never finish' % (self,),
                                 _PYKKA_DOMAIN, int(Pykka.Error.DEADLOCK))
            return future.get(timeout)
        # Not in a handler: the C blocking get (Future.get, inlined).
        try:
            return _c_future_get(future, -1 if timeout is None else _ms(timeout))
        except GLib.Error as error:
            raise future._exception(error) from None
        except TypeError:
            if _c_future_is_done(future):
                return None
            raise

    def _own_thread(self):
        # Cached on the ref (fixed at construction); a dead actor counts
        # as not on a thread (its asks fail at once either way).
        actor = _c_ref_dup_actor(self)
        if actor is None:
            return False
        own_thread = self._pykka_own_thread = bool(actor.get_property('use-own-thread'))
        return own_thread

    def stop(self, block=True, timeout=None):
        """Stops the actor after the messages already sent. Returns True if
        this call stopped it, False if it was dead already (or a future of
        that, with block=False)."""
        future = _c_ref_stop(self)
        if block:
            g = _getcurrent()
            if g.__class__ is _Worker and g.actor is not None and \
                    _c_actor_get_actor_ref(g.actor) is self:
                # An actor stopping itself from a handler: the stop comes
                # after this handler, so waiting for it would never end.
                return _c_ref_is_alive(self)
            return future.get(timeout)
        return future

    def proxy(self):
        """An ``ActorProxy`` of the actor."""
        return ActorProxy(self)

    @property
    def _actor(self):
        return _c_ref_dup_actor(self)


ActorRef = override(ActorRef)
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

    def __init__(self, actor_ref, attr_path=None):
        actor = _c_ref_dup_actor(actor_ref)
        if actor is None:
            # Dead, or constructed and not started yet (a proxy made in
            # __init__, as Pykka allows).
            actor = _unstarted_actors.get(_c_ref_get_urn(actor_ref))
            if actor is None or actor.actor_ref is not actor_ref or \
                    _c_actor_get_state_dead(actor):
                raise ActorDeadError('%s not found' % (actor_ref,))
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
            if is_traversable:
                for name, sub in _public_attributes(attr).items():
                    to_visit.append((path + (name,), sub))
        return result

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
        if name.startswith('__') or name in ('_actor', '_attr_path', '_known_attrs'):
            raise AttributeError(name)
        path = self._attr_path + (name,)
        info = self._known_attrs.get(path)
        if info is None:
            if not self.actor_ref.is_alive():
                raise ActorDeadError('%s not found' % (self.actor_ref,))
            self._known_attrs = self._introspect_attributes()
            info = self._known_attrs.get(path)
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

    def __init__(self, actor_ref, attr_path):
        self.actor_ref = actor_ref
        self._attr_path = attr_path

    def __call__(self, *args, **kwargs):
        """Calls the method in the actor; returns a ``Future`` of the result."""
        return _c_ask(self.actor_ref, _ProxyCall(self._attr_path, args, kwargs))

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


class Registry(Pykka.Registry):
    """All running actors (Pykka's ``ActorRegistry``, also available under
    that name). Every method is static."""

    @staticmethod
    def get_all():
        """Refs of all running actors, in start order."""
        return list(_c_registry_get_all())

    @staticmethod
    def get_by_class(actor_class):
        """Refs of the running actors of @actor_class or its subclasses."""
        return list(_c_registry_get_by_type(_gtype_of(actor_class)))

    @staticmethod
    def get_by_class_name(actor_class_name):
        """Refs of the running actors whose class is called
        @actor_class_name (its Python ``__name__``, or its GType name)."""
        return [ref for ref in _c_registry_get_all()
                if ref._class_name() == actor_class_name
                or _c_ref_get_actor_type(ref).name == actor_class_name]

    @staticmethod
    def get_by_urn(actor_urn):
        """The ref of the running actor @actor_urn, or None."""
        return _c_registry_get_by_urn(actor_urn)

    @staticmethod
    def broadcast(message, target_class=None):
        """Tells @message to every running actor, or to those of
        @target_class (a class, subclasses included, or a class name)."""
        if isinstance(target_class, str):
            for ref in Registry.get_by_class_name(target_class):
                try:
                    ref.tell(message)
                except ActorDeadError:
                    pass
            return
        # (G_TYPE_INVALID does not cross PyGObject: every actor is a PykkaActor)
        gtype = Pykka.Actor.__gtype__ if target_class is None else _gtype_of(target_class)
        _c_registry_broadcast(_message_value(message), gtype)

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


def _stop_all_at_exit():
    # Actors on threads of their own would otherwise run Python code while
    # the interpreter is torn down (Pykka's threads kept the process alive
    # instead). Every actor still running is stopped, last started first.
    try:
        for ref in reversed(Registry.get_all()):
            try:
                ref.stop(timeout=_EXIT_STOP_TIMEOUT)
            except Exception:
                logger.warning('Could not stop %s at exit', ref, exc_info=True)
    except Exception:
        pass


_EXIT_STOP_TIMEOUT = 10
atexit.register(_stop_all_at_exit)


# ---------------------------------------------------------------------------
# Actors: the base classes register a GType, so they live in pykka_glib.

from pykka_glib._actor import Actor, ThreadingActor  # noqa: E402

__all__ += ['Actor', 'ThreadingActor']
