/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Death watch (issue 15.1): pykka_actor_watch(), pykka_actor_unwatch(),
 * pykka_actor_ref_get_terminated(). Every wait has TEST_TIMEOUT_MSEC. */

#include "config.h"

#include <string.h>

#include "test-util.h"

/* What a watcher was told, in order. */
typedef struct
{
  GMutex     mutex;
  GPtrArray *terminated;   /* PykkaTerminated, referenced */
  gint       others;       /* other messages */
} Told;

static Told *
told_new (void)
{
  Told *t = g_new0 (Told, 1);

  g_mutex_init (&t->mutex);
  t->terminated = g_ptr_array_new_with_free_func ((GDestroyNotify) pykka_terminated_unref);
  return t;
}

static void
told_free (Told *t)
{
  g_ptr_array_unref (t->terminated);
  g_mutex_clear (&t->mutex);
  g_free (t);
}

static guint
told_count (Told *t)
{
  guint n;

  g_mutex_lock (&t->mutex);
  n = t->terminated->len;
  g_mutex_unlock (&t->mutex);
  return n;
}

static gboolean
watcher_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Told *t = test_actor_get_data (self);

  g_mutex_lock (&t->mutex);
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    g_ptr_array_add (t->terminated, pykka_terminated_ref (g_value_get_boxed (message)));
  else
    t->others++;
  g_mutex_unlock (&t->mutex);
  return TRUE;
}

static PykkaActorRef *
start_watcher (Told *t, GMainContext *context)
{
  g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_ACTOR, watcher_receive, t,
                                                       "context", context, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);

  g_assert_no_error (error);
  return ref;
}

static void
watch (PykkaActorRef *watcher, PykkaActorRef *watched)
{
  g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (watcher);

  g_assert_nonnull (actor);
  pykka_actor_watch (actor, watched);
}

static void
unwatch (PykkaActorRef *watcher, PykkaActorRef *watched)
{
  g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (watcher);

  g_assert_nonnull (actor);
  pykka_actor_unwatch (actor, watched);
}

static void
drain (void)
{
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
}

typedef enum
{
  DEATH_STOP,
  DEATH_FAILURE,
  DEATH_KILL,
} Death;

static void
test_watcher_told_once (gconstpointer data)
{
  Death death = GPOINTER_TO_INT (data);
  Told *t = told_new ();
  TestRecord *r;
  g_autoptr(PykkaActorRef) watcher = start_watcher (t, NULL);
  g_autoptr(PykkaActorRef) watched = test_start (0, death == DEATH_FAILURE ? test_fail : test_echo, NULL, &r);
  PykkaTerminated *terminated;
  const GError *reason;

  g_test_summary ("An actor watching another is told exactly once, in its mailbox, with the ref and "
                  "the reason: NULL for a stop, the handler's error for a failure, ACTOR_DEAD for a kill; "
                  "watching twice tells once");

  watch (watcher, watched);
  watch (watcher, watched);
  switch (death)
    {
    case DEATH_STOP:
      g_assert_true (pykka_actor_ref_stop_sync (watched, TEST_TIMEOUT_MSEC, NULL));
      break;
    case DEATH_FAILURE:
      g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error*");
      test_tell_int (watched, 1);
      break;
    case DEATH_KILL:
      g_assert_true (pykka_actor_ref_kill (watched));
      break;
    }
  test_iterate_until (NULL, told_count (t) >= 1);
  drain ();
  g_test_assert_expected_messages ();
  g_assert_cmpuint (told_count (t), ==, 1);
  terminated = t->terminated->pdata[0];
  g_assert_true (pykka_terminated_get_actor_ref (terminated) == watched);
  reason = pykka_terminated_get_reason (terminated);
  switch (death)
    {
    case DEATH_STOP:
      g_assert_null (reason);
      break;
    case DEATH_FAILURE:
      g_assert_error ((GError *) reason, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      break;
    case DEATH_KILL:
      g_assert_error ((GError *) reason, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      g_assert_nonnull (strstr (reason->message, "killed"));
      break;
    }
  g_assert_true (pykka_actor_ref_stop_sync (watcher, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (r);
  told_free (t);
}

static void
test_watch_dead_actor (void)
{
  Told *t = told_new ();
  TestRecord *r;
  g_autoptr(PykkaActorRef) watcher = start_watcher (t, NULL);
  g_autoptr(PykkaActorRef) watched = test_start (0, test_echo, NULL, &r);
  g_autoptr(PykkaFuture) terminated = NULL;

  g_test_summary ("Watching an actor that is dead already tells at once; so does its terminated future");

  g_assert_true (pykka_actor_ref_stop_sync (watched, TEST_TIMEOUT_MSEC, NULL));
  watch (watcher, watched);
  test_iterate_until (NULL, told_count (t) == 1);
  terminated = pykka_actor_ref_get_terminated (watched);
  g_assert_true (pykka_future_is_done (terminated));
  g_assert_true (pykka_terminated_get_actor_ref (g_value_get_boxed (pykka_future_get (terminated, 0, NULL))) == watched);
  drain ();
  g_assert_cmpuint (told_count (t), ==, 1);
  g_assert_true (pykka_actor_ref_stop_sync (watcher, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (r);
  told_free (t);
}

static void
test_unwatch (void)
{
  Told *t = told_new ();
  TestRecord *r, *r2;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(PykkaActorRef) watcher = NULL;
  g_autoptr(PykkaActorRef) watched = test_start (0, test_echo, NULL, &r);
  g_autoptr(PykkaActorRef) second = test_start (0, test_echo, NULL, &r2);

  g_test_summary ("After unwatch nothing is told, even when the news was queued before the unwatch");

  /* The watcher runs on a context this thread iterates only at the end. */
  g_main_context_push_thread_default (ctx);
  watcher = start_watcher (t, ctx);
  g_main_context_pop_thread_default (ctx);

  watch (watcher, watched);
  unwatch (watcher, watched);
  g_assert_true (pykka_actor_ref_stop_sync (watched, TEST_TIMEOUT_MSEC, NULL));

  watch (watcher, second);
  g_assert_true (pykka_actor_ref_stop_sync (second, TEST_TIMEOUT_MSEC, NULL));
  /* Queued in the watcher's mailbox, not handled yet: */
  unwatch (watcher, second);

  {
    g_autoptr(PykkaFuture) probe = test_ask_int (watcher, 1);

    test_iterate_until (ctx, pykka_future_is_done (probe));
  }
  g_assert_cmpuint (told_count (t), ==, 0);
  g_assert_cmpint (t->others, ==, 1);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (watcher);

    test_iterate_until (ctx, pykka_future_is_done (stopped));
  }
  test_record_free (r);
  test_record_free (r2);
  told_free (t);
}

static void
test_terminated_future (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) watched = test_start (0, test_fail, NULL, &r);
  g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (watched);
  g_autoptr(PykkaFuture) again = pykka_actor_ref_get_terminated (watched);
  g_autoptr(GError) error = NULL;
  const GValue *value;

  g_test_summary ("Plain code watches with a future that completes at the death with the reason");

  g_assert_false (pykka_future_is_done (terminated));
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error*");
  test_tell_int (watched, 1);
  value = pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS (value, PYKKA_TYPE_TERMINATED));
  g_assert_error ((GError *) pykka_terminated_get_reason (g_value_get_boxed (value)),
                  G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (pykka_future_is_done (again));
  test_record_free (r);
}

static void
test_never_started (void)
{
  g_autoptr(TestActor) actor = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actor)));
  g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (ref);
  const GError *reason;

  g_test_summary ("An actor finalized without being started terminates, reason 'never started'");

  g_assert_false (pykka_future_is_done (terminated));
  g_clear_object (&actor);
  g_assert_true (pykka_future_is_done (terminated));
  reason = pykka_terminated_get_reason (g_value_get_boxed (pykka_future_get (terminated, 0, NULL)));
  g_assert_error ((GError *) reason, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
}

static void
test_watcher_dies_first (void)
{
  Told *t = told_new ();
  TestRecord *r;
  g_autoptr(PykkaActorRef) watched = test_start (0, test_echo, NULL, &r);
  GWeakRef weak;

  g_test_summary ("A watcher that dies first leaves nothing behind: it is finalized, and the watched "
                  "actor's death later tells nobody and crashes nothing");

  {
    g_autoptr(PykkaActorRef) watcher = start_watcher (t, NULL);
    g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (watcher);

    g_weak_ref_init (&weak, actor);
    pykka_actor_watch (actor, watched);
    g_clear_object (&actor);
    g_assert_true (pykka_actor_ref_stop_sync (watcher, TEST_TIMEOUT_MSEC, NULL));
  }
  {
    g_autoptr(GObject) gone = g_weak_ref_get (&weak);

    g_assert_null (gone);
  }
  g_weak_ref_clear (&weak);
  g_assert_true (pykka_actor_ref_stop_sync (watched, TEST_TIMEOUT_MSEC, NULL));
  drain ();
  g_assert_cmpuint (told_count (t), ==, 0);
  test_record_free (r);
  told_free (t);
}

/* Races: watchers on their own threads watch and unwatch while the
 * watched actors stop from other threads. Every watch that was never
 * unwatched is told exactly once; an unwatched one at most once (its news
 * may have been handled before the unwatch, the stop runs meanwhile). */
#define RACE_WATCHERS 4
#define RACE_ROUNDS 200

static gpointer
race_stop (gpointer data)
{
  pykka_actor_ref_stop_sync (data, TEST_TIMEOUT_MSEC, NULL);
  return NULL;
}

static void
test_race (void)
{
  Told *told[RACE_WATCHERS];
  PykkaActorRef *watchers[RACE_WATCHERS];
  GPtrArray *kept[RACE_WATCHERS];     /* refs whose watch was kept */
  GPtrArray *dropped[RACE_WATCHERS];  /* refs unwatched */

  g_test_summary ("Watch, unwatch and stop on several threads at once: every watch not unwatched "
                  "is told exactly once, an unwatched one at most once, no death twice");

  for (guint w = 0; w < RACE_WATCHERS; w++)
    {
      g_autoptr(TestActor) actor = NULL;

      told[w] = told_new ();
      kept[w] = g_ptr_array_new_with_free_func (g_object_unref);
      dropped[w] = g_ptr_array_new_with_free_func (g_object_unref);
      actor = test_actor_new_of_type (TEST_TYPE_ACTOR, watcher_receive, told[w], "use-own-thread", TRUE, NULL);
      watchers[w] = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
      g_assert_nonnull (watchers[w]);
    }

  for (guint i = 0; i < RACE_ROUNDS; i++)
    {
      g_autoptr(TestActor) target = test_actor_new_of_type (TEST_TYPE_ACTOR, test_echo, NULL, "use-own-thread", TRUE, NULL);
      PykkaActorRef *watched = pykka_actor_start (PYKKA_ACTOR (target), NULL);
      GThread *stopper;

      g_clear_object (&target);
      stopper = g_thread_new ("stopper", race_stop, watched);
      for (guint w = 0; w < RACE_WATCHERS; w++)
        {
          watch (watchers[w], watched);
          if ((i + w) % 3 == 0)
            {
              unwatch (watchers[w], watched);
              g_ptr_array_add (dropped[w], g_object_ref (watched));
            }
          else
            g_ptr_array_add (kept[w], g_object_ref (watched));
        }
      g_thread_join (stopper);
      g_object_unref (watched);
    }

  for (guint w = 0; w < RACE_WATCHERS; w++)
    {
      g_autoptr(PykkaFuture) probe = NULL;
      g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

      /* Every news is queued by now (the stops returned); a probe ask
       * comes after it in each mailbox. */
      probe = test_ask_int (watchers[w], 0);
      g_assert_nonnull (pykka_future_get (probe, TEST_TIMEOUT_MSEC, NULL));
      g_assert_true (pykka_actor_ref_stop_sync (watchers[w], TEST_TIMEOUT_MSEC, NULL));
      for (guint k = 0; k < told[w]->terminated->len; k++)
        {
          PykkaActorRef *ref = pykka_terminated_get_actor_ref (told[w]->terminated->pdata[k]);

          g_assert_false (g_hash_table_contains (seen, ref));  /* never twice */
          g_hash_table_add (seen, ref);
        }
      for (guint k = 0; k < kept[w]->len; k++)
        g_assert_true (g_hash_table_contains (seen, kept[w]->pdata[k]));
      g_assert_cmpuint (told[w]->terminated->len, <=, kept[w]->len + dropped[w]->len);
      g_object_unref (watchers[w]);
      g_ptr_array_unref (kept[w]);
      g_ptr_array_unref (dropped[w]);
      told_free (told[w]);
    }
}

/* Records the order of what it handles: 0 for a death, else the int. */
static gboolean
order_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  GArray *order = test_actor_get_data (self);
  gint v = G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED) ? 0 : g_value_get_int (message);

  g_array_append_val (order, v);
  return TRUE;
}

static void
test_control_lane (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr(PykkaActorRef) watcher = NULL;
  g_autoptr(PykkaActorRef) stop_me = NULL;
  TestRecord *r;
  g_autoptr(PykkaActorRef) watched = test_start (0, test_echo, NULL, &r);

  g_test_summary ("The news of a death goes in the control lane: it overtakes the ordinary mail "
                  "queued before it; an ordinary stop still waits behind the mail");

  g_main_context_push_thread_default (ctx);
  {
    g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_ACTOR, order_receive, order, "context", ctx, NULL);

    watcher = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
    pykka_actor_watch (PYKKA_ACTOR (actor), watched);
  }
  g_main_context_pop_thread_default (ctx);
  for (gint i = 1; i <= 3; i++)
    test_tell_int (watcher, i);
  g_assert_true (pykka_actor_ref_stop_sync (watched, TEST_TIMEOUT_MSEC, NULL));
  test_tell_int (watcher, 4);
  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (watcher);

    test_iterate_until (ctx, pykka_future_is_done (stopped));
  }
  g_assert_cmpuint (order->len, ==, 5);
  g_assert_cmpint (g_array_index (order, gint, 0), ==, 0);
  for (gint i = 1; i <= 4; i++)
    g_assert_cmpint (g_array_index (order, gint, i), ==, i);
  test_record_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/Pykka/Watch/told-once/stop", GINT_TO_POINTER (DEATH_STOP), test_watcher_told_once);
  g_test_add_data_func ("/Pykka/Watch/told-once/failure", GINT_TO_POINTER (DEATH_FAILURE), test_watcher_told_once);
  g_test_add_data_func ("/Pykka/Watch/told-once/kill", GINT_TO_POINTER (DEATH_KILL), test_watcher_told_once);
  g_test_add_func ("/Pykka/Watch/dead-already", test_watch_dead_actor);
  g_test_add_func ("/Pykka/Watch/unwatch", test_unwatch);
  g_test_add_func ("/Pykka/Watch/terminated-future", test_terminated_future);
  g_test_add_func ("/Pykka/Watch/never-started", test_never_started);
  g_test_add_func ("/Pykka/Watch/watcher-dies-first", test_watcher_dies_first);
  g_test_add_func ("/Pykka/Watch/race", test_race);
  g_test_add_func ("/Pykka/Watch/control-lane", test_control_lane);

  return g_test_run ();
}
