/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pykka_glib._speedups: values. Python objects to GValues and back
 * (messages, replies, a future's value), Python exceptions in GErrors and
 * back, timeouts in seconds to milliseconds. */

#include "speedups-private.h"

#include <math.h>

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

/* ------------------------------------------------------------------------
 * A failed future's exception (or a Python value), seen by the garbage
 * collector
 *
 * The exception's traceback leads back to every frame it passed through,
 * and such a frame often holds the very future (`future.get()` in a try
 * block): future -> (C) GError -> exception -> traceback -> frame ->
 * future. Python's collector cannot see the link through C, and the
 * whole cycle (frame, locals and all) would never be freed. So the
 * wrapper class of futures traverses the exception too, exactly when the
 * reference is its own: when the wrapper holds the only reference to the
 * GObject (as PyGObject does for its closures) and the future's GError is
 * the only copy of the exception's box. Then clearing the wrapper (which
 * drops the GObject) frees the exception. A GI call on the future can
 * still ref it without the GIL while a collection runs, so the answer is
 * read once per wrapper and collection (future_owns_outcome()). */

static traverseproc future_base_traverse;

/* The wrappers traversed in the collection under way, each with whether
 * it showed the future's outcome (GINT_TO_POINTER (1 + shown)); NULL
 * outside a collection. A collection traverses every object several
 * times (to subtract the references inside the set, then to find what is
 * reachable), and the answer must not change in between: it reads the
 * GObject's and the box's counts, which C code changes without the GIL
 * (a GI call on the future, such as a list store's splice, refs it on
 * its own thread while the collector runs). Seen once and not the next
 * time, the exception would be taken for garbage although its future is
 * alive: its weak references cleared and its __del__ run. */
static GHashTable *collecting;
/* Whether a collection is under way (the table is made by its first
 * future: most collections of the youngest generation see none). */
static gboolean in_collection;

/* Whether @self, the wrapper of the future @object, shows the collector
 * the future's exception or Python value. */
static gboolean
future_owns_outcome (PyObject *self,
                     GObject  *object)
{
  gpointer seen;
  gboolean owns;

  if (collecting != NULL && g_hash_table_lookup_extended (collecting, self, NULL, &seen))
    return GPOINTER_TO_INT (seen) - 1;
  owns = g_atomic_int_get (&object->ref_count) == 1;
  if (owns)
    {
      const GError *error = pykka_future_peek_error (PYKKA_FUTURE (object));

      if (error != NULL && error->domain == python_error_quark)
        {
          ExceptionBox *box = python_error_get_private (error)->box;

          owns = box != NULL && g_atomic_int_get (&box->refs) == 1;
        }
    }
  if (in_collection)
    {
      if (collecting == NULL)
        collecting = g_hash_table_new (NULL, NULL);
      g_hash_table_insert (collecting, self, GINT_TO_POINTER (1 + owns));
    }
  return owns;
}

/* gc.callbacks entry: a collection starts or ends. */
static PyObject *
py_future_gc_phase (PyObject *module,
                    PyObject *args)
{
  PyObject *phase, *info;

  if (!PyArg_ParseTuple (args, "UO", &phase, &info))
    return NULL;
  g_clear_pointer (&collecting, g_hash_table_unref);
  in_collection = PyUnicode_CompareWithASCIIString (phase, "start") == 0;
  Py_RETURN_NONE;
}

static PyMethodDef future_gc_phase_def = {
  "_future_gc_phase", py_future_gc_phase, METH_VARARGS, NULL
};

static int
future_traverse (PyObject *self,
                 visitproc visit,
                 void     *arg)
{
  GObject *object;
  const GError *error;
  const GValue *value;
  int err;

  /* What subtype_traverse() does for the classes from this one up to
   * GObject's wrapper type, which add no slots and no __dict__ (checked
   * by py_track_future_exceptions()): an instance of a heap type refers
   * to its type. */
  Py_VISIT (Py_TYPE (self));
  err = future_base_traverse (self, visit, arg);
  if (err != 0)
    return err;
  object = pygobject_get (self);
  if (object == NULL || !PYKKA_IS_FUTURE (object))
    return 0;
  if (!future_owns_outcome (self, object))
    return 0;
  error = pykka_future_peek_error (PYKKA_FUTURE (object));
  if (error != NULL && error->domain == python_error_quark)
    {
      ExceptionBox *box = python_error_get_private (error)->box;

      if (box != NULL && box->exc != NULL)
        Py_VISIT (box->exc);
    }
  /* A Python value (not a GObject's wrapper: that is the GObject's, not
   * the future's) is the future's own reference too. */
  else if (error == NULL && (value = pykka_future_peek_value (PYKKA_FUTURE (object))) != NULL &&
           G_VALUE_HOLDS (value, pyobject_gtype) && g_value_get_boxed (value) != NULL)
    Py_VISIT ((PyObject *) g_value_get_boxed (value));
  return 0;
}

/* track_future_exceptions(cls): makes the collector see the exception
 * of a failed future through the wrappers of class @cls (and its
 * subclasses). True if done; False (nothing changed) if a class between
 * @cls and GObject's wrapper type adds slots or a __dict__. */
PyObject *
py_track_future_exceptions (PyObject *module,
                            PyObject *cls)
{
  PyTypeObject *type = (PyTypeObject *) cls;
  PyTypeObject *base;
  traverseproc subtype;

  if (!PyType_Check (cls) || !PyType_IsSubtype (type, &PyGObject_Type) ||
      !(type->tp_flags & Py_TPFLAGS_HEAPTYPE) || !(type->tp_flags & Py_TPFLAGS_HAVE_GC))
    {
      PyErr_SetString (PyExc_TypeError, "track_future_exceptions(a wrapper class of Pykka.Future)");
      return NULL;
    }
  if (type->tp_traverse == future_traverse)
    Py_RETURN_TRUE;
  /* Heap classes traverse with CPython's subtype_traverse(), up to the
   * first base class with a traverse of its own: GObject's wrapper type,
   * which is not a heap type and traverses the instance's __dict__. */
  subtype = type->tp_traverse;
  for (base = type; base->tp_traverse == subtype; base = base->tp_base)
    if (Py_SIZE (base) != 0 || !(base->tp_flags & Py_TPFLAGS_HEAPTYPE) || base->tp_base == NULL)
      Py_RETURN_FALSE;
  if ((base->tp_flags & Py_TPFLAGS_HEAPTYPE) || base->tp_dictoffset != type->tp_dictoffset ||
      (future_base_traverse != NULL && future_base_traverse != base->tp_traverse))
    Py_RETURN_FALSE;
  if (future_base_traverse == NULL)
    {
      PyObject *gc, *callbacks, *phase;
      int ok = -1;

      gc = PyImport_ImportModule ("gc");
      callbacks = gc != NULL ? PyObject_GetAttrString (gc, "callbacks") : NULL;
      phase = callbacks != NULL ? PyCFunction_New (&future_gc_phase_def, NULL) : NULL;
      if (phase != NULL)
        ok = PyList_Append (callbacks, phase);
      Py_XDECREF (phase);
      Py_XDECREF (callbacks);
      Py_XDECREF (gc);
      if (ok < 0)
        return NULL;
    }
  future_base_traverse = base->tp_traverse;
  type->tp_traverse = future_traverse;
  Py_RETURN_TRUE;
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
GError *
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

gboolean
gerror_payload_present (const GError *error)
{
  return error->domain == python_error_quark && python_error_get_private (error)->box != NULL;
}

/* The Python exception for @error: the one it carries, or one made from
 * it (a new reference; NULL with an exception set on failure). */
PyObject *
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
PyObject *
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

void
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

/* Keeps the wrapper of the GObject @obj alive as long as its GObject:
 * PyGObject does so (a toggle reference) only for a wrapper that has an
 * instance dict. Without one (a class with __slots__, or one whose
 * instances never got an attribute) the receiver gets a new wrapper, not
 * the sent object; for a class with __slots__ that wrapper's slots were
 * never set, which crashes PyGObject (P38). Reading __dict__ makes it, as
 * _actor._keep_wrapper() does for actors. */
static int
keep_gobject_wrapper (PyObject *obj)
{
  PyObject *dict;

  if (((PyGObject *) obj)->inst_dict != NULL)
    return 0;
  dict = PyObject_GetAttrString (obj, "__dict__");
  if (dict == NULL)
    {
      /* No dict to make: travels as before. */
      PyErr_Clear ();
      return 0;
    }
  Py_DECREF (dict);
  return 0;
}

/* A message or a future's value: @value must be zero-filled. */
int
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
      Py_ssize_t size;
      const char *s = PyUnicode_AsUTF8AndSize (obj, &size);

      if (s == NULL || strlen (s) != (size_t) size)
        {
          /* No C string: a lone surrogate (os.fsdecode() of a file name
           * that is not UTF-8) or an embedded NUL, which a gchararray
           * would cut. A valid message all the same, travelling as
           * itself (P30). */
          if (s == NULL && !PyErr_ExceptionMatches (PyExc_UnicodeEncodeError))
            return -1;
          PyErr_Clear ();
          take_pyobject (value, obj);
          return 0;
        }
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
      if (G_TYPE_IS_VALUE_ABSTRACT (G_VALUE_TYPE (source)))
        {
          /* GObject.Value(GObject.TYPE_ENUM): GLib refuses to send or
           * store it (P32). */
          PyErr_Format (PyExc_ValueError, "a GObject.Value of the abstract type %s cannot be "
                        "a message or a future's value", G_VALUE_TYPE_NAME (source));
          return -1;
        }
      g_value_init (value, G_VALUE_TYPE (source));
      g_value_copy (source, value);
      return 0;
    }
  if (G_TYPE_IS_OBJECT (gtype) && PyObject_TypeCheck (obj, &PyGObject_Type) &&
      pygobject_get (obj) != NULL)
    keep_gobject_wrapper (obj);
  g_value_init (value, gtype);
  if (pyg_value_from_pyobject_with_error (value, obj) < 0)
    {
      g_value_unset (value);
      memset (value, 0, sizeof *value);
      return -1;
    }
  return 0;
}

/* A message, a reply or a future's value for Python (an unset value is
 * None). A boxed value is copied: the Python object may outlive the
 * GValue (a handler keeps its message, a caller the value of a future it
 * drops), and PyGObject's wrapper of a boxed it does not own would point
 * into freed memory then (P31). */
PyObject *
value_to_py (const GValue *value)
{
  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    Py_RETURN_NONE;
  return pyg_value_as_pyobject (value, TRUE);
}

/* The reply of a Python handler: a gboolean, gint or gdouble, a NULL
 * pointer for None, a G_TYPE_OBJECT for a GObject (a future travels as a
 * value, Pykka's semantics), a completed future for a GObject.Value (it
 * keeps its GType), a PyObject for anything else (str included). An unset
 * GObject.Value is a ValueError (the handler's failure). */
int
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
      if (G_TYPE_IS_VALUE_ABSTRACT (G_VALUE_TYPE (source)))
        {
          PyErr_Format (PyExc_ValueError, "a handler cannot reply with a GObject.Value of the "
                        "abstract type %s", G_VALUE_TYPE_NAME (source));
          return -1;
        }
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_take_object (reply, pykka_future_new_for_value (pyg_boxed_get (obj, GValue)));
    }
  else if (PyObject_TypeCheck (obj, &PyGObject_Type) && pygobject_get (obj) != NULL)
    {
      keep_gobject_wrapper (obj);
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
PyObject *
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
int
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

/* exception_text(exc): "Type: text", even when str(exc) raises. */
PyObject *
py_exception_text (PyObject *module,
                   PyObject *exc)
{
  char *text = exception_text (exc);
  PyObject *result = PyUnicode_FromString (text);

  g_free (text);
  return result;
}
