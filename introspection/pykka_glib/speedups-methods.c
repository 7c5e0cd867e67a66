/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: the methods this module gives the override's
 * classes (ActorRef.tell and ask, Future.get, Event.wait), Future.set's
 * conversions, Registry.broadcast's, and the refs of actors dead after a
 * fork. */

#include "speedups-private.h"

/* Refs of actors whose thread did not survive a fork (in the child only):
 * PykkaActorRef -> itself, a reference each. */
static GHashTable *dead_after_fork;

/* ------------------------------------------------------------------------
 * Future.get, Event.wait
 */

/* The arguments of get() and wait(): one optional @timeout, by position
 * or keyword. Leaves *@timeout alone when it is not given. */
static gboolean
parse_timeout_arg (const char       *method,
                   PyObject *const  *args,
                   Py_ssize_t        nargs,
                   PyObject         *kwnames,
                   PyObject        **timeout)
{
  Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE (kwnames) : 0;

  if (nargs + nkw > 1 ||
      (nkw == 1 && PyUnicode_CompareWithASCIIString (PyTuple_GET_ITEM (kwnames, 0), "timeout") != 0))
    {
      PyErr_Format (PyExc_TypeError, "%s() takes one optional argument, timeout", method);
      return FALSE;
    }
  if (nargs + nkw == 1)
    *timeout = args[0];
  return TRUE;
}

/* Event.wait(timeout=None): in a handler, suspends only that actor;
 * elsewhere the C blocking wait. Returns whether the event is set. */
static PyObject *
event_wait (PyObject         *self,
            PyObject *const  *args,
            Py_ssize_t        nargs,
            PyObject         *kwnames)
{
  PyObject *timeout = Py_None;
  GObject *event;
  gint timeout_ms;
  gboolean set;

  if (!parse_timeout_arg ("wait", args, nargs, kwnames, &timeout))
    return NULL;
  event = pygobject_get (self);
  if (event == NULL || !PYKKA_IS_EVENT (event))
    {
      PyErr_SetString (PyExc_TypeError, "not an initialised Pykka.Event");
      return NULL;
    }
  if (timeout_to_ms (timeout, &timeout_ms) < 0)
    return NULL;
  if (timeout_ms != 0 && !pykka_event_is_set (PYKKA_EVENT (event)))
    {
      PyObject *worker = suspendable_worker ();

      if (worker != NULL)
        {
          /* The future of the next set(): a wait that began before the
           * flag was raised ends, even if it is cleared at once. */
          PykkaFuture *next_set = pykka_event_dup_next_set (PYKKA_EVENT (event));
          int ready;

          if (next_set == NULL)
            Py_RETURN_TRUE;
          ready = suspend (worker, next_set, timeout_ms);
          g_object_unref (next_set);
          if (ready < 0)
            return NULL;
          if (ready != 2)
            return PyBool_FromLong (ready);
        }
    }
  Py_BEGIN_ALLOW_THREADS
  set = pykka_event_wait (PYKKA_EVENT (event), timeout_ms);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (set);
}

/* A suspended handler's wait ended without its future: its actor is
 * being killed (then ActorDeadError is set and TRUE returned), or the
 * wait timed out. */
static gboolean
raise_if_killed (PyObject *worker)
{
  PyObject *py_actor = SLOT (worker, off_actor);
  GObject *object;
  PykkaActorRef *ref;
  GError *reason, *dead;
  PyObject *exc;

  if (py_actor == NULL || !PyObject_TypeCheck (py_actor, &PyGObject_Type))
    return FALSE;
  object = pygobject_get (py_actor);
  if (!PYKKA_IS_ACTOR (object))
    return FALSE;
  ref = pykka_actor_get_actor_ref (PYKKA_ACTOR (object));
  if (pykka_actor_ref_is_alive (ref))
    return FALSE;
  reason = pykka_actor_ref_dup_death_reason (ref);
  dead = g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD, "Actor %s (%s) is dead: %s",
                      G_OBJECT_TYPE_NAME (object), pykka_actor_ref_get_urn (ref),
                      reason != NULL ? reason->message : "stopping");
  g_clear_error (&reason);
  exc = gerror_to_exception (dead);
  g_error_free (dead);
  if (exc != NULL)
    {
      PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
      Py_DECREF (exc);
    }
  return TRUE;
}

/* The outcome of @future, waited for at most @timeout_ms: suspending the
 * handler when in one, else the C blocking get. @py_future: its wrapper,
 * if it has one (its _exception() turns errors into exceptions); without
 * one, @future is an ask's. */
static PyObject *
future_wait_get (PyObject    *py_future,
                 PykkaFuture *future,
                 PyObject    *timeout,
                 gint         timeout_ms)
{
  const GValue *value;
  GError *error = NULL;

  if (timeout_ms != 0 && !pykka_future_is_done (future))
    {
      PyObject *worker = suspendable_worker ();

      if (worker != NULL)
        {
          int ready = suspend (worker, future, timeout_ms);

          if (ready < 0)
            return NULL;
          if (ready == 0 && raise_if_killed (worker))
            return NULL;
          if (ready == 0)
            {
              PyObject *exc = PyObject_CallFunction (timeout_type, "N",
                                                     PyUnicode_FromFormat ("%S seconds", timeout));

              if (exc != NULL)
                {
                  PyErr_SetObject (timeout_type, exc);
                  Py_DECREF (exc);
                }
              return NULL;
            }
        }
    }
  if (pykka_future_is_done (future))
    value = pykka_future_get (future, 0, &error);
  else
    {
      Py_BEGIN_ALLOW_THREADS
      value = pykka_future_get (future, timeout_ms, &error);
      Py_END_ALLOW_THREADS
    }
  if (value != NULL)
    return value_to_py (value);
  if (py_future == NULL || error == NULL || gerror_payload_present (error))
    return raise_gerror (error);
  else
    {
      /* An error made into an exception here: the same object for every
       * get() of a completed future (Future._exception). */
      PyObject *exc = gerror_to_exception (error);

      g_error_free (error);
      if (exc == NULL)
        return NULL;
      Py_SETREF (exc, PyObject_CallMethodOneArg (py_future, str_exception, exc));
      if (exc == NULL)
        return NULL;
      PyException_SetCause (exc, NULL);
      PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
      Py_DECREF (exc);
      return NULL;
    }
}

/* Future.get(timeout=None) */
static PyObject *
future_get (PyObject         *self,
            PyObject *const  *args,
            Py_ssize_t        nargs,
            PyObject         *kwnames)
{
  PyObject *timeout = Py_None, *hook;
  GObject *future;
  gint timeout_ms;

  if (!parse_timeout_arg ("get", args, nargs, kwnames, &timeout))
    return NULL;
  hook = PyObject_GetAttr (self, str_get_hook);
  if (hook == NULL)
    return NULL;
  if (hook != Py_None)
    {
      Py_DECREF (hook);
      return PyObject_CallMethodOneArg (self, str_get_from_hook, timeout);
    }
  Py_DECREF (hook);
  future = pygobject_get (self);
  if (future == NULL || !PYKKA_IS_FUTURE (future))
    {
      PyErr_SetString (PyExc_TypeError, "not an initialised Pykka.Future");
      return NULL;
    }
  if (timeout_to_ms (timeout, &timeout_ms) < 0)
    return NULL;
  return future_wait_get (self, PYKKA_FUTURE (future), timeout, timeout_ms);
}

/* ------------------------------------------------------------------------
 * ActorRef methods, Future.set, Registry.broadcast
 */

static PykkaActorRef *
ref_of (PyObject *self)
{
  GObject *obj = pygobject_get (self);

  if (obj == NULL || !PYKKA_IS_ACTOR_REF (obj))
    {
      PyErr_SetString (PyExc_TypeError, "not an initialised Pykka.ActorRef");
      return NULL;
    }
  return PYKKA_ACTOR_REF (obj);
}

/* Whether @ref's actor lived on a thread that did not survive a fork
 * (in the child). */
static inline gboolean
dead_in_child (PykkaActorRef *ref)
{
  return G_UNLIKELY (dead_after_fork != NULL) && g_hash_table_contains (dead_after_fork, ref);
}

static GError *
dead_in_child_error (PyObject *self)
{
  PyObject *text = PyObject_Str (self);
  GError *error;

  error = g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                       "%s is dead: its thread did not survive the fork",
                       text != NULL && PyUnicode_Check (text) ? PyUnicode_AsUTF8 (text) : "actor");
  PyErr_Clear ();
  Py_XDECREF (text);
  return error;
}

static PyObject *
ref_tell (PyObject *self,
          PyObject *message)
{
  PykkaActorRef *ref = ref_of (self);
  GValue value = G_VALUE_INIT;
  GError *error = NULL;
  gboolean ok;

  if (ref == NULL)
    return NULL;
  if (dead_in_child (ref))
    return raise_gerror (dead_in_child_error (self));
  if (message_to_value (&value, message) < 0)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = pykka_actor_ref_tell (ref, &value, &error);
  Py_END_ALLOW_THREADS
  g_value_unset (&value);
  if (!ok)
    return raise_gerror (error);
  Py_RETURN_NONE;
}

static PyObject *
ref_ask (PyObject         *self,
         PyObject *const  *args,
         Py_ssize_t        nargs,
         PyObject         *kwnames)
{
  static const char *const names[] = { "message", "block", "timeout" };
  PyObject *params[3] = { NULL, Py_True, Py_None };
  PykkaActorRef *ref = ref_of (self);
  GValue value = G_VALUE_INIT;
  GValue reply = G_VALUE_INIT;
  GError *error = NULL;
  PykkaFuture *future = NULL;
  PyObject *result;
  Py_ssize_t i, j, nkw;
  gint timeout_ms;
  int block;
  gboolean sync = FALSE, ok = FALSE;

  if (ref == NULL)
    return NULL;
  if (nargs > 3)
    {
      PyErr_SetString (PyExc_TypeError, "ask() takes at most 3 arguments");
      return NULL;
    }
  for (i = 0; i < nargs; i++)
    params[i] = args[i];
  nkw = kwnames != NULL ? PyTuple_GET_SIZE (kwnames) : 0;
  for (i = 0; i < nkw; i++)
    {
      PyObject *name = PyTuple_GET_ITEM (kwnames, i);

      for (j = 0; j < 3; j++)
        if (PyUnicode_CompareWithASCIIString (name, names[j]) == 0)
          break;
      if (j == 3 || j < nargs)
        {
          PyErr_Format (PyExc_TypeError, j == 3 ? "ask() got an unexpected keyword argument %R"
                                                : "ask() got multiple values for argument %R", name);
          return NULL;
        }
      params[j] = args[nargs + i];
    }
  if (params[0] == NULL)
    {
      PyErr_SetString (PyExc_TypeError, "ask() missing required argument 'message'");
      return NULL;
    }
  block = PyObject_IsTrue (params[1]);
  if (block < 0 || timeout_to_ms (params[2], &timeout_ms) < 0)
    return NULL;
  if (dead_in_child (ref))
    {
      GError *dead = dead_in_child_error (self);

      if (block)
        return raise_gerror (dead);
      future = pykka_future_new_for_error (dead);
      g_error_free (dead);
      return pygobject_new_full ((GObject *) future, TRUE, NULL);
    }

  if (block)
    {
      /* Outside handlers, to an actor whose get would iterate its context
       * here: the C blocking ask, whose future never gets a Python wrapper.
       * For an actor on a thread of its own, ask + get is faster: the
       * actor's thread takes the GIL while this one comes back from the
       * ask, and the get finds the reply ready instead of sleeping on a
       * condition variable. */
      PyObject *current = (PyObject *) PyGreenlet_GetCurrent ();
      PyObject *handler_actor = NULL;

      if (current == NULL)
        return NULL;
      if (Py_TYPE (current) == (PyTypeObject *) worker_type &&
          SLOT (current, off_actor) != NULL && SLOT (current, off_actor) != Py_None)
        handler_actor = SLOT (current, off_actor);
      sync = handler_actor == NULL;
      if (handler_actor != NULL && params[2] == Py_None &&
          PyObject_TypeCheck (handler_actor, &PyGObject_Type) &&
          PYKKA_IS_ACTOR (pygobject_get (handler_actor)) &&
          pykka_actor_get_actor_ref (PYKKA_ACTOR (pygobject_get (handler_actor))) == ref)
        {
          PyObject *text = PyUnicode_FromFormat ("%S asked itself and waits for the answer: "
                                                 "this wait could never finish", self);
          PyObject *exc = NULL;

          if (text != NULL)
            exc = PyObject_CallFunction (glib_error_type, "Osi", text,
                                         g_quark_to_string (PYKKA_ERROR), PYKKA_ERROR_DEADLOCK);
          if (exc != NULL)
            PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
          Py_XDECREF (exc);
          Py_XDECREF (text);
          Py_DECREF (current);
          return NULL;
        }
      Py_DECREF (current);
    }

  if (message_to_value (&value, params[0]) < 0)
    return NULL;

  Py_BEGIN_ALLOW_THREADS
  if (sync)
    {
      PykkaActor *actor = pykka_actor_ref_dup_actor (ref);

      /* A dead actor counts as not on a thread (its asks fail at once
       * either way). */
      if (actor != NULL)
        {
          sync = !pykka_actor_get_use_own_thread (actor);
          g_object_unref (actor);
        }
    }
  if (sync)
    ok = pykka_actor_ref_ask_sync (ref, &value, timeout_ms, &reply, &error);
  else
    future = pykka_actor_ref_ask (ref, &value);
  Py_END_ALLOW_THREADS
  g_value_unset (&value);

  if (sync)
    {
      if (!ok)
        {
          if (G_IS_VALUE (&reply))
            g_value_unset (&reply);
          return raise_gerror (error);
        }
      result = value_to_py (&reply);
      if (G_IS_VALUE (&reply))
        g_value_unset (&reply);
      return result;
    }

  if (future == NULL)
    {
      /* A precondition failed (it logged a critical). */
      return raise_gerror (NULL);
    }
  if (!block)
    return pygobject_new_full ((GObject *) future, TRUE, NULL);
  /* In a handler (which suspends), or to an actor on a thread of its own. */
  result = future_wait_get (NULL, future, params[2], timeout_ms);
  g_object_unref (future);
  return result;
}

/* ask_cancellable(ref, message, cancellable): a future of the reply to
 * @message, which cancelling @cancellable (a Gio.Cancellable) drops while
 * it is queued; the message is boxed as ask() boxes it (PyGObject's own
 * GValue conversion refuses None and truncates wide ints). */
PyObject *
py_ask_cancellable (PyObject        *module,
                    PyObject *const *args,
                    Py_ssize_t       nargs)
{
  PykkaActorRef *ref;
  GObject *cancellable = NULL;
  GValue value = G_VALUE_INIT;
  PykkaFuture *future;

  if (nargs != 3 || (args[2] != Py_None &&
                     (!PyObject_TypeCheck (args[2], &PyGObject_Type) ||
                      (cancellable = pygobject_get (args[2])) == NULL ||
                      !G_IS_CANCELLABLE (cancellable))))
    {
      PyErr_SetString (PyExc_TypeError, "ask_cancellable(ref, message, cancellable): "
                       "cancellable must be a Gio.Cancellable or None");
      return NULL;
    }
  ref = ref_of (args[0]);
  if (ref == NULL)
    return NULL;
  if (dead_in_child (ref))
    {
      GError *dead = dead_in_child_error (args[0]);

      future = pykka_future_new_for_error (dead);
      g_error_free (dead);
      return pygobject_new_full ((GObject *) future, TRUE, NULL);
    }
  if (message_to_value (&value, args[1]) < 0)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  future = pykka_actor_ref_ask_cancellable (ref, &value, (GCancellable *) cancellable);
  Py_END_ALLOW_THREADS
  g_value_unset (&value);
  if (future == NULL)
    return raise_gerror (NULL);
  return pygobject_new_full ((GObject *) future, TRUE, NULL);
}

/* The methods this module gives the override's classes, as method
 * descriptors of each class. */
static PyMethodDef ref_defs[] = {
  { "tell", (PyCFunction) ref_tell, METH_O,
    "tell(message)\n--\n\nSends @message without waiting; raises ``ActorDeadError`` if the\n"
    "actor is dead." },
  { "ask", (PyCFunction) (void (*) (void)) ref_ask, METH_FASTCALL | METH_KEYWORDS,
    "ask(message, block=True, timeout=None)\n--\n\nSends @message and returns the reply "
    "(block=True, waiting at\nmost @timeout seconds) or a ``Future`` of it (block=False)." },
  { NULL, NULL, 0, NULL },
};

static PyMethodDef future_defs[] = {
  { "get", (PyCFunction) (void (*) (void)) future_get, METH_FASTCALL | METH_KEYWORDS,
    "get(timeout=None)\n--\n\nReturns the value, or raises the exception, waiting at most\n"
    "@timeout seconds (None: for ever) before raising ``Timeout``." },
  { NULL, NULL, 0, NULL },
};

static PyMethodDef event_defs[] = {
  { "wait", (PyCFunction) (void (*) (void)) event_wait, METH_FASTCALL | METH_KEYWORDS,
    "wait(timeout=None)\n--\n\nWaits until the event is set or @timeout seconds pass; returns\n"
    "whether it is set." },
  { NULL, NULL, 0, NULL },
};

/* A dict of the method descriptors of @defs for the class @cls. */
static PyObject *
method_descriptors (PyObject          *cls,
                    const PyMethodDef *defs)
{
  PyObject *result;

  if (!PyType_Check (cls))
    {
      PyErr_SetString (PyExc_TypeError, "a class is needed");
      return NULL;
    }
  result = PyDict_New ();
  for (const PyMethodDef *def = defs; result != NULL && def->ml_name != NULL; def++)
    {
      PyObject *method = PyDescr_NewMethod ((PyTypeObject *) cls, (PyMethodDef *) def);

      if (method == NULL || PyDict_SetItemString (result, def->ml_name, method) < 0)
        Py_CLEAR (result);
      Py_XDECREF (method);
    }
  return result;
}

/* ref_methods(ActorRef): {'tell': ..., 'ask': ...} */
PyObject *
py_ref_methods (PyObject *module,
                PyObject *cls)
{
  return method_descriptors (cls, ref_defs);
}

/* future_methods(Future): {'get': ...} */
PyObject *
py_future_methods (PyObject *module,
                   PyObject *cls)
{
  return method_descriptors (cls, future_defs);
}

/* event_methods(Event): {'wait': ...} */
PyObject *
py_event_methods (PyObject *module,
                  PyObject *cls)
{
  return method_descriptors (cls, event_defs);
}

/* future_set(future, value): completes @future with @value. */
PyObject *
py_future_set (PyObject        *module,
               PyObject *const *args,
               Py_ssize_t       nargs)
{
  GObject *future;
  GValue value = G_VALUE_INIT;
  GError *error = NULL;
  gboolean ok;

  if (nargs != 2 || !PyObject_TypeCheck (args[0], &PyGObject_Type) ||
      (future = pygobject_get (args[0])) == NULL || !PYKKA_IS_FUTURE (future))
    {
      PyErr_SetString (PyExc_TypeError, "future_set(future, value)");
      return NULL;
    }
  if (message_to_value (&value, args[1]) < 0)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = pykka_future_set_value (PYKKA_FUTURE (future), &value, &error);
  Py_END_ALLOW_THREADS
  g_value_unset (&value);
  if (!ok)
    return raise_gerror (error);
  Py_RETURN_NONE;
}

/* broadcast(message, actor_class): Registry.broadcast with the message
 * boxed as every other message. */
PyObject *
py_broadcast (PyObject        *module,
              PyObject *const *args,
              Py_ssize_t       nargs)
{
  GValue value = G_VALUE_INIT;
  GType gtype;

  if (nargs != 2)
    {
      PyErr_SetString (PyExc_TypeError, "broadcast(message, actor_class)");
      return NULL;
    }
  gtype = pyg_type_from_object (args[1]);
  if (gtype == G_TYPE_INVALID)
    return NULL;
  if (message_to_value (&value, args[0]) < 0)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  pykka_registry_broadcast (&value, gtype);
  Py_END_ALLOW_THREADS
  g_value_unset (&value);
  Py_RETURN_NONE;
}

/* future_set_exception(future, exc): completes @future with @exc, which
 * travels with it (a Python get() raises the very object). */
PyObject *
py_future_set_exception (PyObject        *module,
                         PyObject *const *args,
                         Py_ssize_t       nargs)
{
  GObject *future;
  GError *failure, *error = NULL;
  gboolean ok;

  if (nargs != 2 || !PyObject_TypeCheck (args[0], &PyGObject_Type) ||
      (future = pygobject_get (args[0])) == NULL || !PYKKA_IS_FUTURE (future) ||
      !PyExceptionInstance_Check (args[1]))
    {
      PyErr_SetString (PyExc_TypeError, "future_set_exception(future, exception)");
      return NULL;
    }
  failure = exception_to_gerror (args[1]);
  Py_BEGIN_ALLOW_THREADS
  ok = pykka_future_set_error (PYKKA_FUTURE (future), failure, &error);
  Py_END_ALLOW_THREADS
  g_error_free (failure);
  if (!ok)
    return raise_gerror (error);
  Py_RETURN_NONE;
}

/* mark_dead_after_fork(refs): in a forked child, the actors of @refs
 * (those of threads that did not survive the fork) are dead: tell and ask
 * fail at once with ActorDeadError. */
PyObject *
py_mark_dead_after_fork (PyObject *module,
                         PyObject *refs)
{
  PyObject *seq = PySequence_Fast (refs, "a list of refs");

  if (seq == NULL)
    return NULL;
  if (dead_after_fork == NULL)
    dead_after_fork = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE (seq); i++)
    {
      PykkaActorRef *ref = ref_of (PySequence_Fast_GET_ITEM (seq, i));

      if (ref == NULL)
        {
          Py_DECREF (seq);
          return NULL;
        }
      if (!g_hash_table_contains (dead_after_fork, ref))
        g_hash_table_add (dead_after_fork, g_object_ref (ref));
    }
  Py_DECREF (seq);
  Py_RETURN_NONE;
}

/* dead_after_fork(ref): whether mark_dead_after_fork() named @ref. */
PyObject *
py_dead_after_fork (PyObject *module,
                    PyObject *self)
{
  PykkaActorRef *ref = ref_of (self);

  if (ref == NULL)
    return NULL;
  return PyBool_FromLong (dead_in_child (ref));
}
