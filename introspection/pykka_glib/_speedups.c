/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: the per-message paths of the Python layer, in C.
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

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <pygobject.h>
#include <greenlet/greenlet.h>

#include <pykka-glib/pykka.h>

/* Set once by setup() */
static PyObject *worker_type;         /* gi.overrides.Pykka._Worker */
static PyObject *failure_type;        /* _Failure */
static PyObject *suspended_marker;    /* _SUSPENDED */
static PyObject *exception_of;        /* _exception_of(GLib.Error) -> exc */
static PyObject *on_failure;          /* _on_failure(actor, exc) */
static PyObject *resume_failed;       /* _resume_failed(exc) */
static PyObject *proxy_messages;      /* frozenset of the proxy message classes */
static PyObject *dispatch_proxy;      /* _dispatch_proxy(actor, message) */
static PyObject *drive;               /* _drive(coroutine) */
static PyObject *timeout_type;        /* Pykka.Timeout */
static PyObject *glib_error_type;     /* GLib.Error */
static PyTypeObject *gvalue_type;     /* GObject.Value */
static GType pyobject_gtype;          /* PyGObject's "PyObject" boxed type */

/* Offsets of the __slots__ of _Worker */
static Py_ssize_t off_caller = -1;
static Py_ssize_t off_actor = -1;
static Py_ssize_t off_depth = -1;
static Py_ssize_t off_pending = -1;
static Py_ssize_t off_suspended = -1;
static Py_ssize_t off_failure_exc = -1;

static PyObject *str_pool;            /* key of the worker pool in the thread state dict */
static PyObject *str_domain;
static PyObject *str_code;
static PyObject *str_message;
static PyObject *str_get_hook;
static PyObject *str_get_from_hook;
static PyObject *str_exception;
static PyObject *str_on_receive;
static PyObject *empty_tuple;

/* The worker that last handed a handler's outcome back to the greenlet
 * that switched into it (worker_run, suspend): on_receive checks that
 * what its switch returned comes from there, and not from a handler that
 * switched out of its worker by itself. */
static __thread PyObject *handed_back_by;
/* What it handed back (owned until on_receive takes it): not through the
 * switch's arguments, which the idle worker's stack would keep (with an
 * exception's traceback and locals) until its next handler. */
static __thread PyObject *handed_back_value;

/* Refs of actors whose thread did not survive a fork (in the child only):
 * PykkaActorRef -> itself, a reference each. */
static GHashTable *dead_after_fork;

/* Idle workers a thread keeps once their handler had suspended. */
#define MAX_IDLE_WORKERS 64

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

static PykkaFuture *pending_get (PyObject *capsule);
static PyObject *settle_pending (PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* ------------------------------------------------------------------------
 * Python exceptions in GErrors
 *
 * A Python exception travels in a GError of the domain
 * pykka-python-error-quark (code 0, message "Type: text"), an extended
 * error domain whose private data holds the exception: every copy of the
 * GError shares it, so it lives exactly as long as the futures (and
 * messages) holding the error, and a Python caller reading any copy gets
 * the very exception object. Nothing else keeps it: no table, no cap.
 *
 * A GLib.Error raised by a handler keeps its own domain, code and message
 * for C callers; as GErrors of other domains carry nothing else, Python
 * callers get an equal GLib.Error (Pykka.Timeout, Pykka.ActorDeadError
 * for those codes of pykka-error-quark), not the same object.
 */

#define PYTHON_ERROR_DOMAIN "pykka-python-error-quark"

/* The exception, shared by the copies of one GError (atomic count). */
typedef struct
{
  gint refs;
  PyObject *exc;
} ExceptionBox;

typedef struct
{
  ExceptionBox *box;
} PythonErrorPrivate;

static GQuark python_error_quark;

static PythonErrorPrivate *
python_error_get_private (const GError *error)
{
  /* As G_DEFINE_EXTENDED_ERROR does (its domain name would be a C
   * identifier). */
  const gsize sa = 2 * sizeof (gsize);
  const gsize as = (sizeof (PythonErrorPrivate) + (sa - 1)) & -sa;

  return (PythonErrorPrivate *) (((guint8 *) error) - as);
}

static void
python_error_init (GError *error)
{
  python_error_get_private (error)->box = NULL;
}

static void
python_error_copy (const GError *source,
                   GError       *dest)
{
  ExceptionBox *box = python_error_get_private (source)->box;

  /* No GIL: copies happen on any thread, under the runtime's locks. */
  if (box != NULL)
    g_atomic_int_inc (&box->refs);
  python_error_get_private (dest)->box = box;
}

static void
python_error_clear (GError *error)
{
  ExceptionBox *box = python_error_get_private (error)->box;

  python_error_get_private (error)->box = NULL;
  if (box == NULL || !g_atomic_int_dec_and_test (&box->refs))
    return;
  /* The last copy: drops the exception, unless the interpreter is gone
   * (then it is leaked, as CPython leaks everything at exit). */
  if (Py_IsInitialized () && !_Py_IsFinalizing ())
    {
      PyGILState_STATE state = PyGILState_Ensure ();

      Py_CLEAR (box->exc);
      PyGILState_Release (state);
    }
  g_free (box);
}

/* "Type: text" for @exc (never fails: a __str__ that raises gives a
 * placeholder). */
static char *
exception_text (PyObject *exc)
{
  const char *name = _PyType_Name (Py_TYPE (exc));
  PyObject *str = PyObject_Str (exc);
  const char *text = str != NULL ? PyUnicode_AsUTF8 (str) : NULL;
  char *result;

  if (text == NULL)
    {
      PyErr_Clear ();
      text = "<str() failed>";
    }
  result = *text != '\0' ? g_strdup_printf ("%s: %s", name, text) : g_strdup (name);
  Py_XDECREF (str);
  return result;
}

static int set_gerror (GError **error, PyObject *gerror);

/* The GError that carries @exc (never fails; keeps any Python error set
 * before the call). */
static GError *
exception_to_gerror (PyObject *exc)
{
  GError *error = NULL;
  PyObject *type, *value, *tb;

  PyErr_Fetch (&type, &value, &tb);
  if (PyObject_TypeCheck (exc, (PyTypeObject *) glib_error_type) && set_gerror (&error, exc) < 0)
    {
      /* Attributes that are not a GError's: travels as any exception. */
      PyErr_Clear ();
      g_clear_error (&error);
    }
  if (error == NULL)
    {
      char *text = exception_text (exc);

      error = g_error_new_literal (python_error_quark, 0, text);
      g_free (text);
    }
  if (error->domain == python_error_quark)
    {
      ExceptionBox *box = g_new (ExceptionBox, 1);

      box->refs = 1;
      box->exc = Py_NewRef (exc);
      python_error_get_private (error)->box = box;
    }
  PyErr_Restore (type, value, tb);
  return error;
}

/* The exception that @error carries (a new reference), or NULL if it
 * carries none. */
static PyObject *
gerror_payload (const GError *error)
{
  ExceptionBox *box;

  if (error->domain != python_error_quark)
    return NULL;
  box = python_error_get_private (error)->box;
  return box != NULL && box->exc != NULL ? Py_NewRef (box->exc) : NULL;
}

static gboolean
gerror_payload_present (const GError *error)
{
  return error->domain == python_error_quark && python_error_get_private (error)->box != NULL;
}

/* The Python exception for @error: the one it carries, or one made from
 * it (a new reference; NULL with an exception set on failure). */
static PyObject *
gerror_to_exception (const GError *error)
{
  PyObject *exc = gerror_payload (error);
  PyObject *gerror;

  if (exc != NULL)
    return exc;
  gerror = PyObject_CallFunction (glib_error_type, "ssi", error->message,
                                  g_quark_to_string (error->domain), error->code);
  if (gerror == NULL)
    return NULL;
  exc = PyObject_CallOneArg (exception_of, gerror);
  Py_DECREF (gerror);
  return exc;
}

/* The exception being raised (normalised, with its traceback), taken out
 * of the error indicator: a new reference. */
static PyObject *
fetch_exception (void)
{
  PyObject *type, *value, *tb;

  PyErr_Fetch (&type, &value, &tb);
  PyErr_NormalizeException (&type, &value, &tb);
  if (tb != NULL && value != NULL)
    PyException_SetTraceback (value, tb);
  Py_XDECREF (type);
  Py_XDECREF (tb);
  if (value == NULL)
    value = PyObject_CallFunction (PyExc_RuntimeError, "s", "an error without an exception");
  return value;
}

static void
python_error_register (void)
{
  if (python_error_quark == 0)
    python_error_quark = g_error_domain_register_static (PYTHON_ERROR_DOMAIN,
                                                         sizeof (PythonErrorPrivate),
                                                         python_error_init,
                                                         python_error_copy,
                                                         python_error_clear);
}

/* ------------------------------------------------------------------------
 * Values
 */

static void
take_pyobject (GValue   *value,
               PyObject *obj)
{
  g_value_init (value, pyobject_gtype);
  Py_INCREF (obj);
  g_value_take_boxed (value, obj);
}

/* The numbers messages and replies share: an int that fits in 32 bits as a
 * gint (a wider one as itself, a PyObject), a float as a gdouble, a bool
 * as a gboolean. Whether @obj was one of them (then @value is set). */
static gboolean
number_to_value (GValue   *value,
                 PyObject *obj)
{
  PyTypeObject *type = Py_TYPE (obj);

  if (type == &PyLong_Type)
    {
      int overflow;
      long l = PyLong_AsLongAndOverflow (obj, &overflow);

      if (overflow == 0 && l >= G_MININT32 && l <= G_MAXINT32)
        {
          g_value_init (value, G_TYPE_INT);
          g_value_set_int (value, (gint) l);
        }
      else
        take_pyobject (value, obj);
      return TRUE;
    }
  if (type == &PyFloat_Type)
    {
      g_value_init (value, G_TYPE_DOUBLE);
      g_value_set_double (value, PyFloat_AS_DOUBLE (obj));
      return TRUE;
    }
  if (type == &PyBool_Type)
    {
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, obj == Py_True);
      return TRUE;
    }
  return FALSE;
}

/* A message or a future's value: @value must be zero-filled. */
static int
message_to_value (GValue   *value,
                  PyObject *obj)
{
  PyTypeObject *type = Py_TYPE (obj);
  GType gtype;

  if (obj == Py_None)
    {
      take_pyobject (value, obj);
      return 0;
    }
  if (number_to_value (value, obj))
    return 0;
  if (type == &PyUnicode_Type)
    {
      const char *s = PyUnicode_AsUTF8 (obj);

      if (s == NULL)
        return -1;
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, s);
      return 0;
    }
  if (PyObject_TypeCheck (obj, (PyTypeObject *) glib_error_type))
    {
      /* Would travel as a copied GError, not as itself. */
      take_pyobject (value, obj);
      return 0;
    }

  /* What PyGObject does for a GValue argument. */
  gtype = pyg_type_from_object_strict ((PyObject *) type, FALSE);
  if (gtype == G_TYPE_INVALID)
    {
      PyErr_SetString (PyExc_RuntimeError, "unable to retrieve object's GType");
      return -1;
    }
  if (gtype == G_TYPE_VALUE)
    {
      const GValue *source = pyg_boxed_get (obj, GValue);

      if (source == NULL || G_VALUE_TYPE (source) == G_TYPE_INVALID)
        {
          PyErr_SetString (PyExc_ValueError,
                           "an unset GObject.Value cannot be a message or a future's value");
          return -1;
        }
      g_value_init (value, G_VALUE_TYPE (source));
      g_value_copy (source, value);
      return 0;
    }
  g_value_init (value, gtype);
  if (pyg_value_from_pyobject_with_error (value, obj) < 0)
    {
      g_value_unset (value);
      memset (value, 0, sizeof *value);
      return -1;
    }
  return 0;
}

/* A reply or a future's value for Python (an unset value is None). */
static PyObject *
value_to_py (const GValue *value,
             gboolean      copy_boxed)
{
  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    Py_RETURN_NONE;
  return pyg_value_as_pyobject (value, copy_boxed);
}

/* The reply of a Python handler: a gboolean, gint or gdouble, a NULL
 * pointer for None, a G_TYPE_OBJECT for a GObject (a future travels as a
 * value, Pykka's semantics), a completed future for a GObject.Value (it
 * keeps its GType), a PyObject for anything else (str included). An unset
 * GObject.Value is a ValueError (the handler's failure). */
static int
reply_to_value (GValue   *reply,
                PyObject *obj)
{
  PyTypeObject *type = Py_TYPE (obj);

  if (obj == Py_None)
    g_value_init (reply, G_TYPE_POINTER);
  else if (number_to_value (reply, obj))
    ;
  else if (type == gvalue_type)
    {
      const GValue *source = pyg_boxed_get (obj, GValue);

      if (source == NULL || G_VALUE_TYPE (source) == G_TYPE_INVALID)
        {
          PyErr_SetString (PyExc_ValueError, "a handler cannot reply with an unset GObject.Value");
          return -1;
        }
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_take_object (reply, pykka_future_new_for_value (pyg_boxed_get (obj, GValue)));
    }
  else if (PyObject_TypeCheck (obj, &PyGObject_Type) && pygobject_get (obj) != NULL)
    {
      g_value_init (reply, G_TYPE_OBJECT);
      g_value_set_object (reply, pygobject_get (obj));
    }
  else
    take_pyobject (reply, obj);
  return 0;
}

/* Raises the Python exception that @error stands for (consumed): the
 * very exception it carries, or one made from it. A NULL @error (a call
 * that failed a precondition) is a RuntimeError. */
static PyObject *
raise_gerror (GError *error)
{
  PyObject *exc;
  gboolean carried;

  if (error == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "pykka-glib refused the call without saying why "
                       "(see the critical it logged)");
      return NULL;
    }
  exc = gerror_to_exception (error);
  carried = gerror_payload_present (error);
  g_error_free (error);
  if (exc == NULL)
    return NULL;
  if (!carried)
    {
      /* raise ... from None */
      PyException_SetCause (exc, NULL);
    }
  PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
  Py_DECREF (exc);
  return NULL;
}

/* Sets @error from @gerror, a GLib.Error. */
static int
set_gerror (GError  **error,
            PyObject *gerror)
{
  PyObject *domain, *code, *message;
  int result = -1;

  domain = PyObject_GetAttr (gerror, str_domain);
  code = PyObject_GetAttr (gerror, str_code);
  message = PyObject_GetAttr (gerror, str_message);
  if (domain != NULL && code != NULL && message != NULL)
    {
      const char *d = PyUnicode_AsUTF8 (domain);
      long c = PyLong_AsLong (code);
      const char *m = PyUnicode_AsUTF8 (message);

      if (d != NULL && m != NULL && !PyErr_Occurred ())
        {
          g_set_error_literal (error, g_quark_from_string (d), (gint) c, m);
          result = 0;
        }
    }
  Py_XDECREF (domain);
  Py_XDECREF (code);
  Py_XDECREF (message);
  return result;
}

/* Seconds (None: for ever) to the milliseconds of the C API. */
static int
timeout_to_ms (PyObject *timeout,
               gint     *ms)
{
  double seconds, t;

  if (timeout == Py_None)
    {
      *ms = -1;
      return 0;
    }
  seconds = PyFloat_AsDouble (timeout);
  if (seconds == -1.0 && PyErr_Occurred ())
    return -1;
  t = seconds * 1000;
  if (t != t)
    {
      PyErr_SetString (PyExc_ValueError, "cannot convert float NaN to integer");
      return -1;
    }
  /* Rounded up: any positive timeout waits, at least 1 ms; 0 (or less)
   * only looks. */
  if (t <= 0)
    *ms = 0;
  else if (t >= G_MAXINT)
    *ms = G_MAXINT;
  else
    *ms = (gint) ceil (t);
  return 0;
}

/* ------------------------------------------------------------------------
 * Worker greenlets
 */

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

static PyObject *
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

/* _Worker.run(actor, message): the body of every worker greenlet. Started
 * and switched into by the on_receive vfunc with (actor, message); hands
 * the handler's value straight back (no tuple), a _Failure if it raised,
 * or _SUSPENDED at its first suspension (the future is the worker's
 * pending). A handler that had suspended completes its pending future
 * instead, and the worker goes back to the pool and to the greenlet that
 * resumed it. */
static PyObject *
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
  if (nargs != 2 || !Py_IS_TYPE (self, (PyTypeObject *) worker_type))
    {
      PyErr_SetString (PyExc_TypeError, "a worker runs with (actor, message)");
      return NULL;
    }
  actor = Py_NewRef (args[0]);
  message = Py_NewRef (args[1]);

  for (;;)
    {
      PyObject *value, *pending, *caller, *switch_args, *next;
      gboolean ok;

      value = run_handler (actor, message);
      ok = value != NULL;
      if (!ok)
        {
          /* Any exception, GreenletExit and every other BaseException
           * included, is the handler's failure: the worker lives on. */
          value = fetch_exception ();
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
  msg = value_to_py (message, FALSE);
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

static PyObject *
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
      result = PyGreenlet_Switch ((PyGreenlet *) worker, args, NULL);
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

static PykkaFuture *
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
static PyObject *
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
static PyObject *
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
static int
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

/* current_worker(): the worker whose handler runs here and may suspend
 * (not in a main loop iteration nested in it), or None. */
static PyObject *
py_current_worker (PyObject *module,
                   PyObject *unused)
{
  PyObject *worker = suspendable_worker ();

  return Py_NewRef (worker != NULL ? worker : Py_None);
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
    return value_to_py (value, FALSE);
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

static PyObject *
py_n_waiters (PyObject *module,
              PyObject *unused)
{
  return PyLong_FromLong (g_atomic_int_get (&n_waiters));
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
      result = value_to_py (&reply, TRUE);
      if (G_IS_VALUE (&reply))
        g_value_unset (&reply);
      return result;
    }

  if (!block)
    return pygobject_new_full ((GObject *) future, TRUE, NULL);
  /* In a handler (which suspends), or to an actor on a thread of its own. */
  result = future_wait_get (NULL, future, params[2], timeout_ms);
  g_object_unref (future);
  return result;
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
static PyObject *
py_ref_methods (PyObject *module,
                PyObject *cls)
{
  return method_descriptors (cls, ref_defs);
}

/* future_methods(Future): {'get': ...} */
static PyObject *
py_future_methods (PyObject *module,
                   PyObject *cls)
{
  return method_descriptors (cls, future_defs);
}

/* event_methods(Event): {'wait': ...} */
static PyObject *
py_event_methods (PyObject *module,
                  PyObject *cls)
{
  return method_descriptors (cls, event_defs);
}

/* future_set(future, value): completes @future with @value. */
static PyObject *
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
static PyObject *
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

/* future_set_exception(future, exc): completes @future with @exc, which
 * travels with it (a Python get() raises the very object). */
static PyObject *
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

/* exception_text(exc): "Type: text", even when str(exc) raises. */
static PyObject *
py_exception_text (PyObject *module,
                   PyObject *exc)
{
  char *text = exception_text (exc);
  PyObject *result = PyUnicode_FromString (text);

  g_free (text);
  return result;
}

/* mark_dead_after_fork(refs): in a forked child, the actors of @refs
 * (those of threads that did not survive the fork) are dead: tell and ask
 * fail at once with ActorDeadError. */
static PyObject *
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
static PyObject *
py_dead_after_fork (PyObject *module,
                    PyObject *self)
{
  PykkaActorRef *ref = ref_of (self);

  if (ref == NULL)
    return NULL;
  return PyBool_FromLong (dead_in_child (ref));
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
  { "future_methods", py_future_methods, METH_O,
    "The get method for the Future class." },
  { "n_waiters", py_n_waiters, METH_NOARGS,
    "How many suspensions the runtime (or the suspended handler) still holds." },
  { "take_worker_pool", py_take_worker_pool, METH_NOARGS,
    "Removes and returns this thread's list of idle workers." },
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
