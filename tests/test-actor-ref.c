/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static void
test_ask_sync (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, &r);
  g_autoptr(PykkaActorRef) failing = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;
  TestRecord *rf;

  g_test_summary ("ask_sync copies the reply out, reports handler errors, accepts a NULL reply location and fails on a dead actor");

  g_assert_true (pykka_actor_ref_ask_sync (ref, test_value_string (&msg, "ping"), TEST_TIMEOUT_MSEC, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (&reply), ==, "ping");
  g_value_unset (&reply);
  g_assert_true (pykka_actor_ref_ask_sync (ref, &msg, TEST_TIMEOUT_MSEC, NULL, &error));
  g_assert_no_error (error);

  failing = test_start (0, test_fail, NULL, &rf);
  g_assert_false (pykka_actor_ref_ask_sync (failing, &msg, TEST_TIMEOUT_MSEC, &reply, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_false (G_IS_VALUE (&reply));
  g_clear_error (&error);

  test_stop_all ();
  g_assert_false (pykka_actor_ref_ask_sync (ref, &msg, TEST_TIMEOUT_MSEC, &reply, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_value_unset (&msg);
  test_record_free (r);
  test_record_free (rf);
}

static void
test_values_travel_intact (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, &r);
  g_autoptr(PykkaEvent) object = pykka_event_new ();
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new ("(si)", "answer", 42));
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;
  const GValue *got;

  g_test_summary ("Messages are GValues copied on sending: objects keep their identity, variants and 64-bit ints their content");

  g_value_init (&msg, G_TYPE_OBJECT);
  g_value_set_object (&msg, object);
  {
    g_autoptr(PykkaFuture) f = pykka_actor_ref_ask (ref, &msg);
    got = pykka_future_get (f, TEST_TIMEOUT_MSEC, &error);
    g_assert_no_error (error);
    g_assert_true (g_value_get_object (got) == (GObject *) object);
  }
  g_value_unset (&msg);

  g_value_init (&msg, G_TYPE_VARIANT);
  g_value_set_variant (&msg, variant);
  {
    g_autoptr(PykkaFuture) f = pykka_actor_ref_ask (ref, &msg);
    got = pykka_future_get (f, TEST_TIMEOUT_MSEC, &error);
    g_assert_no_error (error);
    g_assert_true (g_variant_equal (g_value_get_variant (got), variant));
  }
  g_value_unset (&msg);

  g_value_init (&msg, G_TYPE_INT64);
  g_value_set_int64 (&msg, G_MAXINT64 - 1);
  {
    g_autoptr(PykkaFuture) f = pykka_actor_ref_ask (ref, &msg);
    got = pykka_future_get (f, TEST_TIMEOUT_MSEC, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int64 (got), ==, G_MAXINT64 - 1);
  }
  g_value_unset (&msg);

  test_stop_all ();
  test_record_free (r);
}

static void
test_stop_future (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, &r);
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(PykkaFuture) again = NULL;
  g_autoptr(GError) error = NULL;
  GType type = 0;
  g_autofree char *urn = NULL;

  g_test_summary ("stop gives a future of TRUE once this call stopped the actor, FALSE for an already dead actor; the ref reports urn and type through properties");

  g_object_get (ref, "urn", &urn, "actor-type", &type, NULL);
  g_assert_cmpstr (urn, ==, pykka_actor_ref_get_urn (ref));
  g_assert_true (type == TEST_TYPE_ACTOR);
  g_assert_true (pykka_actor_ref_is_alive (ref));

  stopped = pykka_actor_ref_stop (ref);
  g_assert_true (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  again = pykka_actor_ref_stop (ref);
  g_assert_true (pykka_future_is_done (again));
  g_assert_false (g_value_get_boolean (pykka_future_get (again, 0, &error)));
  g_assert_no_error (error);
  test_record_free (r);
}

static void
test_stop_timeout (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "context", ctx, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A stop_sync that runs out of time fails with TIMEOUT; the queued stop still happens later");

  /* A timeout of 0 only looks: nothing has run the actor's context yet. */
  g_assert_false (pykka_actor_ref_stop_sync (ref, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  test_iterate_until (ctx, !pykka_actor_ref_is_alive (ref));
}

static void
test_programmer_errors (void)
{
  g_test_summary ("NULL refs and non-actor types are programmer errors: criticals, not crashes");

  if (g_test_subprocess ())
    {
      GValue v = G_VALUE_INIT;

      test_value_int (&v, 1);
      g_assert_false (pykka_actor_ref_tell (NULL, &v, NULL));
      g_assert_null (pykka_actor_ref_ask (NULL, &v));
      g_assert_null (pykka_registry_get_by_type (G_TYPE_OBJECT));
      g_assert_null (pykka_actor_start (NULL, NULL));
      g_assert_null (pykka_future_get (NULL, 0, NULL));
      g_value_unset (&v);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*pykka_actor_ref_tell*PYKKA_IS_ACTOR_REF*");
}

typedef struct
{
  guint    notified;
  GThread *thread;
  gboolean alive_then;
} AliveWatch;

static void
alive_notified (GObject    *object,
                GParamSpec *pspec,
                gpointer    data)
{
  AliveWatch *w = data;

  w->notified++;
  w->thread = g_thread_self ();
  g_object_get (object, "alive", &w->alive_then, NULL);
}

static void
test_alive_property (void)
{
  g_autoptr(PykkaActor) actor = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  AliveWatch watch = { 0, NULL, TRUE };
  gboolean alive;

  g_test_summary ("A ref's alive property is TRUE while the actor runs, and notify::alive comes once, on the ref's creating context (here the main thread's), when an actor on its own thread stops");

  actor = g_object_new (TEST_TYPE_ACTOR, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (actor, &error);
  g_assert_no_error (error);
  g_object_get (ref, "alive", &alive, NULL);
  g_assert_true (alive);
  g_signal_connect (ref, "notify::alive", G_CALLBACK (alive_notified), &watch);

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  /* Not from the actor's thread: from an idle of this thread's context. */
  g_assert_cmpuint (watch.notified, ==, 0);
  test_iterate_until (NULL, watch.notified > 0);
  g_assert_cmpuint (watch.notified, ==, 1);
  g_assert_true (watch.thread == g_thread_self ());
  g_assert_false (watch.alive_then);
  g_assert_null (pykka_actor_ref_dup_death_reason (ref));
}

static gboolean
failing_on_start (TestActor *self,
                  GError   **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no access to the config");
  return FALSE;
}

static void
test_start_outcome (void)
{
  g_autoptr(TestActor) good = test_actor_new (test_echo, NULL);
  g_autoptr(TestActor) bad = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) good_ref = NULL;
  g_autoptr(PykkaActorRef) bad_ref = NULL;
  g_autoptr(PykkaFuture) good_started = NULL;
  g_autoptr(PykkaFuture) bad_started = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  const GValue *value;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("The start outcome is a future: TRUE after on_start, on_start's own error when it fails; the dead actor's errors then say why it died");

  good_started = pykka_actor_ref_get_started (pykka_actor_get_actor_ref (PYKKA_ACTOR (good)));
  good_ref = pykka_actor_start (PYKKA_ACTOR (good), &error);
  g_assert_no_error (error);
  value = pykka_future_get (good_started, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_boolean (value));

  test_actor_set_on_start (bad, failing_on_start);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*failed to start*no access to the config*");
  bad_ref = pykka_actor_start (PYKKA_ACTOR (bad), &error);
  g_assert_no_error (error);
  bad_started = pykka_actor_ref_get_started (bad_ref);
  g_assert_null (pykka_future_get (bad_started, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_test_assert_expected_messages ();

  /* The next ask says why the actor is dead, and the cause keeps its
   * domain and code. */
  asked = pykka_actor_ref_ask (bad_ref, test_value_int (&msg, 1));
  g_value_unset (&msg);
  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "on_start failed: no access to the config"));
  reason = pykka_actor_ref_dup_death_reason (bad_ref);
  g_assert_error (reason, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (reason->message, "no access to the config"));
  test_stop_all ();
}

static void
test_start_outcome_asked_late (void)
{
  g_autoptr(TestActor) good = test_actor_new (test_echo, NULL);
  g_autoptr(TestActor) bad = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) good_ref = NULL;
  g_autoptr(PykkaActorRef) bad_ref = NULL;
  g_autoptr(PykkaFuture) good_started = NULL;
  g_autoptr(PykkaFuture) bad_started = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;

  g_test_summary ("The start outcome asked for only after on_start ran is settled at once: TRUE, or on_start's error (also once the actor is dead)");

  good_ref = pykka_actor_start (PYKKA_ACTOR (good), &error);
  g_assert_no_error (error);
  /* on_start has run once an ask is answered. */
  g_assert_true (pykka_actor_ref_ask_sync (good_ref, test_value_int (&msg, 1), TEST_TIMEOUT_MSEC, &reply, &error));
  g_value_unset (&msg);
  g_value_unset (&reply);
  good_started = pykka_actor_ref_get_started (good_ref);
  g_assert_true (pykka_future_is_done (good_started));
  g_assert_true (g_value_get_boolean (pykka_future_get (good_started, 0, &error)));
  g_assert_no_error (error);

  test_actor_set_on_start (bad, failing_on_start);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*failed to start*no access to the config*");
  bad_ref = pykka_actor_start (PYKKA_ACTOR (bad), &error);
  g_assert_no_error (error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (bad_ref));
  g_test_assert_expected_messages ();
  bad_started = pykka_actor_ref_get_started (bad_ref);
  g_assert_null (pykka_future_get (bad_started, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  test_stop_all ();
}

static void
test_death_reason_of_failed_tell (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("An actor whose told message failed is dead because of that error: its ref says so, and so does a later tell");

  ref = test_start (0, test_fail, NULL, &record);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error*handler failed on purpose*");
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  g_assert_no_error (error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  g_test_assert_expected_messages ();
  reason = pykka_actor_ref_dup_death_reason (ref);
  g_assert_error (reason, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_false (pykka_actor_ref_tell (ref, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "a told message failed: handler failed on purpose"));
  g_value_unset (&msg);
  test_record_free (record);
}

static void
test_started_of_actor_never_started (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) started = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The start outcome of an actor dropped without a start fails with ACTOR_DEAD; of one not started yet it waits");

  {
    g_autoptr(TestActor) never = test_actor_new (test_echo, NULL);

    ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (never)));
    started = pykka_actor_ref_get_started (ref);
    g_assert_null (pykka_future_get (started, 0, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
    g_clear_error (&error);
  }
  /* The actor is gone, unstarted: the outcome it waited for fails, and so
   * does a new one. */
  g_assert_null (pykka_future_get (started, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_clear_object (&started);
  started = pykka_actor_ref_get_started (ref);
  g_assert_null (pykka_future_get (started, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (pykka_actor_ref_is_alive (ref));
}

/* An own-thread actor for the cancellation tests: "block" waits for the
 * gate event, "watch" waits until its ask is cancelled, anything else is
 * counted and echoed. */
#define TEST_TYPE_CANCEL_ACTOR (test_cancel_actor_get_type ())
G_DECLARE_FINAL_TYPE (TestCancelActor, test_cancel_actor, TEST, CANCEL_ACTOR, PykkaActor)

struct _TestCancelActor
{
  PykkaActor  parent_instance;
  PykkaEvent *gate;      /* (owned) */
  gint        handled;   /* atomic */
  gboolean    saw_none;  /* a plain ask had no cancellable */
};

G_DEFINE_FINAL_TYPE (TestCancelActor, test_cancel_actor, PYKKA_TYPE_ACTOR)

static gboolean
test_cancel_actor_on_receive (PykkaActor    *actor,
                              const GValue  *message,
                              GValue        *reply,
                              GError       **error)
{
  TestCancelActor *self = TEST_CANCEL_ACTOR (actor);
  const char *what = G_VALUE_HOLDS_STRING (message) ? g_value_get_string (message) : "";
  GCancellable *cancellable = pykka_actor_get_current_cancellable (actor);

  g_atomic_int_inc (&self->handled);
  if (g_str_equal (what, "block"))
    pykka_event_wait (self->gate, TEST_TIMEOUT_MSEC);
  else if (g_str_equal (what, "watch"))
    {
      gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

      g_assert_nonnull (cancellable);
      pykka_event_set (self->gate);  /* tell the test it runs */
      while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < end)
        g_usleep (1000);
      return !g_cancellable_set_error_if_cancelled (cancellable, error);
    }
  else if (cancellable == NULL)
    self->saw_none = TRUE;
  g_value_init (reply, G_TYPE_STRING);
  g_value_set_string (reply, what);
  return TRUE;
}

static void
test_cancel_actor_finalize (GObject *object)
{
  g_clear_object (&TEST_CANCEL_ACTOR (object)->gate);
  G_OBJECT_CLASS (test_cancel_actor_parent_class)->finalize (object);
}

static void
test_cancel_actor_class_init (TestCancelActorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_cancel_actor_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = test_cancel_actor_on_receive;
}

static void
test_cancel_actor_init (TestCancelActor *self)
{
  self->gate = pykka_event_new ();
}

static GValue *
str_value (GValue     *value,
           const char *s)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_static_string (value, s);
  return value;
}

static void
test_ask_cancelled_while_queued (void)
{
  g_autoptr(TestCancelActor) actor = g_object_new (TEST_TYPE_CANCEL_ACTOR, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_autoptr(PykkaFuture) blocker = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(PykkaFuture) dead_on_arrival = NULL;
  g_autoptr(PykkaFuture) plain = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Cancelling an ask still queued fails its future at once with G_IO_ERROR_CANCELLED and the actor never handles it; an ask with a cancellable cancelled before is never handled either");

  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  blocker = pykka_actor_ref_ask (ref, str_value (&msg, "block"));
  g_value_unset (&msg);
  queued = pykka_actor_ref_ask_cancellable (ref, str_value (&msg, "queued"), cancellable);
  g_value_unset (&msg);
  g_cancellable_cancel (early);
  dead_on_arrival = pykka_actor_ref_ask_cancellable (ref, str_value (&msg, "early"), early);
  g_value_unset (&msg);

  /* The actor is still blocked in its first handler. */
  g_cancellable_cancel (cancellable);
  g_assert_null (pykka_future_get (queued, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (dead_on_arrival, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (pykka_future_is_done (blocker));

  pykka_event_set (actor->gate);
  plain = pykka_actor_ref_ask (ref, str_value (&msg, "plain"));
  g_value_unset (&msg);
  g_assert_cmpstr (g_value_get_string (pykka_future_get (plain, TEST_TIMEOUT_MSEC, &error)), ==, "plain");
  g_assert_no_error (error);
  /* "block" and "plain" only. */
  g_assert_cmpint (g_atomic_int_get (&actor->handled), ==, 2);
  g_assert_true (actor->saw_none);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
}

static void
test_ask_cancelled_while_running (void)
{
  g_autoptr(TestCancelActor) actor = g_object_new (TEST_TYPE_CANCEL_ACTOR, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PykkaFuture) running = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Cancelling an ask whose handler runs is visible to the handler through pykka_actor_get_current_cancellable(); the asker gets what the handler answers");

  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  running = pykka_actor_ref_ask_cancellable (ref, str_value (&msg, "watch"), cancellable);
  g_value_unset (&msg);
  g_assert_true (pykka_event_wait (actor->gate, TEST_TIMEOUT_MSEC));
  g_cancellable_cancel (cancellable);
  g_assert_null (pykka_future_get (running, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (g_atomic_int_get (&actor->handled), ==, 1);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/ActorRef/ask-sync", test_ask_sync);
  g_test_add_func ("/Pykka/ActorRef/values-travel-intact", test_values_travel_intact);
  g_test_add_func ("/Pykka/ActorRef/stop-future", test_stop_future);
  g_test_add_func ("/Pykka/ActorRef/stop-timeout", test_stop_timeout);
  g_test_add_func ("/Pykka/ActorRef/programmer-errors", test_programmer_errors);
  g_test_add_func ("/Pykka/ActorRef/alive-property", test_alive_property);
  g_test_add_func ("/Pykka/ActorRef/start-outcome", test_start_outcome);
  g_test_add_func ("/Pykka/ActorRef/start-outcome-asked-late", test_start_outcome_asked_late);
  g_test_add_func ("/Pykka/ActorRef/death-reason-of-failed-tell", test_death_reason_of_failed_tell);
  g_test_add_func ("/Pykka/ActorRef/started-of-actor-never-started", test_started_of_actor_never_started);
  g_test_add_func ("/Pykka/ActorRef/ask-cancelled-while-queued", test_ask_cancelled_while_queued);
  g_test_add_func ("/Pykka/ActorRef/ask-cancelled-while-running", test_ask_cancelled_while_running);

  return g_test_run ();
}
