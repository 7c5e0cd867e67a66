/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Timers owned by actors (issue 16.1) on a virtual clock (issue 16.6):
 * a ten-minute timer runs in no time and deterministically. */

#include "config.h"

#include "test-util.h"

/* Runs @context until nothing is ready. */
static void
run_until_idle (GMainContext *context)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

typedef struct
{
  GMainContext  *context;
  PykkaActorRef *ref;
  TestActor     *actor;   /* (unowned) alive while ref is */
  TestRecord    *record;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);

  f->context = g_main_context_new ();
  pykka_context_use_virtual_clock (f->context);
  g_main_context_push_thread_default (f->context);
  f->record = test_record_ref (test_actor_get_record (actor));
  f->ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  f->actor = actor;
  run_until_idle (f->context);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (f->ref);

  test_iterate_until (f->context, pykka_future_is_done (stopped));
  g_main_context_pop_thread_default (f->context);
  g_object_unref (f->ref);
  g_main_context_unref (f->context);
  test_record_free (f->record);
}

static guint
received (Fixture *f)
{
  guint n;

  g_mutex_lock (&f->record->mutex);
  n = f->record->ints->len;
  g_mutex_unlock (&f->record->mutex);
  return n;
}

static guint
start_timer (Fixture *f, const char *key, guint delay, guint interval, gint v)
{
  GValue msg = G_VALUE_INIT;
  guint id = pykka_actor_start_timer (PYKKA_ACTOR (f->actor), key, delay, interval, test_value_int (&msg, v));

  g_value_unset (&msg);
  return id;
}

static void
test_ten_minutes (Fixture *f, gconstpointer data)
{
  g_test_summary ("A ten-minute timer on a virtual clock fires exactly when the clock passes its "
                  "deadline, once, however long the test really takes");

  g_assert_cmpuint (start_timer (f, NULL, 10 * 60 * 1000, 0, 7), !=, 0);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 0);
  g_assert_true (pykka_context_advance_clock (f->context, 10 * 60 * 1000 - 1));
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 0);
  pykka_context_advance_clock (f->context, 1);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 1);
  pykka_context_advance_clock (f->context, 60 * 60 * 1000);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 1);
}

static void
test_periodic (Fixture *f, gconstpointer data)
{
  guint id;

  g_test_summary ("A periodic timer fires once per interval; cancelled, it fires no more");

  id = start_timer (f, NULL, 1000, 1000, 1);
  for (guint i = 1; i <= 3; i++)
    {
      pykka_context_advance_clock (f->context, 1000);
      run_until_idle (f->context);
      g_assert_cmpuint (received (f), ==, i);
    }
  g_assert_true (pykka_actor_cancel_timer (PYKKA_ACTOR (f->actor), id));
  g_assert_false (pykka_actor_cancel_timer (PYKKA_ACTOR (f->actor), id));
  pykka_context_advance_clock (f->context, 5000);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 3);
}

static void
test_keyed (Fixture *f, gconstpointer data)
{
  g_test_summary ("Re-arming a key replaces its timer; cancelling by key stops it");

  start_timer (f, "retry", 100, 0, 1);
  start_timer (f, "retry", 200, 0, 2);  /* replaces the first */
  pykka_context_advance_clock (f->context, 150);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 0);
  pykka_context_advance_clock (f->context, 60);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 1);
  g_assert_cmpint (g_array_index (f->record->ints, gint, 0), ==, 2);

  start_timer (f, "tick", 100, 100, 3);
  g_assert_true (pykka_actor_cancel_timer_by_key (PYKKA_ACTOR (f->actor), "tick"));
  g_assert_false (pykka_actor_cancel_timer_by_key (PYKKA_ACTOR (f->actor), "tick"));
  pykka_context_advance_clock (f->context, 1000);
  run_until_idle (f->context);
  g_assert_cmpuint (received (f), ==, 1);
}

static void
test_cancelled_by_death (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  TestRecord *r = test_record_ref (test_actor_get_record (actor));
  guint64 dead_letters;
  GValue msg = G_VALUE_INIT;
  GWeakRef weak;

  g_test_summary ("An actor's timers die with it: nothing fires after its stop, no dead letter, "
                  "and the actor is finalized");

  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  g_assert_cmpuint (pykka_actor_start_timer (PYKKA_ACTOR (actor), NULL, 10, 10, test_value_int (&msg, 1)), !=, 0);
  g_weak_ref_init (&weak, actor);
  g_clear_object (&actor);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

    test_iterate_until (context, pykka_future_is_done (stopped));
  }
  dead_letters = pykka_debug_get_dead_letters ();
  pykka_context_advance_clock (context, 1000);
  run_until_idle (context);
  g_assert_cmpuint (pykka_debug_get_dead_letters (), ==, dead_letters);
  g_assert_cmpuint (r->ints->len, ==, 0);
  {
    g_autoptr(GObject) gone = g_weak_ref_get (&weak);

    g_assert_null (gone);
  }
  g_weak_ref_clear (&weak);
  g_main_context_pop_thread_default (context);
  g_value_unset (&msg);
  test_record_free (r);
}

static void
test_real_clock (void)
{
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  TestRecord *r = test_actor_get_record (actor);
  GValue msg = G_VALUE_INIT;

  g_test_summary ("On the real clock a short timer fires in the actor's context; a timer of an "
                  "actor that is not running is refused");

  pykka_actor_start_timer (PYKKA_ACTOR (actor), NULL, 20, 0, test_value_int (&msg, 5));
  test_iterate_until (NULL, r->ints->len == 1);
  g_assert_true (r->handler_context == NULL || r->handler_context == g_main_context_default ());
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_cmpuint (pykka_actor_start_timer (PYKKA_ACTOR (actor), NULL, 20, 0, &msg), ==, 0);
  g_assert_false (pykka_context_advance_clock (g_main_context_default (), 10));
  g_value_unset (&msg);
}

static gboolean wait_timed_out;

/* Stackful: waits ten minutes for a future nobody completes. */
static gboolean
wait_ten_minutes (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_autoptr(PykkaFuture) never = pykka_future_new ();
  g_autoptr(GError) local_error = NULL;

  g_assert_null (pykka_future_get (never, 10 * 60 * 1000, &local_error));
  g_assert_error (local_error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  wait_timed_out = TRUE;
  return TRUE;
}

static void
test_wait_timeout_on_virtual_clock (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;

  g_test_summary ("A handler's wait with a timeout follows the virtual clock of its context: a "
                  "ten-minute timeout ends when the clock passes it, not before");

  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  {
    g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, wait_ten_minutes, NULL, NULL);

    ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  }
  wait_timed_out = FALSE;
  test_tell_int (ref, 1);
  run_until_idle (context);
  pykka_context_advance_clock (context, 10 * 60 * 1000 - 1);
  run_until_idle (context);
  g_assert_false (wait_timed_out);
  pykka_context_advance_clock (context, 1);
  run_until_idle (context);
  g_assert_true (wait_timed_out);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

    test_iterate_until (context, pykka_future_is_done (stopped));
  }
  g_main_context_pop_thread_default (context);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/Pykka/Timer/ten-minutes", Fixture, NULL, fixture_set_up, test_ten_minutes, fixture_tear_down);
  g_test_add ("/Pykka/Timer/periodic", Fixture, NULL, fixture_set_up, test_periodic, fixture_tear_down);
  g_test_add ("/Pykka/Timer/keyed", Fixture, NULL, fixture_set_up, test_keyed, fixture_tear_down);
  g_test_add_func ("/Pykka/Timer/cancelled-by-death", test_cancelled_by_death);
  g_test_add_func ("/Pykka/Timer/real-clock", test_real_clock);
  g_test_add_func ("/Pykka/Timer/wait-timeout-on-virtual-clock", test_wait_timeout_on_virtual_clock);

  return g_test_run ();
}
