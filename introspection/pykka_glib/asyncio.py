# SPDX-License-Identifier: LGPL-2.1-or-later
"""asyncio on the GLib loop: asyncio coroutines and actors on one loop.

gbulb (Debian's ``python3-gbulb``) is an asyncio event loop that runs a
GLib main context. With it, the actors of that context and the asyncio
tasks take turns on one thread:

* ``await future`` (``await ref.ask(message, block=False)``, ``await
  proxy.method()``) in a task waits without blocking the loop, and gives
  the value, or raises the exception ``get()`` would raise;
* ``async def`` handlers may await asyncio things (``asyncio.sleep()``,
  streams, asyncio futures and tasks) besides other actors' futures:
  their actor is suspended meanwhile, like a handler waiting for a Pykka
  future.

::

    import pykka_glib.asyncio

    async def main():
        ref = Echo.start()
        print(await ref.ask("hello", block=False))
        ref.stop()

    pykka_glib.asyncio.run(main())

``run()`` runs a coroutine on a new loop of this thread's thread-default
GLib context (the main context, on the main thread), where the actors
started by this thread run. ``install()`` makes ``asyncio.run()`` and
``asyncio.new_event_loop()`` do the same. The loops are gbulb's, with a
fix for Python 3.11's servers (``asyncio.start_server()``), which gbulb
0.6.3 cannot start, and ``call_soon()`` run from one source (see
``EventLoop``).
"""

import asyncio
import collections
import weakref

from gi.repository import GLib

import gbulb
from gbulb.glib_events import GLibChildWatcher

from pykka_glib import _speedups

__all__ = ['EventLoop', 'EventLoopPolicy', 'install', 'new_event_loop', 'run', 'wrap_future']


class EventLoop(gbulb.GLibEventLoop):
    """gbulb's asyncio loop on a GLib main context: @context, by default
    the thread-default context of the thread that makes it.

    call_soon() queues its callbacks for one source of the context, which
    runs those queued when it dispatches (as asyncio's own loops run their
    ready queue): gbulb makes a GLib source with a Python callback for
    each, whose closure PyGObject 3.42 leaks (about 110 bytes per call,
    so per await in a task)."""

    def __init__(self, context=None):
        super().__init__(context=context or GLib.MainContext.ref_thread_default())
        self._soon = collections.deque()
        this = weakref.ref(self)

        def run_soon():
            loop = this()
            if loop is not None:
                loop._run_soon()

        self._soon_source = _speedups.wake_source_new(self._context, run_soon)

    def call_soon(self, callback, *args, context=None):
        self._check_not_coroutine(callback, 'call_soon')
        handle = asyncio.Handle(callback, args, self, context)
        self._soon.append(handle)
        _speedups.wake_source_wake(self._soon_source)
        return handle

    # (The queue is a deque and the wake is g_source_set_ready_time().)
    call_soon_threadsafe = call_soon

    def _run_soon(self):
        # Those queued before this dispatch; later ones in the next.
        for _ in range(len(self._soon)):
            handle = self._soon.popleft()
            if not handle._cancelled:
                handle._run()
        if self._soon:
            _speedups.wake_source_wake(self._soon_source)

    def close(self):
        if self.is_closed():
            return
        super().close()
        _speedups.wake_source_destroy(self._soon_source)
        self._soon.clear()

    def _start_serving(self, protocol_factory, sock, sslcontext=None, server=None, backlog=100,
                       ssl_handshake_timeout=60.0, ssl_shutdown_timeout=None):
        # Python 3.11 passes ssl_shutdown_timeout, which gbulb 0.6.3 does
        # not take.
        return super()._start_serving(protocol_factory, sock, sslcontext, server, backlog,
                                      ssl_handshake_timeout)


class EventLoopPolicy(gbulb.GLibEventLoopPolicy):
    """gbulb's policy, making an ``EventLoop`` on the thread-default GLib
    context for every new loop (gbulb's own gives its second loop of the
    main thread a private context, where no actor runs)."""

    def new_event_loop(self):
        loop = EventLoop()
        loop._policy = self
        return loop

    def _new_default_loop(self):
        loop = EventLoop(GLib.MainContext.default())
        loop._policy = self
        return loop


def new_event_loop(context=None):
    """A new asyncio loop that runs @context (by default this thread's
    thread-default GLib context)."""
    return EventLoop(context)


def install():
    """Makes asyncio's loops GLib loops (``asyncio.run()``,
    ``asyncio.new_event_loop()``, ``asyncio.get_event_loop()``), as
    ``gbulb.install()`` does, on the thread-default context of each
    thread. Returns the policy it replaced."""
    previous = asyncio.get_event_loop_policy()
    # gbulb.install()'s child watcher, for subprocesses.
    asyncio.SafeChildWatcher = GLibChildWatcher
    asyncio.set_event_loop_policy(EventLoopPolicy())
    return previous


def run(main, *, debug=None):
    """``asyncio.run(main)`` on a new loop of this thread's thread-default
    GLib context: the actors started by this thread run while it runs.
    Returns what @main returns."""
    with asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
        return runner.run(main)


def wrap_future(future, *, loop=None):
    """An asyncio future of the outcome of the Pykka @future, in @loop
    (by default the running one), for the functions that want asyncio
    futures (``asyncio.wait()``, ``add_done_callback()``). Cancelling it
    stops the wait (and cancels the ask of ``ask_cancellable()``)."""
    loop = loop or asyncio.get_running_loop()

    async def wait():
        return await future

    return loop.create_task(wait())
