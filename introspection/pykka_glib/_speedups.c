/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: the per-message paths of the Python layer, in C.
 * This file is the module: setup(), the objects it keeps, the table of
 * functions and the init; the work is in the speedups-*.c files
 * (speedups-private.h lists them).
 *
 * PyGObject's generic marshalling (an invoke per C call, a libffi closure
 * per vfunc call) cost more than the runtime itself on every message. This
 * module does the same conversions with PyGObject's own C API and the
 * greenlet C API:
 *
 * - message_to_value(): a Python message (or future value) to a GValue,
 *   exactly as the override boxed it before: None, ints beyond 32 bits and
 *   GLib.Error instances travel as PyObject GValues, a GObject.Value as
 *   its copy, anything else as PyGObject guesses it (str, float, bool and
 *   32-bit ints as the C scalars, other objects as PyObject);
 * - the on_receive vfunc of PykkaPyActor: takes a worker greenlet of this
 *   thread's pool, switches into it with (actor, message), and turns what
 *   comes back (a value, a _Failure, or _SUSPENDED) into the reply GValue
 *   or a GError; worker_run(), the loop of the worker greenlets;
 * - ActorRef.tell, ActorRef.ask and Future.get (method descriptors of the
 *   override classes), Future.set's conversion, Registry.broadcast's;
 * - suspensions: a wait in a handler (on a future, or on an event's next
 *   set()) makes the worker's pending reply future, asks the runtime to
 *   resume it (pykka_actor_suspend_until()) and switches out; the runtime
 *   calls back in a turn of the actor, which switches back in.
 *
 * Every call into the runtime releases the GIL, as PyGObject does: the
 * runtime may take locks that another thread holds while it waits for the
 * GIL (freeing a PyObject value, a toggle reference).
 */

#define SPEEDUPS_MODULE_FILE
#include "speedups-private.h"

void **speedups_greenlet_api;

/* Set once by setup() */
PyObject *worker_type;         /* gi.overrides.Pykka._Worker */
PyObject *failure_type;        /* _Failure */
PyObject *suspended_marker;    /* _SUSPENDED */
PyObject *exception_of;        /* _exception_of(GLib.Error) -> exc */
PyObject *on_failure;          /* _on_failure(actor, exc) */
PyObject *resume_failed;       /* _resume_failed(exc) */
PyObject *proxy_messages;      /* frozenset of the proxy message classes */
PyObject *dispatch_proxy;      /* _dispatch_proxy(actor, message) */
PyObject *drive;               /* _drive(coroutine) */
PyObject *timeout_type;        /* Pykka.Timeout */
PyObject *glib_error_type;     /* GLib.Error */
PyTypeObject *gvalue_type;     /* GObject.Value */
GType pyobject_gtype;          /* PyGObject's "PyObject" boxed type */

/* Offsets of the __slots__ of _Worker (and of _Failure.exc) */
Py_ssize_t off_caller = -1;
Py_ssize_t off_actor = -1;
Py_ssize_t off_depth = -1;
Py_ssize_t off_pending = -1;
Py_ssize_t off_suspended = -1;
Py_ssize_t off_failure_exc = -1;

PyObject *str_pool;            /* key of the worker pool in the thread state dict */
PyObject *str_domain;
PyObject *str_code;
PyObject *str_message;
PyObject *str_get_hook;
PyObject *str_get_from_hook;
PyObject *str_exception;
PyObject *str_on_receive;
PyObject *empty_tuple;

static Py_ssize_t
slot_offset (PyObject   *type,
             const char *name)
{
  PyObject *descr = PyObject_GetAttrString (type, name);
  Py_ssize_t offset = -1;

  if (descr == NULL)
    return -1;
  if (Py_IS_TYPE (descr, &PyMemberDescr_Type) &&
      ((PyMemberDescrObject *) descr)->d_member->type == T_OBJECT_EX)
    offset = ((PyMemberDescrObject *) descr)->d_member->offset;
  else
    PyErr_Format (PyExc_TypeError, "%R.%s is not a __slots__ member", type, name);
  Py_DECREF (descr);
  return offset;
}

/* ------------------------------------------------------------------------
 * Module
 */

static PyObject *
py_setup (PyObject *module,
          PyObject *args,
          PyObject *kwargs)
{
  static char *names[] = { "worker", "failure", "suspended", "exception_of",
                           "on_failure", "resume_failed", "timeout", "glib_error",
                           "gvalue", "proxy_messages", "dispatch_proxy", "drive", NULL };
  PyObject *worker, *failure, *suspended, *excof, *failed_hook, *failed, *timeout, *gerror, *gvalue;
  PyObject *proxies, *dispatch, *driver;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "O!O!OOOOO!O!O!O!OO:setup", names,
                                    &PyType_Type, &worker, &PyType_Type, &failure,
                                    &suspended, &excof, &failed_hook, &failed,
                                    &PyType_Type, &timeout, &PyType_Type, &gerror,
                                    &PyType_Type, &gvalue, &PyFrozenSet_Type, &proxies,
                                    &dispatch, &driver))
    return NULL;
  if (!PyType_IsSubtype ((PyTypeObject *) worker, &PyGreenlet_Type))
    {
      PyErr_SetString (PyExc_TypeError, "the worker class must be a greenlet");
      return NULL;
    }
  off_caller = slot_offset (worker, "caller");
  off_actor = slot_offset (worker, "actor");
  off_depth = slot_offset (worker, "depth");
  off_pending = slot_offset (worker, "pending");
  off_suspended = slot_offset (worker, "suspended");
  off_failure_exc = slot_offset (failure, "exc");
  if (off_caller < 0 || off_actor < 0 || off_depth < 0 || off_pending < 0 ||
      off_suspended < 0 || off_failure_exc < 0)
    return NULL;

  Py_XSETREF (worker_type, Py_NewRef (worker));
  Py_XSETREF (failure_type, Py_NewRef (failure));
  Py_XSETREF (suspended_marker, Py_NewRef (suspended));
  Py_XSETREF (exception_of, Py_NewRef (excof));
  Py_XSETREF (on_failure, Py_NewRef (failed_hook));
  Py_XSETREF (resume_failed, Py_NewRef (failed));
  Py_XSETREF (timeout_type, Py_NewRef (timeout));
  Py_XSETREF (proxy_messages, Py_NewRef (proxies));
  Py_XSETREF (dispatch_proxy, Py_NewRef (dispatch));
  Py_XSETREF (drive, Py_NewRef (driver));
  Py_XSETREF (glib_error_type, Py_NewRef (gerror));
  Py_XSETREF (gvalue_type, (PyTypeObject *) Py_NewRef (gvalue));
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
  { "future_set_exception", (PyCFunction) (void (*) (void)) py_future_set_exception, METH_FASTCALL,
    "Completes a future with an exception that travels with it." },
  { "exception_text", py_exception_text, METH_O,
    "'Type: text' for an exception, even when its __str__ raises." },
  { "mark_dead_after_fork", py_mark_dead_after_fork, METH_O,
    "In a forked child: the actors of these refs are dead." },
  { "dead_after_fork", py_dead_after_fork, METH_O,
    "Whether mark_dead_after_fork() named this ref." },
  { "setup", (PyCFunction) (void (*) (void)) py_setup, METH_VARARGS | METH_KEYWORDS,
    "Gives the module the override's classes and functions it calls." },
  { "install_on_receive", py_install_on_receive, METH_O,
    "Makes this module's on_receive and on_failure the vfuncs of an actor class and of its future\n"
    "subclasses." },
  { "ref_methods", py_ref_methods, METH_O,
    "The tell and ask methods for the ActorRef class." },
  { "worker_run", (PyCFunction) (void (*) (void)) worker_run, METH_FASTCALL,
    "The body of a worker greenlet (its run)." },
  { "future_set", (PyCFunction) (void (*) (void)) py_future_set, METH_FASTCALL,
    "Completes a future with a value boxed as messages are." },
  { "broadcast", (PyCFunction) (void (*) (void)) py_broadcast, METH_FASTCALL,
    "Tells a message to every running actor of a class." },
  { "current_worker", py_current_worker, METH_NOARGS,
    "The worker whose handler runs here and may suspend, or None." },
  { "event_methods", py_event_methods, METH_O,
    "The wait method for the Event class." },
  { "track_future_exceptions", py_track_future_exceptions, METH_O,
    "Makes the garbage collector see a failed future's exception through its wrapper." },
  { "future_methods", py_future_methods, METH_O,
    "The get method for the Future class." },
  { "n_waiters", py_n_waiters, METH_NOARGS,
    "How many suspensions the runtime (or the suspended handler) still holds." },
  { "take_worker_pool", py_take_worker_pool, METH_NOARGS,
    "Removes and returns this thread's list of idle workers." },
  { "ask_cancellable", (PyCFunction) (void (*) (void)) py_ask_cancellable, METH_FASTCALL,
    "A future of the reply to a message, dropped while queued if the cancellable is cancelled." },
  { "future_watch", (PyCFunction) (void (*) (void)) py_future_watch, METH_FASTCALL,
    "Calls a function in this thread's thread-default context once a future is completed." },
  { "future_unwatch", py_future_unwatch, METH_O,
    "Cancels a future_watch(): its function is not called." },
  { "n_watches", py_n_watches, METH_NOARGS,
    "How many watches are alive." },
  { "wake_source_new", (PyCFunction) (void (*) (void)) py_wake_source_new, METH_FASTCALL,
    "A source of a GLib.MainContext that calls a function once after each wake." },
  { "wake_source_wake", py_wake_source_wake, METH_O,
    "Wakes a wake source (from any thread)." },
  { "wake_source_destroy", py_wake_source_destroy, METH_O,
    "Destroys a wake source and drops its function." },
  { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  "_speedups",
  "The per-message paths of pykka-glib's Python layer, in C.",
  -1,
  module_methods,
};

PyMODINIT_FUNC PyInit__speedups (void);

PyMODINIT_FUNC
PyInit__speedups (void)
{
  PyObject *gobject;

  gobject = pygobject_init (3, 42, 0);
  if (gobject == NULL)
    return NULL;
  Py_DECREF (gobject);
  PyGreenlet_Import ();
  if (_PyGreenlet_API == NULL)
    return NULL;

  python_error_register ();
  pyobject_gtype = g_type_from_name ("PyObject");
  if (pyobject_gtype == G_TYPE_INVALID)
    {
      PyErr_SetString (PyExc_ImportError, "PyGObject's PyObject GType is not registered");
      return NULL;
    }
  str_pool = PyUnicode_InternFromString ("pykka_glib.worker_pool");
  str_domain = PyUnicode_InternFromString ("domain");
  str_code = PyUnicode_InternFromString ("code");
  str_message = PyUnicode_InternFromString ("message");
  str_get_hook = PyUnicode_InternFromString ("_pykka_get_hook");
  str_get_from_hook = PyUnicode_InternFromString ("_get_from_hook");
  str_exception = PyUnicode_InternFromString ("_exception");
  str_on_receive = PyUnicode_InternFromString ("on_receive");
  empty_tuple = PyTuple_New (0);
  if (str_on_receive == NULL || empty_tuple == NULL)
    return NULL;
  if (str_pool == NULL || str_domain == NULL || str_code == NULL || str_message == NULL ||
      str_get_hook == NULL || str_get_from_hook == NULL || str_exception == NULL)
    return NULL;
  return PyModule_Create (&module_def);
}
