/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: watches. `await future` in an asyncio task on a
 * GLib loop (gbulb's) waits for the future with
 * pykka_future_get_async(), whose callback comes in the thread-default
 * context of the task's thread, which that loop runs; the callback calls
 * a Python function that completes an asyncio future. Done in C because
 * PyGObject 3.42 leaks the libffi closure of every Python callback handed
 * to a C function. */

#include "speedups-private.h"

/* One watch: the GTask of the get_async holds a reference until it calls
 * back (completed, or cancelled), the capsule returned to Python holds
 * the other. */
typedef struct
{
  gint          refs;         /* atomic */
  PyObject     *callback;     /* (owned) (nullable) until called, or unwatched (GIL) */
  GCancellable *cancellable;  /* (owned) cancelled by unwatch() */
} Watch;

/* Watches alive, for the tests. */
static gint n_watches;

static void
watch_unref (Watch *watch)
{
  if (!g_atomic_int_dec_and_test (&watch->refs))
    return;
  g_object_unref (watch->cancellable);
  g_free (watch);
  g_atomic_int_add (&n_watches, -1);
}

/* pykka_future_get_async()'s callback, in the thread-default context of
 * the thread that watched: calls the callback unless the watch was
 * cancelled. */
static void
watch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Watch *watch = data;

  if (Py_IsInitialized () && !_Py_IsFinalizing ())
    {
      PyGILState_STATE state = PyGILState_Ensure ();
      PyObject *callback = g_steal_pointer (&watch->callback);

      if (callback != NULL && !g_cancellable_is_cancelled (watch->cancellable))
        {
          PyObject *returned = PyObject_CallNoArgs (callback);

          if (returned == NULL)
            PyErr_WriteUnraisable (callback);
          Py_XDECREF (returned);
        }
      Py_XDECREF (callback);
      PyGILState_Release (state);
    }
  watch_unref (watch);
}

#define WATCH_NAME "pykka_glib.watch"

static void
watch_capsule_free (PyObject *capsule)
{
  watch_unref (PyCapsule_GetPointer (capsule, WATCH_NAME));
}

/* future_watch(future, callback): calls callback() (no arguments) in the
 * thread-default context of this thread once @future is completed, never
 * before this returns. Returns a handle for future_unwatch(). */
PyObject *
py_future_watch (PyObject        *module,
                 PyObject *const *args,
                 Py_ssize_t       nargs)
{
  GObject *future;
  Watch *watch;
  PyObject *capsule;

  if (nargs != 2 || !PyObject_TypeCheck (args[0], &PyGObject_Type) ||
      (future = pygobject_get (args[0])) == NULL || !PYKKA_IS_FUTURE (future) ||
      !PyCallable_Check (args[1]))
    {
      PyErr_SetString (PyExc_TypeError, "future_watch(future, callback)");
      return NULL;
    }
  watch = g_new (Watch, 1);
  watch->refs = 2;
  watch->callback = Py_NewRef (args[1]);
  watch->cancellable = g_cancellable_new ();
  g_atomic_int_inc (&n_watches);
  capsule = PyCapsule_New (watch, WATCH_NAME, watch_capsule_free);
  if (capsule == NULL)
    {
      Py_CLEAR (watch->callback);
      watch_unref (watch);
      watch_unref (watch);
      return NULL;
    }
  Py_BEGIN_ALLOW_THREADS
  pykka_future_get_async (PYKKA_FUTURE (future), watch->cancellable, watch_done_cb, watch);
  Py_END_ALLOW_THREADS
  return capsule;
}

/* future_unwatch(handle): the callback of the watch will not be called;
 * it is dropped at once, and the hook on the future goes with the wait. */
PyObject *
py_future_unwatch (PyObject *module,
                   PyObject *capsule)
{
  Watch *watch;
  PyObject *callback;

  if (!PyCapsule_IsValid (capsule, WATCH_NAME))
    {
      PyErr_SetString (PyExc_TypeError, "future_unwatch(handle)");
      return NULL;
    }
  watch = PyCapsule_GetPointer (capsule, WATCH_NAME);
  Py_BEGIN_ALLOW_THREADS
  g_cancellable_cancel (watch->cancellable);
  Py_END_ALLOW_THREADS
  /* Dropped after the cancellation: watch_done_cb() (on this thread, as
   * the watch was made here) sees either. */
  callback = g_steal_pointer (&watch->callback);
  Py_XDECREF (callback);
  Py_RETURN_NONE;
}

PyObject *
py_n_watches (PyObject *module,
              PyObject *unused)
{
  return PyLong_FromLong (g_atomic_int_get (&n_watches));
}
