/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Hostile orderings for the speed work of issue 18: the registry's
 * intrusive lists and urn index, the START message embedded in the cell,
 * the per-thread spares, the local run queue and the FPU control words
 * loaded only when they differ. Each test asserts the documented
 * behaviour; every wait has TEST_TIMEOUT_MSEC; no timing is asserted.
 * Under valgrind on a normal build (spares on), a spare used after its
 * reuse or a cell kept in the urn index after its death shows up as an
 * invalid read. */

#include "config.h"

#include <string.h>

#include "test-util.h"

#include "pykka-private.h"

/* Rounds, scaled by $PYKKA_STRESS_SCALE (a float, default 1). */
static guint
scaled (guint rounds)
{
  const char *scale = g_getenv ("PYKKA_STRESS_SCALE");
  double factor = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  return MAX (1, (guint) (rounds * (factor > 0 ? factor : 1.0)));
}

/* ------------------------------------------------------------------
 * Registry: urns made on another thread while the actors stop
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef **refs;
  guint           n;
  gint            done;   /* atomic */
} UrnHunt;

static gpointer
hunt_urns (gpointer data)
{
  UrnHunt *h = data;

  /* Makes each urn (the first time) and looks it up, over and over,
   * while the main thread stops the actors. */
  for (guint round = 0; round < 4; round++)
    for (guint i = 0; i < h->n; i++)
      {
        const char *urn = pykka_actor_ref_get_urn (h->refs[i]);
        g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (urn);

        g_assert_true (found == NULL || found == h->refs[i]);
      }
  g_atomic_int_set (&h->done, TRUE);
  return NULL;
}

static void
test_urn_made_while_stopping (void)
{
  guint n = scaled (40);
  g_autofree PykkaActorRef **refs = g_new0 (PykkaActorRef *, n);
  g_autofree PykkaFuture **stops = g_new0 (PykkaFuture *, n);
  UrnHunt hunt = { refs, n, FALSE };
  GThread *thread;

  g_test_summary ("Urns made on another thread while their actors stop: a stopped actor is never found by its urn, and the registry ends empty");

  for (guint i = 0; i < n; i++)
    refs[i] = test_start (0, test_record_int, NULL, NULL);
  thread = g_thread_new ("urns", hunt_urns, &hunt);
  for (guint i = 0; i < n; i++)
    stops[i] = pykka_actor_ref_stop (refs[i]);
  for (guint i = 0; i < n; i++)
    test_iterate_until (NULL, pykka_future_is_done (stops[i]));
  test_iterate_until (NULL, g_atomic_int_get (&hunt.done));
  g_thread_join (thread);

  for (guint i = 0; i < n; i++)
    {
      g_assert_false (pykka_actor_ref_is_alive (refs[i]));
      g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (refs[i])));
      g_object_unref (stops[i]);
      g_object_unref (refs[i]);
    }
  g_assert_null (pykka_registry_get_all ());
}

/* ------------------------------------------------------------------
 * The embedded START: stopped and killed before the first turn
 * ------------------------------------------------------------------ */

static void
test_start_killed_before_first_turn (void)
{
  guint rounds = scaled (20);

  g_test_summary ("An actor stopped, then killed before its START ran: every message is answered, the START is dropped once, nothing hangs or leaks");

  for (guint i = 0; i < rounds; i++)
    {
      TestRecord *record = NULL;
      g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, &record);
      g_autoptr(PykkaFuture) asked = test_ask_int (ref, 1);
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);
      g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (ref);
      g_autoptr(PykkaFuture) late = NULL;

      /* Every other round the kill comes while the stop is queued. */
      if (i % 2 == 0)
        pykka_actor_ref_kill (ref);
      test_iterate_until (NULL, pykka_future_is_done (terminated));
      test_iterate_until (NULL, pykka_future_is_done (asked) && pykka_future_is_done (stopped));
      g_assert_false (pykka_actor_ref_is_alive (ref));
      /* A message after the death is refused at once. */
      late = pykka_actor_ref_ask (ref, test_value_int (&(GValue) G_VALUE_INIT, 2));
      g_assert_true (pykka_future_is_done (late));
      g_assert_cmpint (g_atomic_int_get (&record->n_started), <=, 1);
      test_record_free (record);
    }
  g_assert_null (pykka_registry_get_all ());
}

/* ------------------------------------------------------------------
 * Spares: messages and bare promises allocated on short-lived threads
 * and freed on the actor's thread (and the other way round)
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef *ref;
  guint          asks;
  gint          *finished;  /* atomic */
} Asker;

static gpointer
ask_many (gpointer data)
{
  Asker *a = data;

  for (guint i = 0; i < a->asks; i++)
    {
      g_auto(GValue) msg = G_VALUE_INIT;
      g_auto(GValue) reply = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;

      g_assert_true (pykka_actor_ref_ask_sync (a->ref, test_value_int (&msg, (gint) i),
                                               TEST_TIMEOUT_MSEC, &reply, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (&reply), ==, (gint) i);
    }
  g_atomic_int_inc (a->finished);
  return NULL;
}

static void
test_spares_across_threads (void)
{
  g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, NULL);
  guint rounds = scaled (3);
  gint finished = 0;

  g_test_summary ("Blocking asks from threads that end, answered on the main thread: each message and bare promise freed on one thread and reused on another carries the right reply");

  for (guint r = 0; r < rounds; r++)
    {
      Asker askers[3];
      GThread *threads[3];

      for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
        {
          askers[t] = (Asker) { ref, 40, &finished };
          threads[t] = g_thread_new ("asker", ask_many, &askers[t]);
        }
      test_iterate_until (NULL, (guint) g_atomic_int_get (&finished) == (r + 1) * G_N_ELEMENTS (threads));
      for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
        g_thread_join (threads[t]);
    }
  test_stop_all ();
}

/* ------------------------------------------------------------------
 * The FPU control words across a suspension
 * ------------------------------------------------------------------ */

/* The SSE rounding mode (MXCSR bits 13-14), without libm. */
#if defined(__x86_64__) && defined(__GNUC__)
# define MODE_NEAREST 0
static gint
get_mode (void)
{
  return (gint) ((__builtin_ia32_stmxcsr () >> 13) & 3);
}

static void
set_mode (gint mode)
{
  __builtin_ia32_ldmxcsr ((__builtin_ia32_stmxcsr () & ~(3u << 13)) | ((guint) mode << 13));
}

/* The rounding mode a handler sees. */
static gboolean
report_rounding (TestActor     *self,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, get_mode ());
  return TRUE;
}

/* Sets the rounding mode of the message, asks the actor of its data (a
 * suspension of this coroutine) and replies whether its mode survived. */
static gboolean
round_and_ask (TestActor     *self,
               const GValue  *message,
               GValue        *reply,
               GError       **error)
{
  PykkaActorRef *other = test_actor_get_data (self);
  gint mode = g_value_get_int (message);
  g_auto(GValue) msg = G_VALUE_INIT;
  g_auto(GValue) theirs = G_VALUE_INIT;
  gboolean kept;

  set_mode (mode);
  if (!pykka_actor_ref_ask_sync (other, test_value_int (&msg, 0), TEST_TIMEOUT_MSEC, &theirs, error))
    {
      set_mode (MODE_NEAREST);
      return FALSE;
    }
  kept = get_mode () == mode;
  set_mode (MODE_NEAREST);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, kept);
  return TRUE;
}

static void
test_rounding_mode_survives_suspension (void)
{
  g_autoptr(PykkaActorRef) reporter = test_start (TEST_TYPE_STACKFUL_ACTOR, report_rounding, NULL, NULL);
  g_autoptr(PykkaActorRef) asker = test_start (TEST_TYPE_STACKFUL_ACTOR, round_and_ask, reporter, NULL);
  const gint modes[] = { 2, 1, 3, MODE_NEAREST };  /* up, down, toward zero, nearest */

  g_test_summary ("A stackful handler that changes its rounding mode and suspends finds it again on resume; the native stack keeps its own");

  for (guint i = 0; i < G_N_ELEMENTS (modes) * 3; i++)
    {
      g_autoptr(PykkaFuture) f = test_ask_int (asker, modes[i % G_N_ELEMENTS (modes)]);

      test_iterate_until (NULL, pykka_future_is_done (f));
      g_assert_cmpint (test_get_int (f), ==, TRUE);
      g_assert_cmpint (get_mode (), ==, MODE_NEAREST);
    }
  test_stop_all ();
}

#endif

/* ------------------------------------------------------------------
 * The local run queue under a nested loop with a spent time budget
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef *peer;      /* (unowned) */
  TestRecord    *peer_record;
  guint          tells;
} Nester;

/* Tells the peer (the local run queue: same context, from a turn), then
 * iterates the context until the peer has handled all of it. */
static gboolean
tell_and_nest (TestActor     *self,
               const GValue  *message,
               GValue        *reply,
               GError       **error)
{
  Nester *n = test_actor_get_data (self);
  gint before = g_atomic_int_get (&n->peer_record->n_received);
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  for (guint i = 0; i < n->tells; i++)
    test_tell_int (n->peer, (gint) i);
  while (g_atomic_int_get (&n->peer_record->n_received) < before + (gint) n->tells)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
    }
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_atomic_int_get (&n->peer_record->n_received) - before);
  return TRUE;
}

static void
test_nested_loop_spent_budget (void)
{
  guint budget = pykka_context_get_time_budget (NULL);
  TestRecord *record = NULL;
  g_autoptr(PykkaActorRef) peer = test_start (0, test_record_int, NULL, &record);
  Nester nester = { peer, record, 200 };
  g_autoptr(PykkaActorRef) ref = test_start (0, tell_and_nest, &nester, NULL);

  g_test_summary ("A handler iterating its context after queueing work for a neighbour, with a time budget so small that each nested run ends with cells left on the local queue: all of it runs");

  pykka_context_set_time_budget (NULL, 1);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaFuture) f = test_ask_int (ref, 0);

      test_iterate_until (NULL, pykka_future_is_done (f));
      g_assert_cmpint (test_get_int (f), ==, (gint) nester.tells);
    }
  pykka_context_set_time_budget (NULL, budget);
  test_stop_all ();
  test_record_free (record);
}


/* ------------------------------------------------------------------
 * Registry: mass start and stop on two threads, a model and readers
 * ------------------------------------------------------------------ */

typedef struct
{
  guint  actors;
  gint  *running;   /* atomic: workers not finished */
  gint  *stopping;  /* atomic: readers go on while set */
} Churn;

/* Starts actors on a context of its own, asks each (so that they run),
 * stops them all and waits for their deaths, iterating its context. */
static gpointer
churn_actors (gpointer data)
{
  Churn *c = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree PykkaActorRef **refs = g_new0 (PykkaActorRef *, c->actors);
  g_autofree PykkaFuture **futures = g_new0 (PykkaFuture *, c->actors);

  g_main_context_push_thread_default (context);
  for (guint round = 0; round < 2; round++)
    {
      for (guint i = 0; i < c->actors; i++)
        {
          refs[i] = test_start (0, test_echo, NULL, NULL);
          futures[i] = test_ask_int (refs[i], (gint) i);
        }
      for (guint i = 0; i < c->actors; i++)
        {
          test_iterate_until (context, pykka_future_is_done (futures[i]));
          g_assert_cmpint (test_get_int (futures[i]), ==, (gint) i);
          g_object_unref (futures[i]);
          /* Half of them die by a kill, half by a stop. */
          if (i % 2 == 0)
            futures[i] = pykka_actor_ref_stop (refs[i]);
          else
            {
              pykka_actor_ref_kill (refs[i]);
              futures[i] = pykka_actor_ref_get_terminated (refs[i]);
            }
        }
      for (guint i = 0; i < c->actors; i++)
        {
          test_iterate_until (context, pykka_future_is_done (futures[i]));
          g_assert_false (pykka_actor_ref_is_alive (refs[i]));
          g_clear_object (&futures[i]);
          g_clear_object (&refs[i]);
        }
    }
  g_main_context_pop_thread_default (context);
  g_atomic_int_dec_and_test (c->running);
  return NULL;
}

/* Reads the registry while the workers churn: every ref it hands out is
 * of a TestActor, and every urn it makes finds the actor or nothing. */
static gpointer
read_registry (gpointer data)
{
  Churn *c = data;

  while (g_atomic_int_get (c->stopping) == 0)
    {
      g_autolist(PykkaActorRef) all = pykka_registry_get_all ();
      g_autolist(PykkaActorRef) typed = pykka_registry_get_by_type (TEST_TYPE_ACTOR);

      for (GList *l = all; l != NULL; l = l->next)
        {
          g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (l->data));

          g_assert_true (found == NULL || found == l->data);
          g_assert_true (g_type_is_a (pykka_actor_ref_get_actor_type (l->data), TEST_TYPE_ACTOR));
        }
      g_assert_cmpuint (g_list_length (typed), <=, g_list_length (all) + 2 * c->actors);
      g_thread_yield ();
    }
  return NULL;
}

static void
test_registry_churn_two_threads (void)
{
  g_autoptr(PykkaRegistryModel) model = pykka_registry_model_new (TEST_TYPE_ACTOR);
  gint running = 2;
  gint stopping = 0;
  Churn churn = { scaled (30), &running, &stopping };
  GThread *workers[2], *reader;

  g_test_summary ("Actors started, stopped and killed in bulk on two threads while a third reads the registry (all, by type, by urn) and a model follows it: the model and the registry end empty, nothing is found after its death");

  reader = g_thread_new ("reader", read_registry, &churn);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    workers[i] = g_thread_new ("churn", churn_actors, &churn);
  test_iterate_until (NULL, g_atomic_int_get (&running) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    g_thread_join (workers[i]);
  g_atomic_int_set (&stopping, 1);
  g_thread_join (reader);

  g_assert_null (pykka_registry_get_all ());
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 0);
}

/* ------------------------------------------------------------------
 * An actor whose urn was made but that never starts
 * ------------------------------------------------------------------ */

static void
test_urn_of_actor_never_started (void)
{
  TestActor *actor = test_actor_new (test_echo, NULL);
  g_autoptr(PykkaActorRef) ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actor)));
  g_autofree char *urn = g_strdup (pykka_actor_ref_get_urn (ref));

  g_test_summary ("An actor whose urn was made and that never starts is never found by it, and its cell is freed without a registry entry");

  g_assert_null (pykka_registry_get_by_urn (urn));
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_object_unref (actor);
  g_assert_null (pykka_registry_get_by_urn (urn));
  g_assert_null (pykka_registry_get_all ());
}

/* ------------------------------------------------------------------
 * A blocking ask that times out: its bare promise (which borrows its
 * source) outlives the asker's ref and the actor
 * ------------------------------------------------------------------ */

static gpointer
ask_and_give_up (gpointer data)
{
  PykkaActorRef *ref = data;
  g_auto(GValue) msg = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  /* Nobody runs the main context meanwhile: the ask times out. */
  g_assert_false (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, 7), 1, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_object_unref (ref);
  return NULL;
}

static void
test_timed_out_ask_outlives_actor (void)
{
  guint rounds = scaled (10);

  g_test_summary ("A blocking ask from another thread times out and drops its ref; the actor then handles the ask and dies: the bare promise, whose source was only lent, is answered and freed without reading it");

  for (guint i = 0; i < rounds; i++)
    {
      TestRecord *record = NULL;
      PykkaActorRef *ref = test_start (0, test_record_int, NULL, &record);
      g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (ref);

      g_thread_join (g_thread_new ("give-up", ask_and_give_up, g_object_ref (ref)));
      /* The ask is still queued: the actor handles it (or it is answered
       * dead) after the asker gave up. */
      if (i % 2 == 0)
        pykka_actor_ref_kill (ref);
      else
        g_object_unref (pykka_actor_ref_stop (ref));
      g_object_unref (ref);
      test_iterate_until (NULL, pykka_future_is_done (terminated));
      test_record_free (record);
    }
  g_assert_null (pykka_registry_get_all ());
}

/* ------------------------------------------------------------------
 * Helpers in turn: a context nobody owns, run by the blocking asks of
 * several threads; a stackful actor there asks a neighbour of its
 * context (a fast wait-for edge, the local run queue, a suspension that
 * another helper may resume)
 * ------------------------------------------------------------------ */

/* Asks the actor of its data (same context) for the message and
 * replies what it answered. */
static gboolean
ask_neighbour (TestActor     *self,
               const GValue  *message,
               GValue        *reply,
               GError       **error)
{
  PykkaActorRef *neighbour = test_actor_get_data (self);

  return pykka_actor_ref_ask_sync (neighbour, message, TEST_TIMEOUT_MSEC, reply, error);
}

typedef struct
{
  PykkaActorRef *ref;
  gint           base;
  guint          asks;
  guint          wrong;    /* answers that were not the value asked */
  GError        *error;    /* (owned) (nullable) the first error */
} Helper;

static gpointer
help_by_asking (gpointer data)
{
  Helper *h = data;

  for (guint i = 0; i < h->asks; i++)
    {
      g_auto(GValue) msg = G_VALUE_INIT;
      g_auto(GValue) reply = G_VALUE_INIT;
      GError *error = NULL;

      if (!pykka_actor_ref_ask_sync (h->ref, test_value_int (&msg, h->base + (gint) i),
                                     TEST_TIMEOUT_MSEC, &reply, &error))
        {
          if (h->error == NULL)
            h->error = error;
          else
            g_error_free (error);
          continue;
        }
      if (g_value_get_int (&reply) != h->base + (gint) i)
        h->wrong++;
    }
  return NULL;
}

static void
test_helpers_run_stackful_chain (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(TestActor) echo = test_actor_new_of_type (TEST_TYPE_ACTOR, test_echo, NULL, "context", ctx, NULL);
  g_autoptr(PykkaActorRef) echo_ref = NULL;
  g_autoptr(TestActor) asker = NULL;
  g_autoptr(PykkaActorRef) asker_ref = NULL;
  g_autoptr(GError) error = NULL;
  Helper helpers[3];
  GThread *threads[3];
  guint n = scaled (30);

  g_test_summary ("A stackful actor and its neighbour on a context nobody owns, run in turn by the blocking asks of three threads: every ask is answered with its own value, whichever thread resumes the suspended handler");

  echo_ref = pykka_actor_start (PYKKA_ACTOR (echo), &error);
  g_assert_no_error (error);
  asker = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, ask_neighbour, echo_ref, "context", ctx, NULL);
  asker_ref = pykka_actor_start (PYKKA_ACTOR (asker), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      helpers[i] = (Helper) { asker_ref, (gint) (i + 1) * 100000, n, 0, NULL };
      threads[i] = g_thread_new ("helper", help_by_asking, &helpers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (helpers[i].error);
      g_assert_cmpuint (helpers[i].wrong, ==, 0);
    }
  g_assert_cmpint (pykka_scheduler_may_run_context (ctx), ==, PYKKA_RUN_HELP);

  g_assert_true (pykka_actor_ref_stop_sync (asker_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_true (pykka_actor_ref_stop_sync (echo_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  test_stop_all ();
}

/* ------------------------------------------------------------------
 * A kill while the actor is STARTING (pykka_actor_start() has not
 * returned): here from a registry observer, which runs inside the start
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaCell     *cell;   /* (unowned) the starting actor's */
  PykkaActorRef *ref;    /* (owned) */
  gint           first;  /* what the two kills returned, -1 if not called */
  gint           second;
} KillAtStart;

static void
kill_at_start_observer (PykkaCell *cell,
                        gboolean   added,
                        gpointer   user_data)
{
  KillAtStart *k = user_data;

  if (!added || cell != k->cell)
    return;
  k->first = pykka_actor_ref_kill (k->ref);
  k->second = pykka_actor_ref_kill (k->ref);
}

static void
test_kill_while_starting (void)
{
  g_test_summary ("A kill while pykka_actor_start() runs (the actor STARTING) is not lost: it returns TRUE and a second "
                  "kill FALSE; once the start is done the actor dies, killed, without running on_start or handling the "
                  "message sent meanwhile (its ask fails with ACTOR_DEAD); on the caller's context and on a thread of its own");

  for (guint own = 0; own < 2; own++)
    {
      g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_ACTOR, test_record_int, NULL,
                                                           "use-own-thread", (gboolean) own, NULL);
      TestRecord *record = test_record_ref (test_actor_get_record (actor));
      KillAtStart k = { NULL, NULL, -1, -1 };
      g_autoptr(PykkaActorRef) ref = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      g_autoptr(PykkaFuture) terminated = NULL;
      g_autoptr(GError) error = NULL;
      PykkaTerminated *t;

      k.ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actor)));
      k.cell = pykka_actor_ref_get_cell (k.ref);
      /* Sent before the start: queued behind it. */
      asked = test_ask_int (k.ref, 1);

      pykka_registry_add_observer (kill_at_start_observer, &k);
      ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
      pykka_registry_remove_observer (kill_at_start_observer, &k);
      g_assert_no_error (error);
      g_assert_cmpint (k.first, ==, TRUE);
      g_assert_cmpint (k.second, ==, FALSE);

      terminated = pykka_actor_ref_get_terminated (ref);
      test_iterate_until (NULL, pykka_future_is_done (terminated));
      t = g_value_get_boxed (pykka_future_get (terminated, 0, NULL));
      g_assert_error (pykka_terminated_get_reason (t), PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      g_assert_false (pykka_actor_ref_is_alive (ref));

      test_iterate_until (NULL, pykka_future_is_done (asked));
      g_assert_null (pykka_future_get (asked, 0, &error));
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      g_assert_cmpint (g_atomic_int_get (&record->n_received), ==, 0);
      g_assert_cmpint (g_atomic_int_get (&record->n_started), ==, 0);

      g_object_unref (k.ref);
      test_record_free (record);
    }
  g_assert_null (pykka_registry_get_all ());
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Races18/urn-made-while-stopping", test_urn_made_while_stopping);
  g_test_add_func ("/Pykka/Races18/start-killed-before-first-turn", test_start_killed_before_first_turn);
  g_test_add_func ("/Pykka/Races18/kill-while-starting", test_kill_while_starting);
  g_test_add_func ("/Pykka/Races18/spares-across-threads", test_spares_across_threads);
#if defined(__x86_64__) && defined(__GNUC__)
  g_test_add_func ("/Pykka/Races18/rounding-mode-survives-suspension", test_rounding_mode_survives_suspension);
#endif
  g_test_add_func ("/Pykka/Races18/nested-loop-spent-budget", test_nested_loop_spent_budget);
  g_test_add_func ("/Pykka/Races18/registry-churn-two-threads", test_registry_churn_two_threads);
  g_test_add_func ("/Pykka/Races18/urn-of-actor-never-started", test_urn_of_actor_never_started);
  g_test_add_func ("/Pykka/Races18/timed-out-ask-outlives-actor", test_timed_out_ask_outlives_actor);
  g_test_add_func ("/Pykka/Races18/helpers-run-stackful-chain", test_helpers_run_stackful_chain);

  return g_test_run ();
}
