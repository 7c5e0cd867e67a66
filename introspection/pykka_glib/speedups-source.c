/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: wake sources. pykka_glib.asyncio's loop runs the
 * callbacks of call_soon() from one GSource per loop, which calls one
 * Python function whenever it was woken: gbulb makes a GLib source with a
 * Python callback per call_soon(), and PyGObject 3.42 leaks the libffi
 * closure of every Python callback handed to a C function (about 110
 * bytes per callback, so per await in a task). */

#include "speedups-private.h"

typedef struct
{
  GSource   source;
  PyObject *callback;  /* (owned) (nullable) until destroyed (GIL) */
} WakeSource;

static gboolean
wake_source_dispatch (GSource     *source,
                      GSourceFunc  unused,
                      gpointer     data)
{
  WakeSource *ws = (WakeSource *) source;

  g_source_set_ready_time (source, -1);
  if (Py_IsInitialized () && !_Py_IsFinalizing ())
    {
      PyGILState_STATE state = PyGILState_Ensure ();
      PyObject *callback = Py_XNewRef (ws->callback);

      if (callback != NULL)
        {
          PyObject *returned = PyObject_CallNoArgs (callback);

          if (returned == NULL)
            PyErr_WriteUnraisable (callback);
          Py_XDECREF (returned);
          Py_DECREF (callback);
        }
      PyGILState_Release (state);
    }
  return G_SOURCE_CONTINUE;
}

static void
wake_source_drop_callback (WakeSource *ws)
{
  /* At exit the callback is leaked, as CPython leaks everything. */
  if (Py_IsInitialized () && !_Py_IsFinalizing ())
    {
      PyGILState_STATE state = PyGILState_Ensure ();

      Py_CLEAR (ws->callback);
      PyGILState_Release (state);
    }
}

static void
wake_source_finalize (GSource *source)
{
  wake_source_drop_callback ((WakeSource *) source);
}

static GSourceFuncs wake_source_funcs = {
  NULL, NULL, wake_source_dispatch, wake_source_finalize, NULL, NULL,
};

#define WAKE_SOURCE_NAME "pykka_glib.wake_source"

static void
wake_source_capsule_free (PyObject *capsule)
{
  GSource *source = PyCapsule_GetPointer (capsule, WAKE_SOURCE_NAME);

  g_source_destroy (source);
  g_source_unref (source);
}

static GSource *
wake_source_of (PyObject *capsule)
{
  if (!PyCapsule_IsValid (capsule, WAKE_SOURCE_NAME))
    {
      PyErr_SetString (PyExc_TypeError, "not a wake source");
      return NULL;
    }
  return PyCapsule_GetPointer (capsule, WAKE_SOURCE_NAME);
}

/* wake_source_new(context, callback): a source attached to @context (a
 * GLib.MainContext) that calls callback() once after each wake, at the
 * default priority. Dropping the handle destroys it. */
PyObject *
py_wake_source_new (PyObject        *module,
                    PyObject *const *args,
                    Py_ssize_t       nargs)
{
  GMainContext *context;
  GSource *source;
  PyObject *capsule;

  if (nargs != 2 || !pyg_boxed_check (args[0], G_TYPE_MAIN_CONTEXT) || !PyCallable_Check (args[1]))
    {
      PyErr_SetString (PyExc_TypeError, "wake_source_new(context, callback)");
      return NULL;
    }
  context = pyg_boxed_get (args[0], GMainContext);
  source = g_source_new (&wake_source_funcs, sizeof (WakeSource));
  g_source_set_static_name (source, "[pykka-asyncio-ready]");
  ((WakeSource *) source)->callback = Py_NewRef (args[1]);
  capsule = PyCapsule_New (source, WAKE_SOURCE_NAME, wake_source_capsule_free);
  if (capsule == NULL)
    {
      g_source_unref (source);
      return NULL;
    }
  g_source_attach (source, context);
  return capsule;
}

/* wake_source_wake(handle): the callback runs in the next iteration of
 * the context. Any thread may wake it. */
PyObject *
py_wake_source_wake (PyObject *module,
                     PyObject *capsule)
{
  GSource *source = wake_source_of (capsule);

  if (source == NULL)
    return NULL;
  g_source_set_ready_time (source, 0);
  Py_RETURN_NONE;
}

/* wake_source_destroy(handle): the callback is never called again, and is
 * dropped at once. */
PyObject *
py_wake_source_destroy (PyObject *module,
                        PyObject *capsule)
{
  GSource *source = wake_source_of (capsule);

  if (source == NULL)
    return NULL;
  g_source_destroy (source);
  Py_CLEAR (((WakeSource *) source)->callback);
  Py_RETURN_NONE;
}
