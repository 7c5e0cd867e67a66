/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Hostile orderings of the newest features: supervised restarts racing
 * kills and stops, timers of dying and restarted actors, deferred replies
 * that outlive their actor, bounded mailboxes whose actor dies under a
 * blocked sender, death watch from both ends at once. Each test asserts
 * the documented behaviour: no reply lost, nothing hangs (every wait has
 * TEST_TIMEOUT_MSEC), nothing leaks (instances are counted as they are
 * finalized). No timing is asserted. */

#include "config.h"

#include <string.h>

#include "test-util.h"

/* What the instances of one actor did, and how they behave. */
typedef struct
{
  gint         made;        /* atomic: instances made by the factory */
  gint         started;     /* atomic: on_start */
  gint         stopped;     /* atomic: on_stop */
  gint         failed;      /* atomic: on_failure */
  gint         ticks;       /* atomic: "tick" messages handled */
  gint         handled;     /* atomic: messages handled */
  gint         finalized;   /* atomic: instances finalized */
  gint         terminated;  /* atomic: PykkaTerminated messages handled */
  gint         last;        /* atomic: last int handled */
  gint         null_after;  /* the factory makes nothing once this many were made; 0: never */
  gboolean     own_thread;
  gboolean     stackful;
  guint        tick_msec;   /* on_start starts a periodic "tick" timer; 0: none */
  guint        stop_wait_msec; /* on_stop waits this long (running its context) */
  gint         stop_dead_letters; /* atomic: dead letters counted while on_stop waited */
  gpointer     kid;         /* (nullable) a Script: on_start starts a child made from it */
  gboolean     fail_start;  /* on_start fails (after starting the child) */
  PykkaActor  *reuse;       /* (unowned) (nullable) once one instance was made, the factory returns this one */
  GMutex       lock;
  PykkaActorRef *kid_ref;   /* (owned) (nullable) the last child on_start started, under lock */
  PykkaFuture *handle;      /* (owned) (nullable) the last deferred reply, under lock */
  PykkaFuture *gate;        /* (owned) (nullable) what "wait" waits for */
} Script;

static void
script_init (Script *s)
{
  memset (s, 0, sizeof *s);
  g_mutex_init (&s->lock);
}

static void
script_clear (Script *s)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  /* Every instance must be gone before the script (often on the test's
   * stack) is: the last reference to an own-thread actor may go on its
   * thread a little after its death, and a late finalization would count
   * in whatever the stack holds next (the next test's script). */
  while (g_atomic_int_get (&s->finalized) != g_atomic_int_get (&s->made))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100);
    }
  g_clear_object (&s->handle);
  g_clear_object (&s->gate);
  g_clear_object (&s->kid_ref);
  g_mutex_clear (&s->lock);
}

static PykkaFuture *
script_take_handle (Script *s)
{
  PykkaFuture *handle;

  g_mutex_lock (&s->lock);
  handle = g_steal_pointer (&s->handle);
  g_mutex_unlock (&s->lock);
  return handle;
}

#define TEST_TYPE_RACER (test_racer_get_type ())
G_DECLARE_DERIVABLE_TYPE (TestRacer, test_racer, TEST, RACER, PykkaActor)

struct _TestRacerClass
{
  PykkaActorClass parent_class;
};

typedef struct
{
  Script *script;
  gint    instance;
} TestRacerPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (TestRacer, test_racer, PYKKA_TYPE_ACTOR)

static Script *
racer_script (gpointer actor)
{
  return ((TestRacerPrivate *) test_racer_get_instance_private (TEST_RACER (actor)))->script;
}

static gboolean
is_text (const GValue *message, const char *text)
{
  return G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), text) == 0;
}

static GValue *
value_text (GValue *value, const char *text)
{
  return test_value_string (value, text);
}

static PykkaActor *make_racer (gpointer data);

static gboolean
test_racer_on_start (PykkaActor *actor, GError **error)
{
  Script *s = racer_script (actor);

  g_atomic_int_inc (&s->started);
  if (s->tick_msec != 0)
    {
      GValue tick = G_VALUE_INIT;

      /* (0 when the actor is being killed meanwhile, from another thread.) */
      (void) pykka_actor_start_timer (actor, NULL, s->tick_msec, s->tick_msec, value_text (&tick, "tick"));
      g_value_unset (&tick);
    }
  if (s->kid != NULL)
    {
      g_autoptr(PykkaActor) kid = make_racer (s->kid);
      PykkaActorRef *kid_ref = pykka_actor_start_child (actor, kid, error);

      g_assert_nonnull (kid_ref);
      g_mutex_lock (&s->lock);
      g_clear_object (&s->kid_ref);
      s->kid_ref = kid_ref;
      g_mutex_unlock (&s->lock);
    }
  if (s->fail_start)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "on_start failed on purpose");
      return FALSE;
    }
  return TRUE;
}

static gboolean
test_racer_on_stop (PykkaActor *actor, GError **error)
{
  Script *s = racer_script (actor);
  GValue tick = G_VALUE_INIT;

  g_atomic_int_inc (&s->stopped);
  /* A timer started in on_stop never fires: refused when the actor is
   * stopping, cancelled with the instance when a restart stops it. */
  (void) pykka_actor_start_timer (actor, NULL, 1, 1, value_text (&tick, "tick"));
  g_value_unset (&tick);
  if (s->stop_wait_msec != 0)
    {
      g_autoptr(PykkaFuture) never = pykka_future_new ();
      guint64 before = pykka_debug_get_dead_letters ();

      /* Runs the actor's context meanwhile (a nested wait). */
      g_assert_null (pykka_future_get (never, s->stop_wait_msec, NULL));
      g_atomic_int_add (&s->stop_dead_letters, (gint) (pykka_debug_get_dead_letters () - before));
    }
  return TRUE;
}

static void
test_racer_on_failure (PykkaActor *actor, const GError *error)
{
  g_atomic_int_inc (&racer_script (actor)->failed);
}

static gboolean
test_racer_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  Script *s = racer_script (actor);
  TestRacerPrivate *priv = test_racer_get_instance_private (TEST_RACER (actor));

  g_atomic_int_inc (&s->handled);
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    {
      g_atomic_int_inc (&s->terminated);
      return TRUE;
    }
  if (is_text (message, "crash"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crashed on purpose");
      return FALSE;
    }
  if (is_text (message, "tick"))
    {
      g_atomic_int_inc (&s->ticks);
      return TRUE;
    }
  if (is_text (message, "defer") || is_text (message, "defer-crash"))
    {
      PykkaFuture *handle = pykka_actor_defer_reply (actor, error);

      g_assert_nonnull (handle);
      g_mutex_lock (&s->lock);
      g_clear_object (&s->handle);
      s->handle = handle;
      g_mutex_unlock (&s->lock);
      if (is_text (message, "defer-crash"))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crashed after deferring");
          return FALSE;
        }
      return TRUE;
    }
  if (is_text (message, "defer-wait"))
    {
      /* Defers, keeps no reference to the handle, and waits (stackful):
       * only the cell holds the handle while the handler is suspended.
       * Nothing on this stack holds a reference either (the gate is the
       * script's), so a stack dropped unwound leaks nothing. */
      PykkaFuture *handle = pykka_actor_defer_reply (actor, error);

      g_assert_nonnull (handle);
      g_object_unref (handle);
      g_assert_true (s->stackful);
      return pykka_future_get (s->gate, TEST_TIMEOUT_MSEC, error) != NULL;
    }
  if (is_text (message, "wait"))
    {
      /* (Borrowed: the script keeps it. A stack dropped unwound, see
       * orphaned-wait-then-completed, must hold no reference.) */
      PykkaFuture *gate = s->gate;

      if (s->stackful)
        {
          const GValue *v = pykka_future_get (gate, TEST_TIMEOUT_MSEC, error);

          if (v == NULL)
            return FALSE;
          g_value_init (reply, G_TYPE_INT);
          g_value_set_int (reply, g_value_get_int (v));
          return TRUE;
        }
      /* Replies with the future: the actor takes nothing else meanwhile. */
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_set_object (reply, gate);
      return TRUE;
    }
  if (G_VALUE_HOLDS_INT (message))
    {
      g_atomic_int_set (&s->last, g_value_get_int (message));
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, priv->instance);
    }
  return TRUE;
}

static void
test_racer_finalize (GObject *object)
{
  g_atomic_int_inc (&racer_script (object)->finalized);
  G_OBJECT_CLASS (test_racer_parent_class)->finalize (object);
}

static void
test_racer_class_init (TestRacerClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_racer_finalize;
  actor_class->on_start = test_racer_on_start;
  actor_class->on_stop = test_racer_on_stop;
  actor_class->on_failure = test_racer_on_failure;
  actor_class->on_receive = test_racer_on_receive;
}

static void
test_racer_init (TestRacer *self)
{
}

#define TEST_TYPE_STACKFUL_RACER (test_stackful_racer_get_type ())
G_DECLARE_FINAL_TYPE (TestStackfulRacer, test_stackful_racer, TEST, STACKFUL_RACER, TestRacer)

struct _TestStackfulRacer
{
  TestRacer parent_instance;
};

G_DEFINE_FINAL_TYPE (TestStackfulRacer, test_stackful_racer, TEST_TYPE_RACER)

static void
test_stackful_racer_class_init (TestStackfulRacerClass *klass)
{
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
test_stackful_racer_init (TestStackfulRacer *self)
{
}

/* The factory of every racer: the script says how. */
static PykkaActor *
make_racer (gpointer data)
{
  Script *s = data;
  TestRacer *actor;
  TestRacerPrivate *priv;

  if (s->null_after != 0 && g_atomic_int_get (&s->made) >= s->null_after)
    return NULL;
  if (s->reuse != NULL && g_atomic_int_get (&s->made) >= 1)
    return g_object_ref (s->reuse);
  actor = g_object_new (s->stackful ? TEST_TYPE_STACKFUL_RACER : TEST_TYPE_RACER,
                        "use-own-thread", s->own_thread, NULL);
  priv = test_racer_get_instance_private (actor);
  priv->script = s;
  priv->instance = g_atomic_int_add (&s->made, 1) + 1;
  return PYKKA_ACTOR (actor);
}

static PykkaActorRef *
start_racer (Script *s, PykkaActor **actor_out)
{
  g_autoptr(PykkaActor) actor = make_racer (s);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  if (actor_out != NULL)
    *actor_out = actor;  /* borrowed: alive while running */
  return ref;
}

static void
tell_text (PykkaActorRef *ref, const char *text)
{
  GValue value = G_VALUE_INIT;

  (void) pykka_actor_ref_tell (ref, value_text (&value, text), NULL);
  g_value_unset (&value);
}

static PykkaFuture *
ask_text (PykkaActorRef *ref, const char *text)
{
  GValue value = G_VALUE_INIT;
  PykkaFuture *f = pykka_actor_ref_ask (ref, value_text (&value, text));

  g_value_unset (&value);
  return f;
}

static void
run_until_idle (GMainContext *context)
{
  for (guint i = 0; i < 10000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

/* Waits for @f (whatever its outcome); FALSE if it is not done in time. */
static gboolean
future_wait (PykkaFuture *f, gint timeout_msec)
{
  g_autoptr(GError) error = NULL;

  (void) pykka_future_get (f, timeout_msec, &error);
  return pykka_future_is_done (f);
}

/* Waits (without iterating anything) until *@flag is set, or fails. */
static void
wait_flag (gint *flag)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (flag))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out waiting for a flag");
      g_usleep (100);
    }
}

static PykkaSupervisor *
new_supervisor (PykkaRestartStrategy strategy, guint backoff_msec, gboolean own_thread)
{
  return g_object_new (PYKKA_TYPE_SUPERVISOR, "strategy", strategy, "max-restarts", 100,
                       "within-msec", 60000, "backoff-msec", backoff_msec,
                       "use-own-thread", own_thread, NULL);
}

static PykkaActorRef *
start_child (PykkaSupervisor *sup, Script *s)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_supervisor_start_child (sup, make_racer, s, NULL, &error);

  g_assert_no_error (error);
  return ref;
}

/* The reason of a death the future of get_terminated() gave. */
static const GError *
death_reason (PykkaFuture *terminated)
{
  const GValue *v = pykka_future_get (terminated, 0, NULL);

  g_assert_nonnull (v);
  return pykka_terminated_get_reason (g_value_get_boxed (v));
}

static void
stop_on (GMainContext *context, PykkaActorRef *ref)
{
  g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

  test_iterate_until (context, pykka_future_is_done (stopped));
}

/* ------------------------------------------------------------------ */
/* Supervision */

static void
test_kill_awaiting_child (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 60000, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(GError) error = NULL;
  Script s;

  g_test_summary ("A failed child that awaits its supervisor's (delayed) decision is killed: it "
                  "dies at once, killed, its queued ask fails, and no new instance is made; the "
                  "supervisor then stops without waiting for ever");

  script_init (&s);
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  child = start_child (sup, &s);
  tell_text (child, "crash");
  test_iterate_until (context, pykka_supervisor_get_restarts (sup) == 1);
  g_assert_cmpint (s.failed, ==, 1);
  queued = test_ask_int (child, 1);
  dead = pykka_actor_ref_get_terminated (child);

  g_assert_true (pykka_actor_ref_kill (child));
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  test_iterate_until (context, pykka_future_is_done (queued));
  g_assert_null (pykka_future_get (queued, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (pykka_actor_ref_is_alive (child));

  stop_on (context, sup_ref);
  g_assert_cmpint (s.made, ==, 1);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_kill_after_restart_decided (void)
{
  g_autoptr(GMainContext) sup_context = g_main_context_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  Script s;

  g_test_summary ("The supervisor decided to restart a failed child, and the child is killed "
                  "before it handled the decision: the kill wins, the child dies killed, the "
                  "factory is not called again, nothing runs on the dead cell");

  script_init (&s);
  /* The supervisor and the child on two contexts of this thread, run
   * one at a time. */
  g_main_context_push_thread_default (sup_context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  g_main_context_pop_thread_default (sup_context);
  g_main_context_push_thread_default (context);
  child = start_child (sup, &s);
  run_until_idle (context);
  g_assert_cmpint (s.started, ==, 1);
  tell_text (child, "crash");
  test_iterate_until (context, g_atomic_int_get (&s.failed) == 1);
  /* The decision: a RESTART waits in the child's control lane. */
  test_iterate_until (sup_context, pykka_supervisor_get_restarts (sup) == 1);
  dead = pykka_actor_ref_get_terminated (child);
  g_assert_true (pykka_actor_ref_kill (child));
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  run_until_idle (context);
  g_assert_cmpint (s.made, ==, 1);
  g_assert_cmpint (s.started, ==, 1);
  g_assert_false (pykka_actor_ref_is_alive (child));

  {
    g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (sup_ref);

    test_iterate_until (sup_context, pykka_future_is_done (stopped));
  }
  run_until_idle (context);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_restart_factory_fails (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  g_autoptr(PykkaFuture) queued = NULL;
  g_autoptr(GError) error = NULL;
  Script s;

  g_test_summary ("A restart whose factory makes no actor: the child dies saying so, the ask "
                  "queued meanwhile fails with ACTOR_DEAD, the supervisor goes on");

  script_init (&s);
  s.null_after = 1;
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  child = start_child (sup, &s);
  dead = pykka_actor_ref_get_terminated (child);
  tell_text (child, "crash");
  queued = test_ask_int (child, 1);
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_FAILED);
  test_iterate_until (context, pykka_future_is_done (queued));
  g_assert_null (pykka_future_get (queued, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_true (pykka_actor_ref_is_alive (sup_ref));
  stop_on (context, sup_ref);
  g_assert_cmpint (s.made, ==, 1);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_restart_factory_returns_started_actor (gconstpointer data)
{
  gboolean same = GPOINTER_TO_INT (data);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaActorRef) other_ref = NULL;
  g_autoptr(PykkaActor) other = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  Script s, o;

  g_test_summary ("A restart whose factory returns an actor that was started already (another "
                  "running actor, or the failed instance itself, as `lambda: actor` does): the "
                  "child dies as if the factory made nothing; the other actor is left alone");

  script_init (&s);
  script_init (&o);
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  child = start_child (sup, &s);
  if (same)
    s.reuse = pykka_actor_ref_dup_actor (child);
  else
    {
      other_ref = start_racer (&o, NULL);
      other = pykka_actor_ref_dup_actor (other_ref);
      s.reuse = other;
    }
  run_until_idle (context);
  dead = pykka_actor_ref_get_terminated (child);
  tell_text (child, "crash");
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_FAILED);
  if (same)
    g_object_unref (s.reuse);
  else
    {
      g_autoptr(PykkaFuture) asked = test_ask_int (other_ref, 1);

      /* Still itself, on its own cell and ref. */
      g_assert_true (pykka_actor_get_actor_ref (other) == other_ref);
      test_iterate_until (context, pykka_future_is_done (asked));
      g_assert_cmpint (test_get_int (asked), ==, 1);
      g_assert_cmpint (o.started, ==, 1);
      g_clear_object (&other);
      stop_on (context, other_ref);
      g_assert_cmpint (o.finalized, ==, 1);
    }
  g_assert_cmpint (s.started, ==, 1);
  stop_on (context, sup_ref);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
  script_clear (&o);
}

static void
test_pool_without_error_location (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  PykkaActorRef *pool;
  Script s;

  g_test_summary ("A pool whose factory makes too few workers, started without an error "
                  "location: it fails (NULL) as with one, and leaves nothing running");

  script_init (&s);
  s.null_after = 1;
  g_main_context_push_thread_default (context);
  pool = pykka_router_start_pool (PYKKA_ROUTER_ROUND_ROBIN, 3, make_racer, &s, NULL, NULL);
  g_assert_null (pool);
  run_until_idle (context);
  g_assert_null (pykka_registry_get_all ());
  g_assert_cmpint (s.finalized, ==, s.made);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  PykkaActorRef *ref;
  gint           go;     /* atomic */
  gint           done;   /* atomic */
  gboolean       stop;   /* stop instead of kill */
} Killer;

static gpointer
killer_thread (gpointer data)
{
  Killer *k = data;

  wait_flag (&k->go);
  if (k->stop)
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (k->ref);
    }
  else
    (void) pykka_actor_ref_kill (k->ref);
  g_atomic_int_set (&k->done, 1);
  return NULL;
}

static void
test_restart_races_kill_and_stop (void)
{
  g_test_summary ("A supervised child on a thread of its own fails while another thread kills "
                  "it and a third stops it: every round ends with the child dead (or restarted "
                  "and then stopped), no hang, every instance finalized");

  for (guint round = 0; round < 30; round++)
    {
      g_autoptr(PykkaSupervisor) sup = new_supervisor (round % 2 ? PYKKA_RESTART_ONE_FOR_ALL
                                                                 : PYKKA_RESTART_ONE_FOR_ONE, 0, TRUE);
      g_autoptr(PykkaActorRef) sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
      g_autoptr(PykkaActorRef) child = NULL;
      g_autoptr(PykkaFuture) dead = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      Killer killer = { 0, }, stopper = { 0, };
      GThread *t1, *t2;
      Script s;

      script_init (&s);
      s.own_thread = TRUE;
      child = start_child (sup, &s);
      dead = pykka_actor_ref_get_terminated (child);
      killer.ref = stopper.ref = child;
      stopper.stop = TRUE;
      t1 = g_thread_new ("killer", killer_thread, &killer);
      t2 = g_thread_new ("stopper", killer_thread, &stopper);
      tell_text (child, "crash");
      asked = test_ask_int (child, 7);
      g_atomic_int_set (&killer.go, 1);
      if (round % 3 != 0)
        g_atomic_int_set (&stopper.go, 1);
      g_thread_join (t1);
      g_atomic_int_set (&stopper.go, 1);
      g_thread_join (t2);
      /* The ask is answered whatever happened: a value or ACTOR_DEAD. */
      g_assert_true (future_wait (asked, TEST_TIMEOUT_MSEC));
      g_assert_true (future_wait (dead, TEST_TIMEOUT_MSEC));
      g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
      g_assert_cmpint (s.made, <=, 2);
      g_clear_object (&child);
      g_clear_object (&asked);
      g_clear_object (&dead);
      {
        gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

        /* (The last reference may go on the child's thread as it ends.) */
        while (g_atomic_int_get (&s.finalized) != g_atomic_int_get (&s.made))
          {
            g_assert_cmpint (g_get_monotonic_time (), <, end);
            g_usleep (100);
          }
      }
      script_clear (&s);
    }
}

static void
test_supervisor_killed_while_children_fail (void)
{
  g_test_summary ("A supervisor is killed while its children, on threads of their own, fail: "
                  "every child ends dead, none is left waiting for a decision, no hang");

  for (guint round = 0; round < 15; round++)
    {
      g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ALL, 0, TRUE);
      g_autoptr(PykkaActorRef) sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
      g_autoptr(PykkaFuture) sup_dead = pykka_actor_ref_get_terminated (sup_ref);
      PykkaActorRef *children[3];
      PykkaFuture *dead[3];
      Script s[3];

      for (guint i = 0; i < 3; i++)
        {
          script_init (&s[i]);
          s[i].own_thread = TRUE;
          children[i] = start_child (sup, &s[i]);
          dead[i] = pykka_actor_ref_get_terminated (children[i]);
        }
      for (guint n = 0; n < 3; n++)
        for (guint i = 0; i < 3; i++)
          tell_text (children[i], "crash");
      if (round % 2)
        g_usleep (100);
      g_assert_true (pykka_actor_ref_kill (sup_ref));
      g_assert_true (future_wait (sup_dead, TEST_TIMEOUT_MSEC));
      for (guint i = 0; i < 3; i++)
        {
          g_assert_true (future_wait (dead[i], TEST_TIMEOUT_MSEC));
          g_assert_false (pykka_actor_ref_is_alive (children[i]));
          g_object_unref (dead[i]);
          g_object_unref (children[i]);
        }
      for (guint i = 0; i < 3; i++)
        {
          gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

          while (g_atomic_int_get (&s[i].finalized) != g_atomic_int_get (&s[i].made))
            {
              g_assert_cmpint (g_get_monotonic_time (), <, end);
              g_usleep (100);
            }
          script_clear (&s[i]);
        }
    }
}

static void
test_restart_while_suspended (gconstpointer data)
{
  gboolean stackful = GPOINTER_TO_INT (data);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ALL, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) crasher = NULL;
  g_autoptr(PykkaActorRef) waiter = NULL;
  g_autoptr(PykkaFuture) waiting = NULL;
  g_autoptr(PykkaFuture) later = NULL;
  GValue v = G_VALUE_INIT;
  Script a, b;

  g_test_summary ("One-for-all: a sibling restarted while its handler is suspended (a reply "
                  "future, or a stackful wait) finishes its wait first: its asker gets the "
                  "answer, then the new instance takes the mail");

  script_init (&a);
  script_init (&b);
  b.stackful = stackful;
  b.gate = pykka_future_new ();
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  crasher = start_child (sup, &a);
  waiter = start_child (sup, &b);
  waiting = ask_text (waiter, "wait");
  run_until_idle (context);
  g_assert_false (pykka_future_is_done (waiting));
  later = test_ask_int (waiter, 5);
  tell_text (crasher, "crash");
  test_iterate_until (context, pykka_supervisor_get_restarts (sup) == 1 && a.started == 2);
  run_until_idle (context);
  /* The waiter is still the first instance, suspended. */
  g_assert_cmpint (b.made, ==, 1);
  g_assert_false (pykka_future_is_done (waiting));
  g_assert_true (pykka_future_set_value (b.gate, test_value_int (&v, 42), NULL));
  g_value_unset (&v);
  test_iterate_until (context, pykka_future_is_done (waiting) && pykka_future_is_done (later));
  g_assert_cmpint (test_get_int (waiting), ==, 42);
  /* Handled by the new instance. */
  g_assert_cmpint (test_get_int (later), ==, 2);
  g_assert_cmpint (b.stopped, ==, 1);
  /* The 1 ms timer the old instance's on_stop started went with it. */
  for (guint i = 0; i < 5; i++)
    {
      g_usleep (2000);
      run_until_idle (context);
    }
  g_assert_cmpint (b.ticks, ==, 0);
  stop_on (context, sup_ref);
  g_assert_cmpint (a.finalized, ==, a.made);
  g_assert_cmpint (b.finalized, ==, b.made);
  g_main_context_pop_thread_default (context);
  script_clear (&a);
  script_clear (&b);
}

static PykkaActorRef *
kid_of (Script *s)
{
  PykkaActorRef *ref;

  g_mutex_lock (&s->lock);
  ref = s->kid_ref != NULL ? g_object_ref (s->kid_ref) : NULL;
  g_mutex_unlock (&s->lock);
  return ref;
}

enum
{
  DIES_BY_SUPERVISOR_STOP,
  DIES_BY_FACTORY,
  DIES_BY_ON_START,
};

static void
test_children_stopped_at_every_death (gconstpointer data)
{
  gint how = GPOINTER_TO_INT (data);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) parent = NULL;
  g_autoptr(PykkaActorRef) kid = NULL;
  g_autoptr(PykkaFuture) kid_dead = NULL;
  Script p, c;

  g_test_summary ("An actor with a child of its own (pykka_actor_start_child) dies of a failure "
                  "its supervisor does not restart (the supervisor stops, or the factory makes "
                  "nothing), or of a failed on_start: its child is stopped too");

  script_init (&p);
  script_init (&c);
  p.kid = &c;
  g_main_context_push_thread_default (context);
  if (how == DIES_BY_ON_START)
    {
      g_autoptr(PykkaFuture) dead = NULL;

      p.fail_start = TRUE;
      parent = start_racer (&p, NULL);
      dead = pykka_actor_ref_get_terminated (parent);
      test_iterate_until (context, pykka_future_is_done (dead));
    }
  else
    {
      sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, how == DIES_BY_SUPERVISOR_STOP ? 60000 : 0, FALSE);
      if (how == DIES_BY_FACTORY)
        p.null_after = 1;
      sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
      parent = start_child (sup, &p);
      test_iterate_until (context, c.started == 1);
      tell_text (parent, "crash");
      if (how == DIES_BY_SUPERVISOR_STOP)
        {
          test_iterate_until (context, pykka_supervisor_get_restarts (sup) == 1);
          stop_on (context, sup_ref);
        }
      else
        {
          g_autoptr(PykkaFuture) dead = pykka_actor_ref_get_terminated (parent);

          test_iterate_until (context, pykka_future_is_done (dead));
        }
    }
  kid = kid_of (&p);
  g_assert_nonnull (kid);
  kid_dead = pykka_actor_ref_get_terminated (kid);
  test_iterate_until (context, pykka_future_is_done (kid_dead));
  g_assert_cmpint (c.stopped, ==, 1);
  if (sup_ref != NULL)
    stop_on (context, sup_ref);
  run_until_idle (context);
  g_clear_object (&kid);
  g_clear_object (&p.kid_ref);
  g_assert_cmpint (p.finalized, ==, p.made);
  g_assert_cmpint (c.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&p);
  script_clear (&c);
}

static void
test_stackful_sibling_factory_fails (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ALL, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) crasher = NULL;
  g_autoptr(PykkaActorRef) parent = NULL;
  g_autoptr(PykkaActorRef) kid = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  g_autoptr(PykkaFuture) kid_dead = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  Script a, p, c;

  g_test_summary ("One-for-all: a stackful sibling with a slow child of its own is restarted and "
                  "its factory fails, while its sibling fails again: the sibling dies once, its "
                  "child is stopped, asks are answered, nothing runs twice");

  script_init (&a);
  script_init (&p);
  script_init (&c);
  p.stackful = TRUE;
  p.null_after = 1;
  p.kid = &c;
  c.stop_wait_msec = 20;
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  crasher = start_child (sup, &a);
  parent = start_child (sup, &p);
  test_iterate_until (context, c.started == 1);
  kid = kid_of (&p);
  dead = pykka_actor_ref_get_terminated (parent);
  kid_dead = pykka_actor_ref_get_terminated (kid);
  tell_text (crasher, "crash");
  /* Once the restart began (the parent's on_stop ran), more of the same. */
  test_iterate_until (context, p.stopped == 1);
  asked = test_ask_int (parent, 1);
  tell_text (crasher, "crash");
  test_iterate_until (context, pykka_future_is_done (dead) && pykka_future_is_done (kid_dead) &&
                               pykka_future_is_done (asked));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_cmpint (p.made, ==, 1);
  g_assert_cmpint (c.stopped, ==, 1);
  stop_on (context, sup_ref);
  run_until_idle (context);
  g_clear_object (&kid);
  g_clear_object (&p.kid_ref);
  g_assert_cmpint (p.finalized, ==, 1);
  g_assert_cmpint (c.finalized, ==, 1);
  g_assert_cmpint (a.finalized, ==, a.made);
  g_main_context_pop_thread_default (context);
  script_clear (&a);
  script_clear (&p);
  script_clear (&c);
}

typedef struct
{
  PykkaSupervisor *sup;
  Script          *script;
  gint             go;       /* atomic */
  gboolean         all_dead; /* every child it started was dead in time */
  guint            started;
} Starter;

static gpointer
starter_thread (gpointer data)
{
  Starter *st = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 end;

  /* The children run on this thread's context. */
  g_main_context_push_thread_default (context);
  wait_flag (&st->go);
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(GError) error = NULL;
      PykkaActorRef *ref = pykka_supervisor_start_child (st->sup, make_racer, st->script, NULL, &error);

      if (ref == NULL)
        {
          g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
          break;
        }
      g_ptr_array_add (refs, ref);
      g_main_context_iteration (context, FALSE);
    }
  st->started = refs->len;
  /* The supervisor stops: every child it had must die. */
  end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;
  st->all_dead = FALSE;
  while (g_get_monotonic_time () < end && !st->all_dead)
    {
      st->all_dead = TRUE;
      for (guint i = 0; i < refs->len; i++)
        st->all_dead &= !pykka_actor_ref_is_alive (refs->pdata[i]);
      g_main_context_iteration (context, FALSE);
      g_usleep (100);
    }
  /* (What still runs is orphaned as this thread ends.) */
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_start_child_races_stop (void)
{
  g_test_summary ("Children started from another thread while the supervisor stops: every child "
                  "it started is stopped with it (none is left running, unknown to it)");

  for (guint round = 0; round < 12; round++)
    {
      g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, TRUE);
      g_autoptr(PykkaActorRef) sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
      Starter st = { sup, NULL, 0, FALSE, 0 };
      GThread *thread;
      Script s;

      script_init (&s);
      st.script = &s;
      thread = g_thread_new ("starter", starter_thread, &st);
      g_atomic_int_set (&st.go, 1);
      g_usleep (200 * (round % 6));
      g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
      g_thread_join (thread);
      g_assert_true (st.all_dead);
      g_assert_cmpint (s.finalized, ==, s.made);
      script_clear (&s);
    }
}

typedef struct
{
  PykkaActorRef **children;
  Script         *scripts;
  guint           n;
  guint           seed;
  gint            go;   /* atomic */
} Chaos;

static gpointer
chaos_thread (gpointer data)
{
  Chaos *c = data;
  GRand *rand = g_rand_new_with_seed (c->seed);

  wait_flag (&c->go);
  for (guint i = 0; i < 12; i++)
    {
      guint k = g_rand_int_range (rand, 0, c->n);
      GValue v = G_VALUE_INIT;

      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          (void) pykka_actor_ref_kill (c->children[k]);
          break;
        case 1:
          {
            g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (c->children[k]);
          }
          break;
        case 2:
          {
            g_autoptr(PykkaFuture) gate = NULL;

            g_mutex_lock (&c->scripts[k].lock);
            gate = c->scripts[k].gate != NULL ? g_object_ref (c->scripts[k].gate) : NULL;
            g_mutex_unlock (&c->scripts[k].lock);
            if (gate != NULL)
              (void) pykka_future_set_value (gate, test_value_int (&v, 1), NULL);
            g_value_unset (&v);
          }
          break;
        default:
          tell_text (c->children[k], "crash");
          break;
        }
      if (i % 3 == 0)
        g_usleep (g_rand_int_range (rand, 0, 300));
    }
  g_rand_free (rand);
  return NULL;
}

static void
test_chaos (void)
{
  g_test_summary ("Supervised children on threads of their own, some stackful and suspended, are "
                  "crashed, killed, stopped and woken at random from two threads while their "
                  "supervisor restarts them; then the supervisor stops: every ask is answered, "
                  "every child dead, every instance finalized");

  for (guint round = 0; round < 25; round++)
    {
      g_autoptr(PykkaSupervisor) sup = new_supervisor (round % 2 ? PYKKA_RESTART_ONE_FOR_ALL
                                                                 : PYKKA_RESTART_REST_FOR_ONE, 0, TRUE);
      g_autoptr(PykkaActorRef) sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
      PykkaActorRef *children[3];
      PykkaFuture *asked[3];
      Script scripts[3];
      Chaos c1 = { children, scripts, 3, round * 2 + 1, 0 }, c2 = { children, scripts, 3, round * 2 + 2, 0 };
      GThread *t1, *t2;

      for (guint i = 0; i < 3; i++)
        {
          script_init (&scripts[i]);
          scripts[i].own_thread = TRUE;
          scripts[i].stackful = i != 1;
          scripts[i].gate = pykka_future_new ();
          scripts[i].tick_msec = i == 2 ? 1 : 0;
          children[i] = start_child (sup, &scripts[i]);
          asked[i] = ask_text (children[i], "wait");
        }
      t1 = g_thread_new ("chaos", chaos_thread, &c1);
      t2 = g_thread_new ("chaos", chaos_thread, &c2);
      g_atomic_int_set (&c1.go, 1);
      g_atomic_int_set (&c2.go, 1);
      g_thread_join (t1);
      g_thread_join (t2);
      /* The gates open, so that no handler waits for its timeout. */
      for (guint i = 0; i < 3; i++)
        {
          GValue v = G_VALUE_INIT;

          (void) pykka_future_set_value (scripts[i].gate, test_value_int (&v, 2), NULL);
          g_value_unset (&v);
        }
      g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
      for (guint i = 0; i < 3; i++)
        {
          g_autoptr(PykkaFuture) dead = pykka_actor_ref_get_terminated (children[i]);
          gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

          g_assert_true (future_wait (asked[i], TEST_TIMEOUT_MSEC));
          g_assert_true (future_wait (dead, TEST_TIMEOUT_MSEC));
          g_object_unref (asked[i]);
          g_object_unref (children[i]);
          while (g_atomic_int_get (&scripts[i].finalized) != g_atomic_int_get (&scripts[i].made))
            {
              g_assert_cmpint (g_get_monotonic_time (), <, end);
              g_usleep (100);
            }
          script_clear (&scripts[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Timers */

static void
test_restart_cancels_timers (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  Script s;

  g_test_summary ("A restart cancels the timers of the instance that goes (as Akka does): a "
                  "periodic timer started in on_start ticks once per interval after any number "
                  "of restarts, not once per instance");

  script_init (&s);
  s.tick_msec = 1000;
  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  child = start_child (sup, &s);
  run_until_idle (context);
  for (guint i = 0; i < 3; i++)
    {
      tell_text (child, "crash");
      test_iterate_until (context, s.started == (gint) i + 2);
      run_until_idle (context);
    }
  g_assert_cmpint (s.ticks, ==, 0);
  pykka_context_advance_clock (context, 1000);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 1);
  pykka_context_advance_clock (context, 1000);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 2);
  stop_on (context, sup_ref);
  g_assert_cmpint (s.finalized, ==, s.made);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_timer_fires_while_dying (gconstpointer data)
{
  gboolean kill = GPOINTER_TO_INT (data);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  guint64 dead_letters;
  Script s;

  g_test_summary ("A periodic timer that is due when its actor is killed or told to stop: "
                  "once the actor is not alive, its timers tell nothing (no dead letter), and "
                  "a timer started in on_stop is refused");

  script_init (&s);
  s.tick_msec = 10;
  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, NULL);
  run_until_idle (context);
  dead = pykka_actor_ref_get_terminated (ref);
  dead_letters = pykka_debug_get_dead_letters ();
  if (kill)
    g_assert_true (pykka_actor_ref_kill (ref));
  else
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);
    }
  /* Due now, before the kill or the stop is handled. */
  pykka_context_advance_clock (context, 100);
  test_iterate_until (context, pykka_future_is_done (dead));
  pykka_context_advance_clock (context, 100);
  run_until_idle (context);
  if (kill)
    {
      g_assert_cmpint (s.ticks, ==, 0);
      g_assert_cmpuint (pykka_debug_get_dead_letters (), ==, dead_letters);
    }
  else
    /* The stop queues behind the tick that was due before it. */
    g_assert_cmpint (s.ticks, <=, 1);
  g_assert_cmpint (s.stopped, ==, 1);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_timer_fires_while_stopping (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  PykkaActor *actor;
  GValue tick = G_VALUE_INIT;
  Script s;

  g_test_summary ("A periodic timer that comes due while on_stop runs (and runs the actor's "
                  "context in a nested wait): the stopping actor's timers tell nothing, so no "
                  "dead letter is counted");

  script_init (&s);
  s.stop_wait_msec = 30;
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, &actor);
  run_until_idle (context);
  g_assert_cmpuint (pykka_actor_start_timer (actor, NULL, 1, 1, value_text (&tick, "tick")), !=, 0);
  g_value_unset (&tick);
  dead = pykka_actor_ref_get_terminated (ref);
  g_assert_true (pykka_actor_ref_kill (ref));
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_cmpint (s.stop_dead_letters, ==, 0);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  PykkaActor *actor;
  guint       id;
  gboolean    cancelled;
  GMainContext *context;   /* for advancing a virtual clock */
  guint       steps;
  gint        done;        /* atomic */
} TimerPoker;

static gpointer
cancel_thread (gpointer data)
{
  TimerPoker *p = data;

  g_usleep (2000);
  p->cancelled = pykka_actor_cancel_timer (p->actor, p->id);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

static void
test_cancel_from_thread_while_firing (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  PykkaActor *actor;
  TimerPoker p = { 0, };
  GValue tick = G_VALUE_INIT;
  GThread *thread;
  gint ticks;
  Script s;

  g_test_summary ("A periodic 1 ms timer is cancelled from another thread while this thread "
                  "runs it: the cancel succeeds, then (once what was told is handled) it "
                  "tells nothing more");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, &actor);
  run_until_idle (context);
  p.actor = actor;
  p.id = pykka_actor_start_timer (actor, "poll", 0, 1, value_text (&tick, "tick"));
  g_value_unset (&tick);
  g_assert_cmpuint (p.id, !=, 0);
  thread = g_thread_new ("canceller", cancel_thread, &p);
  test_iterate_until (context, g_atomic_int_get (&p.done));
  g_thread_join (thread);
  g_assert_true (p.cancelled);
  run_until_idle (context);
  ticks = g_atomic_int_get (&s.ticks);
  for (guint i = 0; i < 5; i++)
    {
      g_usleep (2000);
      run_until_idle (context);
    }
  g_assert_cmpint (g_atomic_int_get (&s.ticks), ==, ticks);
  g_assert_false (pykka_actor_cancel_timer_by_key (actor, "poll"));
  stop_on (context, ref);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static gpointer
advance_thread (gpointer data)
{
  TimerPoker *p = data;

  for (guint i = 0; i < p->steps; i++)
    {
      g_assert_true (pykka_context_advance_clock (p->context, 10));
      if (i % 8 == 0)
        g_usleep (50);
    }
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

static void
test_zero_intervals_and_advance_from_thread (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  PykkaActor *actor;
  TimerPoker p = { 0, };
  GValue tick = G_VALUE_INIT;
  GThread *thread;
  Script s;

  g_test_summary ("A timer with no delay and no interval fires once; a periodic timer on a "
                  "virtual clock that another thread advances fires once per interval passed, "
                  "no more, no less");

  script_init (&s);
  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, &actor);
  run_until_idle (context);
  g_assert_cmpuint (pykka_actor_start_timer (actor, NULL, 0, 0, value_text (&tick, "tick")), !=, 0);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 1);
  pykka_context_advance_clock (context, 10000);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 1);

  g_assert_cmpuint (pykka_actor_start_timer (actor, "tick", 10, 10, &tick), !=, 0);
  g_value_unset (&tick);
  p.context = context;
  p.steps = 200;
  thread = g_thread_new ("advancer", advance_thread, &p);
  test_iterate_until (context, g_atomic_int_get (&p.done) && s.ticks == 201);
  g_thread_join (thread);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 201);
  g_assert_true (pykka_actor_cancel_timer_by_key (actor, "tick"));
  stop_on (context, ref);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  Script        *script;
  PykkaActorRef *ref;    /* (owned) out */
} Orphaner;

static gpointer
orphan_thread (gpointer data)
{
  Orphaner *o = data;
  GMainContext *context = g_main_context_new ();
  PykkaActor *actor;
  GValue tick = G_VALUE_INIT;

  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  o->ref = start_racer (o->script, &actor);
  run_until_idle (context);
  g_assert_cmpuint (pykka_actor_start_timer (actor, NULL, 1000, 1000, value_text (&tick, "tick")), !=, 0);
  g_assert_cmpuint (pykka_actor_start_timer (actor, "k", 5, 0, &tick), !=, 0);
  g_value_unset (&tick);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  /* The thread ends with the actor and its timers on its context. */
  return NULL;
}

static void
test_orphaned_with_timers (void)
{
  g_autoptr(PykkaFuture) dead = NULL;
  Orphaner o = { 0, };
  Script s;

  g_test_summary ("The thread of a context with a virtual clock ends while an actor on it has "
                  "pending timers: the actor dies (orphaned), its timers go with it, the "
                  "instance is finalized");

  script_init (&s);
  o.script = &s;
  g_thread_join (g_thread_new ("orphaner", orphan_thread, &o));
  dead = pykka_actor_ref_get_terminated (o.ref);
  g_assert_true (future_wait (dead, TEST_TIMEOUT_MSEC));
  g_assert_error (death_reason (dead), PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (s.finalized, ==, 1);
  g_assert_cmpint (s.ticks, ==, 0);
  g_object_unref (o.ref);
  script_clear (&s);
}

/* ------------------------------------------------------------------ */
/* Deferred replies */

static void
test_deferred_outlives_actor (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) handle = NULL;
  g_autoptr(PykkaFuture) dropped = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  Script s;

  g_test_summary ("A deferred reply completed after its actor died answers the asker; a second "
                  "completion fails with ALREADY_SET and changes nothing; a handle dropped "
                  "unanswered after the death fails its ask");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, NULL);
  asked = ask_text (ref, "defer");
  test_iterate_until (context, g_atomic_int_get (&s.handled) == 1);
  handle = script_take_handle (&s);
  dropped = ask_text (ref, "defer");
  test_iterate_until (context, g_atomic_int_get (&s.handled) == 2);
  g_assert_true (pykka_actor_ref_kill (ref));
  {
    g_autoptr(PykkaFuture) dead = pykka_actor_ref_get_terminated (ref);

    test_iterate_until (context, pykka_future_is_done (dead));
  }
  g_assert_false (pykka_future_is_done (asked));
  g_assert_false (pykka_future_is_done (dropped));
  g_assert_true (pykka_future_set_value (handle, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
  g_assert_false (pykka_future_set_value (handle, test_value_int (&v, 2), &error));
  g_value_unset (&v);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  g_assert_cmpint (test_get_int (asked), ==, 1);
  /* The other handle, dropped unanswered. */
  {
    PykkaFuture *other = script_take_handle (&s);

    g_assert_nonnull (other);
    g_object_unref (other);
  }
  g_assert_true (pykka_future_is_done (dropped));
  g_assert_null (pykka_future_get (dropped, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  PykkaFuture *handle;
  gint         go;    /* atomic */
} Completer;

static gpointer
complete_thread (gpointer data)
{
  Completer *c = data;
  GValue v = G_VALUE_INIT;

  wait_flag (&c->go);
  (void) pykka_future_set_value (c->handle, test_value_int (&v, 9), NULL);
  g_value_unset (&v);
  return NULL;
}

static void
test_deferred_completed_while_dying (void)
{
  g_test_summary ("A deferred reply completed on another thread while its actor (on a thread "
                  "of its own) is killed: the asker always gets the value");

  for (guint round = 0; round < 30; round++)
    {
      g_autoptr(PykkaActorRef) ref = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      g_autoptr(PykkaFuture) dead = NULL;
      Completer c = { 0, };
      GThread *thread;
      Script s;

      script_init (&s);
      s.own_thread = TRUE;
      ref = start_racer (&s, NULL);
      asked = ask_text (ref, "defer");
      {
        gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

        while ((c.handle = script_take_handle (&s)) == NULL)
          {
            g_assert_cmpint (g_get_monotonic_time (), <, end);
            g_usleep (50);
          }
      }
      thread = g_thread_new ("completer", complete_thread, &c);
      g_atomic_int_set (&c.go, 1);
      (void) pykka_actor_ref_kill (ref);
      g_thread_join (thread);
      dead = pykka_actor_ref_get_terminated (ref);
      g_assert_true (future_wait (dead, TEST_TIMEOUT_MSEC));
      g_assert_cmpint (test_get_int (asked), ==, 9);
      g_object_unref (c.handle);
      script_clear (&s);
    }
}

static void
test_deferred_across_restart (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaSupervisor) sup = new_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 0, FALSE);
  g_autoptr(PykkaActorRef) sup_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) handle = NULL;
  GValue v = G_VALUE_INIT;
  Script s;

  g_test_summary ("A reply deferred by an instance that is then restarted answers its asker "
                  "when completed after the restart");

  script_init (&s);
  g_main_context_push_thread_default (context);
  sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  child = start_child (sup, &s);
  asked = ask_text (child, "defer");
  tell_text (child, "crash");
  test_iterate_until (context, s.started == 2);
  handle = script_take_handle (&s);
  g_assert_false (pykka_future_is_done (asked));
  g_assert_true (pykka_future_set_value (handle, test_value_int (&v, 3), NULL));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (asked), ==, 3);
  stop_on (context, sup_ref);
  g_assert_cmpint (s.made, ==, 2);
  g_assert_cmpint (s.finalized, ==, 2);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_deferred_cancellable (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GCancellable) before = g_cancellable_new ();
  g_autoptr(GCancellable) after = g_cancellable_new ();
  g_autoptr(PykkaFuture) cancelled = NULL;
  g_autoptr(PykkaFuture) deferred = NULL;
  g_autoptr(PykkaFuture) handle = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;
  Script s;

  g_test_summary ("A cancellable ask whose handler defers: cancelled while queued it is never "
                  "handled and fails CANCELLED; cancelled after the deferral, the handle still "
                  "answers it");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, NULL);
  run_until_idle (context);
  value_text (&msg, "defer");
  cancelled = pykka_actor_ref_ask_cancellable (ref, &msg, before);
  deferred = pykka_actor_ref_ask_cancellable (ref, &msg, after);
  g_value_unset (&msg);
  g_cancellable_cancel (before);
  g_assert_true (pykka_future_is_done (cancelled));
  g_assert_null (pykka_future_get (cancelled, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  test_iterate_until (context, g_atomic_int_get (&s.handled) == 1);
  run_until_idle (context);
  g_assert_cmpint (s.handled, ==, 1);
  g_cancellable_cancel (after);
  handle = script_take_handle (&s);
  g_assert_false (pykka_future_is_done (deferred));
  g_assert_true (pykka_future_set_value (handle, test_value_int (&msg, 4), NULL));
  g_value_unset (&msg);
  g_assert_cmpint (test_get_int (deferred), ==, 4);
  stop_on (context, ref);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_deferred_tell_failure (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  g_autoptr(PykkaFuture) handle = NULL;
  Script s;

  g_test_summary ("The handler of a told message defers and then fails: the failure fails the "
                  "actor as any failed tell does (on_failure, death of the handler's error)");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_racer (&s, NULL);
  dead = pykka_actor_ref_get_terminated (ref);
  tell_text (ref, "defer-crash");
  test_iterate_until (context, pykka_future_is_done (dead));
  g_assert_cmpint (s.failed, ==, 1);
  g_assert_error (death_reason (dead), G_IO_ERROR, G_IO_ERROR_FAILED);
  handle = script_take_handle (&s);
  g_assert_nonnull (handle);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  Script      *script;
  const char  *ask;     /* what to ask */
  PykkaFuture *asked;   /* (owned) out */
} DeferOrphaner;

static gpointer
defer_orphan_thread (gpointer data)
{
  DeferOrphaner *o = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;

  g_main_context_push_thread_default (context);
  ref = start_racer (o->script, NULL);
  o->asked = ask_text (ref, o->ask);
  test_iterate_until (context, g_atomic_int_get (&o->script->handled) == 1);
  run_until_idle (context);
  g_main_context_pop_thread_default (context);
  /* The thread ends with the handler suspended after it deferred. */
  return NULL;
}

static void
test_deferred_orphaned_while_suspended (void)
{
  DeferOrphaner o = { 0, };
  g_autoptr(GError) error = NULL;
  Script s;

  g_test_summary ("A stackful handler defers its reply and waits; the thread that runs its "
                  "context ends (orphaned, the stack dropped unwound): the asker is answered "
                  "ACTOR_DEAD, the handle and the instance are freed");

  script_init (&s);
  s.stackful = TRUE;
  s.gate = pykka_future_new ();
  o.script = &s;
  o.ask = "defer-wait";
  g_thread_join (g_thread_new ("orphaner", defer_orphan_thread, &o));
  g_assert_true (future_wait (o.asked, TEST_TIMEOUT_MSEC));
  g_assert_null (pykka_future_get (o.asked, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (s.finalized, ==, 1);
  g_object_unref (o.asked);
  script_clear (&s);
}

static void
test_orphaned_wait_then_completed (void)
{
  DeferOrphaner o = { 0, };
  g_autoptr(PykkaFuture) gate = NULL;
  GValue v = G_VALUE_INIT;
  Script s;

  g_test_summary ("A stackful handler waits (with a timeout) on a future; the thread that runs "
                  "its context ends (orphaned, the stack dropped); the cell is freed; then the "
                  "future completes: nothing touches the freed cell, nothing leaks");

  script_init (&s);
  s.stackful = TRUE;
  s.gate = pykka_future_new ();
  gate = g_object_ref (s.gate);
  o.script = &s;
  o.ask = "wait";
  g_thread_join (g_thread_new ("orphaner", defer_orphan_thread, &o));
  g_assert_true (future_wait (o.asked, TEST_TIMEOUT_MSEC));
  g_clear_object (&o.asked);
  g_assert_cmpint (s.finalized, ==, 1);
  script_clear (&s);
  /* The cell is gone (no ref, no future of it is left). */
  g_assert_true (pykka_future_set_value (gate, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
}

/* ------------------------------------------------------------------ */
/* Bounded mailboxes */

typedef struct
{
  PykkaActorRef *ref;
  gboolean       ok;
  GError        *error;
  gint           done;   /* atomic */
} Sender;

static gpointer
send_thread (gpointer data)
{
  Sender *s = data;
  GValue v = G_VALUE_INIT;

  s->ok = pykka_actor_ref_tell (s->ref, test_value_int (&v, 2), &s->error);
  g_value_unset (&v);
  g_atomic_int_set (&s->done, 1);
  return NULL;
}

static PykkaActorRef *
start_bounded (Script *s, guint capacity, PykkaOverflowPolicy policy, guint timeout_msec)
{
  g_autoptr(TestRacer) actor = NULL;
  TestRacerPrivate *priv;

  actor = g_object_new (TEST_TYPE_RACER, "mailbox-capacity", capacity, "overflow-policy", policy,
                        "overflow-timeout-msec", timeout_msec, NULL);
  priv = test_racer_get_instance_private (actor);
  priv->script = s;
  priv->instance = ++s->made;
  return pykka_actor_start (PYKKA_ACTOR (actor), NULL);
}

static void
test_blocked_sender_woken_by_death (gconstpointer data)
{
  gboolean kill = GPOINTER_TO_INT (data);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  Sender sender = { 0, };
  GThread *thread;
  Script s;

  g_test_summary ("A sender blocked on a full BLOCK mailbox (with a long timeout) when the actor "
                  "is killed or stopped: it wakes with ACTOR_DEAD, the kill waking it at once, "
                  "before the actor even runs");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_bounded (&s, 1, PYKKA_OVERFLOW_BLOCK, 10 * TEST_TIMEOUT_MSEC);
  run_until_idle (context);
  test_tell_int (ref, 1);
  sender.ref = ref;
  thread = g_thread_new ("sender", send_thread, &sender);
  /* Let it block. */
  g_usleep (20000);
  if (kill)
    {
      g_assert_true (pykka_actor_ref_kill (ref));
      /* Without running the actor: the kill refuses its mail from now on. */
      wait_flag (&sender.done);
    }
  else
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

      /* The stop is handled after the message queued before it, which
       * makes room: the sender gets in or finds the actor dead. */
      test_iterate_until (context, g_atomic_int_get (&sender.done) && pykka_future_is_done (stopped));
    }
  g_thread_join (thread);
  if (kill || !sender.ok)
    {
      g_assert_false (sender.ok);
      g_assert_error (sender.error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
    }
  g_clear_error (&sender.error);
  stop_on (context, ref);
  g_assert_cmpint (s.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

typedef struct
{
  PykkaActorRef *ref;
  gint           n;
} Latest;

static gpointer
latest_thread (gpointer data)
{
  Latest *l = data;

  for (gint i = 1; i <= l->n; i++)
    {
      GValue v = G_VALUE_INIT;

      g_assert_true (pykka_actor_ref_tell_latest (l->ref, "progress", test_value_int (&v, i), NULL));
      g_value_unset (&v);
    }
  return NULL;
}

static gboolean
record_increasing (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  TestRecord *r = test_actor_get_record (self);
  gint v = g_value_get_int (message);

  g_mutex_lock (&r->mutex);
  /* Latest-wins never goes back in time. */
  g_assert_true (r->ints->len == 0 || g_array_index (r->ints, gint, r->ints->len - 1) < v);
  g_array_append_val (r->ints, v);
  g_mutex_unlock (&r->mutex);
  return TRUE;
}

static void
test_latest_races_turn (void)
{
  g_autoptr(TestActor) actor = test_actor_new_of_type (TEST_TYPE_ACTOR, record_increasing, NULL,
                                                       "use-own-thread", TRUE, NULL);
  TestRecord *r = test_record_ref (test_actor_get_record (actor));
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  Latest l = { ref, 2000 };

  g_test_summary ("Latest-wins tells from another thread race the turns of an actor on a thread "
                  "of its own that take them: the values are handled in increasing order and "
                  "the last one always is");

  g_clear_object (&actor);
  g_thread_join (g_thread_new ("latest", latest_thread, &l));
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_cmpuint (r->ints->len, >=, 1);
  g_assert_cmpint (g_array_index (r->ints, gint, r->ints->len - 1), ==, l.n);
  test_record_free (r);
}

static void
test_drop_oldest_cancellable_ask (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PykkaFuture) oldest = NULL;
  g_autoptr(PykkaFuture) newest = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  Script s;

  g_test_summary ("DROP_OLDEST drops a cancellable ask: it is answered MAILBOX_FULL once, a "
                  "later cancel changes nothing; the ask that made room is answered");

  script_init (&s);
  g_main_context_push_thread_default (context);
  ref = start_bounded (&s, 1, PYKKA_OVERFLOW_DROP_OLDEST, 0);
  run_until_idle (context);
  oldest = pykka_actor_ref_ask_cancellable (ref, test_value_int (&v, 1), cancellable);
  g_value_unset (&v);
  newest = test_ask_int (ref, 2);
  g_assert_true (pykka_future_is_done (oldest));
  g_cancellable_cancel (cancellable);
  g_assert_null (pykka_future_get (oldest, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  test_iterate_until (context, pykka_future_is_done (newest));
  g_assert_cmpint (test_get_int (newest), ==, 1);
  g_assert_cmpint (s.last, ==, 2);
  stop_on (context, ref);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

static void
test_capacity_one_control_lane (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActorRef) other = NULL;
  g_autoptr(PykkaFuture) dead = NULL;
  g_autoptr(PykkaActor) watcher = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  Script s, o;

  g_test_summary ("Capacity 1, full: the news of a watched death and a kill are neither refused "
                  "nor counted against the capacity; the watcher is told, then killed");

  script_init (&s);
  script_init (&o);
  g_main_context_push_thread_default (context);
  ref = start_bounded (&s, 1, PYKKA_OVERFLOW_FAIL, 0);
  run_until_idle (context);
  watcher = pykka_actor_ref_dup_actor (ref);
  other = start_racer (&o, NULL);
  run_until_idle (context);
  pykka_actor_watch (watcher, other);
  test_tell_int (ref, 1);
  g_assert_false (pykka_actor_ref_tell (ref, test_value_int (&v, 2), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  g_clear_error (&error);
  /* The other dies: the news goes to the full watcher anyway. */
  g_assert_true (pykka_actor_ref_kill (other));
  test_iterate_until (context, g_atomic_int_get (&s.terminated) == 1);
  g_assert_cmpint (s.last, ==, 1);
  test_tell_int (ref, 3);
  dead = pykka_actor_ref_get_terminated (ref);
  g_assert_true (pykka_actor_ref_kill (ref));
  test_iterate_until (context, pykka_future_is_done (dead));
  g_clear_object (&watcher);
  g_assert_cmpint (s.finalized, ==, 1);
  g_assert_cmpint (o.finalized, ==, 1);
  g_value_unset (&v);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
  script_clear (&o);
}

static void
test_timer_into_full_mailbox (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActor) actor = NULL;
  g_autoptr(PykkaFuture) waiting = NULL;
  GValue v = G_VALUE_INIT;
  guint64 dead_letters;
  Script s;

  g_test_summary ("A timer comes due while its actor's bounded mailbox (FAIL) is full (the actor "
                  "is suspended on a reply future): the tick nobody will handle is counted as a "
                  "dead letter, as a dropped tell is");

  script_init (&s);
  s.gate = pykka_future_new ();
  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);
  ref = start_bounded (&s, 1, PYKKA_OVERFLOW_FAIL, 0);
  run_until_idle (context);
  actor = pykka_actor_ref_dup_actor (ref);
  g_assert_cmpuint (pykka_actor_start_timer (actor, NULL, 10, 0, value_text (&v, "tick")), !=, 0);
  g_value_unset (&v);
  waiting = ask_text (ref, "wait");
  run_until_idle (context);
  test_tell_int (ref, 1);
  dead_letters = pykka_debug_get_dead_letters ();
  pykka_context_advance_clock (context, 10);
  run_until_idle (context);
  g_assert_cmpuint (pykka_debug_get_dead_letters () - dead_letters, ==, 1);
  g_assert_true (pykka_future_set_value (s.gate, test_value_int (&v, 5), NULL));
  g_value_unset (&v);
  test_iterate_until (context, pykka_future_is_done (waiting) && s.last == 1);
  run_until_idle (context);
  g_assert_cmpint (s.ticks, ==, 0);
  g_clear_object (&actor);
  stop_on (context, ref);
  g_main_context_pop_thread_default (context);
  script_clear (&s);
}

/* ------------------------------------------------------------------ */
/* Death watch */

static void
test_watch_edges (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) a_ref = NULL;
  g_autoptr(PykkaActorRef) b_ref = NULL;
  g_autoptr(PykkaActor) a = NULL;
  g_autoptr(PykkaFuture) b_dead = NULL;
  Script sa, sb;

  g_test_summary ("Watching oneself tells nothing; watch, unwatch and watch again tells once; "
                  "watching a dead actor tells once; a watcher that dies first leaves nothing");

  script_init (&sa);
  script_init (&sb);
  g_main_context_push_thread_default (context);
  a_ref = start_racer (&sa, NULL);
  b_ref = start_racer (&sb, NULL);
  run_until_idle (context);
  a = pykka_actor_ref_dup_actor (a_ref);

  pykka_actor_watch (a, a_ref);
  pykka_actor_watch (a, b_ref);
  pykka_actor_unwatch (a, b_ref);
  pykka_actor_watch (a, b_ref);
  pykka_actor_watch (a, b_ref);
  b_dead = pykka_actor_ref_get_terminated (b_ref);
  stop_on (context, b_ref);
  test_iterate_until (context, g_atomic_int_get (&sa.terminated) == 1);
  /* Dead already: told at once; unwatched after the news was queued: not. */
  pykka_actor_watch (a, b_ref);
  pykka_actor_unwatch (a, b_ref);
  pykka_actor_watch (a, b_ref);
  run_until_idle (context);
  g_assert_cmpint (sa.terminated, ==, 2);
  /* A watcher that dies first; then its watched one dies. */
  {
    g_autoptr(PykkaActorRef) c_ref = NULL;
    g_autoptr(PykkaActor) c = NULL;
    Script sc;

    script_init (&sc);
    c_ref = start_racer (&sc, NULL);
    run_until_idle (context);
    c = pykka_actor_ref_dup_actor (c_ref);
    pykka_actor_watch (c, a_ref);
    pykka_actor_watch (a, c_ref);
    g_clear_object (&c);
    stop_on (context, c_ref);
    test_iterate_until (context, g_atomic_int_get (&sa.terminated) == 3);
    g_assert_cmpint (sc.terminated, ==, 0);
    g_assert_cmpint (sc.finalized, ==, 1);
    script_clear (&sc);
  }
  g_clear_object (&a);
  stop_on (context, a_ref);
  run_until_idle (context);
  g_assert_cmpint (sa.terminated, ==, 3);
  g_assert_cmpint (sa.finalized, ==, 1);
  g_assert_cmpint (sb.finalized, ==, 1);
  g_main_context_pop_thread_default (context);
  script_clear (&sa);
  script_clear (&sb);
}

static void
test_both_die_at_once (void)
{
  g_test_summary ("Two actors on threads of their own watch each other and are killed (or "
                  "stopped) at the same time from two threads: both die, each is told at most "
                  "once, both instances are finalized");

  for (guint round = 0; round < 40; round++)
    {
      g_autoptr(PykkaActorRef) a_ref = NULL;
      g_autoptr(PykkaActorRef) b_ref = NULL;
      g_autoptr(PykkaFuture) a_dead = NULL;
      g_autoptr(PykkaFuture) b_dead = NULL;
      Killer ka = { 0, }, kb = { 0, };
      GThread *t1, *t2;
      Script sa, sb;

      script_init (&sa);
      script_init (&sb);
      sa.own_thread = sb.own_thread = TRUE;
      a_ref = start_racer (&sa, NULL);
      b_ref = start_racer (&sb, NULL);
      {
        g_autoptr(PykkaActor) a = pykka_actor_ref_dup_actor (a_ref);
        g_autoptr(PykkaActor) b = pykka_actor_ref_dup_actor (b_ref);

        pykka_actor_watch (a, b_ref);
        pykka_actor_watch (b, a_ref);
      }
      a_dead = pykka_actor_ref_get_terminated (a_ref);
      b_dead = pykka_actor_ref_get_terminated (b_ref);
      ka.ref = a_ref;
      kb.ref = b_ref;
      ka.stop = round % 2;
      t1 = g_thread_new ("kill-a", killer_thread, &ka);
      t2 = g_thread_new ("kill-b", killer_thread, &kb);
      g_atomic_int_set (&ka.go, 1);
      g_atomic_int_set (&kb.go, 1);
      g_thread_join (t1);
      g_thread_join (t2);
      g_assert_true (future_wait (a_dead, TEST_TIMEOUT_MSEC));
      g_assert_true (future_wait (b_dead, TEST_TIMEOUT_MSEC));
      g_assert_cmpint (g_atomic_int_get (&sa.terminated), <=, 1);
      g_assert_cmpint (g_atomic_int_get (&sb.terminated), <=, 1);
      {
        gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

        while (g_atomic_int_get (&sa.finalized) != 1 || g_atomic_int_get (&sb.finalized) != 1)
          {
            g_assert_cmpint (g_get_monotonic_time (), <, end);
            g_usleep (100);
          }
      }
      script_clear (&sa);
      script_clear (&sb);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Races/supervision/kill-awaiting-child", test_kill_awaiting_child);
  g_test_add_func ("/Pykka/Races/supervision/kill-after-restart-decided", test_kill_after_restart_decided);
  g_test_add_func ("/Pykka/Races/supervision/restart-factory-fails", test_restart_factory_fails);
  g_test_add_data_func ("/Pykka/Races/supervision/factory-returns-started/other", GINT_TO_POINTER (FALSE),
                        test_restart_factory_returns_started_actor);
  g_test_add_data_func ("/Pykka/Races/supervision/factory-returns-started/same", GINT_TO_POINTER (TRUE),
                        test_restart_factory_returns_started_actor);
  g_test_add_func ("/Pykka/Races/router/pool-without-error-location", test_pool_without_error_location);
  g_test_add_func ("/Pykka/Races/supervision/restart-races-kill-and-stop", test_restart_races_kill_and_stop);
  g_test_add_func ("/Pykka/Races/supervision/supervisor-killed-while-children-fail",
                   test_supervisor_killed_while_children_fail);
  g_test_add_data_func ("/Pykka/Races/supervision/restart-while-suspended/reply-future",
                        GINT_TO_POINTER (FALSE), test_restart_while_suspended);
  g_test_add_data_func ("/Pykka/Races/supervision/restart-while-suspended/stackful",
                        GINT_TO_POINTER (TRUE), test_restart_while_suspended);
  g_test_add_data_func ("/Pykka/Races/supervision/children-stopped/supervisor-stops",
                        GINT_TO_POINTER (DIES_BY_SUPERVISOR_STOP), test_children_stopped_at_every_death);
  g_test_add_data_func ("/Pykka/Races/supervision/children-stopped/factory-fails",
                        GINT_TO_POINTER (DIES_BY_FACTORY), test_children_stopped_at_every_death);
  g_test_add_data_func ("/Pykka/Races/supervision/children-stopped/on-start-fails",
                        GINT_TO_POINTER (DIES_BY_ON_START), test_children_stopped_at_every_death);
  g_test_add_func ("/Pykka/Races/supervision/start-child-races-stop", test_start_child_races_stop);
  g_test_add_func ("/Pykka/Races/supervision/chaos", test_chaos);
  g_test_add_func ("/Pykka/Races/supervision/stackful-sibling-factory-fails", test_stackful_sibling_factory_fails);
  g_test_add_func ("/Pykka/Races/timer/restart-cancels-timers", test_restart_cancels_timers);
  g_test_add_data_func ("/Pykka/Races/timer/fires-while-dying/kill", GINT_TO_POINTER (TRUE),
                        test_timer_fires_while_dying);
  g_test_add_data_func ("/Pykka/Races/timer/fires-while-dying/stop", GINT_TO_POINTER (FALSE),
                        test_timer_fires_while_dying);
  g_test_add_func ("/Pykka/Races/timer/fires-while-stopping", test_timer_fires_while_stopping);
  g_test_add_func ("/Pykka/Races/timer/cancel-from-thread-while-firing", test_cancel_from_thread_while_firing);
  g_test_add_func ("/Pykka/Races/timer/zero-intervals-and-advance-from-thread",
                   test_zero_intervals_and_advance_from_thread);
  g_test_add_func ("/Pykka/Races/timer/orphaned-with-timers", test_orphaned_with_timers);
  g_test_add_func ("/Pykka/Races/deferred/outlives-actor", test_deferred_outlives_actor);
  g_test_add_func ("/Pykka/Races/deferred/completed-while-dying", test_deferred_completed_while_dying);
  g_test_add_func ("/Pykka/Races/deferred/across-restart", test_deferred_across_restart);
  g_test_add_func ("/Pykka/Races/deferred/cancellable", test_deferred_cancellable);
  g_test_add_func ("/Pykka/Races/deferred/tell-failure", test_deferred_tell_failure);
  g_test_add_func ("/Pykka/Races/deferred/orphaned-while-suspended", test_deferred_orphaned_while_suspended);
  g_test_add_func ("/Pykka/Races/timer/orphaned-wait-then-completed", test_orphaned_wait_then_completed);
  g_test_add_data_func ("/Pykka/Races/mailbox/blocked-sender-woken/kill", GINT_TO_POINTER (TRUE),
                        test_blocked_sender_woken_by_death);
  g_test_add_data_func ("/Pykka/Races/mailbox/blocked-sender-woken/stop", GINT_TO_POINTER (FALSE),
                        test_blocked_sender_woken_by_death);
  g_test_add_func ("/Pykka/Races/mailbox/latest-races-turn", test_latest_races_turn);
  g_test_add_func ("/Pykka/Races/mailbox/drop-oldest-cancellable-ask", test_drop_oldest_cancellable_ask);
  g_test_add_func ("/Pykka/Races/mailbox/capacity-one-control-lane", test_capacity_one_control_lane);
  g_test_add_func ("/Pykka/Races/mailbox/timer-into-full-mailbox", test_timer_into_full_mailbox);
  g_test_add_func ("/Pykka/Races/watch/edges", test_watch_edges);
  g_test_add_func ("/Pykka/Races/watch/both-die-at-once", test_both_die_at_once);

  return g_test_run ();
}
