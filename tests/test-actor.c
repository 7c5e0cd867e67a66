/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static gboolean
record_start (TestActor *self, GError **error)
{
  TestRecord *r = test_actor_get_record (self);
  gint marker = -1;

  g_mutex_lock (&r->mutex);
  g_array_append_val (r->ints, marker);
  g_mutex_unlock (&r->mutex);
  return TRUE;
}

static gboolean
fail_start (TestActor *self, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start");
  return FALSE;
}

static PykkaActorRef *
start_actor (TestActor *actor)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);

  g_assert_no_error (error);
  g_assert_nonnull (ref);
  return ref;
}

static void
test_ask_on_default_context (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;

  g_test_summary ("A plain program without a main loop can start an actor on the default context and ask it");

  ref = test_start (0, test_echo, NULL, &record);
  future = test_ask_int (ref, 42);
  g_assert_cmpint (test_get_int (future), ==, 42);
  g_assert_cmpint (record->n_started, ==, 1);
  g_assert_cmpint (record->n_received, ==, 1);
  g_assert_true (record->thread == g_thread_self ());
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (record);
}

static void
test_on_start_first (void)
{
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);
  TestRecord *r = test_actor_get_record (actor);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) last = NULL;

  g_test_summary ("on_start runs before any message, even messages sent right after start");

  test_actor_set_on_start (actor, record_start);
  ref = start_actor (actor);
  for (gint i = 0; i < 10; i++)
    test_tell_int (ref, i);
  last = test_ask_int (ref, 10);
  g_assert_cmpint (test_get_int (last), ==, 10);
  g_assert_cmpuint (r->ints->len, ==, 12);
  g_assert_cmpint (g_array_index (r->ints, gint, 0), ==, -1);
  for (gint i = 0; i <= 10; i++)
    g_assert_cmpint (g_array_index (r->ints, gint, i + 1), ==, i);
  test_stop_all ();
}

static void
test_on_start_error_stops (void)
{
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);
  TestRecord *r = test_actor_get_record (actor);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(PykkaFuture) later = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("An error in on_start is logged and stops the actor without on_failure or on_stop; queued asks fail with ACTOR_DEAD");

  test_actor_set_on_start (actor, fail_start);
  ref = start_actor (actor);
  queued = test_ask_int (ref, 1);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*failed to start*cannot start*");
  g_assert_null (pykka_future_get (queued, TEST_TIMEOUT_MSEC, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (r->n_failures, ==, 0);
  g_assert_cmpint (r->n_stopped, ==, 0);
  g_assert_cmpint (r->n_received, ==, 0);
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (ref)));

  later = test_ask_int (ref, 2);
  g_assert_true (pykka_future_is_done (later));
  g_assert_null (pykka_future_get (later, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
}

static void
test_stop_after_earlier_messages (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &r);
  g_autoptr(GError) error = NULL;

  g_test_summary ("stop is queued behind earlier messages, which are all handled first; then on_stop runs once");

  for (gint i = 0; i < 100; i++)
    test_tell_int (ref, i);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r->ints->len, ==, 100);
  for (gint i = 0; i < 100; i++)
    g_assert_cmpint (g_array_index (r->ints, gint, i), ==, i);
  g_assert_cmpint (r->n_stopped, ==, 1);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  test_record_free (r);
}

static void
test_messages_after_stop_fail (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &r);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("tell and ask on a dead actor fail at once with ACTOR_DEAD naming the actor; a second stop reports FALSE");

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_false (pykka_actor_ref_tell (ref, test_value_int (&v, 1), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "TestActor"));
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
  g_clear_error (&error);
  g_value_unset (&v);

  f = test_ask_int (ref, 2);
  g_assert_nonnull (f);
  g_assert_true (pykka_future_is_done (f));
  g_assert_null (pykka_future_get (f, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);

  g_assert_false (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r->ints->len, ==, 0);
  test_record_free (r);
}

static void
test_queued_asks_at_stop_fail (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "context", ctx, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) before = NULL;
  g_autoptr(PykkaFuture) stop1 = NULL;
  g_autoptr(PykkaFuture) stop2 = NULL;
  g_autoptr(PykkaFuture) after = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Asks queued behind a stop fail with ACTOR_DEAD; of two queued stops the first reports TRUE and the second FALSE");

  ref = start_actor (actor);
  before = test_ask_int (ref, 1);
  stop1 = pykka_actor_ref_stop (ref);
  stop2 = pykka_actor_ref_stop (ref);
  after = test_ask_int (ref, 2);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  g_assert_false (pykka_future_is_done (before));

  /* Run the actor's context only now. */
  test_iterate_until (ctx, pykka_future_is_done (after));
  /* A TestActor without receive func replies with no value. */
  g_assert_nonnull (pykka_future_get (before, 0, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (pykka_future_get (before, 0, NULL)));
  g_assert_true (g_value_get_boolean (pykka_future_get (stop1, 0, &error)));
  g_assert_false (g_value_get_boolean (pykka_future_get (stop2, 0, &error)));
  g_assert_no_error (error);
  g_assert_null (pykka_future_get (after, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
}

static void
test_ask_error_keeps_actor (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_fail, NULL, &r);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("An error from the handler of an ask goes to the asker and the actor lives on");

  f = test_ask_int (ref, 1);
  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "handler failed on purpose");
  g_clear_error (&error);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (r->n_failures, ==, 0);
  g_clear_object (&f);
  f = test_ask_int (ref, 2);
  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (r->n_received, ==, 2);
  test_stop_all ();
  test_record_free (r);
}

static void
test_tell_error_stops (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_fail, NULL, &r);
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("An error from the handler of a tell is logged, on_failure runs with it, and the actor stops without on_stop");

  test_tell_int (ref, 1);
  queued = test_ask_int (ref, 2);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in actor TestActor*handler failed on purpose*");
  g_assert_null (pykka_future_get (queued, TEST_TIMEOUT_MSEC, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (r->n_failures, ==, 1);
  g_assert_cmpstr (r->last_failure, ==, "handler failed on purpose");
  g_assert_cmpint (r->n_stopped, ==, 0);
  g_assert_cmpint (r->n_received, ==, 1);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  test_record_free (r);
}

static void
test_unhandled_message_warns (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (PYKKA_TYPE_ACTOR, NULL);
  g_autoptr(PykkaActorRef) ref = start_actor ((TestActor *) actor);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The default on_receive logs a warning naming the actor and replies with no value");

  f = test_ask_int (ref, 1);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*Unexpected message of type gint received by actor PykkaActor (urn:uuid:*");
  g_assert_nonnull (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (pykka_future_get (f, 0, NULL)));
  test_stop_all ();
}

static void
test_ref_does_not_keep_actor (void)
{
  TestActor *actor = test_actor_new (test_echo, NULL);
  TestRecord *r = test_record_ref (test_actor_get_record (actor));
  g_autoptr(PykkaActorRef) ref = start_actor (actor);
  g_autoptr(PykkaActor) dup = NULL;

  g_test_summary ("The runtime keeps a running actor alive; once stopped, the ref does not keep it alive");

  g_object_add_weak_pointer (G_OBJECT (actor), (gpointer *) &actor);
  g_object_unref (actor);
  g_assert_nonnull (actor);
  dup = pykka_actor_ref_dup_actor (ref);
  g_assert_true (dup == (PykkaActor *) actor);
  g_clear_object (&dup);

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_null (actor);
  g_assert_cmpint (r->n_stopped, ==, 1);
  g_assert_null (pykka_actor_ref_dup_actor (ref));
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_true (pykka_actor_ref_get_actor_type (ref) == TEST_TYPE_ACTOR);
  test_record_free (r);
}

static void
test_thread_default_context (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActor) actor = NULL;
  g_autoptr(PykkaFuture) f = NULL;

  g_test_summary ("An actor runs in the thread-default context of the thread that starts it");

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, test_echo, NULL, &r);
  actor = pykka_actor_ref_dup_actor (ref);
  g_assert_true (pykka_actor_get_context (actor) == ctx);
  f = test_ask_int (ref, 3);
  g_assert_cmpint (test_get_int (f), ==, 3);
  g_assert_true (r->handler_context == ctx);
  g_assert_true (r->thread == g_thread_self ());
  g_clear_object (&actor);
  test_stop_all ();
  g_main_context_pop_thread_default (ctx);
  test_record_free (r);
}

static void
test_given_context (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "context", ctx, NULL);
  TestRecord *r = test_actor_get_record (actor);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) f = NULL;
  GMainContext *prop = NULL;

  g_test_summary ("An actor given a context runs there, not in the caller's context");

  g_object_get (actor, "context", &prop, NULL);
  g_assert_true (prop == ctx);
  g_main_context_unref (prop);
  ref = start_actor (actor);
  f = test_ask_int (ref, 5);
  /* The default context does not run it... */
  for (guint i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (f));
  /* ...its own context does. */
  test_iterate_until (ctx, pykka_future_is_done (f));
  g_assert_true (r->handler_context == ctx);
  g_assert_true (pykka_actor_get_context (PYKKA_ACTOR (actor)) == ctx);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
}

static void
test_own_thread (void)
{
  g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "use-own-thread", TRUE, NULL);
  TestRecord *r = test_actor_get_record (actor);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GMainContext) ctx = NULL;
  gint64 end;

  g_test_summary ("An own-thread actor runs on a thread of its own with its own context, and the thread's loop ends when the actor stops");

  test_actor_get_data (actor);
  g_assert_true (pykka_actor_get_use_own_thread (PYKKA_ACTOR (actor)));
  ref = start_actor (actor);
  ctx = g_main_context_ref (pykka_actor_get_context (PYKKA_ACTOR (actor)));
  g_assert_true (ctx != g_main_context_default ());
  f = test_ask_int (ref, 9);
  g_assert_true (pykka_future_get (f, TEST_TIMEOUT_MSEC, NULL) != NULL);
  g_assert_true (r->thread != g_thread_self ());
  g_assert_true (r->handler_context == ctx);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));

  /* The loop ends and gives the context up. */
  end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  while (!g_main_context_acquire (ctx))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
    }
  g_main_context_release (ctx);
}

static void
test_urn_and_properties (void)
{
  g_autoptr(TestActor) a = test_actor_new (NULL, NULL);
  g_autoptr(TestActor) b = test_actor_new (NULL, NULL);
  g_autofree char *urn = NULL;
  PykkaActorRef *prop_ref = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActorRef) found = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Each actor has a unique urn:uuid set at construction, the same through the actor, its ref and properties; the ref exists from construction; an actor cannot be started twice; the settings of the start can be set until it, and a later set is ignored with a warning");

  g_object_get (a, "urn", &urn, "actor-ref", &prop_ref, NULL);
  g_assert_true (g_str_has_prefix (urn, "urn:uuid:"));
  g_assert_true (g_uuid_string_is_valid (urn + strlen ("urn:uuid:")));
  g_assert_cmpstr (urn, ==, pykka_actor_get_urn (PYKKA_ACTOR (a)));
  g_assert_cmpstr (urn, !=, pykka_actor_get_urn (PYKKA_ACTOR (b)));
  g_assert_true (prop_ref == pykka_actor_get_actor_ref (PYKKA_ACTOR (a)));
  g_assert_cmpstr (pykka_actor_ref_get_urn (prop_ref), ==, urn);
  g_object_unref (prop_ref);

  ref = start_actor (a);
  g_assert_true (ref == pykka_actor_get_actor_ref (PYKKA_ACTOR (a)));
  found = pykka_registry_get_by_urn (urn);
  g_assert_true (found == ref);
  g_assert_null (pykka_actor_start (PYKKA_ACTOR (a), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);

  /* The settings of the start can be set until it, not after. */
  {
    guint capacity = 0;
    gboolean own = TRUE;

    g_object_set (b, "mailbox-capacity", 5, NULL);
    g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*mailbox-capacity*can only be set before the actor starts*");
    g_object_set (a, "mailbox-capacity", 7, NULL);
    g_test_assert_expected_messages ();
    g_object_get (a, "mailbox-capacity", &capacity, "use-own-thread", &own, NULL);
    g_assert_cmpuint (capacity, ==, 0);
    g_assert_false (own);
    g_object_get (b, "mailbox-capacity", &capacity, NULL);
    g_assert_cmpuint (capacity, ==, 5);
  }
  test_stop_all ();
}

static gboolean
stop_self_then_echo (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  if (g_value_get_int (message) == 0)
    pykka_actor_stop (PYKKA_ACTOR (self));
  return test_record_int (self, message, reply, error);
}

static void
test_stop_from_inside (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, stop_self_then_echo, NULL, &r);
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("An actor stopping itself from a handler finishes that handler, handles what was queued before the stop, then stops");

  first = test_ask_int (ref, 0);
  second = test_ask_int (ref, 1);  /* queued before the stop */
  g_assert_cmpint (test_get_int (first), ==, 0);
  g_assert_cmpint (test_get_int (second), ==, 1);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (r->n_stopped, ==, 1);
  test_record_free (r);
}

static gboolean alive_notified;

static void
alive_notify_cb (GObject *ref, GParamSpec *pspec, gpointer data)
{
  alive_notified = TRUE;
}

static gboolean
on_stop_sees_itself_dead (TestActor *self, GError **error)
{
  PykkaActorRef *ref = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (ref));
  g_autolist(PykkaActorRef) all = pykka_registry_get_all ();
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) local_error = NULL;
  GValue msg = G_VALUE_INIT;

  /* As in Pykka: unregistered and not alive before on_stop runs, and
   * "alive" was notified (at once: the ref's context is this one). */
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_null (found);
  g_assert_null (all);
  g_assert_true (alive_notified);

  /* Dead to senders, itself included, at once. */
  g_assert_false (pykka_actor_ref_tell (ref, test_value_int (&msg, 5), &local_error));
  g_assert_error (local_error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  asked = pykka_actor_ref_ask (ref, &msg);
  g_assert_true (pykka_future_is_done (asked));
  g_clear_error (&local_error);
  g_assert_null (pykka_future_get (asked, 0, &local_error));
  g_assert_error (local_error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_value_unset (&msg);
  return TRUE;
}

static void
test_last_hooks_after_unregister (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &r);
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("As in Pykka, on_stop runs after the actor left the registry and its ref reports it "
                  "not alive (\"alive\" notified); tells and asks to it fail with ACTOR_DEAD at once, "
                  "what was queued before the stop is handled first");

  {
    g_autoptr(TestActor) actor = TEST_ACTOR (pykka_actor_ref_dup_actor (ref));

    test_actor_set_on_stop (actor, on_stop_sees_itself_dead);
  }
  alive_notified = FALSE;
  g_signal_connect (ref, "notify::alive", G_CALLBACK (alive_notify_cb), NULL);
  queued = test_ask_int (ref, 1);
  stopped = pykka_actor_ref_stop (ref);
  g_assert_cmpint (test_get_int (queued), ==, 1);
  g_assert_true (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (r->n_stopped, ==, 1);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  test_record_free (r);
}

/* An own-thread actor whose on_stop blocks until released, for
 * test_stop_all_waits_for_stopping(). */
static GMutex stopping_lock;
static GCond stopping_cond;
static gboolean stopping_entered, stopping_released, stopping_done;

static gboolean
blocking_on_stop (TestActor *self, GError **error)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&stopping_lock);
  stopping_entered = TRUE;
  g_cond_broadcast (&stopping_cond);
  while (!stopping_released)
    if (!g_cond_wait_until (&stopping_cond, &stopping_lock, end))
      g_error ("on_stop was never released");
  stopping_done = TRUE;
  g_mutex_unlock (&stopping_lock);
  return TRUE;
}

static gpointer
release_later (gpointer data)
{
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_mutex_lock (&stopping_lock);
  stopping_released = TRUE;
  g_cond_broadcast (&stopping_cond);
  g_mutex_unlock (&stopping_lock);
  return NULL;
}

static void
test_stop_all_waits_for_stopping (void)
{
  g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;
  GThread *releaser;
  gboolean done;

  g_test_summary ("pykka_registry_stop_all() waits for an actor that already left the registry "
                  "and still runs its on_stop");

  stopping_entered = stopping_released = stopping_done = FALSE;
  test_actor_set_on_stop (actor, blocking_on_stop);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  g_clear_object (&actor);
  stopped = pykka_actor_ref_stop (ref);

  g_mutex_lock (&stopping_lock);
  while (!stopping_entered)
    if (!g_cond_wait_until (&stopping_cond, &stopping_lock, end))
      g_error ("on_stop never ran");
  g_mutex_unlock (&stopping_lock);
  g_assert_false (pykka_actor_ref_is_alive (ref));

  releaser = g_thread_new ("releaser", release_later, NULL);
  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_mutex_lock (&stopping_lock);
  done = stopping_done;
  g_mutex_unlock (&stopping_lock);
  g_assert_true (done);
  g_thread_join (releaser);
  g_assert_true (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
}

static void
test_kill_jumps_queue (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &r);
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("pykka_actor_ref_kill() jumps the queue: nothing queued is handled, on_stop runs, "
                  "queued asks fail with ACTOR_DEAD \"killed\", later tells fail at once, a later stop "
                  "reports FALSE; a second kill does nothing");

  /* Nothing runs until the default context is iterated. */
  first = test_ask_int (ref, 1);
  second = test_ask_int (ref, 2);
  g_assert_true (pykka_actor_ref_kill (ref));
  g_assert_false (pykka_actor_ref_kill (ref));
  g_assert_false (pykka_actor_ref_tell (ref, test_value_int (&msg, 3), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  stopped = pykka_actor_ref_stop (ref);

  g_assert_null (pykka_future_get (first, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "killed"));
  g_clear_error (&error);
  g_assert_null (pykka_future_get (second, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_false (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);

  g_assert_cmpuint (r->ints->len, ==, 0);
  g_assert_cmpint (r->n_stopped, ==, 1);
  g_assert_cmpint (r->n_failures, ==, 0);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  {
    g_autoptr(GError) death = pykka_actor_ref_dup_death_reason (ref);

    g_assert_error (death, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  }
  test_record_free (r);
}

static gboolean
kill_self_and_fail (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_autoptr(GError) reason = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped by SystemExit");

  test_record_int (self, message, reply, error);
  g_value_unset (reply);
  g_assert_true (pykka_actor_kill (PYKKA_ACTOR (self), reason));
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the handler's own failure");
  return FALSE;
}

static void
test_kill_from_failing_handler (gconstpointer data)
{
  gboolean ask = GPOINTER_TO_INT (data);
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, kill_self_and_fail, NULL, &r);
  g_autoptr(PykkaFuture) failing = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A handler that kills its actor and then fails: no on_failure, on_stop runs; the "
                  "asker gets ACTOR_DEAD with the kill's reason, not the handler's error; what was "
                  "queued behind fails with ACTOR_DEAD");

  if (ask)
    failing = test_ask_int (ref, 1);
  else
    test_tell_int (ref, 1);
  queued = test_ask_int (ref, 2);
  stopped = pykka_actor_ref_stop (ref);

  g_assert_false (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);
  if (ask)
    {
      g_assert_null (pykka_future_get (failing, 0, &error));
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      g_assert_nonnull (strstr (error->message, "stopped by SystemExit"));
      g_clear_error (&error);
    }
  g_assert_null (pykka_future_get (queued, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_cmpuint (r->ints->len, ==, 1);
  g_assert_cmpint (r->n_failures, ==, 0);
  g_assert_cmpint (r->n_stopped, ==, 1);
  {
    g_autoptr(GError) death = pykka_actor_ref_dup_death_reason (ref);

    g_assert_error (death, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
  g_value_unset (&msg);
  test_record_free (r);
}

static gint cleanups;

static void
count_cleanup (gpointer data)
{
  g_atomic_int_inc (&cleanups);
}

/* Stackful: waits for ever on the future given as data, holding a
 * resource that its unwinding frees. */
static gboolean
wait_forever (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_autoptr(GHashTable) resource = g_hash_table_new_full (NULL, NULL, NULL, count_cleanup);
  const GValue *value;

  g_hash_table_insert (resource, resource, resource);
  value = pykka_future_get (test_actor_get_data (self), -1, error);
  g_assert_null (value);
  g_assert_error (*error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  return FALSE;
}

static gboolean
reply_with_blocker (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, test_actor_get_data (self));
  return TRUE;
}

static void
test_kill_suspended (gconstpointer data)
{
  gboolean stackful = GPOINTER_TO_INT (data);
  g_autoptr(PykkaFuture) blocker = pykka_future_new ();
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (stackful ? TEST_TYPE_STACKFUL_ACTOR : 0,
                                             stackful ? wait_forever : reply_with_blocker, blocker, &r);
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(GError) error = NULL;
  GValue one = G_VALUE_INIT;

  g_test_summary ("Kill works on an actor suspended in a coroutine (its wait fails with ACTOR_DEAD, the "
                  "handler unwinds and frees what it holds) or on a reply future (abandoned): the ask "
                  "and what was queued fail with ACTOR_DEAD, on_stop runs, a later completion is harmless");

  g_atomic_int_set (&cleanups, 0);
  asked = test_ask_int (ref, 1);
  queued = test_ask_int (ref, 2);
  /* Until it is suspended. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (asked));

  g_assert_true (pykka_actor_ref_kill (ref));
  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (queued, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref) && r->n_stopped == 1);
  {
    g_autoptr(PykkaFuture) dead = pykka_actor_ref_get_terminated (ref);

    g_assert_nonnull (pykka_future_get (dead, TEST_TIMEOUT_MSEC, NULL));
  }
  if (stackful)
    g_assert_cmpint (g_atomic_int_get (&cleanups), ==, 1);
  g_assert_cmpint (r->n_failures, ==, 0);
  g_assert_true (pykka_future_set_value (blocker, test_value_int (&one, 3), NULL));
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_value_unset (&one);
  test_record_free (r);
}

static void
test_dead_letters (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &r);
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;
  guint64 before = pykka_debug_get_dead_letters ();
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Dead letters: tells queued when an actor is killed and tells to a dead actor are "
                  "counted and logged at debug level; asks are answered, not counted");

  test_tell_int (ref, 1);
  test_tell_int (ref, 2);
  asked = test_ask_int (ref, 3);
  g_assert_true (pykka_actor_ref_kill (ref));
  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_clear_error (&error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref) && r->n_stopped == 1);
  g_assert_cmpuint (pykka_debug_get_dead_letters () - before, ==, 2);

  g_assert_false (pykka_actor_ref_tell (ref, test_value_int (&msg, 4), &error));
  g_assert_cmpuint (pykka_debug_get_dead_letters () - before, ==, 3);
  g_clear_error (&error);
  {
    g_autoptr(PykkaFuture) late = pykka_actor_ref_ask (ref, &msg);

    g_assert_true (pykka_future_is_done (late));
  }
  g_assert_cmpuint (pykka_debug_get_dead_letters () - before, ==, 3);
  g_assert_cmpuint (r->ints->len, ==, 0);
  g_value_unset (&msg);
  test_record_free (r);
}

/* Deferred replies: a router hands asks to own-thread workers that each
 * take 50 ms; the most jobs in progress at once shows whether the router
 * waited for each (1) or not (3). */
static gint jobs_running, jobs_most;

static gboolean
slow_job (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  gint now = g_atomic_int_add (&jobs_running, 1) + 1;
  gint most;

  while ((most = g_atomic_int_get (&jobs_most)) < now &&
         !g_atomic_int_compare_and_exchange (&jobs_most, most, now))
    ;
  g_usleep (50 * 1000);
  g_atomic_int_add (&jobs_running, -1);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (message) * 10);
  return TRUE;
}

static void
worker_answered (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(PykkaFuture) handle = data;
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  if (value != NULL)
    pykka_future_set_value (handle, value, NULL);
  else
    pykka_future_set_error (handle, error, NULL);
}

static gboolean
route_deferred (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef **workers = test_actor_get_data (self);
  PykkaFuture *handle = pykka_actor_defer_reply (PYKKA_ACTOR (self), error);
  g_autoptr(PykkaFuture) answer = NULL;

  if (handle == NULL)
    return FALSE;
  answer = pykka_actor_ref_ask (workers[g_value_get_int (message) % 3], message);
  pykka_future_get_async (answer, NULL, worker_answered, handle);
  /* Ignored: the handle answers. */
  g_value_init (reply, G_TYPE_INT);
  return TRUE;
}

static gboolean
route_with_future (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef **workers = test_actor_get_data (self);

  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_take_object (reply, pykka_actor_ref_ask (workers[g_value_get_int (message) % 3], message));
  return TRUE;
}

static void
test_deferred_reply_router (gconstpointer data)
{
  gboolean deferred = GPOINTER_TO_INT (data);
  PykkaActorRef *workers[3];
  TestRecord *r;
  g_autoptr(PykkaActorRef) router = NULL;
  PykkaFuture *jobs[6];

  g_test_summary ("A router that defers its replies runs its workers' jobs at once (3 at a time over "
                  "3 workers); one that replies with their futures runs them one by one; every ask "
                  "gets its own answer");

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestActor) worker = test_actor_new_of_type (TEST_TYPE_ACTOR, slow_job, NULL, "use-own-thread", TRUE, NULL);

      workers[i] = pykka_actor_start (PYKKA_ACTOR (worker), NULL);
    }
  router = test_start (0, deferred ? route_deferred : route_with_future, workers, &r);
  g_atomic_int_set (&jobs_running, 0);
  g_atomic_int_set (&jobs_most, 0);
  for (guint i = 0; i < 6; i++)
    jobs[i] = test_ask_int (router, (gint) i);
  for (guint i = 0; i < 6; i++)
    {
      g_assert_cmpint (test_get_int (jobs[i]), ==, (gint) i * 10);
      g_object_unref (jobs[i]);
    }
  g_assert_cmpint (g_atomic_int_get (&jobs_most), ==, deferred ? 3 : 1);
  g_assert_true (pykka_actor_ref_stop_sync (router, TEST_TIMEOUT_MSEC, NULL));
  for (guint i = 0; i < 3; i++)
    {
      pykka_actor_ref_stop_sync (workers[i], TEST_TIMEOUT_MSEC, NULL);
      g_object_unref (workers[i]);
    }
  test_record_free (r);
}

static gboolean
defer_and_drop (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  gint v = g_value_get_int (message);
  g_autoptr(PykkaFuture) handle = pykka_actor_defer_reply (PYKKA_ACTOR (self), error);

  g_assert_nonnull (handle);
  if (v == 1)
    {
      /* Fails after deferring: the error answers. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "failed after deferring");
      return FALSE;
    }
  if (v == 2)
    {
      GValue answer = G_VALUE_INIT;

      g_value_init (&answer, G_TYPE_INT);
      g_value_set_int (&answer, 42);
      pykka_future_set_value (handle, &answer, NULL);
    }
  /* v == 0: the handle is dropped unanswered. */
  return TRUE;
}

static void
test_deferred_reply_edges (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, defer_and_drop, NULL, &r);
  g_autoptr(PykkaFuture) dropped = test_ask_int (ref, 0);
  g_autoptr(PykkaFuture) failed = test_ask_int (ref, 1);
  g_autoptr(PykkaFuture) answered = test_ask_int (ref, 2);
  g_autoptr(TestActor) idle = test_actor_new (test_echo, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A deferred reply dropped unanswered fails the ask with FAILED; an error after "
                  "deferring answers the ask; a completed handle answers; outside a handler "
                  "deferring is an INVALID_ARGUMENT error; a tell defers harmlessly");

  g_assert_null (pykka_future_get (dropped, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (failed, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (test_get_int (answered), ==, 42);
  test_tell_int (ref, 2);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  g_assert_null (pykka_actor_defer_reply (PYKKA_ACTOR (idle), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The same through cancellable asks (their reply lives with their
   * cancellation): answered by the handle or the error, and a cancel
   * after the handler took the ask changes nothing. */
  for (gint v = 0; v <= 2; v++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(PykkaFuture) f = NULL;
      GValue msg = G_VALUE_INIT;

      g_value_set_int (g_value_init (&msg, G_TYPE_INT), v);
      f = pykka_actor_ref_ask_cancellable (ref, &msg, cancellable);
      pykka_future_get (f, TEST_TIMEOUT_MSEC, NULL);
      g_assert_true (pykka_future_is_done (f));
      g_cancellable_cancel (cancellable);
      if (v == 2)
        g_assert_cmpint (test_get_int (f), ==, 42);
      else
        {
          g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
          if (v == 0)
            g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
          else
            g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
          g_clear_error (&error);
        }
    }
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (r);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Actor/ask-on-default-context", test_ask_on_default_context);
  g_test_add_func ("/Pykka/Actor/on-start-first", test_on_start_first);
  g_test_add_func ("/Pykka/Actor/on-start-error-stops", test_on_start_error_stops);
  g_test_add_func ("/Pykka/Actor/stop-after-earlier-messages", test_stop_after_earlier_messages);
  g_test_add_func ("/Pykka/Actor/messages-after-stop-fail", test_messages_after_stop_fail);
  g_test_add_func ("/Pykka/Actor/queued-asks-at-stop-fail", test_queued_asks_at_stop_fail);
  g_test_add_func ("/Pykka/Actor/ask-error-keeps-actor", test_ask_error_keeps_actor);
  g_test_add_func ("/Pykka/Actor/tell-error-stops", test_tell_error_stops);
  g_test_add_func ("/Pykka/Actor/unhandled-message-warns", test_unhandled_message_warns);
  g_test_add_func ("/Pykka/Actor/ref-does-not-keep-actor", test_ref_does_not_keep_actor);
  g_test_add_func ("/Pykka/Actor/thread-default-context", test_thread_default_context);
  g_test_add_func ("/Pykka/Actor/given-context", test_given_context);
  g_test_add_func ("/Pykka/Actor/own-thread", test_own_thread);
  g_test_add_func ("/Pykka/Actor/urn-and-properties", test_urn_and_properties);
  g_test_add_func ("/Pykka/Actor/stop-from-inside", test_stop_from_inside);
  g_test_add_func ("/Pykka/Actor/last-hooks-after-unregister", test_last_hooks_after_unregister);
  g_test_add_func ("/Pykka/Actor/stop-all-waits-for-stopping", test_stop_all_waits_for_stopping);
  g_test_add_func ("/Pykka/Actor/kill-jumps-queue", test_kill_jumps_queue);
  g_test_add_func ("/Pykka/Actor/dead-letters", test_dead_letters);
  g_test_add_data_func ("/Pykka/Actor/deferred-reply/router", GINT_TO_POINTER (TRUE), test_deferred_reply_router);
  g_test_add_data_func ("/Pykka/Actor/deferred-reply/reply-with-future", GINT_TO_POINTER (FALSE), test_deferred_reply_router);
  g_test_add_func ("/Pykka/Actor/deferred-reply/edges", test_deferred_reply_edges);
  g_test_add_data_func ("/Pykka/Actor/kill-suspended/coroutine", GINT_TO_POINTER (TRUE), test_kill_suspended);
  g_test_add_data_func ("/Pykka/Actor/kill-suspended/reply-future", GINT_TO_POINTER (FALSE), test_kill_suspended);
  g_test_add_data_func ("/Pykka/Actor/kill-from-failing-handler/ask", GINT_TO_POINTER (TRUE), test_kill_from_failing_handler);
  g_test_add_data_func ("/Pykka/Actor/kill-from-failing-handler/tell", GINT_TO_POINTER (FALSE), test_kill_from_failing_handler);

  return g_test_run ();
}
