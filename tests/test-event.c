/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static void
test_set_clear (void)
{
  g_autoptr(PykkaEvent) e = pykka_event_new ();

  g_test_summary ("An event starts lowered; set raises it, clear lowers it; wait returns at once when set and times out when not");

  g_assert_false (pykka_event_is_set (e));
  g_assert_false (pykka_event_wait (e, 0));
  g_assert_false (pykka_event_wait (e, 5));
  pykka_event_set (e);
  g_assert_true (pykka_event_is_set (e));
  g_assert_true (pykka_event_wait (e, 0));
  g_assert_true (pykka_event_wait (e, -1));
  pykka_event_clear (e);
  g_assert_false (pykka_event_is_set (e));
  g_assert_false (pykka_event_wait (e, 0));
}

static gpointer
set_later (gpointer data)
{
  g_usleep (20 * 1000);
  pykka_event_set (data);
  return NULL;
}

static void
test_wait_from_thread (void)
{
  g_autoptr(PykkaEvent) e = pykka_event_new ();
  GThread *thread = g_thread_new ("setter", set_later, e);

  g_test_summary ("wait returns TRUE when another thread sets the event");

  g_assert_true (pykka_event_wait (e, TEST_TIMEOUT_MSEC));
  g_thread_join (thread);
}

typedef struct
{
  gboolean  done;
  gboolean  result;
  GError   *error;
  GMainContext *context;
} WaitResult;

static void
waited_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  WaitResult *r = data;

  r->context = g_main_context_get_thread_default ();
  r->result = pykka_event_wait_finish (PYKKA_EVENT (source), result, &r->error);
  r->done = TRUE;
}

static void
test_wait_async (void)
{
  g_autoptr(PykkaEvent) e = pykka_event_new ();
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  WaitResult r = { 0, }, cancelled = { 0, };
  GThread *thread;

  g_test_summary ("wait_async calls back in the caller's context once set; cancelling fails only that wait");

  g_main_context_push_thread_default (ctx);
  pykka_event_wait_async (e, NULL, waited_cb, &r);
  pykka_event_wait_async (e, cancellable, waited_cb, &cancelled);
  g_main_context_pop_thread_default (ctx);
  g_cancellable_cancel (cancellable);
  test_iterate_until (ctx, cancelled.done);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (cancelled.result);
  g_clear_error (&cancelled.error);
  g_assert_false (r.done);

  thread = g_thread_new ("setter", set_later, e);
  test_iterate_until (ctx, r.done);
  g_thread_join (thread);
  g_assert_true (r.result);
  g_assert_no_error (r.error);
  g_assert_true (r.context == ctx);

  /* Already set: calls back, but not synchronously. */
  r.done = FALSE;
  pykka_event_wait_async (e, NULL, waited_cb, &r);
  g_assert_false (r.done);
  test_iterate_until (NULL, r.done);
  g_assert_true (r.result);
}

typedef struct
{
  PykkaEvent *event;
  gint        stop;   /* atomic */
  gint        woken;  /* atomic */
} Flicker;

static gpointer
flicker_waiter (gpointer data)
{
  Flicker *f = data;

  while (!g_atomic_int_get (&f->stop))
    if (pykka_event_wait (f->event, 1))
      g_atomic_int_inc (&f->woken);
  return NULL;
}

static void
test_concurrent_set_clear (void)
{
  Flicker f = { pykka_event_new (), 0, 0 };
  GThread *waiters[3];

  g_test_summary ("Waiters never hang while other threads set and clear the event concurrently");

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    waiters[i] = g_thread_new ("waiter", flicker_waiter, &f);
  for (guint i = 0; i < 20000; i++)
    {
      pykka_event_set (f.event);
      pykka_event_clear (f.event);
    }
  pykka_event_set (f.event);
  test_iterate_until (NULL, g_atomic_int_get (&f.woken) >= 3);
  g_atomic_int_set (&f.stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    g_thread_join (waiters[i]);
  g_object_unref (f.event);
}

/* Issue 12, F14: threads blocked in wait() when set() happens return
 * TRUE even if clear() follows at once, as with Python's threading.Event. */
#define N_BLOCKED 12

typedef struct
{
  PykkaEvent *event;
  gint        round;     /* atomic: the round the main thread runs */
  gint        arrived;   /* atomic: waiters about to wait in this round */
  gint        returned;  /* atomic: waiters back from the wait */
  gint        woken;     /* atomic: of those, returned TRUE */
} Pulse;

static gpointer
pulse_waiter (gpointer data)
{
  Pulse *p = data;

  for (gint round = 1;; round++)
    {
      while (g_atomic_int_get (&p->round) < round)
        g_usleep (100);
      if (g_atomic_int_get (&p->round) == G_MAXINT)
        return NULL;
      g_atomic_int_inc (&p->arrived);
      if (pykka_event_wait (p->event, TEST_TIMEOUT_MSEC))
        g_atomic_int_inc (&p->woken);
      g_atomic_int_inc (&p->returned);
    }
}

static void
test_set_clear_wakes_blocked (void)
{
  Pulse p = { pykka_event_new (), 0, 0, 0, 0 };
  GThread *threads[N_BLOCKED];
  gint rounds = 30;

  g_test_summary ("Every thread blocked in wait when set() happens returns TRUE, even when clear() follows at once (issue 12, F14)");

  for (guint i = 0; i < N_BLOCKED; i++)
    threads[i] = g_thread_new ("blocked", pulse_waiter, &p);
  for (gint round = 1; round <= rounds; round++)
    {
      g_atomic_int_set (&p.arrived, 0);
      g_atomic_int_set (&p.returned, 0);
      g_atomic_int_set (&p.woken, 0);
      g_atomic_int_set (&p.round, round);
      test_iterate_until (NULL, g_atomic_int_get (&p.arrived) == N_BLOCKED);
      g_usleep (20 * 1000);  /* into the wait and asleep */
      g_assert_cmpint (g_atomic_int_get (&p.returned), ==, 0);
      pykka_event_set (p.event);
      pykka_event_clear (p.event);
      test_iterate_until (NULL, g_atomic_int_get (&p.returned) == N_BLOCKED);
      g_assert_cmpint (g_atomic_int_get (&p.woken), ==, N_BLOCKED);
      g_assert_false (pykka_event_is_set (p.event));
    }
  g_atomic_int_set (&p.round, G_MAXINT);
  for (guint i = 0; i < N_BLOCKED; i++)
    g_thread_join (threads[i]);
  g_object_unref (p.event);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Event/set-clear", test_set_clear);
  g_test_add_func ("/Pykka/Event/wait-from-thread", test_wait_from_thread);
  g_test_add_func ("/Pykka/Event/wait-async", test_wait_async);
  g_test_add_func ("/Pykka/Event/concurrent-set-clear", test_concurrent_set_clear);
  g_test_add_func ("/Pykka/Event/set-clear-wakes-blocked", test_set_clear_wakes_blocked);

  return g_test_run ();
}
