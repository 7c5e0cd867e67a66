# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python base classes of actors: ``Pykka.Actor`` and
``Pykka.ThreadingActor``.

They register GTypes (``PykkaPyActor``, ``PykkaPyThreadingActor``) whose
virtual methods run the Python hooks, so they must not be defined in the
override module (classes there get no GType of their own and would patch
``PykkaActor`` itself). This module is imported by the override, at its
end, and uses the override's internals.
"""

import _thread
import ctypes
import functools
import logging
import os
import threading

from gi.module import get_introspection_module

import gi.overrides.Pykka as _rt
from pykka_glib import _speedups

_Pykka = get_introspection_module('Pykka')

_c_start = _Pykka.Actor.start
_c_stop = _Pykka.Actor.stop
_c_get_urn = _Pykka.Actor.get_urn
_c_get_actor_ref = _Pykka.Actor.get_actor_ref

_PyGILState_Ensure = ctypes.pythonapi.PyGILState_Ensure
_PyGILState_Ensure.argtypes = []
_PyGILState_Ensure.restype = ctypes.c_int
_PyGILState_Release = ctypes.pythonapi.PyGILState_Release
_PyGILState_Release.argtypes = [ctypes.c_int]
_PyGILState_Release.restype = None

_getcurrent = _rt._getcurrent
_run_hook = _rt._run_hook
_unstarted_actors = _rt._unstarted_actors

logger = logging.getLogger('pykka')


def _start_new(cls, *args, **kwargs):
    return _start(cls(*args, **kwargs))


def _start(actor):
    _keep_wrapper(actor)
    if logger.isEnabledFor(logging.DEBUG):
        # Pykka's lifecycle records (the runtime registers the actor as it
        # starts it).
        logger.debug('Registered %s', _c_get_actor_ref(actor))
        logger.debug('Starting %s', actor)
    if actor.use_own_thread and not actor.use_daemon_thread:
        # Only the first start() of the actor makes the exit hold: a
        # second one (another thread's at the same time, or a later one)
        # fails in the runtime, and must neither replace the hold that the
        # actor's thread is about to take nor release it (P34).
        with _start_lock:
            first = '_pykka_start_tried' not in actor.__dict__
            actor.__dict__['_pykka_start_tried'] = True
            if first:
                actor.__dict__['_pykka_exit_hold'] = hold = _hold_exit()
        if not first:
            return _c_start(actor)
        try:
            return _c_start(actor)
        except BaseException:
            if actor.__dict__.pop('_pykka_exit_hold', None) is hold:
                _release_exit(hold)
            raise
    return _c_start(actor)


# Orders the first start() of a non-daemon own-thread actor (its exit
# hold) against the others; held only around the check.
_start_lock = threading.Lock()


def _keep_wrapper(actor):
    # PyGObject keeps a Python wrapper alive with its GObject (a toggle
    # reference) only once the wrapper has an instance dict. An actor
    # class with __slots__ may never get one: its wrapper would die with
    # the last Python reference, and every handler would get a fresh one
    # whose slots were never set. Making the dict keeps the constructed
    # object for the actor's life.
    actor.__dict__


class _ActorThread(threading.Thread):
    """What ``threading`` sees of an own-thread actor's thread, which the
    runtime made (Pykka's ThreadingActor runs on a ``threading.Thread``):
    listed by ``threading.enumerate()`` and returned by
    ``threading.current_thread()`` there, named after the actor's class
    (``"MyActor-3"``), ``daemon`` as the class's ``use_daemon_thread``. A
    thread that is not a daemon keeps the interpreter from exiting until
    its actor has stopped, as Pykka's do; ``join()`` waits for that. It
    cannot be started: the actor runs it."""

    def __init__(self, name, ended):
        super().__init__(name=name, daemon=ended is None)
        self._started.set()
        self._set_ident()
        if hasattr(self, '_set_native_id'):
            self._set_native_id()
        if ended is None:
            ended = _thread.allocate_lock()
            ended.acquire()
        self._pykka_ended = ended
        with threading._active_limbo_lock:
            threading._active[self._ident] = self

    def _pykka_end(self):
        """The actor is dead: its thread ends."""
        with threading._active_limbo_lock:
            if threading._active.get(self._ident) is self:
                del threading._active[self._ident]
        self._is_stopped = True
        _release_exit(self._pykka_ended)

    def is_alive(self):
        return not self._is_stopped

    def join(self, timeout=None):
        if self is threading.current_thread():
            raise RuntimeError('cannot join current thread')
        if self._pykka_ended.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            self._pykka_ended.release()

    def start(self):
        raise RuntimeError("an actor's thread is run by its actor")


# The holds of the non-daemon own-thread actors that run.
_exit_holds = set()


def _hold_exit():
    """A held lock that threading._shutdown() waits for at exit (as it
    waits for the end of every thread that is not a daemon), registered
    when a non-daemon own-thread actor starts, before its thread runs."""
    ended = _thread.allocate_lock()
    ended.acquire()
    _exit_holds.add(ended)
    if hasattr(threading, '_shutdown_locks'):
        with threading._shutdown_locks_lock:
            threading._shutdown_locks.add(ended)
    return ended


def _release_exit(ended):
    _exit_holds.discard(ended)
    if ended.locked():
        ended.release()
    if hasattr(threading, '_shutdown_locks'):
        with threading._shutdown_locks_lock:
            threading._shutdown_locks.discard(ended)


def _release_exit_holds_in_child():
    # Only the forking thread goes on in a child: own-thread actors are
    # dead there (the override's after-fork hook), and exit must not wait
    # for them.
    for ended in list(_exit_holds):
        _release_exit(ended)


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_release_exit_holds_in_child)


def _name_actor_thread(cls):
    # Pykka names its threads after the actor class: "MyActor-3".
    return threading._newname('Thread-%d').replace('Thread', cls.__name__, 1)


class _Start:
    """``MyActor.start(*args, **kwargs)`` constructs and starts an actor
    (Pykka's class method); ``actor.start()`` starts one already
    constructed (the GObject way)."""

    def __get__(self, obj, cls):
        if obj is None:
            return functools.partial(_start_new, cls)
        return functools.partial(_start, obj)


class Actor(_Pykka.Actor):
    """Base class of Python actors (Pykka's ``Actor``).

    Subclass it, call ``super().__init__()`` from ``__init__``, and
    override the hooks you need: ``on_start()``, ``on_stop()``,
    ``on_failure(exception_type, exception_value, traceback)`` and
    ``on_receive(message)`` (or use proxies and plain methods). Hooks and
    methods may be ``async def``.

    ``MyActor.start(*args, **kwargs)`` constructs the actor with those
    arguments, starts it and returns its ``Pykka.ActorRef``. The actor runs
    in the thread-default main context of the thread that starts it, or, if
    the class sets ``use_own_thread = True``, on a thread of its own
    (``Pykka.ThreadingActor`` does).

    Inside a handler, ``future.get()``, ``ref.ask()``, ``proxy.x().get()``,
    ``event.wait()`` and ``await future`` suspend only this actor.
    """

    __gtype_name__ = 'PykkaPyActor'

    #: Whether the actor gets a thread (and main context) of its own.
    use_own_thread = False

    #: How many messages may wait in the mailbox (0: no limit), what a full
    #: one does with one more (a Pykka.OverflowPolicy) and, for BLOCK, how
    #: long a sender waits: see PykkaActor:mailbox-capacity.
    mailbox_capacity = 0
    overflow_policy = _Pykka.OverflowPolicy.FAIL
    overflow_timeout_msec = 1000

    #: For an actor on a thread of its own: whether that thread is a
    #: daemon thread (Pykka's flag). The interpreter does not wait for a
    #: daemon thread at exit (the atexit hook stops its actor); it waits
    #: for any other until its actor has stopped. True here, False for
    #: ``ThreadingActor``, as in Pykka.
    use_daemon_thread = True

    # Names of this class that proxies do not expose.
    _pykka_hidden = frozenset(('do_on_start', 'do_on_stop', 'do_on_failure',
                               'do_on_receive', 'start'))

    start = _Start()

    def __init__(self, *args, **kwargs):
        if not type(self).__gtype__.is_a(Actor.__gtype__):
            # An actor class of C reached through this class
            # (Pykka.Supervisor): its keyword arguments are properties.
            super().__init__(*args, **kwargs)
        else:
            props = {}
            if self.use_own_thread:
                props['use_own_thread'] = True
            if self.mailbox_capacity:
                # A bounded mailbox (see PykkaActor:mailbox-capacity).
                props['mailbox_capacity'] = self.mailbox_capacity
                props['overflow_policy'] = self.overflow_policy
                props['overflow_timeout_msec'] = self.overflow_timeout_msec
            super().__init__(**props)
        _keep_wrapper(self)
        _unstarted_actors[_c_get_urn(self)] = self

    @property
    def actor_ref(self):
        """The actor's ``Pykka.ActorRef``."""
        return _c_get_actor_ref(self)

    @property
    def actor_urn(self):
        """The actor's ``urn:uuid:`` identifier."""
        return _c_get_urn(self)

    @property
    def actor_stopped(self):
        """Pykka's ``actor_stopped``: an event set once the actor has
        stopped (``is_set()``, ``wait(timeout=None)``); the same as its
        ref's."""
        return _rt.ActorStopped(_c_get_actor_ref(self))

    def stop(self):
        """Stops the actor once the messages already sent are handled."""
        _c_stop(self)

    def __str__(self):
        return '%s (%s)' % (self.__class__.__name__, _c_get_urn(self))

    # Hooks, as in Pykka

    def on_start(self):
        """Runs in the actor's context before any message."""

    def on_stop(self):
        """Runs in the actor's context after the stop message."""

    def on_failure(self, exception_type, exception_value, traceback):
        """Runs when the handler of a told message raised, just before the
        actor stops (without on_stop)."""

    def on_receive(self, message):
        """Handles a message that is not a proxy call; the return value
        answers an ask."""
        logger.warning('Unexpected message received by %s: %s', self, message)

    # Virtual methods of PykkaActor (on_receive and on_failure are
    # _speedups' C vfuncs, installed below: on_failure calls the
    # override's _on_failure with the very exception the handler raised)

    def do_on_start(self):
        thread = threading._active.get(threading.get_ident())
        if thread is None or isinstance(thread, threading._DummyThread):
            # Not a Python thread (an own-thread actor's, or any thread of
            # C code): PyGObject gives each call into Python a thread state
            # of its own and drops it afterwards, which would orphan the
            # greenlets (and thread-locals) of this thread. Keep one alive
            # until the actor dies. (A _DummyThread, which logging makes,
            # stays in threading._active after its thread ended, under an
            # ident a later thread may get.)
            self._pykka_gil_state = _PyGILState_Ensure()
            if _rt._c_actor_get_use_own_thread(self):
                self._pykka_thread = _ActorThread(_name_actor_thread(type(self)),
                                                  self.__dict__.pop('_pykka_exit_hold', None))
        try:
            _run_hook(self.on_start)
        except BaseException as exc:
            # Any BaseException too: the actor dies, and its thread state
            # goes with it.
            self._pykka_release_thread()
            _log_hook_failure(self, exc)
            raise _rt.GLib.Error(_speedups.exception_text(exc), _rt._PYTHON_DOMAIN, 0) from None
        return True

    def do_on_stop(self):
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug('Unregistered %s', _c_get_actor_ref(self))
            logger.debug('Stopped %s', self)
        try:
            _run_hook(self.on_stop)
        except BaseException as exc:
            _log_hook_failure(self, exc)
            raise _rt.GLib.Error(_speedups.exception_text(exc), _rt._PYTHON_DOMAIN, 0) from None
        finally:
            self._pykka_release_thread()
        return True

    def _pykka_release_thread(self):
        thread = self.__dict__.pop('_pykka_thread', None)
        if thread is not None:
            thread._pykka_end()
        hold = self.__dict__.pop('_pykka_exit_hold', None)
        if hold is not None:
            _release_exit(hold)
        state = self.__dict__.pop('_pykka_gil_state', None)
        if state is not None:
            # The thread ends with the actor: end its idle workers here, on
            # their thread (greenlets cannot be ended from another).
            current = _getcurrent()
            for worker in _speedups.take_worker_pool():
                worker.caller = None
                worker.parent = current
                worker.throw()
            _PyGILState_Release(state)


def _log_hook_failure(actor, exc):
    try:
        logger.error('Unhandled exception in %s:', actor, exc_info=(exc.__class__, exc, exc.__traceback__))
        logger.debug('Unregistered %s', _c_get_actor_ref(actor))
    except Exception:
        pass


# The on_receive vfunc (it runs every handler in a worker greenlet) and
# the on_failure vfunc: set on PykkaPyActor's class structure before any
# subclass copies it.
_speedups.install_on_receive(Actor)


class ThreadingActor(Actor):
    """An actor on a thread of its own (Pykka's ``ThreadingActor``)."""

    __gtype_name__ = 'PykkaPyThreadingActor'

    use_own_thread = True

    #: As in Pykka: the interpreter waits at exit until the actor stopped.
    use_daemon_thread = False
