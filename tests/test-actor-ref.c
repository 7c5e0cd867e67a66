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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/ActorRef/ask-sync", test_ask_sync);
  g_test_add_func ("/Pykka/ActorRef/values-travel-intact", test_values_travel_intact);
  g_test_add_func ("/Pykka/ActorRef/stop-future", test_stop_future);
  g_test_add_func ("/Pykka/ActorRef/stop-timeout", test_stop_timeout);
  g_test_add_func ("/Pykka/ActorRef/programmer-errors", test_programmer_errors);

  return g_test_run ();
}
