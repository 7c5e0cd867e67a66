/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The runtime normalises the outcome of every hook the way binding
 * languages need it: a hook that returns TRUE but sets an error (a GJS
 * vfunc whose return value failed to convert) has failed; one that returns
 * FALSE without an error (a Python exception that was not a GLib.Error)
 * fails with PYKKA_ERROR_FAILED and a message naming the actor. These fake
 * handlers behave like those bindings. */

#include "config.h"

#include "test-util.h"

/* Returns TRUE, with a reply and an error both set. */
static gboolean
true_with_error (TestActor     *self,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  g_value_init (reply, G_TYPE_STRING);
  g_value_set_string (reply, "this reply must be dropped");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "conversion failed");
  return TRUE;
}

/* Returns FALSE and says nothing. */
static gboolean
false_without_error (TestActor     *self,
                     const GValue  *message,
                     GValue        *reply,
                     GError       **error)
{
  return FALSE;
}

static gboolean
hook_false_without_error (TestActor  *self,
                          GError    **error)
{
  return FALSE;
}

static gboolean
hook_true_with_error (TestActor  *self,
                      GError    **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "start conversion failed");
  return TRUE;
}

static void
assert_names_actor (const char    *message,
                    PykkaActorRef *ref)
{
  g_assert_nonnull (strstr (message, "TestActor"));
  g_assert_nonnull (strstr (message, pykka_actor_ref_get_urn (ref)));
}

static void
test_ask_true_with_error (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;
  const GValue *reply;

  g_test_summary ("An ask whose handler returns TRUE with an error set fails with that error; the actor lives on");

  ref = test_start (0, true_with_error, NULL, &record);
  future = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
  reply = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "conversion failed");
  g_assert_true (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_failures, ==, 0);

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_value_unset (&msg);
  test_record_free (record);
}

static void
test_ask_false_without_error (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("An ask whose handler returns FALSE without an error fails with PYKKA_ERROR_FAILED naming the actor");

  ref = test_start (0, false_without_error, NULL, &record);
  future = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  assert_names_actor (error->message, ref);
  g_assert_nonnull (strstr (error->message, "on_receive"));
  g_assert_true (pykka_actor_ref_is_alive (ref));

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_value_unset (&msg);
  test_record_free (record);
}

static void
test_tell_true_with_error (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A tell whose handler returns TRUE with an error set is a failure: on_failure runs, the actor stops");

  ref = test_start (0, true_with_error, NULL, &record);
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  g_assert_no_error (error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_failures, ==, 1);
  g_assert_cmpstr (record->last_failure, ==, "conversion failed");
  g_assert_cmpint (record->n_stopped, ==, 0);

  g_value_unset (&msg);
  test_record_free (record);
}

static void
test_tell_false_without_error (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A tell whose handler returns FALSE without an error fails with a message naming the actor");

  ref = test_start (0, false_without_error, NULL, &record);
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_failures, ==, 1);
  assert_names_actor (record->last_failure, ref);

  g_assert_false (pykka_actor_ref_tell (ref, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_value_unset (&msg);
  test_record_free (record);
}

static void
run_failing_start (TestHookFunc hook)
{
  g_autoptr(TestActor) actor = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  test_actor_set_on_start (actor, hook);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  future = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (test_actor_get_record (actor)->n_received, ==, 0);
  g_assert_cmpint (test_actor_get_record (actor)->n_stopped, ==, 0);

  g_value_unset (&msg);

}

static void
test_start_false_without_error (void)
{
  g_test_summary ("on_start returning FALSE without an error stops the actor before any message");
  run_failing_start (hook_false_without_error);
}

static void
test_start_true_with_error (void)
{
  g_test_summary ("on_start returning TRUE with an error set stops the actor before any message");
  run_failing_start (hook_true_with_error);
}

static void
test_stop_false_without_error (void)
{
  g_autoptr(TestActor) actor = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("on_stop returning FALSE without an error is logged; the actor stops anyway");

  test_actor_set_on_stop (actor, hook_false_without_error);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (test_actor_get_record (actor)->n_stopped, ==, 1);


}

static void
test_actor_type_is_subclass (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  GList *found;

  g_test_summary ("The actor's recorded type is its own class, not PykkaActor (messages name it, the registry finds it)");

  ref = test_start (0, test_echo, NULL, &record);
  g_assert_true (pykka_actor_ref_get_actor_type (ref) == TEST_TYPE_ACTOR);
  found = pykka_registry_get_by_type (TEST_TYPE_ACTOR);
  g_assert_cmpuint (g_list_length (found), ==, 1);
  g_list_free_full (found, g_object_unref);

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (record);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Normalize/ask-true-with-error", test_ask_true_with_error);
  g_test_add_func ("/Pykka/Normalize/ask-false-without-error", test_ask_false_without_error);
  g_test_add_func ("/Pykka/Normalize/tell-true-with-error", test_tell_true_with_error);
  g_test_add_func ("/Pykka/Normalize/tell-false-without-error", test_tell_false_without_error);
  g_test_add_func ("/Pykka/Normalize/start-false-without-error", test_start_false_without_error);
  g_test_add_func ("/Pykka/Normalize/start-true-with-error", test_start_true_with_error);
  g_test_add_func ("/Pykka/Normalize/stop-false-without-error", test_stop_false_without_error);
  g_test_add_func ("/Pykka/Normalize/actor-type-is-subclass", test_actor_type_is_subclass);

  return g_test_run ();
}
