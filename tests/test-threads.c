/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Regression tests of the threading semantics of the core (commit
 * 286508a): which thread runs an actor, orphaned contexts, unowned
 * contexts, start races, the wait-for graph, deadlines of waits, nested
 * loops in stackful handlers and the binding's suspensions.
 *
 * Every test asserts behaviour, never timing: every wait has a deadline,
 * TEST_TIMEOUT_MSEC for what must succeed, and a short one (200 ms) only
 * where a TIMEOUT is the expected outcome. */

#include "config.h"

#include "test-util.h"

#include "pykka-private.h"

#if HAVE_VALGRIND_H
# include <valgrind/valgrind.h>
#endif

/* The timeout of waits that are expected to time out. */
#define SHORT_TIMEOUT_MSEC 200

/* Scales a number of rounds by $PYKKA_TEST_SCALE (or $PYKKA_STRESS_SCALE,
 * which the sanitizer and valgrind runs set), a float, default 1; under
 * valgrind without either, 0.05. */
static guint
scaled (guint n)
{
  const char *scale = g_getenv ("PYKKA_TEST_SCALE");
  double f = 1.0;

  if (scale == NULL)
    scale = g_getenv ("PYKKA_STRESS_SCALE");
  if (scale != NULL)
    f = g_ascii_strtod (scale, NULL);
#if HAVE_VALGRIND_H
  else if (RUNNING_ON_VALGRIND)
    f = 0.05;
#endif
  if (f <= 0)
    f = 1.0;
  return MAX (1, (guint) (n * f));
}

/* Polls @cond without iterating any context, for what other threads do;
 * fails the test after TEST_TIMEOUT_MSEC. */
#define wait_until(cond)                                                     \
  G_STMT_START {                                                             \
    gint64 _end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;        \
    while (!(cond))                                                          \
      {                                                                      \
        if (g_get_monotonic_time () > _end)                                  \
          g_error ("Timed out waiting for: %s", #cond);                      \
        g_usleep (500);                                                      \
      }                                                                      \
  } G_STMT_END

static void
count_finalized (gpointer  data,
                 GObject  *where_the_object_was)
{
  g_atomic_int_inc ((gint *) data);
}

/* A gate a thread waits at until another opens it. */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean open;
} Gate;

static void
gate_init (Gate *gate)
{
  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
}

static void
gate_clear (Gate *gate)
{
  g_mutex_clear (&gate->mutex);
  g_cond_clear (&gate->cond);
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static void
gate_wait (Gate *gate)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&gate->mutex);
  while (!gate->open)
    if (!g_cond_wait_until (&gate->cond, &gate->mutex, end))
      g_error ("Timed out waiting at a gate");
  g_mutex_unlock (&gate->mutex);
}

/* A barrier of @parties threads, reusable round after round. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  parties;
  guint  waiting;
  guint  generation;
} Barrier;

static void
barrier_init (Barrier *b,
              guint    parties)
{
  g_mutex_init (&b->mutex);
  g_cond_init (&b->cond);
  b->parties = parties;
  b->waiting = 0;
  b->generation = 0;
}

static void
barrier_clear (Barrier *b)
{
  g_mutex_clear (&b->mutex);
  g_cond_clear (&b->cond);
}

static void
barrier_wait (Barrier *b)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;
  guint generation;

  g_mutex_lock (&b->mutex);
  generation = b->generation;
  if (++b->waiting == b->parties)
    {
      b->waiting = 0;
      b->generation++;
      g_cond_broadcast (&b->cond);
    }
  else
    while (generation == b->generation)
      if (!g_cond_wait_until (&b->cond, &b->mutex, end))
        g_error ("Timed out waiting at a barrier");
  g_mutex_unlock (&b->mutex);
}

/* ThrActor: a TestActor (which records its hooks and the thread of its
 * last handler) that takes construct properties ("context",
 * "use-own-thread") as well as a receive function and data. */
#define THR_TYPE_ACTOR (thr_actor_get_type ())
G_DECLARE_DERIVABLE_TYPE (ThrActor, thr_actor, THR, ACTOR, TestActor)

struct _ThrActorClass
{
  TestActorClass parent_class;
};

typedef struct
{
  TestReceiveFunc receive;
  gpointer        data;
} ThrActorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (ThrActor, thr_actor, TEST_TYPE_ACTOR)

static gboolean
thr_actor_on_receive (PykkaActor    *actor,
                      const GValue  *message,
                      GValue        *reply,
                      GError       **error)
{
  ThrActorPrivate *priv = thr_actor_get_instance_private (THR_ACTOR (actor));

  /* TestActor's handler records the call and replies nothing. */
  if (!PYKKA_ACTOR_CLASS (thr_actor_parent_class)->on_receive (actor, message, reply, error))
    return FALSE;
  if (priv->receive == NULL)
    return TRUE;
  return priv->receive (TEST_ACTOR (actor), message, reply, error);
}

static void
thr_actor_class_init (ThrActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = thr_actor_on_receive;
}

static void
thr_actor_init (ThrActor *self)
{
}

#define THR_TYPE_STACKFUL_ACTOR (thr_stackful_actor_get_type ())
G_DECLARE_FINAL_TYPE (ThrStackfulActor, thr_stackful_actor, THR, STACKFUL_ACTOR, ThrActor)

struct _ThrStackfulActor
{
  ThrActor parent_instance;
};

G_DEFINE_FINAL_TYPE (ThrStackfulActor, thr_stackful_actor, THR_TYPE_ACTOR)

static void
thr_stackful_actor_class_init (ThrStackfulActorClass *klass)
{
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
thr_stackful_actor_init (ThrStackfulActor *self)
{
}

static gpointer
thr_actor_get_data (TestActor *self)
{
  ThrActorPrivate *priv = thr_actor_get_instance_private (THR_ACTOR (self));

  return priv->data;
}

/* A new ThrActor (or subtype @type), not started, with the construct
 * properties given as a NULL-terminated list. */
static PykkaActor *
thr_actor_new (GType           type,
               TestReceiveFunc receive,
               gpointer        data,
               const char     *first_prop,
               ...)
{
  ThrActorPrivate *priv;
  ThrActor *self;
  va_list args;

  va_start (args, first_prop);
  self = THR_ACTOR (g_object_new_valist (type, first_prop, args));
  va_end (args);
  priv = thr_actor_get_instance_private (self);
  priv->receive = receive;
  priv->data = data;
  return PYKKA_ACTOR (self);
}

static TestRecord *
thr_actor_dup_record (PykkaActor *actor)
{
  return test_record_ref (test_actor_get_record (TEST_ACTOR (actor)));
}

/* Starts @actor (and drops the caller's reference), failing the test on
 * an error. */
static PykkaActorRef *
thr_start_actor (PykkaActor *actor)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ref);
  g_object_unref (actor);
  return ref;
}

/* Starts a ThrActor (or subtype @type) in the calling thread's
 * thread-default context. */
static PykkaActorRef *
thr_start (GType           type,
           TestReceiveFunc receive,
           gpointer        data,
           TestRecord    **record)
{
  PykkaActor *actor = thr_actor_new (type ? type : THR_TYPE_ACTOR, receive, data, NULL);

  if (record != NULL)
    *record = thr_actor_dup_record (actor);
  return thr_start_actor (actor);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

/* A thread that pushes a context of its own, starts the actors given
 * (so that it owns the context from their start), then runs a loop on
 * it until loop_thread_free(). */
typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
  GPtrArray    *actors;  /* (owned) PykkaActor*, started by the thread */
  GPtrArray    *refs;    /* (owned) their refs, in the same order */
  gint          ready;   /* atomic */
} LoopThread;

static gpointer
loop_thread_main (gpointer data)
{
  LoopThread *lt = data;

  g_main_context_push_thread_default (lt->context);
  for (guint i = 0; i < lt->actors->len; i++)
    g_ptr_array_add (lt->refs, thr_start_actor (g_object_ref (lt->actors->pdata[i])));
  g_atomic_int_set (&lt->ready, 1);
  g_main_loop_run (lt->loop);
  g_main_context_pop_thread_default (lt->context);
  return NULL;
}

/* Takes the NULL-terminated actors (transfer full). */
static LoopThread *
loop_thread_new (const char *name,
                 PykkaActor *first,
                 ...)
{
  LoopThread *lt = g_new0 (LoopThread, 1);
  va_list args;

  lt->context = g_main_context_new ();
  lt->loop = g_main_loop_new (lt->context, FALSE);
  lt->actors = g_ptr_array_new_with_free_func (g_object_unref);
  lt->refs = g_ptr_array_new_with_free_func (g_object_unref);
  va_start (args, first);
  for (PykkaActor *a = first; a != NULL; a = va_arg (args, PykkaActor *))
    g_ptr_array_add (lt->actors, a);
  va_end (args);
  lt->thread = g_thread_new (name, loop_thread_main, lt);
  wait_until (g_atomic_int_get (&lt->ready));
  return lt;
}

static PykkaActorRef *
loop_thread_get_ref (LoopThread *lt,
                     guint       i)
{
  return lt->refs->pdata[i];
}

/* Stops the thread's actors, then the thread. */
static void
loop_thread_free (LoopThread *lt)
{
  for (guint i = 0; i < lt->refs->len; i++)
    pykka_actor_ref_stop_sync (lt->refs->pdata[i], TEST_TIMEOUT_MSEC, NULL);
  g_main_loop_quit (lt->loop);
  g_thread_join (lt->thread);
  g_ptr_array_unref (lt->refs);
  g_ptr_array_unref (lt->actors);
  g_main_loop_unref (lt->loop);
  g_main_context_unref (lt->context);
  g_free (lt);
}

/* ---------------------------------------------------------------------
 * 1. Thread ownership
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef *ref;
  gint           value;
  gboolean       ok;
  GError        *error;
  gint           handled_before;  /* the actor's handler calls when the ask returned */
  TestRecord    *record;
} TimedAsk;

static gpointer
timed_ask_thread (gpointer data)
{
  TimedAsk *ta = data;
  GValue msg = G_VALUE_INIT;
  GValue reply = G_VALUE_INIT;

  ta->ok = pykka_actor_ref_ask_sync (ta->ref, test_value_int (&msg, ta->value),
                                     SHORT_TIMEOUT_MSEC, &reply, &ta->error);
  ta->handled_before = g_atomic_int_get (&ta->record->n_received);
  g_value_unset (&msg);
  if (G_IS_VALUE (&reply))
    g_value_unset (&reply);
  return NULL;
}

static void
assert_not_being_run (TimedAsk *ta)
{
  g_assert_false (ta->ok);
  g_assert_error (ta->error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  assert_contains (ta->error->message, "not being run");
  g_assert_cmpint (ta->handled_before, ==, 0);
}

/* The main thread owns the default context: a worker's blocking ask
 * sleeps instead of running the actor, and times out naming the reason. */
static void
test_default_context_main_only (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = thr_start (0, test_record_int, NULL, &r);
  TimedAsk ta = { ref, 7, FALSE, NULL, 0, r };
  GThread *worker;

  g_test_summary ("An actor on the global default context runs only on the main thread: a worker's ask_sync while the main thread is blocked (in g_thread_join) times out with “not being run” and the handler never runs on the worker; the main thread iterating the context runs it");

  worker = g_thread_new ("asker", timed_ask_thread, &ta);
  g_thread_join (worker);
  assert_not_being_run (&ta);
  g_assert_cmpint (r->n_received, ==, 0);

  test_iterate_until (NULL, g_atomic_int_get (&r->n_received) == 1);
  g_assert_true (r->thread == g_thread_self ());
  g_assert_true (r->thread != worker);
  g_assert_cmpuint (r->ints->len, ==, 1);
  g_assert_cmpint (g_array_index (r->ints, gint, 0), ==, 7);

  g_clear_error (&ta.error);
  test_stop_all ();
  test_record_free (r);
}

/* A thread that pushes a context and starts an actor there (or only
 * iterates a context given with "context"), then blocks at a gate; once
 * released it iterates until the actor has handled one message, and
 * stops it. */
typedef struct
{
  GMainContext  *context;   /* (owned) */
  PykkaActor    *actor;     /* (owned) (nullable) to start on the pushed context */
  PykkaActorRef *ref;       /* (owned) the actor's */
  TestRecord    *record;
  gboolean       push;      /* push the context and start the actor here */
  Gate           gate;
  gint           ready;     /* atomic */
} OwnerThread;

static gpointer
owner_thread_main (gpointer data)
{
  OwnerThread *ot = data;
  g_autoptr(GError) error = NULL;

  if (ot->push)
    {
      g_main_context_push_thread_default (ot->context);
      ot->ref = thr_start_actor (g_steal_pointer (&ot->actor));
    }
  else
    {
      /* The first real iteration makes this thread the owner. */
      g_main_context_iteration (ot->context, FALSE);
    }
  g_atomic_int_set (&ot->ready, 1);

  gate_wait (&ot->gate);
  test_iterate_until (ot->context, g_atomic_int_get (&ot->record->n_received) == 1);
  g_assert_true (pykka_actor_ref_stop_sync (ot->ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  if (ot->push)
    g_main_context_pop_thread_default (ot->context);
  return NULL;
}

static void
check_owner_thread (gboolean push)
{
  OwnerThread ot = { NULL, };
  TimedAsk ta = { NULL, 3, FALSE, NULL, 0, NULL };
  GThread *owner;

  ot.context = g_main_context_new ();
  ot.push = push;
  gate_init (&ot.gate);
  if (push)
    {
      ot.actor = thr_actor_new (THR_TYPE_ACTOR, test_record_int, NULL, NULL);
      ot.record = thr_actor_dup_record (ot.actor);
    }
  else
    {
      /* Started by the main thread, on a context nobody pushed. */
      PykkaActor *actor = thr_actor_new (THR_TYPE_ACTOR, test_record_int, NULL,
                                         "context", ot.context, NULL);

      ot.record = thr_actor_dup_record (actor);
      ot.ref = thr_start_actor (actor);
    }

  owner = g_thread_new ("owner", owner_thread_main, &ot);
  wait_until (g_atomic_int_get (&ot.ready));

  /* The owner is blocked at its gate: the main thread's wait must not
   * run its actor. */
  ta.ref = ot.ref;
  ta.record = ot.record;
  timed_ask_thread (&ta);
  assert_not_being_run (&ta);

  gate_open (&ot.gate);
  g_thread_join (owner);
  g_assert_cmpint (ot.record->n_received, ==, 1);
  g_assert_true (ot.record->thread == owner);
  g_assert_true (ot.record->thread != g_thread_self ());
  g_assert_false (pykka_actor_ref_is_alive (ot.ref));
  g_assert_cmpint (ot.record->n_stopped, ==, 1);

  g_clear_error (&ta.error);
  g_clear_object (&ot.ref);
  test_record_free (ot.record);
  g_main_context_unref (ot.context);
  gate_clear (&ot.gate);
  test_stop_all ();
}

static void
test_pushed_context_owner_only (void)
{
  g_test_summary ("An actor started by thread T on T's pushed thread-default context runs only on T: the main thread's ask_sync while T is blocked times out with “not being run” without running the handler; once T iterates, the handler runs on T");

  check_owner_thread (TRUE);
}

static void
test_first_iterator_owns (void)
{
  g_test_summary ("An actor on a context given with “context” that nobody pushed belongs to the first thread that iterates the context: after T iterated it once, the main thread's ask_sync times out with “not being run”, and the handler runs on T");

  check_owner_thread (FALSE);
}

static gboolean
reply_thread (TestActor     *self,
              const GValue  *message,
              GValue        *reply,
              GError       **error)
{
  g_value_init (reply, G_TYPE_POINTER);
  g_value_set_pointer (reply, g_thread_self ());
  return TRUE;
}

typedef struct
{
  PykkaActorRef *ref;
  guint          n;
  GThread       *seen;       /* the one thread every reply named, or NULL */
  gboolean       mixed;      /* replies named different threads */
  gboolean       own_thread; /* a reply named the asking thread */
} ThreadAsker;

static gpointer
thread_asker_main (gpointer data)
{
  ThreadAsker *ta = data;

  for (guint i = 0; i < ta->n; i++)
    {
      g_autoptr(GError) error = NULL;
      GValue msg = G_VALUE_INIT;
      GValue reply = G_VALUE_INIT;
      GThread *handler;

      g_assert_true (pykka_actor_ref_ask_sync (ta->ref, test_value_int (&msg, (gint) i),
                                               TEST_TIMEOUT_MSEC, &reply, &error));
      g_assert_no_error (error);
      handler = g_value_get_pointer (&reply);
      if (handler == g_thread_self ())
        ta->own_thread = TRUE;
      if (ta->seen == NULL)
        ta->seen = handler;
      else if (ta->seen != handler)
        ta->mixed = TRUE;
    }
  return NULL;
}

static void
test_own_thread_handlers (void)
{
  PykkaActor *actor = thr_actor_new (THR_TYPE_ACTOR, reply_thread, NULL, "use-own-thread", TRUE, NULL);
  TestRecord *r = thr_actor_dup_record (actor);
  g_autoptr(PykkaActorRef) ref = thr_start_actor (actor);
  ThreadAsker askers[3];
  GThread *threads[2];
  guint n = MAX (20, scaled (200));

  g_test_summary ("The handlers of an own-thread actor always run on its own thread, never on the threads that ask it (two worker threads and the main thread ask at once)");

  for (guint i = 0; i < G_N_ELEMENTS (askers); i++)
    askers[i] = (ThreadAsker) { ref, n, NULL, FALSE, FALSE };
  threads[0] = g_thread_new ("asker-1", thread_asker_main, &askers[0]);
  threads[1] = g_thread_new ("asker-2", thread_asker_main, &askers[1]);
  thread_asker_main (&askers[2]);
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  for (guint i = 0; i < G_N_ELEMENTS (askers); i++)
    {
      g_assert_false (askers[i].own_thread);
      g_assert_false (askers[i].mixed);
      g_assert_true (askers[i].seen == askers[0].seen);
    }
  g_assert_true (askers[0].seen != g_thread_self ());
  g_assert_true (askers[0].seen != threads[0]);
  g_assert_true (askers[0].seen != threads[1]);
  g_assert_cmpint (r->n_received, ==, 3 * (gint) n);

  test_stop_all ();
  test_record_free (r);
}

/* The thread of an own-thread actor spins a little before it sleeps in
 * poll, and senders skip the wake-up while it spins: mail that comes just
 * as the spin ends must still wake it. Asks and tells with pauses around
 * the length of a spin, from two threads, each answered. */
static gpointer
spin_edge_asker (gpointer data)
{
  PykkaActorRef *ref = data;
  GRand *rand = g_rand_new_with_seed (GPOINTER_TO_UINT (g_thread_self ()));
  guint n = MAX (50, scaled (400));
  guint answered = 0;

  for (guint i = 0; i < n; i++)
    {
      GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;

      g_value_set_int (g_value_init (&msg, G_TYPE_INT), (gint) i);
      if (i % 3 == 0)
        pykka_actor_ref_tell (ref, &msg, NULL);
      g_usleep (g_rand_int_range (rand, 0, 3 * PYKKA_SPIN_USEC));
      if (pykka_actor_ref_ask_sync (ref, &msg, TEST_TIMEOUT_MSEC, &reply, NULL) &&
          g_value_get_int (&reply) == (gint) i)
        answered++;
      g_value_unset (&reply);
    }
  g_rand_free (rand);
  return GUINT_TO_POINTER (answered == n);
}

static void
test_own_thread_wakes_after_spin (void)
{
  TestRecord *r;
  TestActor *actor = test_actor_new_of_type (TEST_TYPE_ACTOR, test_echo, NULL, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  GThread *threads[2];

  g_test_summary ("An own-thread actor's thread spins before it sleeps and senders skip the "
                  "wake-up meanwhile: asks and tells sent just as the spin ends are all "
                  "answered (two threads, random pauses around the spin's length)");

  r = test_record_ref (test_actor_get_record (actor));
  ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  g_object_unref (actor);
  g_assert_nonnull (ref);
  threads[0] = g_thread_new ("spin-edge-1", spin_edge_asker, ref);
  threads[1] = g_thread_new ("spin-edge-2", spin_edge_asker, ref);
  g_assert_true (GPOINTER_TO_UINT (g_thread_join (threads[0])));
  g_assert_true (GPOINTER_TO_UINT (g_thread_join (threads[1])));
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (r);
}

/* ---------------------------------------------------------------------
 * 2. Orphaned contexts
 * ------------------------------------------------------------------ */

/* A thread that pushes a context, starts an actor there, has it handle
 * @n_before messages, asks it once more and ends without stopping it
 * (and, for @n_before 0, without ever iterating the context). */
typedef struct
{
  guint          n_before;
  GMainContext  *context;    /* (owned) out */
  PykkaActorRef *ref;        /* (owned) out */
  PykkaFuture   *pending;    /* (owned) out: the ask it never answered */
  TestRecord    *record;     /* out */
  gint           finalized;  /* atomic */
  Gate          *gate;       /* (nullable) waited at before the end */
  gint           ready;      /* atomic */
} Orphan;

static gpointer
orphan_thread_main (gpointer data)
{
  Orphan *o = data;
  PykkaActor *actor;

  o->context = g_main_context_new ();
  g_main_context_push_thread_default (o->context);
  actor = thr_actor_new (THR_TYPE_ACTOR, test_record_int, NULL, NULL);
  o->record = thr_actor_dup_record (actor);
  g_object_weak_ref (G_OBJECT (actor), count_finalized, &o->finalized);
  o->ref = thr_start_actor (actor);
  for (guint i = 0; i < o->n_before; i++)
    test_tell_int (o->ref, (gint) i);
  test_iterate_until (o->context, (guint) g_atomic_int_get (&o->record->n_received) == o->n_before);
  o->pending = test_ask_int (o->ref, 99);
  g_atomic_int_set (&o->ready, 1);
  if (o->gate != NULL)
    gate_wait (o->gate);
  g_main_context_pop_thread_default (o->context);
  return NULL;
}

static void
orphan_clear (Orphan *o)
{
  g_clear_object (&o->pending);
  g_clear_object (&o->ref);
  g_clear_pointer (&o->context, g_main_context_unref);
  g_clear_pointer (&o->record, test_record_free);
}

static void
check_orphaned (guint n_before)
{
  Orphan o = { n_before, };
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  GValue v = G_VALUE_INIT;
  GThread *thread;

  thread = g_thread_new ("orphaner", orphan_thread_main, &o);
  g_thread_join (thread);
  urn = g_strdup (pykka_actor_ref_get_urn (o.ref));

  g_assert_false (pykka_actor_ref_is_alive (o.ref));
  g_assert_null (pykka_future_get (o.pending, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  assert_contains (error->message, "orphaned");
  assert_contains (error->message, urn);
  g_clear_error (&error);

  g_assert_false (pykka_actor_ref_tell (o.ref, test_value_int (&v, 1), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_value_unset (&v);
  g_assert_null (pykka_registry_get_by_urn (urn));

  g_assert_cmpint (o.record->n_started, ==, n_before > 0 ? 1 : 0);
  g_assert_cmpint (o.record->n_received, ==, (gint) n_before);
  g_assert_cmpint (o.record->n_stopped, ==, 0);
  g_assert_cmpint (o.record->n_failures, ==, 0);

  orphan_clear (&o);
  g_assert_cmpint (g_atomic_int_get (&o.finalized), ==, 1);
  test_stop_all ();
}

static void
test_orphaned_never_run (void)
{
  g_test_summary ("An actor on a context whose owner thread ends without ever iterating it dies: not alive, its pending ask fails with ACTOR_DEAD saying “orphaned”, a tell fails with ACTOR_DEAD, it left the registry, no on_stop, and the actor object is finalized");

  check_orphaned (0);
}

static void
test_orphaned_after_messages (void)
{
  g_test_summary ("The same for an actor whose owner thread handled a few of its messages before it ended without stopping it: on_start ran, on_stop did not");

  check_orphaned (3);
}

/* Asks the actor whose ref is at *data with ask_sync and replies its
 * answer + 1, or fails with its error. */
static gboolean
forward_receive (TestActor     *self,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  PykkaActorRef **target = thr_actor_get_data (self);
  GValue answer = G_VALUE_INIT;

  if (!pykka_actor_ref_ask_sync (*target, message, TEST_TIMEOUT_MSEC, &answer, error))
    return FALSE;
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (&answer) + 1);
  return TRUE;
}

static void
assert_future_fails (PykkaFuture *future,
                     gint         code,
                     const char  *part)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, code);
  if (part != NULL)
    assert_contains (error->message, part);
}

static void
test_orphaned_stackful_asker (void)
{
  Orphan o = { 0, };
  PykkaActorRef *target = NULL;
  TestRecord *rs;
  g_autoptr(PykkaActorRef) stackful = thr_start (THR_TYPE_STACKFUL_ACTOR, forward_receive, &target, &rs);
  g_autoptr(PykkaActorRef) late = NULL;
  g_autoptr(PykkaFuture) f = NULL;
  Gate gate;
  GThread *thread;

  g_test_summary ("A stackful handler asking an actor on an orphaned context gets ACTOR_DEAD at once, never a hang (F13): an actor killed with its context, an actor started on the context after it was orphaned, and an actor whose owner thread ends while the handler waits for it");

  /* Killed with its context. */
  thread = g_thread_new ("orphaner", orphan_thread_main, &o);
  g_thread_join (thread);
  g_assert_false (pykka_actor_ref_is_alive (o.ref));
  target = o.ref;
  f = test_ask_int (stackful, 1);
  assert_future_fails (f, PYKKA_ERROR_ACTOR_DEAD, NULL);
  g_clear_object (&f);

  /* Started on the orphaned context: it dies at once. */
  late = thr_start_actor (thr_actor_new (THR_TYPE_ACTOR, test_echo, NULL, "context", o.context, NULL));
  g_assert_false (pykka_actor_ref_is_alive (late));
  target = late;
  f = test_ask_int (stackful, 2);
  assert_future_fails (f, PYKKA_ERROR_ACTOR_DEAD, NULL);
  g_clear_object (&f);
  orphan_clear (&o);

  /* Orphaned while the stackful handler waits for it. */
  memset (&o, 0, sizeof o);
  gate_init (&gate);
  o.gate = &gate;
  thread = g_thread_new ("orphaner", orphan_thread_main, &o);
  wait_until (g_atomic_int_get (&o.ready));
  target = o.ref;
  f = test_ask_int (stackful, 3);
  test_iterate_until (NULL, g_atomic_int_get (&rs->n_received) == 3);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (f));
  gate_open (&gate);
  g_thread_join (thread);
  assert_future_fails (f, PYKKA_ERROR_ACTOR_DEAD, "orphaned");
  g_assert_true (pykka_actor_ref_is_alive (stackful));
  g_clear_object (&f);
  orphan_clear (&o);
  gate_clear (&gate);

  test_stop_all ();
  test_record_free (rs);
}

/* Replies with the future given as data: the actor suspends until it
 * completes. */
static gboolean
reply_with_data_future (TestActor     *self,
                        const GValue  *message,
                        GValue        *reply,
                        GError       **error)
{
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, thr_actor_get_data (self));
  return TRUE;
}

static void
test_guest_of_own_thread (void)
{
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(PykkaActorRef) owner = NULL;
  g_autoptr(PykkaActorRef) guest = NULL;
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(GError) error = NULL;
  PykkaActor *owner_actor, *guest_actor;
  TestRecord *rg;
  gint finalized = 0;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A guest actor on the context of an own-thread actor dies with ACTOR_DEAD when the own-thread actor stops and its thread ends: its suspended ask and a blocking ask_sync from the main thread fail with ACTOR_DEAD, not TIMEOUT");

  owner_actor = thr_actor_new (THR_TYPE_ACTOR, test_echo, NULL, "use-own-thread", TRUE, NULL);
  owner = thr_start_actor (g_object_ref (owner_actor));
  guest_actor = thr_actor_new (THR_TYPE_ACTOR, reply_with_data_future, gate,
                               "context", pykka_actor_get_context (owner_actor), NULL);
  rg = thr_actor_dup_record (guest_actor);
  g_object_weak_ref (G_OBJECT (guest_actor), count_finalized, &finalized);
  guest = thr_start_actor (guest_actor);
  g_object_unref (owner_actor);

  /* The guest suspends on the gate, answering nothing. */
  first = test_ask_int (guest, 1);
  wait_until (g_atomic_int_get (&rg->n_received) == 1);
  g_object_unref (pykka_actor_ref_stop (owner));

  g_assert_false (pykka_actor_ref_ask_sync (guest, test_value_int (&msg, 2), TEST_TIMEOUT_MSEC, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_value_unset (&msg);
  assert_future_fails (first, PYKKA_ERROR_ACTOR_DEAD, "orphaned");
  g_assert_false (pykka_actor_ref_is_alive (guest));
  g_assert_false (pykka_actor_ref_is_alive (owner));
  g_assert_cmpint (rg->n_stopped, ==, 0);
  g_assert_cmpint (rg->n_received, ==, 1);
  wait_until (g_atomic_int_get (&finalized) == 1);

  test_stop_all ();
  test_record_free (rg);
}

/* ---------------------------------------------------------------------
 * 3. Unowned context, two threads asking in lockstep (F7)
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef *ref;
  gint           base;
  guint          n;
  guint          answered;
  guint          wrong;
  GError        *first_error;
} Lockstep;

static gpointer
lockstep_main (gpointer data)
{
  Lockstep *ls = data;

  for (guint i = 0; i < ls->n; i++)
    {
      GError *error = NULL;
      GValue msg = G_VALUE_INIT;
      GValue reply = G_VALUE_INIT;
      gint value = ls->base + (gint) i;

      if (pykka_actor_ref_ask_sync (ls->ref, test_value_int (&msg, value), TEST_TIMEOUT_MSEC, &reply, &error))
        {
          if (g_value_get_int (&reply) == value)
            ls->answered++;
          else
            ls->wrong++;
        }
      else if (ls->first_error == NULL)
        ls->first_error = error;
      else
        g_error_free (error);
    }
  return NULL;
}

static void
test_unowned_lockstep (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  PykkaActor *actor = thr_actor_new (THR_TYPE_ACTOR, test_echo, NULL, "context", ctx, NULL);
  TestRecord *r = thr_actor_dup_record (actor);
  g_autoptr(PykkaActorRef) ref = thr_start_actor (actor);
  g_autoptr(GError) error = NULL;
  Lockstep ls[2];
  GThread *threads[2];
  guint n = MAX (50, scaled (500));

  g_test_summary ("An actor on a context nobody owns (g_main_context_new(), never iterated for real) answers two threads that each do 500 blocking asks in lockstep, every one with its own value: the waits run it in turn without owning it (F7)");

  for (guint i = 0; i < G_N_ELEMENTS (ls); i++)
    {
      ls[i] = (Lockstep) { ref, (gint) (i + 1) * 100000, n, 0, 0, NULL };
      threads[i] = g_thread_new ("lockstep", lockstep_main, &ls[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (ls); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (ls[i].first_error);
      g_assert_cmpuint (ls[i].wrong, ==, 0);
      g_assert_cmpuint (ls[i].answered, ==, n);
    }
  g_assert_cmpint (r->n_received, ==, 2 * (gint) n);
  /* Helping did not make either thread the owner. */
  g_assert_cmpint (pykka_scheduler_may_run_context (ctx), ==, PYKKA_RUN_HELP);

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  test_stop_all ();
  test_record_free (r);
}

/* ---------------------------------------------------------------------
 * 4. Start races (issue 11 point 2, F5, F6)
 * ------------------------------------------------------------------ */

#define N_STARTERS 4

typedef struct
{
  Barrier        barrier;
  guint          rounds;
  PykkaActor    *actor;                /* this round's, set by the main thread */
  PykkaActorRef *refs[N_STARTERS];     /* (owned) */
  GError        *errors[N_STARTERS];   /* (owned) */
  guint          index;                /* atomic: hands out slots */
} StartRace;

static gpointer
start_race_main (gpointer data)
{
  StartRace *sr = data;
  guint me = (guint) g_atomic_int_add ((gint *) &sr->index, 1);

  for (guint round = 0; round < sr->rounds; round++)
    {
      barrier_wait (&sr->barrier);
      sr->refs[me] = pykka_actor_start (sr->actor, &sr->errors[me]);
      barrier_wait (&sr->barrier);
    }
  return NULL;
}

static void
test_start_race (void)
{
  StartRace sr = { 0, };
  GThread *threads[N_STARTERS];
  guint rounds = scaled (1000);

  g_test_summary ("4 threads start the same actor at once, 1000 rounds: exactly one start returns a ref, the others fail with FAILED “already started”; on_start runs exactly once; every actor is finalized after it stops");

  barrier_init (&sr.barrier, N_STARTERS + 1);
  sr.rounds = rounds;
  for (guint i = 0; i < N_STARTERS; i++)
    threads[i] = g_thread_new ("starter", start_race_main, &sr);

  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GError) error = NULL;
      PykkaActorRef *winner = NULL;
      TestRecord *r;
      gint finalized = 0;
      guint n_won = 0;

      sr.actor = thr_actor_new (THR_TYPE_ACTOR, NULL, NULL, NULL);
      r = thr_actor_dup_record (sr.actor);
      g_object_weak_ref (G_OBJECT (sr.actor), count_finalized, &finalized);
      barrier_wait (&sr.barrier);  /* go */
      barrier_wait (&sr.barrier);  /* all returned */

      for (guint i = 0; i < N_STARTERS; i++)
        {
          if (sr.refs[i] != NULL)
            {
              g_assert_no_error (sr.errors[i]);
              n_won++;
              winner = sr.refs[i];
            }
          else
            {
              g_assert_error (sr.errors[i], PYKKA_ERROR, PYKKA_ERROR_FAILED);
              assert_contains (sr.errors[i]->message, "already started");
            }
        }
      g_assert_cmpuint (n_won, ==, 1);

      test_iterate_until (NULL, g_atomic_int_get (&r->n_started) == 1);
      g_assert_true (pykka_actor_ref_stop_sync (winner, TEST_TIMEOUT_MSEC, &error));
      g_assert_no_error (error);
      g_assert_cmpint (r->n_started, ==, 1);
      g_assert_cmpint (r->n_stopped, ==, 1);

      for (guint i = 0; i < N_STARTERS; i++)
        {
          g_clear_object (&sr.refs[i]);
          g_clear_error (&sr.errors[i]);
        }
      g_clear_object (&sr.actor);
      g_assert_cmpint (g_atomic_int_get (&finalized), ==, 1);
      test_record_free (r);
    }

  for (guint i = 0; i < N_STARTERS; i++)
    g_thread_join (threads[i]);
  barrier_clear (&sr.barrier);
  test_stop_all ();
}

typedef struct
{
  Barrier        barrier;
  guint          rounds;
  PykkaActor    *actor;      /* this round's */
  PykkaActorRef *ref;        /* (owned) the starter's */
  PykkaFuture   *stopped;    /* (owned) the stopper's stop */
  gint           violations; /* atomic: hooks out of order */
  gint           bad_tells;  /* atomic: tells that failed otherwise than ACTOR_DEAD */
} StartStop;

static gboolean
ordered_receive (TestActor     *self,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  StartStop *ss = thr_actor_get_data (self);
  TestRecord *r = test_actor_get_record (self);

  if (g_atomic_int_get (&r->n_started) != 1 || g_atomic_int_get (&r->n_stopped) != 0)
    g_atomic_int_inc (&ss->violations);
  return TRUE;
}

static gboolean
ordered_on_stop (TestActor  *self,
                 GError    **error)
{
  StartStop *ss = thr_actor_get_data (self);
  TestRecord *r = test_actor_get_record (self);

  /* n_stopped counts this call already. */
  if (g_atomic_int_get (&r->n_started) != 1 || g_atomic_int_get (&r->n_stopped) != 1)
    g_atomic_int_inc (&ss->violations);
  return TRUE;
}

static gpointer
starter_main (gpointer data)
{
  StartStop *ss = data;

  for (guint round = 0; round < ss->rounds; round++)
    {
      g_autoptr(GError) error = NULL;

      barrier_wait (&ss->barrier);
      ss->ref = pykka_actor_start (ss->actor, &error);
      g_assert_no_error (error);
      barrier_wait (&ss->barrier);
    }
  return NULL;
}

static gpointer
stopper_main (gpointer data)
{
  StartStop *ss = data;

  for (guint round = 0; round < ss->rounds; round++)
    {
      PykkaActorRef *ref;

      barrier_wait (&ss->barrier);
      ref = pykka_actor_get_actor_ref (ss->actor);
      for (gint i = 0; i < 2; i++)
        {
          g_autoptr(GError) error = NULL;
          GValue v = G_VALUE_INIT;

          if (!pykka_actor_ref_tell (ref, test_value_int (&v, i), &error) &&
              !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD))
            g_atomic_int_inc (&ss->bad_tells);
          g_value_unset (&v);
        }
      ss->stopped = pykka_actor_ref_stop (ref);
      barrier_wait (&ss->barrier);
    }
  return NULL;
}

static void
test_start_tell_stop_race (void)
{
  StartStop ss = { 0, };
  GThread *starter, *stopper;
  guint rounds = scaled (2000);

  g_test_summary ("One thread tells and stops an actor through its ref (taken before the start) while another starts it, 2000 rounds: on_start always runs before any handled message, on_stop never runs without on_start, and the actor ends stopped exactly once");

  barrier_init (&ss.barrier, 3);
  ss.rounds = rounds;
  starter = g_thread_new ("starter", starter_main, &ss);
  stopper = g_thread_new ("stopper", stopper_main, &ss);

  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GError) error = NULL;
      TestRecord *r;
      PykkaActor *actor;
      gint finalized = 0;

      actor = thr_actor_new (THR_TYPE_ACTOR, ordered_receive, &ss, NULL);
      test_actor_set_on_stop (TEST_ACTOR (actor), ordered_on_stop);
      r = thr_actor_dup_record (actor);
      g_object_weak_ref (G_OBJECT (actor), count_finalized, &finalized);
      ss.actor = actor;
      barrier_wait (&ss.barrier);  /* go */
      barrier_wait (&ss.barrier);  /* both returned */

      g_assert_nonnull (ss.ref);
      /* A stop sent before the start reports FALSE at once; one sent
       * after stops the actor. */
      test_iterate_until (NULL, pykka_future_is_done (ss.stopped));
      if (!g_value_get_boolean (pykka_future_get (ss.stopped, 0, NULL)))
        {
          g_assert_true (pykka_actor_ref_stop_sync (ss.ref, TEST_TIMEOUT_MSEC, &error));
          g_assert_no_error (error);
        }
      g_assert_false (pykka_actor_ref_is_alive (ss.ref));
      g_assert_cmpint (r->n_started, ==, 1);
      g_assert_cmpint (r->n_stopped, ==, 1);
      g_assert_cmpint (r->n_failures, ==, 0);
      g_assert_cmpint (g_atomic_int_get (&ss.violations), ==, 0);

      g_clear_object (&ss.ref);
      g_clear_object (&ss.stopped);
      ss.actor = NULL;
      g_object_unref (actor);
      g_assert_cmpint (g_atomic_int_get (&finalized), ==, 1);
      test_record_free (r);
    }

  g_thread_join (starter);
  g_thread_join (stopper);
  g_assert_cmpint (ss.bad_tells, ==, 0);
  barrier_clear (&ss.barrier);
  test_stop_all ();
}

/* ---------------------------------------------------------------------
 * 5. Deadlocks fail at once, naming the cycle
 * ------------------------------------------------------------------ */

/* The message is a number of hops: 0 answers 0; n asks the actor whose
 * ref is at *data with n - 1 and answers its answer + 1. */
static gboolean
hop_receive (TestActor     *self,
             const GValue  *message,
             GValue        *reply,
             GError       **error)
{
  PykkaActorRef **next = thr_actor_get_data (self);
  gint hops = g_value_get_int (message);
  GValue fewer = G_VALUE_INIT;
  GValue answer = G_VALUE_INIT;
  gboolean ok;

  if (hops == 0)
    {
      g_value_init (reply, G_TYPE_INT);
      return TRUE;
    }
  ok = pykka_actor_ref_ask_sync (*next, test_value_int (&fewer, hops - 1), TEST_TIMEOUT_MSEC, &answer, error);
  if (!ok)
    return FALSE;
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (&answer) + 1);
  return TRUE;
}

static void
assert_deadlock_names (const GError   *error,
                       PykkaActorRef **refs,
                       guint           n_refs)
{
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  assert_contains (error->message, "Deadlock:");
  assert_contains (error->message, "waits for");
  for (guint i = 0; i < n_refs; i++)
    assert_contains (error->message, pykka_actor_ref_get_urn (refs[i]));
}

static void
test_deadlock_stackful_pair (void)
{
  PykkaActorRef *slots[2] = { NULL, NULL };
  PykkaActor *a = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[1], NULL);
  PykkaActor *b = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[0], NULL);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Two stackful actors on one context asking each other with ask_sync (A's handler asks B, whose handler asks A) fail at once with DEADLOCK naming the cycle and both urns; both live on");

  slots[0] = thr_start_actor (a);
  slots[1] = thr_start_actor (b);

  f = test_ask_int (slots[0], 2);
  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  assert_deadlock_names (error, slots, 2);
  g_test_message ("%s", error->message);
  g_assert_true (pykka_actor_ref_is_alive (slots[0]));
  g_assert_true (pykka_actor_ref_is_alive (slots[1]));

  test_stop_all ();
  g_object_unref (slots[0]);
  g_object_unref (slots[1]);
}

/* Own-thread pair: each handler of a message 1 waits until both
 * handlers run, then asks the other actor with 0 (answered 0). */
typedef struct
{
  PykkaActorRef *refs[2];
  gint           arrived;  /* atomic */
} Pair;

static gboolean
pair_receive (TestActor     *self,
              const GValue  *message,
              GValue        *reply,
              GError       **error)
{
  Pair *pair = thr_actor_get_data (self);
  PykkaActorRef *me = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  PykkaActorRef *other = pair->refs[me == pair->refs[0] ? 1 : 0];
  GValue zero = G_VALUE_INIT;
  GValue answer = G_VALUE_INIT;

  g_value_init (reply, G_TYPE_INT);
  if (g_value_get_int (message) == 0)
    return TRUE;

  g_atomic_int_inc (&pair->arrived);
  wait_until (g_atomic_int_get (&pair->arrived) >= 2);
  if (!pykka_actor_ref_ask_sync (other, test_value_int (&zero, 0), TEST_TIMEOUT_MSEC, &answer, error))
    return FALSE;
  g_value_set_int (reply, g_value_get_int (&answer));
  return TRUE;
}

static void
test_deadlock_own_thread_pair (void)
{
  Pair pair = { { NULL, NULL }, 0 };
  PykkaActor *a = thr_actor_new (THR_TYPE_ACTOR, pair_receive, &pair, "use-own-thread", TRUE, NULL);
  PykkaActor *b = thr_actor_new (THR_TYPE_ACTOR, pair_receive, &pair, "use-own-thread", TRUE, NULL);
  PykkaFuture *f[2];
  guint deadlocks = 0;

  g_test_summary ("Two own-thread actors whose plain handlers ask each other at the same time with ask_sync (sleeping on condition variables): one of them gets DEADLOCK naming the cycle at once, neither hangs, and both asks of the test thread are answered (with the DEADLOCK or a value)");

  pair.refs[0] = g_object_ref (pykka_actor_get_actor_ref (a));
  pair.refs[1] = g_object_ref (pykka_actor_get_actor_ref (b));
  g_object_unref (thr_start_actor (a));
  g_object_unref (thr_start_actor (b));

  f[0] = test_ask_int (pair.refs[0], 1);
  f[1] = test_ask_int (pair.refs[1], 1);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      const GValue *v = pykka_future_get (f[i], TEST_TIMEOUT_MSEC, &error);

      if (v != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpint (g_value_get_int (v), ==, 0);
        }
      else
        {
          assert_deadlock_names (error, pair.refs, 2);
          g_test_message ("%s", error->message);
          deadlocks++;
        }
      g_object_unref (f[i]);
    }
  g_assert_cmpuint (deadlocks, >=, 1);

  test_stop_all ();
  g_object_unref (pair.refs[0]);
  g_object_unref (pair.refs[1]);
}

/* A ring of three stackful actors, each asking the ref in the next slot:
 * @a and @c on a context run by one thread, @b on a context run by
 * another. The first ask (to slots[0]'s actor, @a) fails at once with
 * DEADLOCK naming the three urns, and every actor lives on. @in_slots
 * gives the actors in slot order. */
static void
assert_ring_deadlocks (PykkaActorRef  *slots[3],
                       PykkaActor     *in_slots[3],
                       PykkaActor     *a,
                       PykkaActor     *b,
                       PykkaActor     *c,
                       const char     *first_name,
                       const char     *second_name)
{
  LoopThread *first, *second;
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    slots[i] = g_object_ref (pykka_actor_get_actor_ref (in_slots[i]));
  first = loop_thread_new (first_name, a, c, NULL);
  second = loop_thread_new (second_name, b, NULL);

  f = test_ask_int (slots[0], 3);
  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  assert_deadlock_names (error, slots, 3);
  g_test_message ("%s", error->message);
  for (guint i = 0; i < 3; i++)
    g_assert_true (pykka_actor_ref_is_alive (slots[i]));

  loop_thread_free (first);
  loop_thread_free (second);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (pykka_actor_ref_is_alive (slots[i]));
      g_object_unref (slots[i]);
    }
  test_stop_all ();
}

static void
test_deadlock_ring_two_threads (void)
{
  PykkaActorRef *slots[3] = { NULL, NULL, NULL };
  /* A asks B, B asks C, C asks A. */
  PykkaActor *a = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[1], NULL);
  PykkaActor *b = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[2], NULL);
  PykkaActor *c = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[0], NULL);
  PykkaActor *in_slots[3] = { a, b, c };

  g_test_summary ("A ring of three stackful actors across two threads (A and C on a context run by one thread, B on a context run by another; A asks B, B asks C, C asks A) fails at once with DEADLOCK naming the three urns; every actor lives on");

  assert_ring_deadlocks (slots, in_slots, a, b, c, "ring-1", "ring-2");
}

static void
test_deadlock_ring_fast_edge (void)
{
  PykkaActorRef *slots[3] = { NULL, NULL, NULL };
  /* A asks C, C asks B, B asks A. */
  PykkaActor *a = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[1], NULL);
  PykkaActor *c = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[2], NULL);
  PykkaActor *b = thr_actor_new (THR_TYPE_STACKFUL_ACTOR, hop_receive, &slots[0], NULL);
  PykkaActor *in_slots[3] = { a, c, b };

  g_test_summary ("A ring of three stackful actors across two threads whose first wait is between two actors of one context "
                  "(A and C on a context run by one thread, B on another; A asks C, C asks B, B asks A): the wait of A for C "
                  "is recorded without the graph's lock, and B's wait, on the other thread, still sees it and fails at once "
                  "with DEADLOCK naming the three urns; every actor lives on");

  assert_ring_deadlocks (slots, in_slots, a, b, c, "fast-ring-1", "fast-ring-2");
}

/* 1: replies with the future of an ask to its own actor; 0: answers 0. */
static gboolean
reply_with_own_ask (TestActor     *self,
                    const GValue  *message,
                    GValue        *reply,
                    GError       **error)
{
  PykkaActorRef *me = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));

  if (g_value_get_int (message) == 0)
    {
      g_value_init (reply, G_TYPE_INT);
      return TRUE;
    }
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_take_object (reply, test_ask_int (me, 0));
  return TRUE;
}

static void
test_deadlock_reply_with_own_ask (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = thr_start (0, reply_with_own_ask, NULL, &r);
  g_autoptr(PykkaFuture) f = test_ask_int (ref, 1);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A handler that replies with the future of an ask to its own actor (F16) answers its asker with DEADLOCK naming the actor at once; the actor lives on and can be stopped");

  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  assert_contains (error->message, "Deadlock:");
  assert_contains (error->message, pykka_actor_ref_get_urn (ref));
  g_clear_error (&error);
  g_assert_true (pykka_actor_ref_is_alive (ref));

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r->n_stopped, ==, 1);
  test_stop_all ();
  test_record_free (r);
}

/* ---------------------------------------------------------------------
 * 6. A timeout bounds starting work (issue 11 point 4)
 * ------------------------------------------------------------------ */

/* Sleeps GPOINTER_TO_INT (data) ms, then answers its message. */
static gboolean
slow_receive (TestActor     *self,
              const GValue  *message,
              GValue        *reply,
              GError       **error)
{
  g_usleep (GPOINTER_TO_INT (thr_actor_get_data (self)) * 1000);
  g_value_init (reply, G_VALUE_TYPE (message));
  g_value_copy (message, reply);
  return TRUE;
}

/*
 * The main thread waits with get(…, 50) for an actor whose message is
 * queued behind 10 slow (30 ms) messages of another actor of the same
 * context. The wait runs the context's actors itself while it waits, but
 * once its deadline has passed it starts no more work: it returns
 * TIMEOUT after at most the handler that was running at the deadline,
 * not after the 300 ms all of them take. So fewer than 10 of the slow
 * messages were handled when it returned. (Asserts a count, not a
 * time.)
 */
static void
test_timeout_bounds_work (void)
{
  TestRecord *rs, *rf;
  g_autoptr(PykkaActorRef) slow = thr_start (0, slow_receive, GINT_TO_POINTER (30), &rs);
  g_autoptr(PykkaActorRef) fast = thr_start (0, test_echo, NULL, &rf);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;
  gint handled;

  g_test_summary ("A get(…, 50) on the main thread for an actor queued behind 10 slow (30 ms) messages of another actor of the default context returns TIMEOUT before all of them are handled: the wait starts no work after its deadline, even within one actor's turn");

  /* Let both actors start first. */
  test_iterate_until (NULL, rs->n_started == 1 && rf->n_started == 1);
  for (gint i = 0; i < 10; i++)
    test_tell_int (slow, i);
  f = test_ask_int (fast, 5);
  g_assert_null (pykka_future_get (f, 50, &error));
  handled = g_atomic_int_get (&rs->n_received);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_test_message ("%d of 10 slow messages handled when the get returned", handled);
  /* Fails the test without aborting the program, so that the tests
   * after this one still run. */
  if (handled >= 10)
    g_test_fail_printf ("all %d slow messages were handled before the get(…, 50) returned: "
                        "the wait did not stop starting work at its deadline", handled);

  test_stop_all ();
  g_assert_cmpint (rs->n_received, ==, 10);
  test_record_free (rs);
  test_record_free (rf);
}

/* The same with one slow message for each of 10 actors: the deadline
 * is checked before each turn. */
static void
test_timeout_bounds_turns (void)
{
  g_autoptr(GPtrArray) slow = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) test_record_free);
  TestRecord *rf;
  g_autoptr(PykkaActorRef) fast = thr_start (0, test_echo, NULL, &rf);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;
  gint handled = 0;

  g_test_summary ("A get(…, 50) on the main thread for an actor queued behind 10 actors of the default context with one slow (30 ms) message each returns TIMEOUT before all of them are handled: the wait starts no turn after its deadline");

  for (guint i = 0; i < 10; i++)
    {
      TestRecord *r;

      g_ptr_array_add (slow, thr_start (0, slow_receive, GINT_TO_POINTER (30), &r));
      g_ptr_array_add (records, r);
    }
  test_iterate_until (NULL, ({
    gint k = 0;
    for (guint i = 0; i < 10; i++)
      k += ((TestRecord *) records->pdata[i])->n_started;
    k == 10 && rf->n_started == 1;
  }));

  for (guint i = 0; i < 10; i++)
    test_tell_int (slow->pdata[i], (gint) i);
  f = test_ask_int (fast, 5);
  g_assert_null (pykka_future_get (f, 50, &error));
  for (guint i = 0; i < 10; i++)
    handled += g_atomic_int_get (&((TestRecord *) records->pdata[i])->n_received);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_test_message ("%d of 10 slow messages handled when the get returned", handled);
  g_assert_cmpint (handled, <, 10);

  test_stop_all ();
  test_record_free (rf);
}

static void
test_timeout_running_handler (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) sleeper = thr_start (0, slow_receive, GINT_TO_POINTER (300), &r);
  g_autoptr(PykkaFuture) f = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *v;

  g_test_summary ("A handler that takes 300 ms, asked with get(…, 50) on the caller's own context, is not interrupted: the get returns its value");

  test_iterate_until (NULL, r->n_started == 1);
  f = test_ask_int (sleeper, 42);
  v = pykka_future_get (f, 50, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v);
  g_assert_cmpint (g_value_get_int (v), ==, 42);

  test_stop_all ();
  test_record_free (r);
}

/* ---------------------------------------------------------------------
 * 7. A nested main loop in a stackful handler (F4)
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaActorRef *plain;
  guint          seq;            /* order of events, main thread only */
  guint          nested_end;     /* seq when the nested loop ended */
  guint          other_handled;  /* seq when the other stackful actor ran */
} Nested;

/* Asks the plain actor and iterates its own context until the answer. */
static gboolean
nested_loop_receive (TestActor     *self,
                     const GValue  *message,
                     GValue        *reply,
                     GError       **error)
{
  Nested *n = thr_actor_get_data (self);
  GMainContext *ctx = pykka_actor_get_context (PYKKA_ACTOR (self));
  g_autoptr(PykkaFuture) f = test_ask_int (n->plain, g_value_get_int (message));
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

  g_assert_nonnull (pykka_coroutine_self ());
  while (!pykka_future_is_done (f))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out in the nested loop");
      g_main_context_iteration (ctx, FALSE);
    }
  n->nested_end = ++n->seq;
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (pykka_future_get (f, 0, NULL)) + 1);
  return TRUE;
}

static gboolean
note_handled (TestActor     *self,
              const GValue  *message,
              GValue        *reply,
              GError       **error)
{
  Nested *n = thr_actor_get_data (self);

  n->other_handled = ++n->seq;
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (message) * 2);
  return TRUE;
}

static void
test_stackful_nested_loop (void)
{
  Nested n = { NULL, 0, 0, 0 };
  TestRecord *rp, *r1, *r2;
  g_autoptr(PykkaActorRef) plain = thr_start (0, test_echo, NULL, &rp);
  g_autoptr(PykkaActorRef) looper = thr_start (THR_TYPE_STACKFUL_ACTOR, nested_loop_receive, &n, &r1);
  g_autoptr(PykkaActorRef) other = thr_start (THR_TYPE_STACKFUL_ACTOR, note_handled, &n, &r2);
  g_autoptr(PykkaFuture) f1 = NULL;
  g_autoptr(PykkaFuture) f2 = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A stackful handler that runs a nested main loop on its own context while another stackful actor of the context has a message queued (F4): no critical, the plain actor it waits for runs nested, the other stackful actor's message is handled after the nested loop ended, not lost, and stop_all succeeds");

  n.plain = plain;
  test_iterate_until (NULL, rp->n_started == 1 && r1->n_started == 1 && r2->n_started == 1);

  f1 = test_ask_int (looper, 10);
  f2 = test_ask_int (other, 21);
  g_assert_cmpint (test_get_int (f1), ==, 11);
  g_assert_cmpint (test_get_int (f2), ==, 42);
  g_assert_cmpuint (n.nested_end, >, 0);
  g_assert_cmpuint (n.other_handled, >, n.nested_end);
  g_assert_cmpint (rp->n_received, ==, 1);
  g_assert_cmpint (r2->n_received, ==, 1);

  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());
  test_record_free (rp);
  test_record_free (r1);
  test_record_free (r2);
}

/* ---------------------------------------------------------------------
 * 8. pykka_actor_suspend_until (F1)
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaFuture *never;       /* never completed while the actor lives */
  gint         runs;        /* atomic: calls of the resume function */
  gint         runs_done;   /* atomic: calls that saw the future done */
  gint         destroys;    /* atomic */
  gboolean     deadlock_ok; /* the self-wait returned FALSE with DEADLOCK */
} Susp;

typedef struct
{
  Susp        *susp;
  PykkaFuture *reply;  /* (owned) the handler's reply */
} SuspCall;

static void
susp_resume (PykkaActor  *actor,
             PykkaFuture *future,
             gpointer     data)
{
  SuspCall *call = data;

  g_atomic_int_inc (&call->susp->runs);
  if (pykka_future_is_done (future))
    {
      g_atomic_int_inc (&call->susp->runs_done);
      pykka_future_set_value (call->reply, pykka_future_get (future, 0, NULL), NULL);
    }
  else
    {
      g_autoptr(GError) timeout = g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT, "suspension timed out");

      pykka_future_set_error (call->reply, timeout, NULL);
    }
}

static void
susp_destroy (gpointer data)
{
  SuspCall *call = data;

  g_atomic_int_inc (&call->susp->destroys);
  g_clear_object (&call->reply);
  g_free (call);
}

/* 1: suspends on the never-completed future for 50 ms; 2: suspends on
 * an ask to itself, which must fail with DEADLOCK; 0: answers 0. */
static gboolean
suspending_receive (TestActor     *self,
                    const GValue  *message,
                    GValue        *reply,
                    GError       **error)
{
  Susp *s = thr_actor_get_data (self);
  SuspCall *call;
  gint what = g_value_get_int (message);

  if (what == 0)
    {
      g_value_init (reply, G_TYPE_INT);
      return TRUE;
    }

  call = g_new0 (SuspCall, 1);
  call->susp = s;
  call->reply = pykka_future_new ();
  if (what == 1)
    {
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_set_object (reply, call->reply);
      return pykka_actor_suspend_until (PYKKA_ACTOR (self), s->never, 50,
                                        susp_resume, call, susp_destroy, error);
    }
  else
    {
      PykkaActorRef *me = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
      g_autoptr(PykkaFuture) own = test_ask_int (me, 0);
      GError *local = NULL;
      gboolean ok;

      ok = pykka_actor_suspend_until (PYKKA_ACTOR (self), own, TEST_TIMEOUT_MSEC,
                                      susp_resume, call, susp_destroy, &local);
      s->deadlock_ok = !ok && g_error_matches (local, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
      if (ok)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "suspend_until on an ask to itself succeeded");
          return FALSE;
        }
      g_propagate_error (error, local);
      return FALSE;
    }
}

static void
test_suspend_until_timeout_after_death (void)
{
  Susp s = { NULL, 0, 0, 0, FALSE };
  LoopThread *lt;
  PykkaActorRef *ref;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("pykka_actor_suspend_until() with a 50 ms timeout on a future that never completes (F1): the resume function runs once, in a turn, with the future not done, and answers the ask; destroy runs once; after the actor stopped, its thread ended and its context was freed, completing the future is harmless. A suspend_until on an ask to the actor itself fails with DEADLOCK and runs destroy once");

  s.never = pykka_future_new ();
  lt = loop_thread_new ("suspender", thr_actor_new (THR_TYPE_ACTOR, suspending_receive, &s, NULL), NULL);
  ref = g_object_ref (loop_thread_get_ref (lt, 0));

  g_assert_false (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, 1), TEST_TIMEOUT_MSEC, NULL, &error));
  g_value_unset (&msg);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  assert_contains (error->message, "suspension timed out");
  g_clear_error (&error);
  g_assert_cmpint (g_atomic_int_get (&s.runs), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s.runs_done), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&s.destroys), ==, 1);

  /* A wait for its own answer would never end. */
  g_assert_false (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, 2), TEST_TIMEOUT_MSEC, NULL, &error));
  g_value_unset (&msg);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  g_clear_error (&error);
  g_assert_true (s.deadlock_ok);
  g_assert_cmpint (g_atomic_int_get (&s.runs), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s.destroys), ==, 2);
  g_assert_true (pykka_actor_ref_is_alive (ref));

  /* Stops the actor, ends the thread and frees the context. */
  loop_thread_free (lt);
  g_assert_false (pykka_actor_ref_is_alive (ref));

  g_assert_true (pykka_future_set_value (s.never, test_value_int (&msg, 1), NULL));
  g_value_unset (&msg);
  g_assert_cmpint (g_atomic_int_get (&s.runs), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&s.destroys), ==, 2);
  g_clear_object (&s.never);
  g_object_unref (ref);
  test_stop_all ();
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Threads/default-context-main-only", test_default_context_main_only);
  g_test_add_func ("/Pykka/Threads/pushed-context-owner-only", test_pushed_context_owner_only);
  g_test_add_func ("/Pykka/Threads/first-iterator-owns", test_first_iterator_owns);
  g_test_add_func ("/Pykka/Threads/own-thread-handlers", test_own_thread_handlers);
  g_test_add_func ("/Pykka/Threads/own-thread-wakes-after-spin", test_own_thread_wakes_after_spin);
  g_test_add_func ("/Pykka/Threads/orphaned-never-run", test_orphaned_never_run);
  g_test_add_func ("/Pykka/Threads/orphaned-after-messages", test_orphaned_after_messages);
  g_test_add_func ("/Pykka/Threads/orphaned-stackful-asker", test_orphaned_stackful_asker);
  g_test_add_func ("/Pykka/Threads/guest-of-own-thread", test_guest_of_own_thread);
  g_test_add_func ("/Pykka/Threads/unowned-lockstep", test_unowned_lockstep);
  g_test_add_func ("/Pykka/Threads/start-race", test_start_race);
  g_test_add_func ("/Pykka/Threads/start-tell-stop-race", test_start_tell_stop_race);
  g_test_add_func ("/Pykka/Threads/deadlock-stackful-pair", test_deadlock_stackful_pair);
  g_test_add_func ("/Pykka/Threads/deadlock-own-thread-pair", test_deadlock_own_thread_pair);
  g_test_add_func ("/Pykka/Threads/deadlock-ring-two-threads", test_deadlock_ring_two_threads);
  g_test_add_func ("/Pykka/Threads/deadlock-ring-fast-edge", test_deadlock_ring_fast_edge);
  g_test_add_func ("/Pykka/Threads/deadlock-reply-with-own-ask", test_deadlock_reply_with_own_ask);
  g_test_add_func ("/Pykka/Threads/timeout-bounds-work", test_timeout_bounds_work);
  g_test_add_func ("/Pykka/Threads/timeout-bounds-turns", test_timeout_bounds_turns);
  g_test_add_func ("/Pykka/Threads/timeout-running-handler", test_timeout_running_handler);
  g_test_add_func ("/Pykka/Threads/stackful-nested-loop", test_stackful_nested_loop);
  g_test_add_func ("/Pykka/Threads/suspend-until-timeout-after-death", test_suspend_until_timeout_after_death);

  return g_test_run ();
}
