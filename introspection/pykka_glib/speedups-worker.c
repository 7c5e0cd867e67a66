/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: worker greenlets. The on_receive vfunc of Python
 * actors takes a worker greenlet of this thread's pool, switches into it
 * with (actor, message), and turns what comes back (a value, a _Failure,
 * or _SUSPENDED) into the reply GValue or a GError; worker_run() is the
 * loop of the worker greenlets. The on_failure vfunc. */

#include "speedups-private.h"

/* The worker that last handed a handler's outcome back to the greenlet
 * that switched into it (worker_run, suspend): on_receive checks that
 * what its switch returned comes from there, and not from a handler that
 * switched out of its worker by itself. */
__thread PyObject *handed_back_by;
/* What it handed back (owned until on_receive takes it): not through the
 * switch's arguments, which the idle worker's stack would keep (with an
 * exception's traceback and locals) until its next handler. */
static __thread PyObject *handed_back_value;

/* The (actor, message) of a worker's first handler, from on_receive to
 * worker_run() (owned while set). */
static __thread PyObject *handed_in;

/* Idle workers a thread keeps once their handler had suspended. */
#define MAX_IDLE_WORKERS 64

/* This thread's pool of idle workers (borrowed). */
static PyObject *
worker_pool (void)
{
  PyObject *dict = PyThreadState_GetDict ();
  PyObject *pool;

  if (dict == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "no thread state dict");
      return NULL;
    }
  pool = PyDict_GetItemWithError (dict, str_pool);
  if (pool == NULL && !PyErr_Occurred ())
    {
      pool = PyList_New (0);
      if (pool == NULL)
        return NULL;
      if (PyDict_SetItem (dict, str_pool, pool) < 0)
        {
          Py_DECREF (pool);
          return NULL;
        }
      Py_DECREF (pool);
    }
  return pool;
}

PyObject *
py_take_worker_pool (PyObject *module,
                     PyObject *unused)
{
  PyObject *dict = PyThreadState_GetDict ();
  PyObject *pool;

  if (dict == NULL)
    return PyList_New (0);
  pool = PyDict_GetItemWithError (dict, str_pool);
  if (pool == NULL)
    return PyErr_Occurred () ? NULL : PyList_New (0);
  Py_INCREF (pool);
  if (PyDict_DelItem (dict, str_pool) < 0)
    {
      Py_DECREF (pool);
      return NULL;
    }
  return pool;
}

/* Runs the handler for @message: a proxy call, or on_receive; an async
 * handler is driven to its end (suspending the worker like get()). */
static PyObject *
run_handler (PyObject *actor,
             PyObject *message)
{
  PyObject *value;
  int is_proxy = PySet_Contains (proxy_messages, (PyObject *) Py_TYPE (message));

  if (is_proxy < 0)
    return NULL;
  if (is_proxy)
    value = PyObject_CallFunctionObjArgs (dispatch_proxy, actor, message, NULL);
  else
    value = PyObject_CallMethodOneArg (actor, str_on_receive, message);
  if (value != NULL && Py_IS_TYPE (value, &PyCoro_Type))
    Py_SETREF (value, PyObject_CallOneArg (drive, value));
  return value;
}

/* A handler raised a BaseException that is not an Exception (SystemExit,
 * KeyboardInterrupt, GeneratorExit, ...): Pykka stops the actor at once
 * and every other actor. The override's on_base_exception(actor, exc)
 * (an attribute of this module) does it; it must not raise. */
static void
handler_raised_base_exception (PyObject *module,
                               PyObject *actor,
                               PyObject *exc)
{
  PyObject *hook, *result = NULL;

  hook = PyObject_GetAttrString (module, "on_base_exception");
  if (hook != NULL)
    result = PyObject_CallFunctionObjArgs (hook, actor, exc, NULL);
  if (result == NULL)
    PyErr_WriteUnraisable (actor);
  Py_XDECREF (result);
  Py_XDECREF (hook);
}

/* _Worker.run(actor, message): the body of every worker greenlet. Started
 * and switched into by the on_receive vfunc with (actor, message); hands
 * the handler's value straight back (no tuple), a _Failure if it raised,
 * or _SUSPENDED at its first suspension (the future is the worker's
 * pending). A handler that had suspended completes its pending future
 * instead, and the worker goes back to the pool and to the greenlet that
 * resumed it. */
PyObject *
worker_run (PyObject        *module,
            PyObject *const *args,
            Py_ssize_t       nargs)
{
  /* Borrowed: a reference from its own stack would keep it for ever. */
  PyObject *self = (PyObject *) PyGreenlet_GetCurrent ();
  PyObject *actor, *message;

  if (self == NULL)
    return NULL;
  Py_DECREF (self);
  if (nargs == 0 && handed_in != NULL)
    {
      /* Started by on_receive: (actor, message) come through handed_in,
       * not as the arguments of run(), which the greenlet would keep
       * until the worker ends (the first actor and message of every
       * worker, for ever: P36). */
      PyObject *first = g_steal_pointer (&handed_in);

      actor = Py_NewRef (PyTuple_GET_ITEM (first, 0));
      message = Py_NewRef (PyTuple_GET_ITEM (first, 1));
      Py_DECREF (first);
    }
  else if (nargs == 2)
    {
      actor = Py_NewRef (args[0]);
      message = Py_NewRef (args[1]);
    }
  else
    {
      PyErr_SetString (PyExc_TypeError, "a worker runs with (actor, message)");
      return NULL;
    }
  if (!Py_IS_TYPE (self, (PyTypeObject *) worker_type))
    {
      Py_DECREF (actor);
      Py_DECREF (message);
      PyErr_SetString (PyExc_TypeError, "a worker runs with (actor, message)");
      return NULL;
    }

  for (;;)
    {
      PyObject *value, *pending, *caller, *switch_args, *next;
      gboolean ok;

      value = run_handler (actor, message);
      ok = value != NULL;
      if (SLOT (self, off_actor) == NULL || SLOT (self, off_actor) == Py_None)
        {
          /* Abandoned (worker_abandon()): the handler had switched out of
           * this worker by itself, its message was answered already, and
           * nobody waits for this outcome; or the worker is being
           * deallocated (its slots are cleared before greenlet kills it):
           * nothing resumes it any more. The worker ends here, quietly:
           * the GreenletExit of its deallocation is no handler's failure
           * (it must not kill the actor and stop every other, P33). */
          Py_CLEAR (actor);
          Py_CLEAR (message);
          if (!ok && PyErr_ExceptionMatches (PyExc_GreenletExit))
            return NULL;
          PyErr_Clear ();
          Py_XDECREF (value);
          Py_RETURN_NONE;
        }
      if (!ok)
        {
          /* Any exception, GreenletExit and every other BaseException
           * included, is the handler's failure: the worker lives on. A
           * BaseException that is not an Exception also kills the actor
           * (and stops all the others), as in Pykka. */
          value = fetch_exception ();
          if (value != NULL && !PyObject_TypeCheck (value, (PyTypeObject *) PyExc_Exception))
            handler_raised_base_exception (module, actor, value);
        }
      Py_CLEAR (actor);
      Py_CLEAR (message);
      slot_set (self, off_actor, Py_NewRef (Py_None));

      pending = SLOT (self, off_pending);
      if (pending == NULL || pending == Py_None)
        {
          caller = Py_XNewRef (SLOT (self, off_caller));
          if (!ok)
            Py_SETREF (value, PyObject_CallOneArg (failure_type, value));
          switch_args = value != NULL ? Py_NewRef (empty_tuple) : NULL;
          Py_XSETREF (handed_back_value, value);
        }
      else
        {
          /* The handler had suspended: C waits on @pending. */
          PyObject *settle_args[3] = { pending, ok ? Py_True : Py_False, value };
          PyObject *settled, *pool;

          pending = Py_NewRef (pending);
          slot_set (self, off_pending, Py_NewRef (Py_None));
          caller = Py_XNewRef (SLOT (self, off_caller));
          slot_set (self, off_caller, Py_NewRef (Py_None));
          settle_args[0] = pending;
          settled = settle_pending (NULL, settle_args, 3);
          if (settled == NULL)
            PyErr_WriteUnraisable (self);
          Py_XDECREF (settled);
          Py_DECREF (pending);
          Py_DECREF (value);
          pool = worker_pool ();
          if (pool == NULL)
            PyErr_WriteUnraisable (self);
          else if (PyList_GET_SIZE (pool) < MAX_IDLE_WORKERS && PyList_Append (pool, self) < 0)
            PyErr_WriteUnraisable (self);
          switch_args = Py_NewRef (empty_tuple);
        }
      if (caller == NULL || switch_args == NULL || !PyGreenlet_Check (caller))
        {
          if (!PyErr_Occurred ())
            PyErr_SetString (PyExc_RuntimeError, "a worker has no caller");
          Py_XDECREF (caller);
          Py_XDECREF (switch_args);
          return NULL;
        }
      handed_back_by = self;
      next = PyGreenlet_Switch ((PyGreenlet *) caller, switch_args, NULL);
      Py_DECREF (switch_args);
      Py_DECREF (caller);
      /* Idle until the next handler (or GreenletExit, to end it). */
      if (next == NULL)
        return NULL;
      if (!PyTuple_Check (next) || PyTuple_GET_SIZE (next) != 2)
        {
          Py_DECREF (next);
          PyErr_SetString (PyExc_TypeError, "a worker runs with (actor, message)");
          return NULL;
        }
      actor = Py_NewRef (PyTuple_GET_ITEM (next, 0));
      message = Py_NewRef (PyTuple_GET_ITEM (next, 1));
      Py_DECREF (next);
    }
}

/* The handler running in @worker switched out of it by itself (to the
 * worker's parent, or to any other greenlet) instead of returning or
 * waiting: its message has been answered with a RuntimeError, and the
 * worker is nobody's any more. Marks it abandoned: it never suspends nor
 * hands anything back, and ends quietly (worker_run()). */
void
worker_abandon (PyObject *worker)
{
  slot_set (worker, off_actor, Py_NewRef (Py_None));
  slot_set (worker, off_caller, Py_NewRef (Py_None));
  slot_set (worker, off_depth, Py_NewRef (Py_None));
}

/* Whether @worker can run a handler: not a greenlet that died (a worker
 * ended by a GreenletExit thrown into it while idle). */
static gboolean
worker_usable (PyObject *worker)
{
  return !PyGreenlet_STARTED ((PyGreenlet *) worker) || PyGreenlet_ACTIVE ((PyGreenlet *) worker);
}

/* The on_receive vfunc of every Python actor class. */
static gboolean
actor_on_receive (PykkaActor   *actor,
                  const GValue *message,
                  GValue       *reply,
                  GError      **error)
{
  PyGILState_STATE state = PyGILState_Ensure ();
  PyObject *self = NULL, *msg = NULL, *pool = NULL, *worker = NULL;
  PyObject *args = NULL, *value = NULL, *depth, *exc;
  Py_ssize_t n;
  gboolean ok = FALSE;

  self = pygobject_new ((GObject *) actor);
  if (self == NULL)
    goto python_error;
  msg = value_to_py (message);
  if (msg == NULL)
    goto python_error;
  pool = Py_XNewRef (worker_pool ());
  if (pool == NULL)
    goto python_error;

  while ((n = PyList_GET_SIZE (pool)) > 0 && worker == NULL)
    {
      /* pool.pop(): the list's reference becomes ours */
      worker = PyList_GET_ITEM (pool, n - 1);
      Py_SET_SIZE (pool, n - 1);
      if (!worker_usable (worker))
        Py_CLEAR (worker);
    }
  if (worker == NULL)
    {
      worker = PyObject_CallNoArgs (worker_type);
      if (worker == NULL)
        goto python_error;
    }
  slot_set (worker, off_caller, (PyObject *) PyGreenlet_GetCurrent ());
  slot_set (worker, off_actor, Py_NewRef (self));
  depth = PyLong_FromLong (g_main_depth ());
  if (depth == NULL)
    goto python_error;
  slot_set (worker, off_depth, depth);

  args = PyTuple_Pack (2, self, msg);
  if (args == NULL)
    goto python_error;
  handed_back_by = NULL;
  if (!PyGreenlet_STARTED ((PyGreenlet *) worker))
    {
      /* A new worker: run() gets no arguments (see worker_run()). */
      Py_XSETREF (handed_in, Py_NewRef (args));
      value = PyGreenlet_Switch ((PyGreenlet *) worker, empty_tuple, NULL);
      Py_CLEAR (handed_in);
    }
  else
    value = PyGreenlet_Switch ((PyGreenlet *) worker, args, NULL);
  if (handed_back_value != NULL)
    {
      /* (Taken even when not ours: it was handed to this greenlet.) */
      Py_XSETREF (value, handed_back_value);
      handed_back_value = NULL;
    }
  if (value == NULL)
    goto python_error;
  if (handed_back_by != worker)
    {
      /* The handler switched out of its worker by itself (or the worker
       * died): the worker is not ours to use again, and this message
       * fails. */
      PyErr_SetString (PyExc_RuntimeError, "the handler switched out of its greenlet "
                       "without returning");
      if (worker_usable (worker))
        worker_abandon (worker);
      Py_CLEAR (worker);
      goto handler_error;
    }
  handed_back_by = NULL;

  if (value == suspended_marker)
    {
      /* The handler waits: C waits on the worker's pending future. */
      PykkaFuture *pending = pending_get (SLOT (worker, off_pending));

      if (pending == NULL)
        goto python_error;
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_set_object (reply, pending);
      ok = TRUE;
      goto out;
    }

  if (PyList_Append (pool, worker) < 0)
    goto python_error;
  if (Py_TYPE (value) == (PyTypeObject *) failure_type)
    {
      g_propagate_error (error, exception_to_gerror (SLOT (value, off_failure_exc)));
      goto out;
    }
  if (reply_to_value (reply, value) < 0)
    goto handler_error;
  ok = TRUE;
  goto out;

python_error:
  /* Not the handler's exception (that one comes as a _Failure): a bug of
   * this layer. Logged, and the asker gets it. */
  exc = fetch_exception ();
  if (exc != NULL)
    {
      PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
      PyErr_WriteUnraisable (self);
    }
  goto fail;

handler_error:
  /* The handler's outcome cannot be a reply: its failure. */
  exc = fetch_exception ();

fail:
  if (exc != NULL)
    g_propagate_error (error, exception_to_gerror (exc));
  else
    g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_FAILED, "Python on_receive failed");
  Py_XDECREF (exc);
  PyErr_Clear ();
  ok = FALSE;

out:
  Py_XDECREF (value);
  Py_XDECREF (args);
  Py_XDECREF (worker);
  Py_XDECREF (pool);
  Py_XDECREF (msg);
  Py_XDECREF (self);
  PyGILState_Release (state);
  return ok;
}

/* The on_failure vfunc of every Python actor class: _on_failure(actor,
 * exc) with the very exception the failed handler raised. */
static void
actor_on_failure (PykkaActor   *actor,
                  const GError *error)
{
  PyGILState_STATE state = PyGILState_Ensure ();
  PyObject *self, *exc = NULL, *result = NULL;

  self = pygobject_new ((GObject *) actor);
  if (self != NULL)
    exc = gerror_to_exception (error);
  if (exc != NULL)
    result = PyObject_CallFunctionObjArgs (on_failure, self, exc, NULL);
  if (result == NULL)
    PyErr_WriteUnraisable (self);
  Py_XDECREF (result);
  Py_XDECREF (exc);
  Py_XDECREF (self);
  PyGILState_Release (state);
}

PyObject *
py_install_on_receive (PyObject *module,
                       PyObject *cls)
{
  GType gtype = pyg_type_from_object (cls);
  PykkaActorClass *klass;

  if (gtype == G_TYPE_INVALID)
    return NULL;
  if (!g_type_is_a (gtype, PYKKA_TYPE_ACTOR))
    {
      PyErr_Format (PyExc_TypeError, "%R is not an actor class", cls);
      return NULL;
    }
  /* Kept for ever: subclasses copy this class structure when they are
   * initialised, so this must run before any subclass exists. */
  klass = g_type_class_ref (gtype);
  klass->on_receive = actor_on_receive;
  klass->on_failure = actor_on_failure;
  Py_RETURN_NONE;
}
