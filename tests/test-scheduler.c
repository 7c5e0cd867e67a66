/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

#include "pykka-private.h"

static guint
count_scheduler_sources (GMainContext *ctx)
{
  GSource *probe = g_idle_source_new ();
  guint max_id = g_source_attach (probe, ctx);
  guint n = 0;

  g_source_destroy (probe);
  g_source_unref (probe);
  for (guint id = 1; id < max_id; id++)
    {
      GSource *s = g_main_context_find_source_by_id (ctx, id);
      if (s != NULL && g_strcmp0 (g_source_get_name (s), "[pykka-scheduler]") == 0)
        n++;
    }
  return n;
}

static void
test_one_source_per_context (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  g_test_summary ("All actors of a context share ONE scheduler source, named [pykka-scheduler]");

  g_assert_cmpuint (count_scheduler_sources (ctx), ==, 0);
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR, "context", ctx, NULL);
      g_ptr_array_add (refs, pykka_actor_start (PYKKA_ACTOR (actor), NULL));
    }
  g_assert_cmpuint (count_scheduler_sources (ctx), ==, 1);
  for (guint i = 1; i < refs->len; i++)
    g_assert_true (pykka_cell_get_scheduler (pykka_actor_ref_get_cell (refs->pdata[i])) ==
                   pykka_cell_get_scheduler (pykka_actor_ref_get_cell (refs->pdata[0])));

  /* Stop them all; iterate ctx from this thread meanwhile. */
  {
    GList *futures = pykka_registry_stop_all_futures ();
    for (GList *l = futures; l != NULL; l = l->next)
      test_iterate_until (ctx, pykka_future_is_done (l->data));
    g_list_free_full (futures, g_object_unref);
  }
  g_assert_null (pykka_registry_get_all ());
}

static gint idle_calls;

static gboolean
count_idle (gpointer data)
{
  idle_calls++;
  return G_SOURCE_CONTINUE;
}

static void
test_idle_actors_cost_nothing (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  PykkaSchedulerStats before, after;
  GSource *idle;
  gint64 start;
  gint with_none, with_many;

  g_test_summary ("100 000 idle actors on a context cost its iterations nothing: the scheduler runs no turn and is not dispatched while an unrelated idle source runs");

  idle = g_idle_source_new ();
  g_source_set_callback (idle, count_idle, NULL, NULL);
  g_source_attach (idle, ctx);

  /* Iterations per 50 ms with no actor, for the log only: timing is the
   * benchmark's business. */
  idle_calls = 0;
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 50000)
    g_main_context_iteration (ctx, FALSE);
  with_none = idle_calls;

  for (guint i = 0; i < 100000; i++)
    {
      g_autoptr(PykkaActor) actor = g_object_new (PYKKA_TYPE_ACTOR, "context", ctx, NULL);
      g_ptr_array_add (refs, pykka_actor_start (actor, NULL));
    }
  g_assert_cmpuint (count_scheduler_sources (ctx), ==, 1);

  /* Let every actor run on_start; then they are idle. */
  g_assert_true (pykka_scheduler_get_stats (ctx, &before));
  test_iterate_until (ctx, pykka_scheduler_get_stats (ctx, &after) && after.turns >= 100000);

  g_assert_true (pykka_scheduler_get_stats (ctx, &before));
  idle_calls = 0;
  for (guint i = 0; i < 1000; i++)
    g_main_context_iteration (ctx, FALSE);
  g_assert_true (pykka_scheduler_get_stats (ctx, &after));
  g_assert_cmpint (idle_calls, ==, 1000);
  g_assert_cmpuint (after.turns, ==, before.turns);
  g_assert_cmpuint (after.dispatches, ==, before.dispatches);
  g_assert_cmpuint (after.prepares - before.prepares, ==, 1000);

  idle_calls = 0;
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 50000)
    g_main_context_iteration (ctx, FALSE);
  with_many = idle_calls;
  g_test_message ("idle iterations in 50 ms: %d with no actor, %d with 100 000 idle actors", with_none, with_many);

  g_source_destroy (idle);
  g_source_unref (idle);

  {
    GList *futures = pykka_registry_stop_all_futures ();
    /* (Not the registry: listing 100 000 actors each iteration is slow.) */
    test_iterate_until (ctx, !pykka_scheduler_has_actors (ctx));
    g_list_free_full (futures, g_object_unref);
  }
}

typedef struct
{
  gint first_seen;  /* idle_calls when the first message was handled */
  gint last_seen;   /* idle_calls when the last message was handled */
  gint handled;
  gint total;
} Flood;

static gboolean
flood_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Flood *f = test_actor_get_data (self);

  if (f->handled == 0)
    f->first_seen = idle_calls;
  if (++f->handled == f->total)
    f->last_seen = idle_calls;
  return TRUE;
}

static void
test_flooded_actor_yields (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  Flood flood = { -1, -1, 0, 100000 };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = NULL;
  GSource *idle;
  GValue v = G_VALUE_INIT;

  g_test_summary ("An actor flooded with messages lets an idle source of the same priority run between its turns");

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, flood_receive, &flood, &r);
  g_main_context_pop_thread_default (ctx);

  test_value_int (&v, 1);
  for (gint i = 0; i < flood.total; i++)
    g_assert_true (pykka_actor_ref_tell (ref, &v, NULL));
  g_value_unset (&v);

  idle_calls = 0;
  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, count_idle, NULL, NULL);
  g_source_attach (idle, ctx);

  test_iterate_until (ctx, flood.handled == flood.total);
  g_test_message ("idle ran %d times while %d messages were handled", flood.last_seen - flood.first_seen, flood.total);
  g_assert_cmpint (flood.last_seen - flood.first_seen, >=, flood.total / PYKKA_DISPATCH_BUDGET - 1);

  g_source_destroy (idle);
  g_source_unref (idle);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);
    test_iterate_until (ctx, pykka_future_is_done (stopped));
  }
  test_record_free (r);
}

typedef struct
{
  gint handled;
  gint total;
  gint idle_during;  /* idle calls while messages were left */
} SlowFlood;

static gboolean
slow_flood_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  SlowFlood *flood = test_actor_get_data (self);
  gint64 until = g_get_monotonic_time () + 20;

  /* 20 µs of work per message. */
  while (g_get_monotonic_time () < until)
    ;
  flood->handled++;
  return TRUE;
}

static gboolean
count_redraw_idle (gpointer data)
{
  SlowFlood *flood = data;

  if (flood->handled < flood->total)
    flood->idle_during++;
  return G_SOURCE_CONTINUE;
}

/* Floods an actor on @ctx with @total slow messages and counts how often
 * an idle at GTK's redraw priority ran before the last was handled. */
static gint
flood_with_redraw_idle (GMainContext *ctx,
                        gint          total)
{
  SlowFlood flood = { 0, total, 0 };
  g_autoptr(PykkaActorRef) ref = NULL;
  TestRecord *r;
  GSource *idle;
  GValue v = G_VALUE_INIT;

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, slow_flood_receive, &flood, &r);
  g_main_context_pop_thread_default (ctx);

  test_value_int (&v, 1);
  for (gint i = 0; i < total; i++)
    g_assert_true (pykka_actor_ref_tell (ref, &v, NULL));
  g_value_unset (&v);

  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_HIGH_IDLE + 20);
  g_source_set_callback (idle, count_redraw_idle, &flood, NULL);
  g_source_attach (idle, ctx);

  test_iterate_until (ctx, flood.handled == flood.total);

  g_source_destroy (idle);
  g_source_unref (idle);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);
    test_iterate_until (ctx, pykka_future_is_done (stopped));
  }
  test_record_free (r);
  return flood.idle_during;
}

static void
test_flood_steps_aside (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GMainContext) unyielding = g_main_context_new ();
  PykkaSchedulerStats stats;
  gint idle_during;

  g_test_summary ("A flood on a context steps aside once its time budget is spent, so that a source of lower priority (GTK's redraw) runs during it; with a budget of 0 it never does");

  g_assert_cmpuint (pykka_context_get_time_budget (ctx), ==, PYKKA_DEFAULT_TIME_BUDGET_USEC);
  pykka_context_set_time_budget (ctx, 2000);
  g_assert_cmpuint (pykka_context_get_time_budget (ctx), ==, 2000);
  /* 20 000 × 20 µs: at least 400 ms of work, 2 ms budgets. */
  idle_during = flood_with_redraw_idle (ctx, 20000);
  g_test_message ("the redraw idle ran %d times during the flood", idle_during);
  g_assert_cmpint (idle_during, >=, 2);
  g_assert_true (pykka_scheduler_get_stats (ctx, &stats));
  g_assert_cmpuint (stats.steps_aside, >=, 2);

  pykka_context_set_time_budget (unyielding, 0);
  g_assert_cmpint (flood_with_redraw_idle (unyielding, 2000), ==, 0);
}

static void
test_context_priority (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  TestRecord *r;
  GValue v = G_VALUE_INIT, reply = G_VALUE_INIT;

  g_test_summary ("The priority of a context's actors is settable before and after they start, and they still run");

  g_assert_cmpint (pykka_context_get_priority (ctx), ==, G_PRIORITY_DEFAULT);
  pykka_context_set_priority (ctx, G_PRIORITY_DEFAULT_IDLE);
  g_assert_cmpint (pykka_context_get_priority (ctx), ==, G_PRIORITY_DEFAULT_IDLE);
  g_assert_cmpuint (count_scheduler_sources (ctx), ==, 1);

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, test_echo, NULL, &r);
  g_assert_cmpuint (count_scheduler_sources (ctx), ==, 1);
  g_assert_true (pykka_actor_ref_ask_sync (ref, test_value_int (&v, 7), TEST_TIMEOUT_MSEC, &reply, NULL));
  g_assert_cmpint (g_value_get_int (&reply), ==, 7);
  pykka_context_set_priority (ctx, G_PRIORITY_HIGH);
  g_assert_cmpint (pykka_context_get_priority (ctx), ==, G_PRIORITY_HIGH);
  g_value_unset (&reply);
  g_assert_true (pykka_actor_ref_ask_sync (ref, &v, TEST_TIMEOUT_MSEC, &reply, NULL));
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_main_context_pop_thread_default (ctx);
  g_value_unset (&v);
  g_value_unset (&reply);
  test_record_free (r);

  /* NULL is the global default context. */
  pykka_context_set_time_budget (NULL, 5000);
  g_assert_cmpuint (pykka_context_get_time_budget (g_main_context_default ()), ==, 5000);
  pykka_context_set_time_budget (NULL, PYKKA_DEFAULT_TIME_BUDGET_USEC);
}

typedef struct
{
  PykkaActorRef *peer;  /* (unowned) */
} Ping;

static gboolean
ping_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Ping *ping = test_actor_get_data (self);

  /* Bounce for ever; the peer's death ends it. */
  pykka_actor_ref_tell (ping->peer, message, NULL);
  return TRUE;
}

static void
test_fair_turns (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  Ping ping_a = { NULL }, ping_b = { NULL };
  TestRecord *ra, *rb, *rc;
  g_autoptr(PykkaActorRef) a = NULL;
  g_autoptr(PykkaActorRef) b = NULL;
  g_autoptr(PykkaActorRef) c = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("Actors on one context take turns: a pair bouncing a message for ever does not starve a third actor");

  g_main_context_push_thread_default (ctx);
  a = test_start (0, ping_receive, &ping_a, &ra);
  b = test_start (0, ping_receive, &ping_b, &rb);
  c = test_start (0, test_record_int, NULL, &rc);
  g_main_context_pop_thread_default (ctx);
  ping_a.peer = b;
  ping_b.peer = a;

  g_assert_true (pykka_actor_ref_tell (a, test_value_int (&v, 1), NULL));
  test_iterate_until (ctx, rb->n_received > 10000);
  g_assert_true (pykka_actor_ref_tell (c, &v, NULL));
  g_value_unset (&v);
  test_iterate_until (ctx, rc->ints->len == 1);
  g_assert_cmpint (ra->n_received + rb->n_received, >, 10000);

  {
    GList *futures = pykka_registry_stop_all_futures ();
    /* (Not the registry: listing 100 000 actors each iteration is slow.) */
    test_iterate_until (ctx, !pykka_scheduler_has_actors (ctx));
    g_list_free_full (futures, g_object_unref);
  }
  test_record_free (ra);
  test_record_free (rb);
  test_record_free (rc);
}

static void
test_blocking_ask_runs_actors_directly (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  const gint n = 1000;
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = NULL;
  PykkaSchedulerStats before, after;
  GSource *idle;

  g_test_summary ("A thread blocked in ask_sync on an actor of a context it owns runs the actor directly, and still iterates the context now and then so that its other sources run");

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, test_echo, NULL, &r);
  g_assert_true (pykka_scheduler_get_stats (ctx, &before));

  idle_calls = 0;
  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, count_idle, NULL, NULL);
  g_source_attach (idle, ctx);

  for (gint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GValue msg = G_VALUE_INIT;
      GValue reply = G_VALUE_INIT;

      g_assert_true (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, i), TEST_TIMEOUT_MSEC, &reply, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (&reply), ==, i);
    }

  g_assert_true (pykka_scheduler_get_stats (ctx, &after));
  g_test_message ("%d asks: %" G_GUINT64_FORMAT " direct runs, %" G_GUINT64_FORMAT " dispatches, idle ran %d times",
                  n, after.direct_runs - before.direct_runs, after.dispatches - before.dispatches, idle_calls);
  g_assert_cmpuint (after.direct_runs - before.direct_runs, >=, (guint64) n / 2);
  g_assert_cmpint (idle_calls, >=, n / 64 - 1);

  g_source_destroy (idle);
  g_source_unref (idle);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_main_context_pop_thread_default (ctx);
  test_record_free (r);
}

/* Replies with a future that never completes (kept in the data). */
static gboolean
never_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaFuture **kept = test_actor_get_data (self);

  g_assert_null (*kept);
  *kept = pykka_future_new ();
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, *kept);
  return TRUE;
}

static void
test_blocking_ask_times_out_while_busy (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  Ping ping_a = { NULL }, ping_b = { NULL };
  g_autoptr(PykkaFuture) never = NULL;
  TestRecord *ra, *rb, *rc;
  g_autoptr(PykkaActorRef) a = NULL;
  g_autoptr(PykkaActorRef) b = NULL;
  g_autoptr(PykkaActorRef) c = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("A blocking ask with a timeout times out even while other actors of the context are always ready to run");

  g_main_context_push_thread_default (ctx);
  a = test_start (0, ping_receive, &ping_a, &ra);
  b = test_start (0, ping_receive, &ping_b, &rb);
  c = test_start (0, never_receive, &never, &rc);
  ping_a.peer = b;
  ping_b.peer = a;

  g_assert_true (pykka_actor_ref_tell (a, test_value_int (&v, 1), NULL));
  g_assert_false (pykka_actor_ref_ask_sync (c, &v, 50, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_value_unset (&v);
  g_assert_cmpint (ra->n_received + rb->n_received, >, 0);
  g_main_context_pop_thread_default (ctx);

  pykka_future_set_value (never, NULL, NULL);
  /* Each stop_sync acquires the context, free again, and runs it. */
  test_stop_all ();
  test_record_free (ra);
  test_record_free (rb);
  test_record_free (rc);
}

typedef struct
{
  PykkaActorRef *peer;
  gint           peer_handled;
  gboolean       saw_peer;  /* the nested loop ran the peer */
  gboolean       done;
} NestedLoop;

static gboolean
count_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  gint *handled = test_actor_get_data (self);

  (*handled)++;
  return TRUE;
}

static gboolean
nested_loop_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  NestedLoop *n = test_actor_get_data (self);
  GMainContext *ctx = g_main_context_get_thread_default ();
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  GValue v = G_VALUE_INIT;

  /* Queued from a turn of an actor of the same context: the running
   * thread's local run queue. */
  test_value_int (&v, 1);
  g_assert_true (pykka_actor_ref_tell (n->peer, &v, NULL));
  g_value_unset (&v);
  while (n->peer_handled == 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (ctx, FALSE);
  n->saw_peer = n->peer_handled == 1;
  n->done = TRUE;
  return TRUE;
}

static void
check_nested_loop_runs_local_queue (GType outer_type)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  NestedLoop n = { NULL, 0, FALSE, FALSE };
  g_autoptr(PykkaActorRef) outer = NULL;
  g_autoptr(PykkaActorRef) peer = NULL;
  TestRecord *r1, *r2;

  g_main_context_push_thread_default (ctx);
  peer = test_start (0, count_receive, &n.peer_handled, &r1);
  n.peer = peer;
  outer = test_start (outer_type, nested_loop_receive, &n, &r2);
  g_main_context_pop_thread_default (ctx);

  test_tell_int (outer, 1);
  test_iterate_until (ctx, n.done);
  g_assert_true (n.saw_peer);

  {
    g_autoptr(PykkaFuture) s1 = pykka_actor_ref_stop (outer);
    g_autoptr(PykkaFuture) s2 = pykka_actor_ref_stop (peer);

    test_iterate_until (ctx, pykka_future_is_done (s1) && pykka_future_is_done (s2));
  }
  test_record_free (r1);
  test_record_free (r2);
}

static void
test_nested_loop_runs_local_queue (void)
{
  g_test_summary ("A handler that tells an actor of its own context and iterates the context (a nested loop) sees that actor run: "
                  "what a turn queues without the scheduler's lock is visible to the nested iteration, for plain and stackful handlers");

  check_nested_loop_runs_local_queue (TEST_TYPE_ACTOR);
  check_nested_loop_runs_local_queue (TEST_TYPE_STACKFUL_ACTOR);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Scheduler/one-source-per-context", test_one_source_per_context);
  g_test_add_func ("/Pykka/Scheduler/idle-actors-cost-nothing", test_idle_actors_cost_nothing);
  g_test_add_func ("/Pykka/Scheduler/flooded-actor-yields", test_flooded_actor_yields);
  g_test_add_func ("/Pykka/Scheduler/fair-turns", test_fair_turns);
  g_test_add_func ("/Pykka/Scheduler/flood-steps-aside", test_flood_steps_aside);
  g_test_add_func ("/Pykka/Scheduler/context-priority", test_context_priority);
  g_test_add_func ("/Pykka/Scheduler/blocking-ask-runs-actors-directly", test_blocking_ask_runs_actors_directly);
  g_test_add_func ("/Pykka/Scheduler/blocking-ask-times-out-while-busy", test_blocking_ask_times_out_while_busy);
  g_test_add_func ("/Pykka/Scheduler/nested-loop-runs-local-queue", test_nested_loop_runs_local_queue);

  return g_test_run ();
}
