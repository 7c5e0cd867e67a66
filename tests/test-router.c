/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Routers and pools (issue 16.3). Every wait has TEST_TIMEOUT_MSEC. */

#include "config.h"

#include "test-util.h"

/* Answers with its own index (data), records ints. */
static gboolean
answer_index (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  if (G_VALUE_HOLDS_STRING (message))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crash");
      return FALSE;
    }
  test_record_int (self, message, reply, error);
  g_value_unset (reply);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, GPOINTER_TO_INT (test_actor_get_data (self)));
  return TRUE;
}

typedef struct
{
  PykkaActorRef *refs[3];
  TestRecord    *records[3];
} Routees;

static void
routees_start (Routees *r, GMainContext *context)
{
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_ACTOR, answer_index, GINT_TO_POINTER (i),
                                                           "context", context, NULL);

      r->records[i] = test_record_ref (test_actor_get_record (actor));
      r->refs[i] = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
    }
}

static void
routees_stop (Routees *r)
{
  for (guint i = 0; i < 3; i++)
    {
      pykka_actor_ref_stop_sync (r->refs[i], TEST_TIMEOUT_MSEC, NULL);
      g_object_unref (r->refs[i]);
      test_record_free (r->records[i]);
    }
}

static PykkaActorRef *
start_router (PykkaRouterKind kind, Routees *r, PykkaRouter **out)
{
  g_autoptr(PykkaRouter) router = pykka_router_new (kind, r->refs, 3);
  PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (router), NULL);

  if (out != NULL)
    *out = g_steal_pointer (&router);
  return ref;
}

static void
test_round_robin (void)
{
  Routees r;
  g_autoptr(PykkaActorRef) router = NULL;

  g_test_summary ("Round-robin: each ask goes to the next routee; the asker gets the routee's answer");

  routees_start (&r, NULL);
  router = start_router (PYKKA_ROUTER_ROUND_ROBIN, &r, NULL);
  for (gint i = 0; i < 6; i++)
    {
      g_autoptr(PykkaFuture) answer = test_ask_int (router, i);

      g_assert_cmpint (test_get_int (answer), ==, i % 3);
    }
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (r.records[i]->ints->len, ==, 2);
  g_assert_true (pykka_actor_ref_stop_sync (router, TEST_TIMEOUT_MSEC, NULL));
  routees_stop (&r);
}

static void
run_until_idle (GMainContext *context)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static void
test_smallest_mailbox (void)
{
  g_autoptr(GMainContext) parked = g_main_context_new ();
  g_autoptr(GMainContext) routing = g_main_context_new ();
  Routees r;
  g_autoptr(PykkaActorRef) router = NULL;

  g_test_summary ("Smallest mailbox: each message goes to the routee with the fewest queued "
                  "(the first of them on a tie)");

  /* Routees on a context nobody iterates yet: their mailboxes fill. */
  routees_start (&r, parked);
  g_main_context_push_thread_default (routing);
  router = start_router (PYKKA_ROUTER_SMALLEST_MAILBOX, &r, NULL);
  g_main_context_pop_thread_default (routing);
  for (gint i = 0; i < 4; i++)
    test_tell_int (r.refs[0], i);
  test_tell_int (r.refs[1], 9);
  for (gint i = 0; i < 3; i++)
    test_tell_int (router, 100 + i);
  /* The router forwards 100 to routee 2 (empty), 101 to routee 1 (1 each,
   * the first), 102 to routee 2. */
  run_until_idle (routing);
  run_until_idle (parked);
  g_assert_cmpuint (r.records[0]->ints->len, ==, 4);
  g_assert_cmpuint (r.records[1]->ints->len, ==, 2);
  g_assert_cmpuint (r.records[2]->ints->len, ==, 2);
  g_assert_cmpint (g_array_index (r.records[2]->ints, gint, 0), ==, 100);
  g_assert_cmpint (g_array_index (r.records[1]->ints, gint, 1), ==, 101);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (router);

    test_iterate_until (routing, pykka_future_is_done (stopped));
  }
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (r.refs[i]);

      test_iterate_until (parked, pykka_future_is_done (stopped));
      g_object_unref (r.refs[i]);
      test_record_free (r.records[i]);
    }
}

static guint
key_of_pair (const GValue *message, gpointer data)
{
  return (guint) g_value_get_int (message) / 10;
}

static void
test_consistent_hash (void)
{
  Routees r;
  g_autoptr(PykkaRouter) router_actor = NULL;
  g_autoptr(PykkaActorRef) router = NULL;

  g_test_summary ("Consistent hash: messages of equal keys go to the same routee");

  routees_start (&r, NULL);
  router_actor = pykka_router_new (PYKKA_ROUTER_CONSISTENT_HASH, r.refs, 3);
  pykka_router_set_key_func (router_actor, key_of_pair, NULL, NULL);
  router = pykka_actor_start (PYKKA_ACTOR (router_actor), NULL);
  for (gint key = 0; key < 20; key++)
    {
      g_autoptr(PykkaFuture) first = test_ask_int (router, key * 10);
      g_autoptr(PykkaFuture) second = test_ask_int (router, key * 10 + 5);

      g_assert_cmpint (test_get_int (first), ==, test_get_int (second));
    }
  g_assert_true (pykka_actor_ref_stop_sync (router, TEST_TIMEOUT_MSEC, NULL));
  routees_stop (&r);
}

static void
test_broadcast (void)
{
  Routees r;
  g_autoptr(PykkaActorRef) router = NULL;
  g_autoptr(PykkaFuture) all = NULL;
  const GValue *value;

  g_test_summary ("Broadcast: a tell reaches every routee; an ask is answered with every answer");

  routees_start (&r, NULL);
  router = start_router (PYKKA_ROUTER_BROADCAST, &r, NULL);
  test_tell_int (router, 1);
  all = test_ask_int (router, 2);
  value = pykka_future_get (all, TEST_TIMEOUT_MSEC, NULL);
  g_assert_nonnull (value);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (r.records[i]->ints->len, ==, 2);
  g_assert_true (pykka_actor_ref_stop_sync (router, TEST_TIMEOUT_MSEC, NULL));
  routees_stop (&r);
}

static void
test_no_routee (void)
{
  Routees r;
  g_autoptr(PykkaActorRef) router = NULL;
  g_autoptr(PykkaFuture) answer = NULL;
  g_autoptr(GError) error = NULL;
  guint64 dead_letters;

  g_test_summary ("Dead routees are skipped; with none alive an ask fails with ACTOR_DEAD and a "
                  "tell is a dead letter");

  routees_start (&r, NULL);
  router = start_router (PYKKA_ROUTER_ROUND_ROBIN, &r, NULL);
  pykka_actor_ref_stop_sync (r.refs[0], TEST_TIMEOUT_MSEC, NULL);
  for (gint i = 0; i < 4; i++)
    {
      g_autoptr(PykkaFuture) f = test_ask_int (router, i);

      g_assert_cmpint (test_get_int (f), !=, 0);
    }
  pykka_actor_ref_stop_sync (r.refs[1], TEST_TIMEOUT_MSEC, NULL);
  pykka_actor_ref_stop_sync (r.refs[2], TEST_TIMEOUT_MSEC, NULL);
  answer = test_ask_int (router, 9);
  g_assert_null (pykka_future_get (answer, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  dead_letters = pykka_debug_get_dead_letters ();
  test_tell_int (router, 9);
  {
    /* Handled after the tell: the tell was counted by then. */
    g_autoptr(PykkaFuture) probe = test_ask_int (router, 10);

    pykka_future_get (probe, TEST_TIMEOUT_MSEC, NULL);
  }
  g_assert_cmpuint (pykka_debug_get_dead_letters (), >, dead_letters);
  g_assert_true (pykka_actor_ref_is_alive (router));
  g_assert_true (pykka_actor_ref_stop_sync (router, TEST_TIMEOUT_MSEC, NULL));
  routees_stop (&r);
}

static gint made_workers;

static PykkaActor *
make_worker (gpointer data)
{
  g_atomic_int_inc (&made_workers);
  return PYKKA_ACTOR (test_actor_new_of_type (TEST_TYPE_ACTOR, answer_index, data, "use-own-thread", TRUE, NULL));
}

static void
test_pool (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaActorRef) pool = NULL;
  GValue crash = G_VALUE_INIT;

  g_test_summary ("A pool starts N own-thread workers behind a router, restarts one that fails, and "
                  "stops them with the router");

  g_atomic_int_set (&made_workers, 0);
  pool = pykka_router_start_pool (PYKKA_ROUTER_ROUND_ROBIN, 2, make_worker, GINT_TO_POINTER (7), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&made_workers), ==, 2);
  for (gint i = 0; i < 4; i++)
    {
      g_autoptr(PykkaFuture) f = test_ask_int (pool, i);

      g_assert_cmpint (test_get_int (f), ==, 7);
    }
  g_value_init (&crash, G_TYPE_STRING);
  g_value_set_static_string (&crash, "crash");
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  pykka_actor_ref_tell (pool, &crash, NULL);
  test_iterate_until (NULL, g_atomic_int_get (&made_workers) == 3);
  g_test_assert_expected_messages ();
  for (gint i = 0; i < 4; i++)
    {
      g_autoptr(PykkaFuture) f = test_ask_int (pool, i);

      g_assert_cmpint (test_get_int (f), ==, 7);
    }
  g_assert_true (pykka_actor_ref_stop_sync (pool, TEST_TIMEOUT_MSEC, NULL));
  g_assert_null (pykka_registry_get_all ());
  g_value_unset (&crash);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Router/round-robin", test_round_robin);
  g_test_add_func ("/Pykka/Router/smallest-mailbox", test_smallest_mailbox);
  g_test_add_func ("/Pykka/Router/consistent-hash", test_consistent_hash);
  g_test_add_func ("/Pykka/Router/broadcast", test_broadcast);
  g_test_add_func ("/Pykka/Router/no-routee", test_no_routee);
  g_test_add_func ("/Pykka/Router/pool", test_pool);

  return g_test_run ();
}
