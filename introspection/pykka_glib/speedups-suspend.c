/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: suspensions. A wait in a handler makes the
 * worker's pending reply future, asks the runtime to resume the handler
 * (pykka_actor_suspend_until()) and switches out of the worker; the
 * runtime's callback switches back in. */

#include "speedups-private.h"

/* ------------------------------------------------------------------------
 * Suspending a worker on a future or an event
 *
 * Every wait of a handler is a wait on a future (an event's is on the
 * future of its next set(), pykka_event_dup_next_set()), and the runtime
 * does it: pykka_actor_suspend_until() records it in the wait-for graph
 * (a wait that would close a cycle fails there with DEADLOCK), and calls
 * waiter_resume_cb() in a turn of the actor once the future completes or
 * the timeout passes. Handlers run only on the thread that owns their
 * actor's context, so that turn is on the thread the worker suspended on,
 * the only one that may switch into it. A wait that ends otherwise (the
 * actor's suspension or life ends; an intruder throws into the worker,
 * see suspend()) is dropped by the runtime, hook and timer included.
 */

typedef struct
{
  gint refs;            /* atomic: suspend()'s, the runtime's until it lets go */
  gboolean held;        /* the runtime holds the resume (GIL) */
  gboolean resumed;     /* waiter_resume_cb() switched into the worker (GIL) */
  PyObject *worker;     /* while the runtime holds the resume (GIL) */
} Waiter;

/* Waiters alive, for the tests: a suspension's until the runtime let go
 * of its resume (resumed, timed out or dropped) and the suspension ended. */
static gint n_waiters;

static void
waiter_unref (Waiter *waiter)
{
  if (!g_atomic_int_dec_and_test (&waiter->refs))
    return;
  g_free (waiter);
  g_atomic_int_add (&n_waiters, -1);
}

/* The runtime let go of the resume (pykka_actor_suspend_until()'s destroy
 * notify): after waiter_resume_cb(), or instead of it. */
static void
waiter_let_go (gpointer data)
{
  Waiter *waiter = data;

  /* At exit the worker is leaked, as CPython leaks everything. */
  if (Py_IsInitialized () && !_Py_IsFinalizing ())
    {
      PyGILState_STATE state = PyGILState_Ensure ();
      PyObject *worker = g_steal_pointer (&waiter->worker);

      waiter->held = FALSE;
      /* The last reference to a worker that nothing resumes any more (its
       * actor died): greenlet ends it with GreenletExit, in suspend(). */
      Py_XDECREF (worker);
      PyGILState_Release (state);
    }
  waiter_unref (waiter);
}

static PyObject *pending_take (PyObject *worker);

/* A resumed handler switched out of its worker without returning or
 * waiting: its pending reply fails with a RuntimeError (set as the
 * Python error on return, for the resume's log), and the worker is
 * abandoned. */
static void
abandon_suspended (PyObject *worker)
{
  PyObject *pending = pending_take (worker);
  PyObject *exc;

  PyErr_SetString (PyExc_RuntimeError, "the handler switched out of its greenlet without returning");
  exc = fetch_exception ();
  if (pending != NULL && exc != NULL)
    {
      PyObject *settle_args[3] = { pending, Py_False, exc };
      PyObject *settled = settle_pending (NULL, settle_args, 3);

      if (settled == NULL)
        PyErr_WriteUnraisable (worker);
      Py_XDECREF (settled);
    }
  worker_abandon (worker);
  if (exc != NULL)
    PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
  Py_XDECREF (exc);
  Py_XDECREF (pending);
}

/* pykka_actor_suspend_until()'s callback, in a turn of the actor once
 * @future completed or the timeout passed: switches back into the
 * suspended worker (in suspend()) with whether @future is done. */
static void
waiter_resume_cb (PykkaActor  *actor,
                  PykkaFuture *future,
                  gpointer     data)
{
  Waiter *waiter = data;
  PyGILState_STATE state = PyGILState_Ensure ();
  PyObject *worker = waiter->worker;
  PyObject *depth, *args, *result = NULL;

  if (worker == NULL || waiter->resumed)
    {
      PyGILState_Release (state);
      return;
    }
  waiter->resumed = TRUE;
  depth = PyLong_FromLong (g_main_depth ());
  args = PyTuple_Pack (1, pykka_future_is_done (future) ? Py_True : Py_False);
  if (depth != NULL && args != NULL)
    {
      slot_set (worker, off_caller, (PyObject *) PyGreenlet_GetCurrent ());
      slot_set (worker, off_depth, Py_NewRef (depth));
      handed_back_by = NULL;
      result = PyGreenlet_Switch ((PyGreenlet *) worker, args, NULL);
      if (result != NULL && handed_back_by != worker)
        {
          /* The handler switched out of its worker by itself (P33): as on
           * its first leg, its asker gets a RuntimeError, and the worker
           * is abandoned. */
          Py_CLEAR (result);
          abandon_suspended (worker);
        }
      handed_back_by = NULL;
    }
  if (result == NULL)
    {
      PyObject *exc = fetch_exception ();
      PyObject *logged = PyObject_CallOneArg (resume_failed, exc != NULL ? exc : Py_None);

      if (logged == NULL)
        PyErr_WriteUnraisable (resume_failed);
      Py_XDECREF (logged);
      Py_XDECREF (exc);
    }
  Py_XDECREF (result);
  Py_XDECREF (args);
  Py_XDECREF (depth);
  PyGILState_Release (state);
}

/* The reply future of a suspended handler, in the worker's pending slot:
 * a capsule, as no Python code needs a wrapper for it. */
#define PENDING_NAME "pykka_glib.pending"

static void
pending_free (PyObject *capsule)
{
  g_object_unref (PyCapsule_GetPointer (capsule, PENDING_NAME));
}

static PyObject *
pending_new (void)
{
  PykkaFuture *future = pykka_future_new ();
  PyObject *capsule = PyCapsule_New (future, PENDING_NAME, pending_free);

  if (capsule == NULL)
    g_object_unref (future);
  return capsule;
}

/* Takes the pending reply of @worker out of its slot (a new reference,
 * or NULL if it has none). */
static PyObject *
pending_take (PyObject *worker)
{
  PyObject *pending = SLOT (worker, off_pending);

  if (pending == NULL || pending == Py_None)
    return NULL;
  pending = Py_NewRef (pending);
  slot_set (worker, off_pending, Py_NewRef (Py_None));
  return pending;
}

PykkaFuture *
pending_get (PyObject *capsule)
{
  if (!PyCapsule_IsValid (capsule, PENDING_NAME))
    {
      PyErr_SetString (PyExc_TypeError, "not a pending reply");
      return NULL;
    }
  return PyCapsule_GetPointer (capsule, PENDING_NAME);
}

/* Completes the reply future of a handler that had suspended (@args:
 * pending, ok, value) with its return value or (not ok) its exception. A
 * value that cannot be one (an unset GObject.Value) completes it with the
 * conversion's exception: the future is always completed. */
PyObject *
settle_pending (PyObject        *module,
                PyObject *const *args,
                Py_ssize_t       nargs)
{
  PykkaFuture *future;
  GError *error = NULL;
  GError *failure = NULL;
  gboolean done = FALSE;

  if (nargs != 3)
    {
      PyErr_SetString (PyExc_TypeError, "settle(pending, ok, value)");
      return NULL;
    }
  future = pending_get (args[0]);
  if (future == NULL)
    return NULL;
  if (args[1] == Py_True)
    {
      GValue value = G_VALUE_INIT;

      if (message_to_value (&value, args[2]) == 0)
        {
          Py_BEGIN_ALLOW_THREADS
          done = pykka_future_set_value (future, &value, &error);
          Py_END_ALLOW_THREADS
          g_value_unset (&value);
        }
      else
        {
          PyObject *exc = fetch_exception ();

          failure = exception_to_gerror (exc != NULL ? exc : Py_None);
          Py_XDECREF (exc);
        }
    }
  else
    failure = exception_to_gerror (args[2]);
  if (failure != NULL)
    {
      Py_BEGIN_ALLOW_THREADS
      done = pykka_future_set_error (future, failure, &error);
      Py_END_ALLOW_THREADS
      g_error_free (failure);
    }
  if (!done)
    return raise_gerror (error);
  Py_RETURN_NONE;
}

/* The worker running a handler in the current greenlet, if a wait there
 * may suspend it (not in a main loop iteration nested in the handler):
 * borrowed, or NULL. */
PyObject *
suspendable_worker (void)
{
  PyObject *current = (PyObject *) PyGreenlet_GetCurrent ();
  PyObject *actor, *depth;
  PyObject *result = NULL;

  if (current == NULL)
    {
      PyErr_Clear ();
      return NULL;
    }
  if (Py_TYPE (current) == (PyTypeObject *) worker_type)
    {
      actor = SLOT (current, off_actor);
      depth = SLOT (current, off_depth);
      if (actor != NULL && actor != Py_None && depth != NULL && PyLong_CheckExact (depth) &&
          PyLong_AsLong (depth) == g_main_depth ())
        result = current;
    }
  /* The greenlet stays alive while it runs this code. */
  Py_DECREF (current);
  return result;
}

/* Suspends the handler running in @worker (the current greenlet) until
 * @future completes or @timeout_ms pass: 1 if it completed, 0 if not, -1
 * on error (a wait that would deadlock raises here, before anything of the
 * suspension is set up), 2 if the actor takes no message any more (its
 * handler cannot be resumed: the caller waits blocking).
 *
 * Only the wait's callback (waiter_resume_cb) may switch back in. A
 * greenlet.throw() into the suspended worker ends the wait with the
 * thrown exception, and a switch() with a RuntimeError, which the handler
 * gets like any other (so its asker gets it, unless the handler catches
 * it); the runtime then forgets the wait (pykka_actor_drop_suspensions():
 * its resume, timer, hook on the future and wait-for edge go at once).
 * _Worker.throw and _Worker.switch make the intruding greenlet the
 * worker's caller, which gets control back when the handler ends or waits
 * again. */
int
suspend (PyObject    *worker,
         PykkaFuture *future,
         gint         timeout_ms)
{
  PyObject *py_actor = SLOT (worker, off_actor);
  PyObject *caller = SLOT (worker, off_caller);
  PyObject *pending = NULL, *args = NULL, *thread = NULL, *result;
  PykkaActor *actor;
  Waiter *waiter;
  GError *error = NULL;
  gboolean ok, resumed;
  int ready;

  if (caller == NULL || !PyGreenlet_Check (caller) || py_actor == NULL ||
      !PyObject_TypeCheck (py_actor, &PyGObject_Type) || !PYKKA_IS_ACTOR (pygobject_get (py_actor)))
    {
      PyErr_SetString (PyExc_RuntimeError, "a running worker has no caller or no actor");
      return -1;
    }
  actor = PYKKA_ACTOR (pygobject_get (py_actor));
  caller = Py_NewRef (caller);
  py_actor = Py_NewRef (py_actor);
  args = PyTuple_Pack (1, Py_None);
  thread = PyLong_FromUnsignedLong (PyThread_get_thread_ident ());
  if (args == NULL || thread == NULL)
    goto error;
  if (SLOT (worker, off_pending) == NULL || SLOT (worker, off_pending) == Py_None)
    {
      /* The first suspension: C gets this future as the reply. */
      pending = pending_new ();
      if (pending == NULL)
        goto error;
    }

  waiter = g_new (Waiter, 1);
  waiter->refs = 2;
  waiter->held = TRUE;
  waiter->resumed = FALSE;
  waiter->worker = Py_NewRef (worker);
  g_atomic_int_inc (&n_waiters);
  /* Nothing resumes the worker before it has switched out below. */
  Py_BEGIN_ALLOW_THREADS
  ok = pykka_actor_suspend_until (actor, future, timeout_ms < 0 ? -1 : MAX (timeout_ms, 1),
                                  waiter_resume_cb, waiter, waiter_let_go, &error);
  Py_END_ALLOW_THREADS
  if (!ok || !waiter->held)
    {
      waiter_unref (waiter);
      Py_XDECREF (pending);
      Py_DECREF (args);
      Py_DECREF (thread);
      Py_DECREF (caller);
      Py_DECREF (py_actor);
      if (!ok)
        {
          raise_gerror (error);
          return -1;
        }
      return 2;
    }

  if (pending != NULL)
    {
      slot_set (worker, off_pending, pending);
      PyTuple_SET_ITEM (args, 0, Py_NewRef (suspended_marker));
      Py_DECREF (Py_None);
    }
  slot_set (worker, off_suspended, thread);
  handed_back_by = worker;
  result = PyGreenlet_Switch ((PyGreenlet *) caller, args, NULL);
  slot_set (worker, off_suspended, Py_NewRef (Py_None));
  Py_DECREF (args);
  Py_DECREF (caller);
  resumed = waiter->resumed;
  if (!resumed && waiter->held)
    {
      /* Switched into by other code: the wait is abandoned. */
      Py_BEGIN_ALLOW_THREADS
      pykka_actor_drop_suspensions (actor);
      Py_END_ALLOW_THREADS
    }
  waiter_unref (waiter);
  Py_DECREF (py_actor);
  if (result == NULL)
    return -1;
  if (!resumed)
    {
      Py_DECREF (result);
      PyErr_SetString (PyExc_RuntimeError, "a suspended handler's greenlet was switched into "
                       "by other code: its wait ended");
      return -1;
    }
  ready = PyObject_IsTrue (result);
  Py_DECREF (result);
  return ready;

error:
  Py_XDECREF (pending);
  Py_XDECREF (args);
  Py_XDECREF (thread);
  Py_DECREF (caller);
  Py_DECREF (py_actor);
  return -1;
}

/* current_worker(): the worker whose handler runs here and may suspend
 * (not in a main loop iteration nested in it), or None. */
PyObject *
py_current_worker (PyObject *module,
                   PyObject *unused)
{
  PyObject *worker = suspendable_worker ();

  return Py_NewRef (worker != NULL ? worker : Py_None);
}

PyObject *
py_n_waiters (PyObject *module,
              PyObject *unused)
{
  return PyLong_FromLong (g_atomic_int_get (&n_waiters));
}
