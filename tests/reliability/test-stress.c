/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Stress tests (suite 'slow'): many producer threads, many actors on
 * several contexts and threads, actors stopped with mail in flight,
 * futures and events raced from threads. Every test checks exact counts:
 * each tell handled once in per-sender order, each ask answered once, the
 * registry empty and every object finalized at the end.
 *
 * $PYKKA_STRESS_SCALE scales the message counts (sanitizer and valgrind
 * runs use a fraction). */

#include "config.h"

#include "rel-util.h"

#define MAX_SENDERS 16

/* Pushed through all the tests of this run; printed at the end. */
static gint64 total_messages;

/* ---- the actor under stress ---------------------------------------- */

typedef struct
{
  /* Written only by the actor's handlers, read after it stopped. */
  guint32 last_seq[MAX_SENDERS];
  guint   handled;
  guint   errors;       /* out-of-order or duplicate messages */
  gint    started;      /* atomic */
  gint    stopped;      /* atomic */
} StressRecord;

#define STRESS_TYPE_ACTOR (stress_actor_get_type ())
G_DECLARE_DERIVABLE_TYPE (StressActor, stress_actor, STRESS, ACTOR, PykkaActor)

struct _StressActorClass
{
  PykkaActorClass parent_class;
};

typedef struct
{
  StressRecord  *record;
  PykkaActorRef *forward_to;  /* (owned) (nullable) ask it and wait before answering */
} StressActorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (StressActor, stress_actor, PYKKA_TYPE_ACTOR)

static inline guint64
stress_encode (guint sender, guint32 seq)
{
  return ((guint64) sender << 32) | seq;
}

static gboolean
stress_actor_on_start (PykkaActor *actor, GError **error)
{
  StressActorPrivate *priv = stress_actor_get_instance_private (STRESS_ACTOR (actor));

  g_atomic_int_inc (&priv->record->started);
  return TRUE;
}

static gboolean
stress_actor_on_stop (PykkaActor *actor, GError **error)
{
  StressActorPrivate *priv = stress_actor_get_instance_private (STRESS_ACTOR (actor));

  g_atomic_int_inc (&priv->record->stopped);
  return TRUE;
}

static gboolean
stress_actor_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  StressActorPrivate *priv = stress_actor_get_instance_private (STRESS_ACTOR (actor));
  StressRecord *r = priv->record;
  guint64 v = g_value_get_uint64 (message);
  guint sender = v >> 32;
  guint32 seq = v & 0xffffffff;

  if (sender >= MAX_SENDERS || seq != r->last_seq[sender] + 1)
    r->errors++;
  else
    r->last_seq[sender] = seq;
  r->handled++;

  if (priv->forward_to != NULL)
    {
      /* Stackful: the wait suspends just this actor. */
      g_autoptr(PykkaFuture) inner = NULL;
      GValue m = G_VALUE_INIT;
      const GValue *value;

      g_value_init (&m, G_TYPE_UINT64);
      g_value_set_uint64 (&m, v);
      inner = pykka_actor_ref_ask (priv->forward_to, &m);
      g_value_unset (&m);
      value = pykka_future_get (inner, TEST_TIMEOUT_MSEC, error);
      if (value == NULL)
        return FALSE;
      g_value_init (reply, G_TYPE_UINT64);
      g_value_copy (value, reply);
      return TRUE;
    }

  g_value_init (reply, G_TYPE_UINT64);
  g_value_set_uint64 (reply, v);
  return TRUE;
}

static void
stress_actor_dispose (GObject *object)
{
  StressActorPrivate *priv = stress_actor_get_instance_private (STRESS_ACTOR (object));

  g_clear_object (&priv->forward_to);
  G_OBJECT_CLASS (stress_actor_parent_class)->dispose (object);
}

static void
stress_actor_class_init (StressActorClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = stress_actor_dispose;
  actor_class->on_start = stress_actor_on_start;
  actor_class->on_stop = stress_actor_on_stop;
  actor_class->on_receive = stress_actor_on_receive;
}

static void
stress_actor_init (StressActor *self)
{
}

#define STRESS_TYPE_STACKFUL_ACTOR (stress_stackful_actor_get_type ())
G_DECLARE_FINAL_TYPE (StressStackfulActor, stress_stackful_actor, STRESS, STACKFUL_ACTOR, StressActor)

struct _StressStackfulActor
{
  StressActor parent_instance;
};

G_DEFINE_FINAL_TYPE (StressStackfulActor, stress_stackful_actor, STRESS_TYPE_ACTOR)

static void
stress_stackful_actor_class_init (StressStackfulActorClass *klass)
{
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
stress_stackful_actor_init (StressStackfulActor *self)
{
}

/* ---- worker threads running contexts -------------------------------- */

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  gint          running;  /* atomic: the thread owns its context */
} Worker;

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;

  g_main_context_push_thread_default (w->context);
  g_atomic_int_set (&w->running, TRUE);
  g_main_loop_run (w->loop);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

static void
workers_start (Worker *workers, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      workers[i].context = g_main_context_new ();
      workers[i].loop = g_main_loop_new (workers[i].context, FALSE);
      workers[i].running = FALSE;
      workers[i].thread = g_thread_new ("stress-worker", worker_main, &workers[i]);
    }
  /* Until a worker owns its context, a blocking wait elsewhere may
   * acquire it (and the worker's push would fail). */
  for (guint i = 0; i < n; i++)
    test_iterate_until (NULL, g_atomic_int_get (&workers[i].running));
}

static void
workers_stop (Worker *workers, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_main_loop_quit (workers[i].loop);
      g_thread_join (workers[i].thread);
      g_main_loop_unref (workers[i].loop);
      g_main_context_unref (workers[i].context);
    }
}

/* ---- a population of actors ------------------------------------------ */

typedef struct
{
  guint           n_actors;
  PykkaActorRef **refs;      /* (owned) */
  StressRecord   *records;
  RelLeakCounter  leaks;
  Worker          workers[3];
} Population;

/* Actor i: every 4th on a thread of its own, the others spread over the
 * workers' contexts; odd ones stackful. */
static void
population_start (Population *p, guint n_actors)
{
  p->n_actors = n_actors;
  p->refs = g_new0 (PykkaActorRef *, n_actors);
  p->records = g_new0 (StressRecord, n_actors);
  workers_start (p->workers, G_N_ELEMENTS (p->workers));

  for (guint i = 0; i < n_actors; i++)
    {
      GType type = i % 2 ? STRESS_TYPE_STACKFUL_ACTOR : STRESS_TYPE_ACTOR;
      g_autoptr(GError) error = NULL;
      StressActor *actor;

      if (i % 4 == 0)
        actor = g_object_new (type, "use-own-thread", TRUE, NULL);
      else
        actor = g_object_new (type, "context", p->workers[i % G_N_ELEMENTS (p->workers)].context, NULL);
      ((StressActorPrivate *) stress_actor_get_instance_private (actor))->record = &p->records[i];
      rel_leak_watch (&p->leaks, actor);
      p->refs[i] = pykka_actor_start (PYKKA_ACTOR (actor), &error);
      g_assert_no_error (error);
      g_object_unref (actor);
    }
}

static gboolean
registry_is_empty (void)
{
  GList *all = pykka_registry_get_all ();

  g_list_free_full (all, g_object_unref);
  return all == NULL;
}

/* Stops every actor: once it returns, every message queued before is
 * handled and the records may be read. */
static void
population_stop (Population *p)
{
  g_autoptr(GError) error = NULL;
  GList *left;

  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  left = pykka_registry_get_all ();
  g_assert_null (left);
}

static void
population_finish (Population *p)
{
  population_stop (p);
  for (guint i = 0; i < p->n_actors; i++)
    {
      g_assert_false (pykka_actor_ref_is_alive (p->refs[i]));
      g_assert_cmpint (p->records[i].errors, ==, 0);
      g_assert_cmpint (p->records[i].started, ==, 1);
      g_assert_cmpint (p->records[i].stopped, ==, 1);
      g_clear_object (&p->refs[i]);
    }
  rel_leak_assert_all_freed (&p->leaks);
  workers_stop (p->workers, G_N_ELEMENTS (p->workers));
  g_free (p->refs);
  g_free (p->records);
}

/* ---- producers ------------------------------------------------------- */

typedef struct
{
  Population     *population;
  guint           sender;
  guint           n_messages;
  guint32         seq[64];          /* per actor: last sequence number sent */
  guint32         accepted[64];     /* per actor: how many were queued */
  guint           asks_answered;    /* with a value */
  guint           asks_dead;        /* with ACTOR_DEAD */
  guint           asks_other;       /* anything else: a failure */
  gboolean        tolerate_dead;    /* actors may be stopped under us */
  RelLeakCounter *future_leaks;
  gint           *progress;         /* atomic: messages sent by all */
} Producer;

typedef struct
{
  PykkaFuture *future;
  guint64      expected;
} PendingAsk;

static void
producer_settle (Producer *pr, GArray *pending)
{
  for (guint i = 0; i < pending->len; i++)
    {
      PendingAsk *pa = &g_array_index (pending, PendingAsk, i);
      g_autoptr(GError) error = NULL;
      const GValue *value = pykka_future_get (pa->future, TEST_TIMEOUT_MSEC, &error);

      if (value != NULL && G_VALUE_HOLDS_UINT64 (value) && g_value_get_uint64 (value) == pa->expected)
        pr->asks_answered++;
      else if (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD) && pr->tolerate_dead)
        pr->asks_dead++;
      else
        {
          g_printerr ("ask %" G_GUINT64_FORMAT " got %s\n", pa->expected,
                      error != NULL ? error->message : "a wrong value");
          pr->asks_other++;
        }
      g_object_unref (pa->future);
    }
  g_array_set_size (pending, 0);
}

static gpointer
producer_main (gpointer data)
{
  Producer *pr = data;
  Population *p = pr->population;
  g_autoptr(GRand) rand = g_rand_new_with_seed (pr->sender * 7919 + 1);
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (PendingAsk));
  GValue msg = G_VALUE_INIT;

  g_value_init (&msg, G_TYPE_UINT64);
  for (guint i = 0; i < pr->n_messages; i++)
    {
      guint a = g_rand_int_range (rand, 0, p->n_actors);
      guint64 v;

      if (pr->progress != NULL)
        g_atomic_int_inc (pr->progress);

      /* Once an actor refused a message, it stays dead: stop sending
       * there, so that "accepted" stays a prefix of what was sent. */
      if (pr->tolerate_dead && pr->accepted[a] != pr->seq[a])
        continue;

      v = stress_encode (pr->sender, ++pr->seq[a]);
      g_value_set_uint64 (&msg, v);
      if (i % 8 == 7)
        {
          PendingAsk pa = { pykka_actor_ref_ask (p->refs[a], &msg), v };

          if (pr->future_leaks != NULL)
            rel_leak_watch (pr->future_leaks, pa.future);
          /* A dead actor fails the future at once; count it as refused. */
          if (!(pykka_future_is_done (pa.future) &&
                pykka_future_get (pa.future, 0, NULL) == NULL))
            pr->accepted[a] = pr->seq[a];
          g_array_append_val (pending, pa);
          if (pending->len >= 256)
            producer_settle (pr, pending);
        }
      else
        {
          g_autoptr(GError) error = NULL;

          if (pykka_actor_ref_tell (p->refs[a], &msg, &error))
            pr->accepted[a] = pr->seq[a];
          else
            g_assert_true (pr->tolerate_dead && g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD));
        }
    }
  producer_settle (pr, pending);
  g_value_unset (&msg);
  return NULL;
}

static void
run_producers (Population *p, Producer *producers, guint n_producers,
               guint n_messages, gboolean tolerate_dead, RelLeakCounter *future_leaks,
               gint *progress, GThread **threads)
{
  for (guint s = 0; s < n_producers; s++)
    {
      producers[s].population = p;
      producers[s].sender = s;
      producers[s].n_messages = n_messages;
      producers[s].tolerate_dead = tolerate_dead;
      producers[s].future_leaks = future_leaks;
      producers[s].progress = progress;
      threads[s] = g_thread_new ("stress-producer", producer_main, &producers[s]);
    }
}

/* ---- the tests ------------------------------------------------------- */

/* N producers x M actors over contexts and threads: exact counts. */
static void
test_producers_by_actors (void)
{
  Population p = { 0, };
  RelLeakCounter future_leaks = { 0, };
  Producer producers[6] = { { 0, }, };
  GThread *threads[G_N_ELEMENTS (producers)];
  guint n_messages = rel_scaled (100000);
  guint64 sent = 0, handled = 0;

  g_test_summary ("6 producer threads x 12 actors on 3 worker contexts and 3 own threads: every tell handled once in order, every ask answered once, nothing leaked");

  population_start (&p, 12);
  run_producers (&p, producers, G_N_ELEMENTS (producers), n_messages, FALSE, &future_leaks, NULL, threads);
  for (guint s = 0; s < G_N_ELEMENTS (producers); s++)
    g_thread_join (threads[s]);
  /* The last tells may still be queued: the stops come after them. */
  population_stop (&p);

  for (guint s = 0; s < G_N_ELEMENTS (producers); s++)
    {
      g_assert_cmpuint (producers[s].asks_other, ==, 0);
      g_assert_cmpuint (producers[s].asks_dead, ==, 0);
      g_assert_cmpuint (producers[s].asks_answered, ==, n_messages / 8);
      for (guint a = 0; a < p.n_actors; a++)
        {
          /* The actor saw exactly what this sender sent, in order. */
          g_assert_cmpuint (p.records[a].last_seq[s], ==, producers[s].seq[a]);
          sent += producers[s].seq[a];
        }
    }
  for (guint a = 0; a < p.n_actors; a++)
    handled += p.records[a].handled;
  g_assert_cmpuint (handled, ==, sent);
  g_assert_cmpuint (sent, ==, (guint64) n_messages * G_N_ELEMENTS (producers));
  total_messages += sent;

  population_finish (&p);
  rel_leak_assert_all_freed (&future_leaks);
  g_test_message ("%" G_GUINT64_FORMAT " messages", sent);
}

/* Actors stopped one by one while producers keep sending. */
static void
test_stop_in_flight (void)
{
  Population p = { 0, };
  RelLeakCounter future_leaks = { 0, };
  Producer producers[4] = { { 0, }, };
  GThread *threads[G_N_ELEMENTS (producers)];
  guint n_messages = rel_scaled (40000);
  gint progress = 0;
  guint64 handled = 0, accepted = 0;

  g_test_summary ("Actors stopped while messages are in flight: per sender, what was handled is exactly a prefix of what was queued, each ask answered once with its value or ACTOR_DEAD");

  population_start (&p, 8);
  run_producers (&p, producers, G_N_ELEMENTS (producers), n_messages, TRUE, &future_leaks, &progress, threads);

  /* Stop the actors one after another while the producers run. */
  for (guint a = 0; a < p.n_actors; a++)
    {
      g_autoptr(PykkaFuture) stopped = NULL;
      gint target = (gint) ((a + 1) * (n_messages * G_N_ELEMENTS (producers)) / (p.n_actors + 2));

      test_iterate_until (NULL, g_atomic_int_get (&progress) >= target);
      stopped = pykka_actor_ref_stop (p.refs[a]);
      if (a % 2 == 0)
        {
          const GValue *value = pykka_future_get (stopped, TEST_TIMEOUT_MSEC, NULL);

          g_assert_nonnull (value);
          g_assert_true (g_value_get_boolean (value));
        }
    }
  for (guint s = 0; s < G_N_ELEMENTS (producers); s++)
    g_thread_join (threads[s]);
  test_iterate_until (NULL, registry_is_empty ());
  population_stop (&p);

  for (guint s = 0; s < G_N_ELEMENTS (producers); s++)
    {
      g_assert_cmpuint (producers[s].asks_other, ==, 0);
      for (guint a = 0; a < p.n_actors; a++)
        {
          /* Handled in order with no gap (checked by the actor), and no
           * more than was queued. */
          g_assert_cmpuint (p.records[a].last_seq[s], <=, producers[s].accepted[a]);
          accepted += producers[s].accepted[a];
          handled += p.records[a].last_seq[s];
        }
    }
  {
    guint64 h = 0;

    for (guint a = 0; a < p.n_actors; a++)
      h += p.records[a].handled;
    g_assert_cmpuint (h, ==, handled);
  }
  total_messages += accepted;
  population_finish (&p);
  rel_leak_assert_all_freed (&future_leaks);
  g_test_message ("%" G_GUINT64_FORMAT " queued, %" G_GUINT64_FORMAT " handled before the stops", accepted, handled);
}

/* Stackful front actors that ask back actors on other threads and wait. */
static void
test_stackful_chains (void)
{
  Population back = { 0, };
  Worker front_workers[2];
  PykkaActorRef *fronts[8];
  StressRecord front_records[8] = { { { 0, }, }, };
  RelLeakCounter leaks = { 0, };
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_asks = rel_scaled (20000);
  GValue msg = G_VALUE_INIT;
  guint32 seq[8] = { 0, };

  g_test_summary ("Stackful actors that suspend on asks to actors on other threads: every ask answered once with the right value");

  population_start (&back, 4);
  workers_start (front_workers, G_N_ELEMENTS (front_workers));
  for (guint i = 0; i < G_N_ELEMENTS (fronts); i++)
    {
      StressActor *actor = g_object_new (STRESS_TYPE_STACKFUL_ACTOR, "context",
                                         front_workers[i % 2].context, NULL);
      StressActorPrivate *priv = stress_actor_get_instance_private (actor);

      priv->record = &front_records[i];
      priv->forward_to = g_object_ref (back.refs[i % back.n_actors]);
      rel_leak_watch (&leaks, actor);
      fronts[i] = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
      g_object_unref (actor);
    }

  g_value_init (&msg, G_TYPE_UINT64);
  for (guint i = 0; i < n_asks; i++)
    {
      guint f = i % G_N_ELEMENTS (fronts);

      /* Front f is sender f, for the fronts and the back actors alike:
       * each checks the order exactly. */
      g_value_set_uint64 (&msg, stress_encode (f, ++seq[f]));
      g_ptr_array_add (futures, pykka_actor_ref_ask (fronts[f], &msg));
    }
  g_value_unset (&msg);
  for (guint i = 0; i < futures->len; i++)
    {
      const GValue *value = pykka_future_get (futures->pdata[i], TEST_TIMEOUT_MSEC, NULL);

      g_assert_nonnull (value);
      g_assert_cmpuint (g_value_get_uint64 (value) & 0xffffffff, ==, i / G_N_ELEMENTS (fronts) + 1);
    }
  g_ptr_array_set_size (futures, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fronts); i++)
    {
      g_assert_cmpint (front_records[i].errors, ==, 0);
      g_assert_cmpuint (front_records[i].handled, ==, seq[i]);
      g_assert_cmpuint (front_records[i].last_seq[i], ==, seq[i]);
      g_assert_cmpuint (back.records[i % back.n_actors].last_seq[i], ==, seq[i]);
    }
  {
    guint64 handled = 0;

    for (guint a = 0; a < back.n_actors; a++)
      handled += back.records[a].handled;
    g_assert_cmpuint (handled, ==, n_asks);
  }
  total_messages += 2 * n_asks;

  for (guint i = 0; i < G_N_ELEMENTS (fronts); i++)
    g_clear_object (&fronts[i]);
  population_finish (&back);
  rel_leak_assert_all_freed (&leaks);
  workers_stop (front_workers, G_N_ELEMENTS (front_workers));
}

/* ---- futures raced from threads -------------------------------------- */

typedef struct
{
  PykkaFuture **futures;
  guint         n_futures;
  guint         id;
  gint         *wins;       /* atomic */
  gint         *losses;     /* atomic */
  guint64      *seen;       /* per future: value a waiter saw (atomic CAS) */
  gint         *mismatches; /* atomic */
} FutureRacer;

static gpointer
future_setter_main (gpointer data)
{
  FutureRacer *fr = data;
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_UINT64);
  for (guint i = 0; i < fr->n_futures; i++)
    {
      g_autoptr(GError) error = NULL;

      g_value_set_uint64 (&v, ((guint64) fr->id << 32) | i);
      if (pykka_future_set_value (fr->futures[i], &v, &error))
        g_atomic_int_inc (fr->wins);
      else
        {
          g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
          g_atomic_int_inc (fr->losses);
        }
    }
  g_value_unset (&v);
  return NULL;
}

static gpointer
future_waiter_main (gpointer data)
{
  FutureRacer *fr = data;

  /* Waiters go backwards so that some wait and some find it done. */
  for (guint k = 0; k < fr->n_futures; k++)
    {
      guint i = fr->id % 2 ? fr->n_futures - 1 - k : k;
      g_autoptr(GError) error = NULL;
      const GValue *value = pykka_future_get (fr->futures[i], TEST_TIMEOUT_MSEC, &error);
      guint64 got;

      g_assert_no_error (error);
      got = g_value_get_uint64 (value);
      if ((got & 0xffffffff) != i)
        g_atomic_int_inc (fr->mismatches);
      if (!__atomic_compare_exchange_n (&fr->seen[i], &(guint64) { 0 }, got, FALSE,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
          __atomic_load_n (&fr->seen[i], __ATOMIC_SEQ_CST) != got)
        g_atomic_int_inc (fr->mismatches);
    }
  return NULL;
}

static void
async_counted_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  gint *count = data;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (pykka_future_get_finish (PYKKA_FUTURE (source), result, &error));
  g_assert_no_error (error);
  g_atomic_int_inc (count);
}

static void
test_futures_raced (void)
{
  guint n = rel_scaled (20000);
  g_autofree PykkaFuture **futures = g_new (PykkaFuture *, n);
  g_autofree guint64 *seen = g_new0 (guint64, n);
  RelLeakCounter leaks = { 0, };
  FutureRacer racers[5];
  GThread *threads[5];
  gint wins = 0, losses = 0, mismatches = 0, async_done = 0;

  g_test_summary ("Futures completed by racing threads while others block on them and get_async waits: exactly one completion wins, every waiter sees it");

  for (guint i = 0; i < n; i++)
    {
      futures[i] = pykka_future_new ();
      rel_leak_watch (&leaks, futures[i]);
      pykka_future_get_async (futures[i], NULL, async_counted_cb, &async_done);
    }
  for (guint t = 0; t < G_N_ELEMENTS (racers); t++)
    {
      racers[t] = (FutureRacer) { futures, n, t + 1, &wins, &losses, seen, &mismatches };
      /* Three waiters, then two setters. */
      threads[t] = g_thread_new ("stress-future", t < 3 ? future_waiter_main : future_setter_main, &racers[t]);
    }
  for (guint t = 0; t < G_N_ELEMENTS (racers); t++)
    g_thread_join (threads[t]);

  g_assert_cmpint (wins, ==, n);
  g_assert_cmpint (losses, ==, n);
  g_assert_cmpint (mismatches, ==, 0);
  test_iterate_until (NULL, g_atomic_int_get (&async_done) == (gint) n);
  for (guint i = 0; i < n; i++)
    g_object_unref (futures[i]);
  rel_leak_assert_all_freed (&leaks);
  total_messages += 2 * n;
}

/* ---- events set and cleared concurrently ----------------------------- */

typedef struct
{
  PykkaEvent **events;
  guint        n_events;
  guint        rounds;
  gint        *stop;      /* atomic */
  gint         woken;     /* waits that returned TRUE */
} EventRacer;

static gpointer
event_toggler_main (gpointer data)
{
  EventRacer *er = data;

  for (guint r = 0; r < er->rounds; r++)
    {
      PykkaEvent *e = er->events[r % er->n_events];

      pykka_event_set (e);
      pykka_event_clear (e);
      if (r % 3 == 0)
        pykka_event_set (e);
    }
  return NULL;
}

static gpointer
event_waiter_main (gpointer data)
{
  EventRacer *er = data;
  guint r = 0;

  while (!g_atomic_int_get (er->stop))
    {
      /* Short waits: some succeed, some time out; none may hang. */
      if (pykka_event_wait (er->events[r++ % er->n_events], 1))
        er->woken++;
    }
  /* After the final set, every event is raised for good. */
  for (guint i = 0; i < er->n_events; i++)
    g_assert_true (pykka_event_wait (er->events[i], TEST_TIMEOUT_MSEC));
  return NULL;
}

static void
event_async_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  gint *count = data;

  g_assert_true (pykka_event_wait_finish (PYKKA_EVENT (source), result, NULL));
  g_atomic_int_inc (count);
}

static void
test_events_raced (void)
{
  PykkaEvent *events[4];
  RelLeakCounter leaks = { 0, };
  EventRacer togglers[2], waiters[3];
  GThread *threads[5];
  gint stop = 0, async_done = 0;
  guint rounds = rel_scaled (50000), n_async = 0;

  g_test_summary ("Events set and cleared by racing threads while others wait: no wait hangs, every waiter wakes after the final set");

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      events[i] = pykka_event_new ();
      rel_leak_watch (&leaks, events[i]);
    }
  for (guint t = 0; t < 2; t++)
    {
      togglers[t] = (EventRacer) { events, G_N_ELEMENTS (events), rounds, &stop, 0 };
      threads[t] = g_thread_new ("stress-toggle", event_toggler_main, &togglers[t]);
    }
  for (guint t = 0; t < 3; t++)
    {
      waiters[t] = (EventRacer) { events, G_N_ELEMENTS (events), rounds, &stop, 0 };
      threads[2 + t] = g_thread_new ("stress-wait", event_waiter_main, &waiters[t]);
    }
  /* wait_async from this thread meanwhile. */
  for (guint i = 0; i < 200; i++, n_async++)
    pykka_event_wait_async (events[i % G_N_ELEMENTS (events)], NULL, event_async_cb, &async_done);

  g_thread_join (threads[0]);
  g_thread_join (threads[1]);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    pykka_event_set (events[i]);
  g_atomic_int_set (&stop, 1);
  for (guint t = 2; t < 5; t++)
    g_thread_join (threads[t]);
  test_iterate_until (NULL, g_atomic_int_get (&async_done) == (gint) n_async);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    g_object_unref (events[i]);
  rel_leak_assert_all_freed (&leaks);
  total_messages += 2 * rounds;
}

/* Many short-lived actors started and stopped from several threads. */
static gpointer
churn_main (gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);
  /* Each thread runs the actors it starts on a context of its own: the
   * global default context belongs to the main thread, which only joins. */
  g_autoptr(GMainContext) context = g_main_context_new ();
  GValue msg = G_VALUE_INIT;

  g_main_context_push_thread_default (context);
  g_value_init (&msg, G_TYPE_UINT64);
  g_value_set_uint64 (&msg, stress_encode (0, 1));
  for (guint i = 0; i < n; i++)
    {
      StressRecord r = { { 0, }, };
      StressActor *actor = g_object_new (i % 2 ? STRESS_TYPE_STACKFUL_ACTOR : STRESS_TYPE_ACTOR,
                                         "use-own-thread", i % 3 == 0, NULL);
      g_autoptr(PykkaActorRef) ref = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      g_autoptr(PykkaFuture) stopped = NULL;
      const GValue *value;

      ((StressActorPrivate *) stress_actor_get_instance_private (actor))->record = &r;
      ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
      g_object_unref (actor);
      asked = pykka_actor_ref_ask (ref, &msg);
      stopped = pykka_actor_ref_stop (ref);
      value = pykka_future_get (asked, TEST_TIMEOUT_MSEC, NULL);
      g_assert_nonnull (value);
      value = pykka_future_get (stopped, TEST_TIMEOUT_MSEC, NULL);
      g_assert_nonnull (value);
      g_assert_true (g_value_get_boolean (value));
      g_assert_cmpint (g_atomic_int_get (&r.stopped), ==, 1);
      g_assert_cmpuint (r.handled, ==, 1);
    }
  g_value_unset (&msg);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_actor_churn (void)
{
  GThread *threads[4];
  guint n = rel_scaled (1000);

  g_test_summary ("Actors started and stopped by the thousand from several threads, on contexts those threads push and on own threads");

  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("stress-churn", churn_main, GUINT_TO_POINTER (n));
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  test_iterate_until (NULL, registry_is_empty ());
  total_messages += (guint64) G_N_ELEMENTS (threads) * n * 3;
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Stress/producers-by-actors", test_producers_by_actors);
  g_test_add_func ("/Pykka/Stress/stop-in-flight", test_stop_in_flight);
  g_test_add_func ("/Pykka/Stress/stackful-chains", test_stackful_chains);
  g_test_add_func ("/Pykka/Stress/futures-raced", test_futures_raced);
  g_test_add_func ("/Pykka/Stress/events-raced", test_events_raced);
  g_test_add_func ("/Pykka/Stress/actor-churn", test_actor_churn);

  ret = g_test_run ();
  g_test_message ("STRESS-FIGURES: %" G_GINT64_FORMAT " messages, futures and event operations pushed through", total_messages);
  g_print ("# STRESS-FIGURES: %" G_GINT64_FORMAT " operations\n", total_messages);
  return ret;
}
