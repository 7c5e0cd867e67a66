/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: what its files share. Private to the module.
 *
 * _speedups.c            the module: setup(), the objects it keeps, init
 * speedups-values.c      Python objects <-> GValues, exceptions <-> GErrors
 * speedups-worker.c      worker greenlets, the on_receive/on_failure vfuncs
 * speedups-suspend.c     suspending a handler until a future completes
 * speedups-methods.c     ActorRef.tell/ask, Future.get/set, Event.wait, ...
 * speedups-watch.c       a callback once a future completes (await in asyncio)
 * speedups-source.c      a source that calls back when woken (asyncio's call_soon)
 */

#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* The PyGObject API table is defined in _speedups.c, which imports it. */
#ifndef SPEEDUPS_MODULE_FILE
# define NO_IMPORT_PYGOBJECT
#endif
#include <pygobject.h>

/* greenlet.h gives every file a static API table of its own; the files
 * share one instead, which _speedups.c imports (PyGreenlet_Import()). The
 * header's own table goes unused. */
#define _PyGreenlet_API speedups_greenlet_api_unused
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#include <greenlet/greenlet.h>
#pragma GCC diagnostic pop
#undef _PyGreenlet_API
#define _PyGreenlet_API speedups_greenlet_api
extern void **speedups_greenlet_api;

#include <pykka-glib/pykka.h>

/* ------------------------------------------------------------------------
 * Set once by setup() (_speedups.c)
 */

extern PyObject *worker_type;         /* gi.overrides.Pykka._Worker */
extern PyObject *failure_type;        /* _Failure */
extern PyObject *suspended_marker;    /* _SUSPENDED */
extern PyObject *exception_of;        /* _exception_of(GLib.Error) -> exc */
extern PyObject *on_failure;          /* _on_failure(actor, exc) */
extern PyObject *resume_failed;       /* _resume_failed(exc) */
extern PyObject *proxy_messages;      /* frozenset of the proxy message classes */
extern PyObject *dispatch_proxy;      /* _dispatch_proxy(actor, message) */
extern PyObject *drive;               /* _drive(coroutine) */
extern PyObject *timeout_type;        /* Pykka.Timeout */
extern PyObject *glib_error_type;     /* GLib.Error */
extern PyTypeObject *gvalue_type;     /* GObject.Value */
extern GType pyobject_gtype;          /* PyGObject's "PyObject" boxed type */

/* Offsets of the __slots__ of _Worker (and of _Failure.exc) */
extern Py_ssize_t off_caller;
extern Py_ssize_t off_actor;
extern Py_ssize_t off_depth;
extern Py_ssize_t off_pending;
extern Py_ssize_t off_suspended;
extern Py_ssize_t off_failure_exc;

/* Interned at init */
extern PyObject *str_pool;            /* key of the worker pool in the thread state dict */
extern PyObject *str_domain;
extern PyObject *str_code;
extern PyObject *str_message;
extern PyObject *str_get_hook;
extern PyObject *str_get_from_hook;
extern PyObject *str_exception;
extern PyObject *str_on_receive;
extern PyObject *empty_tuple;

#define SLOT(obj, off) (*(PyObject **) ((char *) (obj) + (off)))

static inline void
slot_set (PyObject  *obj,
          Py_ssize_t off,
          PyObject  *value)  /* (transfer full) */
{
  PyObject *old = SLOT (obj, off);

  SLOT (obj, off) = value;
  Py_XDECREF (old);
}

/* ------------------------------------------------------------------------
 * speedups-values.c
 */

void       python_error_register  (void);
GError    *exception_to_gerror    (PyObject *exc);
gboolean   gerror_payload_present (const GError *error);
PyObject  *gerror_to_exception    (const GError *error);
PyObject  *fetch_exception        (void);
int        message_to_value       (GValue *value, PyObject *obj);
PyObject  *value_to_py            (const GValue *value);
int        reply_to_value         (GValue *reply, PyObject *obj);
PyObject  *raise_gerror           (GError *error);
int        timeout_to_ms          (PyObject *timeout, gint *ms);

PyObject  *py_exception_text      (PyObject *module, PyObject *exc);

/* ------------------------------------------------------------------------
 * speedups-worker.c
 */

/* The worker that last handed a handler's outcome back to the greenlet
 * that switched into it (worker_run, suspend). */
extern __thread PyObject *handed_back_by;

PyObject  *worker_run             (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_take_worker_pool    (PyObject *module, PyObject *unused);
PyObject  *py_install_on_receive  (PyObject *module, PyObject *cls);
void       worker_abandon         (PyObject *worker);

/* ------------------------------------------------------------------------
 * speedups-suspend.c
 */

PykkaFuture *pending_get          (PyObject *capsule);
PyObject  *settle_pending         (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *suspendable_worker     (void);
int        suspend                (PyObject *worker, PykkaFuture *future, gint timeout_ms);

PyObject  *py_current_worker      (PyObject *module, PyObject *unused);
PyObject  *py_n_waiters           (PyObject *module, PyObject *unused);

/* ------------------------------------------------------------------------
 * speedups-methods.c
 */

PyObject  *py_ref_methods         (PyObject *module, PyObject *cls);
PyObject  *py_future_methods      (PyObject *module, PyObject *cls);
PyObject  *py_track_future_exceptions (PyObject *module, PyObject *cls);
PyObject  *py_event_methods       (PyObject *module, PyObject *cls);
PyObject  *py_future_set          (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_future_set_exception (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_broadcast           (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_mark_dead_after_fork (PyObject *module, PyObject *refs);
PyObject  *py_dead_after_fork     (PyObject *module, PyObject *self);
PyObject  *py_ask_cancellable     (PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* ------------------------------------------------------------------------
 * speedups-watch.c
 */

PyObject  *py_future_watch        (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_future_unwatch      (PyObject *module, PyObject *capsule);
PyObject  *py_n_watches           (PyObject *module, PyObject *unused);

/* ------------------------------------------------------------------------
 * speedups-source.c
 */

PyObject  *py_wake_source_new     (PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject  *py_wake_source_wake    (PyObject *module, PyObject *capsule);
PyObject  *py_wake_source_destroy (PyObject *module, PyObject *capsule);
