/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static void
test_ask_on_default_context (void)
{
  TestRecord *record;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;
  const GValue *reply;

  g_test_summary ("A plain program without a main loop can start an actor on the default context and ask it");

  ref = test_start (0, test_echo, NULL, &record);
  future = pykka_actor_ref_ask (ref, test_value_int (&msg, 42));
  reply = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (reply), ==, 42);
  g_assert_cmpint (record->n_started, ==, 1);
  g_assert_cmpint (record->n_received, ==, 1);
  g_assert_true (record->thread == g_thread_self ());

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_stopped, ==, 1);
  g_assert_false (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_value_unset (&msg);
  test_record_free (record);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Actor/ask-on-default-context", test_ask_on_default_context);

  return g_test_run ();
}
