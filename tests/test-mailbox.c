/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Bounded mailboxes (issue 16.4): capacity and overflow policies. The
 * actors run on a context this thread pushed (it owns it) and iterates
 * only when a test wants room. Every wait has a timeout. */

#include "config.h"

#include <string.h>

#include "test-util.h"

typedef struct
{
  GMainContext  *context;
  PykkaActorRef *ref;
  TestRecord    *record;
} Fixture;

static void
start_bounded (Fixture *f, PykkaOverflowPolicy policy, guint timeout_msec)
{
  g_autoptr(TestActor) actor = NULL;

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  actor = test_actor_new_of_type (TEST_TYPE_ACTOR, test_record_int, NULL,
                                  "mailbox-capacity", 2, "overflow-policy", policy,
                                  "overflow-timeout-msec", timeout_msec, NULL);
  f->record = test_record_ref (test_actor_get_record (actor));
  f->ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  /* on_start runs: the mailbox is empty. */
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (f->context, FALSE);
}

static void
finish (Fixture *f)
{
  g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (f->ref);

  test_iterate_until (f->context, pykka_future_is_done (stopped));
  g_main_context_pop_thread_default (f->context);
  g_object_unref (f->ref);
  g_main_context_unref (f->context);
  test_record_free (f->record);
}

static void
run_until_idle (GMainContext *context)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static gboolean
tell (Fixture *f, gint v, GError **error)
{
  GValue msg = G_VALUE_INIT;
  gboolean ok = pykka_actor_ref_tell (f->ref, test_value_int (&msg, v), error);

  g_value_unset (&msg);
  return ok;
}

static void
test_policy_fail (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) asked = NULL;

  g_test_summary ("FAIL: a full mailbox refuses a tell and an ask with MAILBOX_FULL naming the actor");

  start_bounded (&f, PYKKA_OVERFLOW_FAIL, 0);
  g_assert_true (tell (&f, 1, NULL));
  g_assert_true (tell (&f, 2, NULL));
  g_assert_false (tell (&f, 3, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  g_assert_nonnull (strstr (error->message, "TestActor"));
  g_clear_error (&error);
  asked = test_ask_int (f.ref, 4);
  g_assert_true (pykka_future_is_done (asked));
  g_assert_null (pykka_future_get (asked, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  run_until_idle (f.context);
  g_assert_cmpuint (f.record->ints->len, ==, 2);
  /* Room again. */
  g_assert_true (tell (&f, 5, NULL));
  finish (&f);
}

static void
test_drop_newest (void)
{
  Fixture f;
  guint64 before;

  g_test_summary ("DROP_NEWEST: the new tell is dropped as a dead letter; what was queued is kept");

  start_bounded (&f, PYKKA_OVERFLOW_DROP_NEWEST, 0);
  before = pykka_debug_get_dead_letters ();
  for (gint i = 1; i <= 4; i++)
    g_assert_true (tell (&f, i, NULL));
  g_assert_cmpuint (pykka_debug_get_dead_letters () - before, ==, 2);
  run_until_idle (f.context);
  g_assert_cmpuint (f.record->ints->len, ==, 2);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 0), ==, 1);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 1), ==, 2);
  finish (&f);
}

static void
test_drop_oldest (void)
{
  Fixture f;
  g_autoptr(PykkaFuture) oldest = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("DROP_OLDEST: the oldest queued message makes room (an ask among them fails "
                  "with MAILBOX_FULL); the newest are handled in order");

  start_bounded (&f, PYKKA_OVERFLOW_DROP_OLDEST, 0);
  oldest = test_ask_int (f.ref, 1);
  g_assert_true (tell (&f, 2, NULL));
  g_assert_true (tell (&f, 3, NULL));
  g_assert_true (tell (&f, 4, NULL));
  g_assert_true (pykka_future_is_done (oldest));
  g_assert_null (pykka_future_get (oldest, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  run_until_idle (f.context);
  g_assert_cmpuint (f.record->ints->len, ==, 2);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 0), ==, 3);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 1), ==, 4);
  finish (&f);
}

typedef struct
{
  Fixture  *f;
  gint      v;
  gboolean  ok;
  GError   *error;
  gint      done;   /* atomic */
} Sender;

static gpointer
send_thread (gpointer data)
{
  Sender *s = data;

  s->ok = tell (s->f, s->v, &s->error);
  g_atomic_int_set (&s->done, 1);
  return NULL;
}

static void
test_block (void)
{
  Fixture f;
  Sender waits = { 0, }, gives_up = { 0, };
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_test_summary ("BLOCK: a sender on another thread waits for room and gets in; one that waits in "
                  "vain fails with MAILBOX_FULL; the thread that runs the actor fails at once");

  start_bounded (&f, PYKKA_OVERFLOW_BLOCK, TEST_TIMEOUT_MSEC);
  g_assert_true (tell (&f, 1, NULL));
  g_assert_true (tell (&f, 2, NULL));
  /* This thread owns the context: it must not wait for itself. */
  g_assert_false (tell (&f, 3, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);

  waits.f = &f;
  waits.v = 4;
  thread = g_thread_new ("sender", send_thread, &waits);
  /* Room comes when this thread runs the actor. */
  test_iterate_until (f.context, g_atomic_int_get (&waits.done));
  g_thread_join (thread);
  g_assert_true (waits.ok);
  g_assert_no_error (waits.error);
  run_until_idle (f.context);
  g_assert_cmpuint (f.record->ints->len, ==, 3);
  finish (&f);

  /* A short timeout, nobody making room. */
  start_bounded (&f, PYKKA_OVERFLOW_BLOCK, 20);
  g_assert_true (tell (&f, 1, NULL));
  g_assert_true (tell (&f, 2, NULL));
  gives_up.f = &f;
  gives_up.v = 3;
  thread = g_thread_new ("sender", send_thread, &gives_up);
  g_thread_join (thread);
  g_assert_false (gives_up.ok);
  g_assert_error (gives_up.error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  g_clear_error (&gives_up.error);
  finish (&f);
}

static void
test_properties (void)
{
  g_autoptr(TestActor) plain = test_actor_new (test_echo, NULL);
  g_autoptr(TestActor) bounded = test_actor_new_of_type (TEST_TYPE_ACTOR, test_echo, NULL,
                                                         "mailbox-capacity", 10,
                                                         "overflow-policy", PYKKA_OVERFLOW_DROP_OLDEST, NULL);
  guint capacity, timeout;
  PykkaOverflowPolicy policy;

  g_test_summary ("The mailbox properties read back; an actor is unbounded by default");

  g_object_get (plain, "mailbox-capacity", &capacity, "overflow-policy", &policy,
                "overflow-timeout-msec", &timeout, NULL);
  g_assert_cmpuint (capacity, ==, 0);
  g_assert_cmpint (policy, ==, PYKKA_OVERFLOW_FAIL);
  g_assert_cmpuint (timeout, ==, 1000);
  g_object_get (bounded, "mailbox-capacity", &capacity, "overflow-policy", &policy, NULL);
  g_assert_cmpuint (capacity, ==, 10);
  g_assert_cmpint (policy, ==, PYKKA_OVERFLOW_DROP_OLDEST);
}

static void
tell_latest (Fixture *f, const char *key, gint v)
{
  GValue msg = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (pykka_actor_ref_tell_latest (f->ref, key, test_value_int (&msg, v), &error));
  g_assert_no_error (error);
  g_value_unset (&msg);
}

static void
test_latest_wins (void)
{
  Fixture f;

  g_test_summary ("Latest wins: a keyed tell replaces the queued one with the same key, in its "
                  "place; other keys and ordinary tells keep theirs; once handled, a key queues anew");

  start_bounded (&f, PYKKA_OVERFLOW_FAIL, 0);
  g_object_unref (f.ref);
  g_main_context_pop_thread_default (f.context);
  g_main_context_unref (f.context);
  test_record_free (f.record);
  {
    g_autoptr(TestActor) actor = NULL;

    f.context = g_main_context_new ();
    g_main_context_push_thread_default (f.context);
    actor = test_actor_new (test_record_int, NULL);
    f.record = test_record_ref (test_actor_get_record (actor));
    f.ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
    run_until_idle (f.context);
  }
  tell_latest (&f, "progress", 1);
  g_assert_true (tell (&f, 100, NULL));
  tell_latest (&f, "progress", 2);
  tell_latest (&f, "status", 50);
  tell_latest (&f, "progress", 3);
  run_until_idle (f.context);
  g_assert_cmpuint (f.record->ints->len, ==, 3);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 0), ==, 3);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 1), ==, 100);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 2), ==, 50);
  tell_latest (&f, "progress", 4);
  run_until_idle (f.context);
  g_assert_cmpint (g_array_index (f.record->ints, gint, 3), ==, 4);
  finish (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Mailbox/fail", test_policy_fail);
  g_test_add_func ("/Pykka/Mailbox/drop-newest", test_drop_newest);
  g_test_add_func ("/Pykka/Mailbox/drop-oldest", test_drop_oldest);
  g_test_add_func ("/Pykka/Mailbox/block", test_block);
  g_test_add_func ("/Pykka/Mailbox/properties", test_properties);
  g_test_add_func ("/Pykka/Mailbox/latest-wins", test_latest_wins);

  return g_test_run ();
}
