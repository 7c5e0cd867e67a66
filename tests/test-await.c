/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pykka_actor_await_future(): the asynchronous await of a binding's
 * suspended handler (JavaScript's async handlers), in the wait-for graph. */

#include "config.h"

#include "test-util.h"

#include "pykka-private.h"

/* An actor whose handler suspends as an async handler of a binding does:
 * it replies with a future of its own, awaits another through
 * pykka_actor_await_future() and completes its reply with what that gives.
 * Messages: a PykkaFuture (await it), a PykkaActorRef (ask it -1, await
 * the answer), the int 0 (ask itself 1, await the answer), the int -1 (ask
 * the peer 2, await the answer), any other int (reply with it at once). */
typedef struct
{
  gint           timeout_msec;
  PykkaActorRef *peer;    /* (unowned) (nullable) */
  PykkaFuture   *reply;    /* (owned) (nullable) the reply of the last suspended handler */
  PykkaFuture   *awaiting; /* (owned) (nullable) what await_future gave it */
  GThread       *thread;   /* where the await's callback ran */
} Awaiter;

static void
awaited_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(PykkaFuture) reply = data;
  Awaiter *aw = g_object_get_data (G_OBJECT (reply), "awaiter");
  GError *error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  aw->thread = g_thread_self ();
  if (value != NULL)
    pykka_future_set_value (reply, value, NULL);
  else
    pykka_future_set_error (reply, error, NULL);
  g_clear_error (&error);
}

static gboolean
awaiter_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Awaiter *aw = test_actor_get_data (self);
  PykkaActor *actor = PYKKA_ACTOR (self);
  g_autoptr(PykkaFuture) awaited = NULL;

  if (G_VALUE_HOLDS_INT (message) && g_value_get_int (message) > 0)
    {
      g_value_copy (message, g_value_init (reply, G_TYPE_INT));
      return TRUE;
    }
  if (G_VALUE_HOLDS_INT (message) && g_value_get_int (message) == 0)
    awaited = test_ask_int (pykka_actor_get_actor_ref (actor), 1);
  else if (G_VALUE_HOLDS_INT (message))
    awaited = test_ask_int (aw->peer, 2);
  else if (PYKKA_IS_ACTOR_REF (g_value_get_object (message)))
    awaited = test_ask_int (g_value_get_object (message), -1);
  else
    awaited = g_value_dup_object (message);

  g_clear_object (&aw->awaiting);
  aw->awaiting = pykka_actor_await_future (actor, awaited, aw->timeout_msec, error);
  if (aw->awaiting == NULL)
    return FALSE;
  g_clear_object (&aw->reply);
  aw->reply = pykka_future_new ();
  g_object_set_data (G_OBJECT (aw->reply), "awaiter", aw);
  pykka_future_get_async (aw->awaiting, NULL, awaited_cb, g_object_ref (aw->reply));
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, aw->reply);
  return TRUE;
}

static void
awaiter_clear (Awaiter *aw)
{
  g_clear_object (&aw->reply);
  g_clear_object (&aw->awaiting);
}

static PykkaFuture *
ask_object (PykkaActorRef *ref, gpointer object)
{
  return test_ask_object (ref, object);
}

static void
test_follows_future (void)
{
  Awaiter aw = { -1, NULL, NULL, NULL, NULL };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, awaiter_receive, &aw, &r);
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(PykkaFuture) failing = pykka_future_new ();
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("pykka_actor_await_future() gives a future completed with the awaited one's value or error in a turn of the actor, never inside the completer; the actor takes no other message meanwhile");

  asked = ask_object (ref, gate);
  second = test_ask_int (ref, 5);
  test_iterate_until (NULL, aw.awaiting != NULL);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (second));

  pykka_future_set_value (gate, test_value_int (&v, 21), NULL);
  g_value_unset (&v);
  g_assert_false (pykka_future_is_done (aw.awaiting));
  test_iterate_until (NULL, pykka_future_is_done (asked));
  g_assert_cmpint (test_get_int (asked), ==, 21);
  g_assert_true (aw.thread == g_thread_self ());
  g_assert_cmpint (test_get_int (second), ==, 5);

  g_clear_object (&asked);
  asked = ask_object (ref, failing);
  test_iterate_until (NULL, aw.reply != NULL && !pykka_future_is_done (aw.reply));
  {
    g_autoptr(GError) gone = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");

    pykka_future_set_error (failing, gone, NULL);
  }
  test_iterate_until (NULL, pykka_future_is_done (asked));
  g_assert_null (pykka_future_get (asked, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  test_stop_all ();
  awaiter_clear (&aw);
  test_record_free (r);
}

static void
test_self_deadlock (void)
{
  Awaiter aw = { -1, NULL, NULL, NULL, NULL };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, awaiter_receive, &aw, &r);
  g_autoptr(PykkaFuture) asked = test_ask_int (ref, 0);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Awaiting an ask to the actor itself fails at once with PYKKA_ERROR_DEADLOCK naming the actor; the actor lives on");

  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
  g_assert_nonnull (strstr (error->message, "itself"));
  g_clear_object (&asked);
  asked = test_ask_int (ref, 7);
  g_assert_cmpint (test_get_int (asked), ==, 7);
  test_stop_all ();
  awaiter_clear (&aw);
  test_record_free (r);
}

static void
test_cycle_deadlock (void)
{
  Awaiter a = { -1, NULL, NULL, NULL, NULL };
  Awaiter b = { -1, NULL, NULL, NULL, NULL };
  TestRecord *ra, *rb;
  g_autoptr(PykkaActorRef) ref_a = test_start (0, awaiter_receive, &a, &ra);
  g_autoptr(PykkaActorRef) ref_b = test_start (0, awaiter_receive, &b, &rb);
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) later = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cycle = NULL;

  g_test_summary ("Two suspended handlers awaiting each other's asks: the await that closes the cycle fails at once with PYKKA_ERROR_DEADLOCK naming it (\"B waits for A, which waits for B\"), and the error reaches the first asker; awaits that close no cycle work, also once the other actor awaited this one before");

  /* a asks b and awaits; b asks a and awaits: a cycle. */
  a.peer = ref_b;
  b.peer = ref_a;
  asked = ask_object (ref_a, ref_b);
  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  cycle = g_strdup_printf ("(%s) waits for TestActor (%s), which waits for TestActor (%s)",
                           pykka_actor_ref_get_urn (ref_b), pykka_actor_ref_get_urn (ref_a),
                           pykka_actor_ref_get_urn (ref_b));
  g_assert_nonnull (strstr (error->message, cycle));
  g_clear_error (&error);

  /* No cycle: a awaits b, which answers at once; then b awaits a. */
  g_clear_object (&asked);
  later = test_ask_int (ref_b, 3);
  asked = ask_object (ref_a, later);
  g_assert_cmpint (test_get_int (asked), ==, 3);
  g_clear_object (&asked);
  asked = test_ask_int (ref_b, -1);
  g_assert_cmpint (test_get_int (asked), ==, 2);

  test_stop_all ();
  awaiter_clear (&a);
  awaiter_clear (&b);
  test_record_free (ra);
  test_record_free (rb);
}

static void
test_timeout_on_context_clock (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  Awaiter aw = { 1000, NULL, NULL, NULL, NULL };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) never = pykka_future_new ();
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("pykka_actor_await_future() times out on the clock of the actor's context (a virtual one here) with PYKKA_ERROR_TIMEOUT");

  pykka_context_use_virtual_clock (ctx);
  g_main_context_push_thread_default (ctx);
  ref = test_start (0, awaiter_receive, &aw, &r);
  asked = ask_object (ref, never);
  test_iterate_until (ctx, aw.awaiting != NULL);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (ctx, FALSE);
  g_assert_false (pykka_future_is_done (asked));
  pykka_context_advance_clock (ctx, 1000);
  test_iterate_until (ctx, pykka_future_is_done (asked));
  g_assert_null (pykka_future_get (asked, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "1000 ms"));
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_main_context_pop_thread_default (ctx);
  awaiter_clear (&aw);
  test_record_free (r);
}

static void
test_dropped_follows (void)
{
  Awaiter aw = { -1, NULL, NULL, NULL, NULL };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, awaiter_receive, &aw, &r);
  g_autoptr(PykkaFuture) never = pykka_future_new ();
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) awaiting = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("A wait that the end of the handler's suspension drops leaves its future to follow the awaited one; a killed actor's wait fails with ACTOR_DEAD");

  asked = ask_object (ref, never);
  test_iterate_until (NULL, aw.awaiting != NULL);
  awaiting = g_object_ref (aw.awaiting);
  /* The reply completes otherwise: the suspension ends. */
  pykka_future_set_value (aw.reply, test_value_int (&v, 9), NULL);
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (asked), ==, 9);
  g_assert_false (pykka_future_is_done (awaiting));
  pykka_future_set_value (never, test_value_int (&v, 10), NULL);
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (awaiting), ==, 10);

  g_clear_object (&asked);
  g_clear_object (&awaiting);
  asked = ask_object (ref, gate);
  test_iterate_until (NULL, aw.awaiting != NULL && !pykka_future_is_done (aw.awaiting));
  awaiting = g_object_ref (aw.awaiting);
  g_assert_true (pykka_actor_ref_kill (ref));
  test_iterate_until (NULL, pykka_future_is_done (awaiting));
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (pykka_future_get (awaiting, 0, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  }
  test_stop_all ();
  awaiter_clear (&aw);
  test_record_free (r);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Await/follows-future", test_follows_future);
  g_test_add_func ("/Pykka/Await/self-deadlock", test_self_deadlock);
  g_test_add_func ("/Pykka/Await/cycle-deadlock", test_cycle_deadlock);
  g_test_add_func ("/Pykka/Await/timeout-on-context-clock", test_timeout_on_context_clock);
  g_test_add_func ("/Pykka/Await/dropped-follows", test_dropped_follows);

  return g_test_run ();
}
