/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Futures made from other futures: map, filter and reduce (one source,
 * a function run in the caller's thread-default main context), join (a
 * hook on each source) and get_all (a blocking wait for each). */

#include "config.h"

#include "pykka-future.h"

#include "pykka-promise-private.h"

/* What a derived future does with the value of its source. */
typedef enum
{
  DERIVED_MAP,     /* func.map on the value */
  DERIVED_FILTER,  /* func.filter on each element of a list */
  DERIVED_REDUCE,  /* func.reduce over a list, from ->initial if set */
} DerivedKind;

typedef struct
{
  DerivedKind            kind;
  PykkaFuture           *result;   /* (owned) */
  union
  {
    PykkaFutureMapFunc     map;
    PykkaFutureFilterFunc  filter;
    PykkaFutureReduceFunc  reduce;
  } func;
  GValue                 initial;  /* unset unless a reduce has one */
  gpointer               user_data;
  GDestroyNotify         destroy;
} Derived;

static void
derived_free (Derived *d)
{
  if (d->destroy != NULL)
    d->destroy (d->user_data);
  if (G_IS_VALUE (&d->initial))
    g_value_unset (&d->initial);
  g_object_unref (d->result);
  g_free (d);
}

static GPtrArray *
value_as_list (const GValue  *value,
               GError       **error)
{
  if (G_VALUE_HOLDS (value, G_TYPE_PTR_ARRAY) && g_value_get_boxed (value) != NULL)
    return g_value_get_boxed (value);

  g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
               /* Translators: %s is the name of a type, such as gint. */
               P_("Expected a list of values (GPtrArray of GValue), got %s"),
               G_IS_VALUE (value) ? G_VALUE_TYPE_NAME (value) : "nothing");
  return NULL;
}

static gboolean
derived_filter (Derived    *d,
                GPtrArray  *list,
                GValue     *out)
{
  GPtrArray *kept = pykka_value_list_new (list->len);

  for (guint i = 0; i < list->len; i++)
    if (d->func.filter (list->pdata[i], d->user_data))
      pykka_value_list_add (kept, list->pdata[i]);
  g_value_init (out, G_TYPE_PTR_ARRAY);
  g_value_take_boxed (out, kept);
  return TRUE;
}

static gboolean
derived_reduce (Derived    *d,
                GPtrArray  *list,
                GValue     *out,
                GError    **error)
{
  GValue acc = G_VALUE_INIT;
  guint i = 0;

  if (G_IS_VALUE (&d->initial))
    {
      pykka_value_init_copy (&acc, &d->initial);
    }
  else if (list->len > 0)
    {
      const GValue *first = list->pdata[0];
      pykka_value_init_copy (&acc, first);
      i = 1;
    }
  else
    {
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                           P_("Cannot reduce an empty list without an initial value"));
      return FALSE;
    }

  for (; i < list->len; i++)
    {
      GValue next = G_VALUE_INIT;

      /* (TRUE with an error fails too, as a handler's does; the error
       * must not reach the next call.) */
      if (!d->func.reduce (&acc, list->pdata[i], &next, d->user_data, error) || *error != NULL)
        {
          g_value_unset (&acc);
          if (G_IS_VALUE (&next))
            g_value_unset (&next);
          return FALSE;
        }
      g_value_unset (&acc);
      acc = next;
    }
  *out = acc;
  return TRUE;
}

static gboolean
derived_compute (Derived       *d,
                 const GValue  *value,
                 GValue        *out,
                 GError       **error)
{
  GPtrArray *list;

  switch (d->kind)
    {
    case DERIVED_MAP:
      return d->func.map (value, out, d->user_data, error);

    case DERIVED_FILTER:
      if ((list = value_as_list (value, error)) == NULL)
        return FALSE;
      return derived_filter (d, list, out);

    case DERIVED_REDUCE:
      if ((list = value_as_list (value, error)) == NULL)
        return FALSE;
      return derived_reduce (d, list, out, error);
    }

  g_assert_not_reached ();
}

static void
derived_ready_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Derived *d = data;
  GError *error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);
  GValue out = G_VALUE_INIT;

  if (value == NULL)
    pykka_promise_take_error (pykka_future_get_promise (d->result), error);
  else if (derived_compute (d, value, &out, &error) && error == NULL)
    pykka_promise_take_value (pykka_future_get_promise (d->result), &out);
  else
    {
      if (G_IS_VALUE (&out))
        g_value_unset (&out);
      if (error == NULL)
        error = g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                                     P_("The callback failed without an error"));
      pykka_promise_take_error (pykka_future_get_promise (d->result), error);
    }

  derived_free (d);
}

static Derived *
derived_new (DerivedKind    kind,
             gpointer       user_data,
             GDestroyNotify destroy)
{
  Derived *d = g_new0 (Derived, 1);

  d->kind = kind;
  d->user_data = user_data;
  d->destroy = destroy;
  return d;
}

/* Starts waiting for @self and returns the future @d completes. */
static PykkaFuture *
derived_start (PykkaFuture *self,
               Derived     *d)
{
  PykkaFuture *result = pykka_future_new ();

  d->result = g_object_ref (result);
  /* A blocking get of the result iterates the context the callback runs
   * in, instead of sleeping through it. */
  pykka_promise_take_home (pykka_future_get_promise (result),
                           g_main_context_ref_thread_default ());
  pykka_future_get_async (self, NULL, derived_ready_cb, d);
  return result;
}

/**
 * pykka_future_map:
 * @self: a [class@Pykka.Future]
 * @func: (scope notified) (closure user_data) (destroy destroy): computes
 *   the new value
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future whose value is @func applied to the value of @self. An
 * error of @self, or of @func, becomes the error of the new future.
 * @func runs in the thread-default main context of the calling thread.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_map (PykkaFuture        *self,
                  PykkaFutureMapFunc  func,
                  gpointer            user_data,
                  GDestroyNotify      destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  d = derived_new (DERIVED_MAP, user_data, destroy);
  d->func.map = func;
  return derived_start (self, d);
}

/**
 * pykka_future_filter:
 * @self: a [class@Pykka.Future] whose value is a list (a %G_TYPE_PTR_ARRAY
 *   of `GValue *`)
 * @func: (scope notified) (closure user_data) (destroy destroy): decides
 *   which elements to keep
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future of the elements of @self's list for which @func returns
 * %TRUE, in order. A value that is not a list fails the new future with
 * %PYKKA_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_filter (PykkaFuture           *self,
                     PykkaFutureFilterFunc  func,
                     gpointer               user_data,
                     GDestroyNotify         destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  d = derived_new (DERIVED_FILTER, user_data, destroy);
  d->func.filter = func;
  return derived_start (self, d);
}

/**
 * pykka_future_reduce:
 * @self: a [class@Pykka.Future] whose value is a list (a %G_TYPE_PTR_ARRAY
 *   of `GValue *`)
 * @func: (scope notified) (closure user_data) (destroy destroy): folds one
 *   element into the accumulated value
 * @initial: (nullable): the first accumulated value, or %NULL to start
 *   with the list's first element
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future of @self's list folded from the left with @func, like
 * Python's `functools.reduce()`. An empty list without @initial fails
 * with %PYKKA_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_reduce (PykkaFuture           *self,
                     PykkaFutureReduceFunc  func,
                     const GValue          *initial,
                     gpointer               user_data,
                     GDestroyNotify         destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (initial == NULL || G_IS_VALUE (initial), NULL);

  d = derived_new (DERIVED_REDUCE, user_data, destroy);
  d->func.reduce = func;
  if (initial != NULL)
    {
      pykka_value_init_copy (&d->initial, initial);
    }
  return derived_start (self, d);
}

/* A join holds no reference to its sources: a source that never
 * completes must not keep the others (and itself, through its hook)
 * alive once every user dropped it. Each value is copied on arrival. */
typedef struct
{
  PykkaFuture  *result;    /* (owned) */
  GValue       *values;    /* (owned) n_sources, in argument order */
  guint         n_sources;
  gint          remaining; /* atomic */
} Join;

typedef struct
{
  Join  *join;   /* (owned) */
  guint  index;
} JoinPart;

static void
join_clear (gpointer data)
{
  Join *j = data;

  for (guint i = 0; i < j->n_sources; i++)
    if (G_IS_VALUE (&j->values[i]))
      g_value_unset (&j->values[i]);
  g_free (j->values);
  g_object_unref (j->result);
}

static void
join_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, join_clear);
}

static void
join_part_free (gpointer data)
{
  JoinPart *part = data;

  join_unref (part->join);
  g_free (part);
}

static void
join_done_hook (PykkaPromise *promise,
                gpointer      data)
{
  JoinPart *part = data;
  Join *j = part->join;
  const GError *failure = pykka_promise_peek_error (promise);
  const GValue *value;

  if (failure != NULL)
    {
      /* The first error wins; later ones find the result completed. */
      pykka_promise_complete (pykka_future_get_promise (j->result), NULL,
                              g_error_copy (failure));
      return;
    }

  value = pykka_promise_peek_value (promise);
  if (G_IS_VALUE (value))
    {
      pykka_value_init_copy (&j->values[part->index], value);
    }

  if (g_atomic_int_dec_and_test (&j->remaining))
    {
      GPtrArray *list = pykka_value_list_new (j->n_sources);
      GValue out = G_VALUE_INIT;

      for (guint i = 0; i < j->n_sources; i++)
        pykka_value_list_add (list, &j->values[i]);
      g_value_init (&out, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (&out, list);
      pykka_promise_complete (pykka_future_get_promise (j->result), &out, NULL);
    }
}

/**
 * pykka_future_join:
 * @futures: (array length=n_futures): the futures to join
 * @n_futures: how many
 *
 * Makes a future of the values of all @futures, as a list in argument
 * order (a %G_TYPE_PTR_ARRAY of `GValue *`). The first error among them
 * becomes the error of the new future.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_join (PykkaFuture **futures,
                   guint         n_futures)
{
  Join *j;
  PykkaFuture *result;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);
  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (PYKKA_IS_FUTURE (futures[i]), NULL);

  result = pykka_future_new ();
  if (n_futures == 0)
    {
      GValue out = G_VALUE_INIT;

      g_value_init (&out, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (&out, pykka_value_list_new (0));
      pykka_promise_complete (pykka_future_get_promise (result), &out, NULL);
      return result;
    }

  j = g_atomic_rc_box_new0 (Join);
  j->result = g_object_ref (result);
  j->n_sources = n_futures;
  j->remaining = n_futures;
  j->values = g_new0 (GValue, n_futures);

  for (guint i = 0; i < n_futures; i++)
    {
      JoinPart *part = g_new (JoinPart, 1);

      part->join = g_atomic_rc_box_acquire (j);
      part->index = i;
      pykka_promise_add_hook (pykka_future_get_promise (futures[i]), join_done_hook,
                              part, join_part_free);
    }
  join_unref (j);

  return result;
}

/**
 * pykka_future_get_all:
 * @futures: (array length=n_futures): the futures to wait for
 * @n_futures: how many
 * @timeout_msec: how long to wait for all of them together, in
 *   milliseconds; -1 waits forever
 * @error: return location for an error
 *
 * Waits for every future in turn and collects their values in argument
 * order, as Pykka's `get_all()`.
 *
 * Returns: (transfer full) (element-type GValue) (nullable): the values,
 *   or %NULL with the first error met (or %PYKKA_ERROR_TIMEOUT) set
 */
GPtrArray *
pykka_future_get_all (PykkaFuture **futures,
                      guint         n_futures,
                      gint          timeout_msec,
                      GError      **error)
{
  g_autoptr(GPtrArray) values = NULL;
  gint64 end;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (PYKKA_IS_FUTURE (futures[i]), NULL);

  end = g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  values = pykka_value_list_new (n_futures);
  for (guint i = 0; i < n_futures; i++)
    {
      gint remaining = -1;
      const GValue *value;

      if (timeout_msec >= 0)
        remaining = (gint) CLAMP ((end - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND, 0, G_MAXINT);
      value = pykka_future_get (futures[i], remaining, error);
      if (value == NULL)
        return NULL;
      pykka_value_list_add (values, value);
    }

  return g_steal_pointer (&values);
}
