/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static PykkaFuture *
future_of_int (gint v)
{
  GValue value = G_VALUE_INIT;
  PykkaFuture *f = pykka_future_new_for_value (test_value_int (&value, v));

  g_value_unset (&value);
  return f;
}

static void
test_set_value_then_get (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  const GValue *got;

  g_test_summary ("A set value is returned by get, owned by the future, any number of times");

  g_assert_false (pykka_future_is_done (f));
  g_assert_true (pykka_future_set_value (f, test_value_string (&v, "hello"), &error));
  g_assert_no_error (error);
  g_value_unset (&v);
  g_assert_true (pykka_future_is_done (f));

  got = pykka_future_get (f, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (got), ==, "hello");
  g_assert_true (pykka_future_get (f, -1, &error) == got);
}

static void
test_second_completion_fails (void)
{
  g_autoptr(PykkaFuture) f = future_of_int (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "nope");
  GValue v = G_VALUE_INIT;

  g_test_summary ("Completing a future twice fails with ALREADY_SET and changes nothing");

  g_assert_false (pykka_future_set_value (f, test_value_int (&v, 2), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  g_assert_false (pykka_future_set_error (f, failure, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  g_assert_cmpint (g_value_get_int (pykka_future_get (f, 0, &error)), ==, 1);
  g_assert_no_error (error);
  g_value_unset (&v);
}

static void
test_error_is_returned (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr(GError) error = NULL;

  g_test_summary ("A future completed with an error gives a copy of it on every get");

  g_assert_true (pykka_future_set_error (f, failure, NULL));
  g_assert_null (pykka_future_get (f, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "gone");
  g_clear_error (&error);
  g_assert_null (pykka_future_get (f, 100, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static gpointer
set_later_thread (gpointer data)
{
  PykkaFuture *f = data;
  GValue v = G_VALUE_INIT;

  g_usleep (20 * 1000);
  pykka_future_set_value (f, test_value_int (&v, 7), NULL);
  g_value_unset (&v);
  return NULL;
}

static void
test_timeout_then_retry (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread;
  const GValue *got;

  g_test_summary ("get with 0 polls, a timed-out get fails with TIMEOUT, and a later get succeeds");

  g_assert_null (pykka_future_get (f, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (f, 1, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);

  thread = g_thread_new ("setter", set_later_thread, f);
  got = pykka_future_get (f, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (got), ==, 7);
  g_thread_join (thread);
}

static void
test_get_forever_from_thread (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_new ("setter", set_later_thread, f);

  g_test_summary ("get with -1 waits until another thread completes the future");

  g_assert_cmpint (g_value_get_int (pykka_future_get (f, -1, &error)), ==, 7);
  g_assert_no_error (error);
  g_thread_join (thread);
}

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  const GValue *value;
  GError       *error;
  gboolean      done;
} AsyncResult;

static void
got_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncResult *r = data;

  r->thread = g_thread_self ();
  r->context = g_main_context_get_thread_default ();
  r->value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &r->error);
  r->done = TRUE;
}

static void
test_get_async_runs_in_caller_context (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  AsyncResult r = { 0, };
  GThread *thread;

  g_test_summary ("get_async calls back in the thread-default context of the caller, even when another thread completes the future, and never synchronously");

  g_main_context_push_thread_default (ctx);
  pykka_future_get_async (f, NULL, got_cb, &r);
  g_main_context_pop_thread_default (ctx);

  thread = g_thread_new ("setter", set_later_thread, f);
  g_thread_join (thread);
  g_assert_false (r.done);
  test_iterate_until (ctx, r.done);
  g_assert_true (r.thread == g_thread_self ());
  g_assert_true (r.context == ctx);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 7);

  /* Already completed: still not synchronous. */
  r.done = FALSE;
  g_main_context_push_thread_default (ctx);
  pykka_future_get_async (f, NULL, got_cb, &r);
  g_assert_false (r.done);
  test_iterate_until (ctx, r.done);
  g_main_context_pop_thread_default (ctx);
  g_assert_cmpint (g_value_get_int (r.value), ==, 7);
}

static void
test_get_async_cancel (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncResult r = { 0, };
  GValue v = G_VALUE_INIT;

  g_test_summary ("Cancelling get_async fails the wait with G_IO_ERROR_CANCELLED, not the future");

  pykka_future_get_async (f, cancellable, got_cb, &r);
  g_cancellable_cancel (cancellable);
  test_iterate_until (NULL, r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r.value);
  g_clear_error (&r.error);
  g_assert_false (pykka_future_is_done (f));
  g_assert_true (pykka_future_set_value (f, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
  /* The cancelled wait does not call back a second time. */
  r.done = FALSE;
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
}

static gboolean
double_it (const GValue *value, GValue *result, gpointer data, GError **error)
{
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, g_value_get_int (value) * 2);
  return TRUE;
}

static gboolean
fail_map (const GValue *value, GValue *result, gpointer data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad map");
  return FALSE;
}

static gboolean
is_even (const GValue *item, gpointer data)
{
  return g_value_get_int (item) % 2 == 0;
}

static gboolean
add (const GValue *acc, const GValue *item, GValue *result, gpointer data, GError **error)
{
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, g_value_get_int (acc) + g_value_get_int (item));
  return TRUE;
}

static void
count_destroy (gpointer data)
{
  (*(gint *) data)++;
}

static const GValue *
wait_value (PykkaFuture *f)
{
  g_autoptr(GError) error = NULL;

  test_iterate_until (NULL, pykka_future_is_done (f));
  return pykka_future_get (f, 0, &error);
}

static void
test_map (void)
{
  g_autoptr(PykkaFuture) f = pykka_future_new ();
  g_autoptr(PykkaFuture) mapped = NULL;
  g_autoptr(PykkaFuture) failed = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  gint destroyed = 0;

  g_test_summary ("map applies a function to the value; its errors and the source's errors propagate; user data is freed");

  mapped = pykka_future_map (f, double_it, &destroyed, count_destroy);
  failed = pykka_future_map (f, fail_map, NULL, NULL);
  pykka_future_set_value (f, test_value_int (&v, 21), NULL);
  g_assert_cmpint (g_value_get_int (wait_value (mapped)), ==, 42);
  g_assert_cmpint (destroyed, ==, 1);
  test_iterate_until (NULL, pykka_future_is_done (failed));
  g_assert_null (pykka_future_get (failed, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_value_unset (&v);
}

static PykkaFuture *
future_of_list (guint n, ...)
{
  PykkaFuture *parts[16];
  PykkaFuture *joined;
  va_list args;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (parts));
  va_start (args, n);
  for (guint i = 0; i < n; i++)
    parts[i] = future_of_int (va_arg (args, gint));
  va_end (args);
  joined = pykka_future_join (parts, n);
  for (guint i = 0; i < n; i++)
    g_object_unref (parts[i]);
  return joined;
}

static void
test_filter_reduce (void)
{
  g_autoptr(PykkaFuture) list = future_of_list (5, 1, 2, 3, 4, 6);
  g_autoptr(PykkaFuture) evens = pykka_future_filter (list, is_even, NULL, NULL);
  g_autoptr(PykkaFuture) sum = pykka_future_reduce (list, add, NULL, NULL, NULL);
  g_autoptr(PykkaFuture) empty = future_of_list (0);
  g_autoptr(PykkaFuture) empty_sum = pykka_future_reduce (empty, add, NULL, NULL, NULL);
  g_autoptr(PykkaFuture) not_list = future_of_int (3);
  g_autoptr(PykkaFuture) bad_filter = pykka_future_filter (not_list, is_even, NULL, NULL);
  g_autoptr(PykkaFuture) with_initial = NULL;
  g_autoptr(PykkaFuture) empty_initial = NULL;
  g_autoptr(GError) error = NULL;
  GValue init = G_VALUE_INIT;
  GPtrArray *items;

  g_test_summary ("filter keeps matching list items in order; reduce folds with and without an initial value; bad input gives INVALID_ARGUMENT");

  test_value_int (&init, 100);
  with_initial = pykka_future_reduce (list, add, &init, NULL, NULL);
  empty_initial = pykka_future_reduce (empty, add, &init, NULL, NULL);
  g_value_unset (&init);

  items = g_value_get_boxed (wait_value (evens));
  g_assert_cmpuint (items->len, ==, 3);
  g_assert_cmpint (g_value_get_int (items->pdata[0]), ==, 2);
  g_assert_cmpint (g_value_get_int (items->pdata[1]), ==, 4);
  g_assert_cmpint (g_value_get_int (items->pdata[2]), ==, 6);

  g_assert_cmpint (g_value_get_int (wait_value (sum)), ==, 16);
  g_assert_cmpint (g_value_get_int (wait_value (with_initial)), ==, 116);
  g_assert_cmpint (g_value_get_int (wait_value (empty_initial)), ==, 100);

  test_iterate_until (NULL, pykka_future_is_done (empty_sum));
  g_assert_null (pykka_future_get (empty_sum, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  test_iterate_until (NULL, pykka_future_is_done (bad_filter));
  g_assert_null (pykka_future_get (bad_filter, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
}

static void
test_join_order_and_errors (void)
{
  PykkaFuture *parts[3] = { pykka_future_new (), pykka_future_new (), pykka_future_new () };
  g_autoptr(PykkaFuture) joined = pykka_future_join (parts, 3);
  g_autoptr(PykkaFuture) failing = pykka_future_join (parts, 3);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY, "busy");
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) a = pykka_future_new ();
  g_autoptr(PykkaFuture) b = pykka_future_new ();
  PykkaFuture *ab[2] = { a, b };
  g_autoptr(PykkaFuture) joined_ab = pykka_future_join (ab, 2);
  GValue v = G_VALUE_INIT;
  GPtrArray *items;

  g_test_summary ("join gives the values in argument order whatever the completion order; the first error fails it");

  /* Complete in reverse order. */
  for (gint i = 2; i >= 0; i--)
    {
      pykka_future_set_value (parts[i], test_value_int (&v, i * 10), NULL);
      g_value_unset (&v);
    }
  g_assert_true (pykka_future_is_done (joined));
  items = g_value_get_boxed (pykka_future_get (joined, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (g_value_get_int (items->pdata[i]), ==, i * 10);
  g_assert_true (pykka_future_is_done (failing));

  pykka_future_set_error (b, failure, NULL);
  g_assert_true (pykka_future_is_done (joined_ab));
  g_assert_null (pykka_future_get (joined_ab, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);

  for (guint i = 0; i < 3; i++)
    g_object_unref (parts[i]);
}

static void
test_get_all (void)
{
  g_autoptr(PykkaFuture) a = future_of_int (1);
  g_autoptr(PykkaFuture) b = pykka_future_new ();
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(GError) error = NULL;
  PykkaFuture *ab[2] = { a, b };
  GThread *thread;

  g_test_summary ("get_all waits for every future and keeps argument order; it times out as a whole");

  g_assert_null (pykka_future_get_all (ab, 2, 10, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);

  thread = g_thread_new ("setter", set_later_thread, b);
  values = pykka_future_get_all (ab, 2, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_cmpint (g_value_get_int (values->pdata[0]), ==, 1);
  g_assert_cmpint (g_value_get_int (values->pdata[1]), ==, 7);
  g_thread_join (thread);
}

typedef struct
{
  PykkaFuture *future;
  gint         successes;  /* atomic */
  gint         failures;   /* atomic */
} Race;

static gpointer
race_thread (gpointer data)
{
  Race *race = data;
  GValue v = G_VALUE_INIT;
  GError *error = NULL;

  if (pykka_future_set_value (race->future, test_value_int (&v, 1), &error))
    g_atomic_int_inc (&race->successes);
  else
    {
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
      g_error_free (error);
      g_atomic_int_inc (&race->failures);
    }
  g_value_unset (&v);
  return NULL;
}

static void
test_concurrent_completion (void)
{
  g_test_summary ("Of many threads completing one future at once, exactly one succeeds");

  for (guint round = 0; round < 50; round++)
    {
      Race race = { pykka_future_new (), 0, 0 };
      GThread *threads[4];

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("racer", race_thread, &race);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        g_thread_join (threads[i]);
      g_assert_cmpint (race.successes, ==, 1);
      g_assert_cmpint (race.failures, ==, 3);
      g_object_unref (race.future);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Future/set-value-then-get", test_set_value_then_get);
  g_test_add_func ("/Pykka/Future/second-completion-fails", test_second_completion_fails);
  g_test_add_func ("/Pykka/Future/error-is-returned", test_error_is_returned);
  g_test_add_func ("/Pykka/Future/timeout-then-retry", test_timeout_then_retry);
  g_test_add_func ("/Pykka/Future/get-forever-from-thread", test_get_forever_from_thread);
  g_test_add_func ("/Pykka/Future/get-async-runs-in-caller-context", test_get_async_runs_in_caller_context);
  g_test_add_func ("/Pykka/Future/get-async-cancel", test_get_async_cancel);
  g_test_add_func ("/Pykka/Future/map", test_map);
  g_test_add_func ("/Pykka/Future/filter-reduce", test_filter_reduce);
  g_test_add_func ("/Pykka/Future/join-order-and-errors", test_join_order_and_errors);
  g_test_add_func ("/Pykka/Future/get-all", test_get_all);
  g_test_add_func ("/Pykka/Future/concurrent-completion", test_concurrent_completion);

  return g_test_run ();
}
