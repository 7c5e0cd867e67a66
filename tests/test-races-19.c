/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The second review round of issue 18 (session 5): lifetimes in every
 * order. An actor orphaned while its stackful handler waits; a name
 * registered while another thread starts the actor. Each test asserts
 * the documented behaviour by counting (finalizations, answers, the
 * wait-for graph's verdicts); every wait has TEST_TIMEOUT_MSEC; no timing
 * is asserted. */

#include "config.h"

#include <string.h>

#include "test-util.h"

#include "pykka-private.h"

static GValue *
value_text (GValue *value, const char *text)
{
  return test_value_string (value, text);
}

static gboolean
is_text (const GValue *message, const char *text)
{
  return G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), text) == 0;
}

static PykkaFuture *
ask_text (PykkaActorRef *ref, const char *text)
{
  GValue v = G_VALUE_INIT;
  PykkaFuture *f = pykka_actor_ref_ask (ref, value_text (&v, text));

  g_value_unset (&v);
  return f;
}

/* Waits for @f (without running any context) up to TEST_TIMEOUT_MSEC. */
static gboolean
future_wait (PykkaFuture *f)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  while (!pykka_future_is_done (f) && g_get_monotonic_time () < end)
    g_usleep (100);
  return pykka_future_is_done (f);
}

/* Rounds, scaled by $PYKKA_STRESS_SCALE (a float, default 1). */
static guint
scaled (guint rounds)
{
  const char *scale = g_getenv ("PYKKA_STRESS_SCALE");
  double factor = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  return MAX (1, (guint) (rounds * (factor > 0 ? factor : 1.0)));
}

static void
count_finalized (gpointer data,
                 GObject *where_the_object_was)
{
  g_atomic_int_inc ((gint *) data);
}

/* ------------------------------------------------------------------
 * An actor orphaned while its stackful handler waits (R14)
 * ------------------------------------------------------------------ */

/* What one stackful actor's handlers share with the test. */
typedef struct
{
  PykkaFuture   *gate;            /* (owned) (nullable) what "hold-and-wait" waits for */
  PykkaActorRef *peer;            /* (owned) (nullable) what "ask-peer" asks */
  gint           waiting;         /* atomic: a handler is in its wait */
  gint           held_finalized;  /* atomic: objects the handler's frame held, finalized */
  gint           wait_code;       /* atomic: the code of the error its wait ended with; -1: none */
  gint           waits;           /* atomic: waits that ended (a handler that waits again counts twice) */
  gboolean       wait_again;      /* "hold-and-wait" waits a second time after its first wait failed */
} Frame;

static void
frame_init (Frame *f)
{
  memset (f, 0, sizeof *f);
  f->wait_code = -1;
}

static void
frame_clear (Frame *f)
{
  g_clear_object (&f->gate);
  g_clear_object (&f->peer);
}

static gboolean
frame_wait (Frame *f, PykkaFuture *future, GValue *reply, GError **error)
{
  GError *local = NULL;
  const GValue *v;

  g_atomic_int_set (&f->waiting, 1);
  v = pykka_future_get (future, TEST_TIMEOUT_MSEC, &local);
  g_atomic_int_inc (&f->waits);
  if (v == NULL)
    {
      g_atomic_int_set (&f->wait_code, local->code);
      g_propagate_error (error, local);
      return FALSE;
    }
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (v));
  return TRUE;
}

static gboolean
frame_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Frame *f = test_actor_get_data (self);

  if (is_text (message, "hold-and-wait"))
    {
      /* The frame owns an object while it waits: only the handler's own
       * return releases it. */
      g_autoptr(GObject) held = g_object_new (G_TYPE_OBJECT, NULL);

      g_object_weak_ref (held, count_finalized, &f->held_finalized);
      if (!frame_wait (f, f->gate, reply, error))
        {
          if (!f->wait_again)
            return FALSE;
          g_clear_error (error);
          return frame_wait (f, f->gate, reply, error);
        }
      return TRUE;
    }
  if (is_text (message, "ask-peer"))
    {
      g_autoptr(PykkaFuture) asked = ask_text (f->peer, "pong");

      return frame_wait (f, asked, reply, error);
    }
  if (is_text (message, "pong"))
    {
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, 1);
    }
  return TRUE;
}

/* on_stop: the same wait as "hold-and-wait". */
static gboolean
frame_on_stop (TestActor *self, GError **error)
{
  Frame *f = test_actor_get_data (self);
  g_autoptr(GObject) held = g_object_new (G_TYPE_OBJECT, NULL);
  GValue reply = G_VALUE_INIT;
  gboolean ok;

  g_object_weak_ref (held, count_finalized, &f->held_finalized);
  ok = frame_wait (f, f->gate, &reply, error);
  g_value_unset (&reply);
  return ok;
}

/* on_start: the same. */
static gboolean
frame_on_start (TestActor *self, GError **error)
{
  return frame_on_stop (self, error);
}

typedef struct
{
  Frame         *frame;
  const char    *ask;               /* what to ask the actor; NULL: stop it (its on_stop waits); "": its on_start waits, ask nothing */
  gint           actor_finalized;   /* atomic */
  PykkaFuture   *asked;             /* (owned) out */
  PykkaActorRef *ref;               /* (owned) out */
  gboolean       hold;              /* once the handler waits, the thread waits for go before it ends */
  gboolean       kill;              /* once the handler waits, kill the actor and end before its turn */
  gint           go;                /* atomic */
} Orphaner;

/* Starts a stackful actor on a context this thread pushed, asks it, runs
 * it until the handler waits, and ends: the context is orphaned with the
 * handler suspended. */
static gpointer
orphan_thread (gpointer data)
{
  Orphaner *o = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TestActor) actor = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  actor = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, frame_receive, o->frame, NULL);
  g_object_weak_ref (G_OBJECT (actor), count_finalized, &o->actor_finalized);
  if (o->ask != NULL && o->ask[0] == '\0')
    test_actor_set_on_start (actor, frame_on_start);
  o->ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  if (o->ask != NULL && o->ask[0] == '\0')
    o->asked = pykka_actor_ref_get_terminated (o->ref);
  else if (o->ask == NULL)
    {
      test_actor_set_on_stop (actor, frame_on_stop);
      o->asked = pykka_actor_ref_stop (o->ref);
    }
  else
    o->asked = ask_text (o->ref, o->ask);
  test_iterate_until (context, g_atomic_int_get (&o->frame->waiting) == 1);
  if (o->hold)
    {
      gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

      while (g_atomic_int_get (&o->go) == 0)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, end);
          g_usleep (100);
        }
    }
  if (o->kill)
    g_assert_true (pykka_actor_ref_kill (o->ref));
  else
    while (g_main_context_iteration (context, FALSE))
      ;
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_orphaned_frame_released (gconstpointer data)
{
  gboolean wait_again = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  Orphaner o = { 0, };
  GValue v = G_VALUE_INIT;
  Frame f;

  g_test_summary ("A stackful handler holds an object in its frame and waits on a future; the thread that runs "
                  "its context ends (orphaned): the handler's wait fails with ACTOR_DEAD and it returns through its "
                  "own code (its frame releases the object; a second wait fails at once), the asker gets ACTOR_DEAD "
                  "saying the context was orphaned, the instance is finalized, and the future's later completion "
                  "touches nothing freed");

  frame_init (&f);
  f.gate = g_object_ref (gate);
  f.wait_again = wait_again;
  o.frame = &f;
  o.ask = "hold-and-wait";
  g_thread_join (g_thread_new ("orphaner", orphan_thread, &o));

  g_assert_true (future_wait (o.asked));
  g_assert_null (pykka_future_get (o.asked, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "orphaned"));
  /* The frame was unwound by the handler itself. */
  g_assert_cmpint (g_atomic_int_get (&f.held_finalized), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f.wait_code), ==, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (g_atomic_int_get (&f.waits), ==, wait_again ? 2 : 1);
  g_assert_false (pykka_actor_ref_is_alive (o.ref));

  g_clear_object (&o.asked);
  g_clear_object (&o.ref);
  frame_clear (&f);
  g_assert_cmpint (g_atomic_int_get (&o.actor_finalized), ==, 1);
  /* Nobody waits on the gate any more. */
  g_assert_true (pykka_future_set_value (gate, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
}

static void
test_orphaned_after_kill (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  Orphaner o = { 0, };
  Frame f;

  g_test_summary ("A stackful handler holds an object and waits; its actor is killed, and the thread that runs its "
                  "context ends before the kill's turn: the handler's wait fails, its frame releases the object, "
                  "the asker gets ACTOR_DEAD saying it was killed, the actor is finalized");

  frame_init (&f);
  f.gate = g_object_ref (gate);
  o.frame = &f;
  o.ask = "hold-and-wait";
  o.kill = TRUE;
  g_thread_join (g_thread_new ("orphaner", orphan_thread, &o));

  g_assert_true (future_wait (o.asked));
  g_assert_null (pykka_future_get (o.asked, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "killed"));
  g_assert_cmpint (g_atomic_int_get (&f.held_finalized), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f.waits), ==, 1);
  g_clear_object (&o.asked);
  g_clear_object (&o.ref);
  frame_clear (&f);
  g_assert_cmpint (g_atomic_int_get (&o.actor_finalized), ==, 1);
}

static void
test_orphaned_edge_removed (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(TestActor) x = NULL;
  g_autoptr(TestActor) y = NULL;
  g_autoptr(PykkaActorRef) x_ref = NULL;
  g_autoptr(PykkaActorRef) y_ref = NULL;
  g_autoptr(PykkaFuture) y_asked = NULL;
  g_autoptr(PykkaFuture) probe = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;
  Orphaner o = { 0, };
  GThread *thread;
  Frame fa, fx, fy;

  g_test_summary ("Stackful actors: A (on a thread of its own) waits for X; Y waits for A; A's thread ends "
                  "(orphaned) before Y resumes. X then asks Y and waits: X waits (Y -> A is still recorded, A -> X "
                  "must not be), and gets Y's answer; before, the stale edge A -> X made it a DEADLOCK "
                  "X -> Y -> A -> X");

  frame_init (&fa);
  frame_init (&fx);
  frame_init (&fy);
  /* Y on a context of this thread that is not run while X is. */
  g_main_context_push_thread_default (other);
  y = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, frame_receive, &fy, NULL);
  y_ref = pykka_actor_start (PYKKA_ACTOR (y), &error);
  g_assert_no_error (error);
  g_main_context_pop_thread_default (other);
  g_main_context_push_thread_default (context);
  x = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, frame_receive, &fx, NULL);
  x_ref = pykka_actor_start (PYKKA_ACTOR (x), &error);
  g_assert_no_error (error);

  /* A asks X, which is not run yet: A waits (A -> X). */
  fa.peer = g_object_ref (x_ref);
  o.frame = &fa;
  o.ask = "ask-peer";
  o.hold = TRUE;
  thread = g_thread_new ("orphaner", orphan_thread, &o);
  while (g_atomic_int_get (&fa.waiting) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100);
    }
  /* Y asks A, whose handler is suspended: Y waits (Y -> A). */
  fy.peer = g_object_ref (o.ref);
  y_asked = ask_text (y_ref, "ask-peer");
  test_iterate_until (other, g_atomic_int_get (&fy.waiting) == 1);
  /* A's thread ends: A dies; Y's ask of it fails, but Y does not run. */
  g_atomic_int_set (&o.go, 1);
  g_thread_join (thread);
  g_assert_true (future_wait (o.asked));
  g_assert_cmpint (g_atomic_int_get (&fa.wait_code), ==, PYKKA_ERROR_ACTOR_DEAD);

  /* X asks Y and waits for it. */
  fx.peer = g_object_ref (y_ref);
  probe = ask_text (x_ref, "ask-peer");
  test_iterate_until (context, g_atomic_int_get (&fx.waiting) == 1 || pykka_future_is_done (probe));
  if (pykka_future_is_done (probe))
    {
      /* (Before: DEADLOCK, "X waits for Y, which waits for A, which waits for X".) */
      g_assert_null (pykka_future_get (probe, 0, &error));
      g_assert_no_error (error);
    }
  while (!pykka_future_is_done (probe))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND);
      g_main_context_iteration (other, FALSE);
      g_main_context_iteration (context, FALSE);
    }
  g_assert_cmpint (g_value_get_int (pykka_future_get (probe, 0, &error)), ==, 1);
  g_assert_no_error (error);
  g_assert_true (pykka_future_is_done (y_asked));
  g_assert_cmpint (g_atomic_int_get (&fy.wait_code), ==, PYKKA_ERROR_ACTOR_DEAD);

  g_assert_true (pykka_actor_ref_stop_sync (x_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (context);
  g_main_context_push_thread_default (other);
  g_assert_true (pykka_actor_ref_stop_sync (y_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (other);
  g_clear_object (&o.asked);
  g_clear_object (&o.ref);
  frame_clear (&fa);
  frame_clear (&fx);
  frame_clear (&fy);
  g_assert_cmpint (g_atomic_int_get (&o.actor_finalized), ==, 1);
}

static void
test_orphaned_in_on_stop (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  Orphaner o = { 0, };
  Frame f;

  g_test_summary ("A stackful actor's on_stop holds an object and waits on a future; the thread that runs its "
                  "context ends: the actor dies (the stop's future is answered, TRUE: on_stop returned), on_stop's "
                  "frame releases the object, the actor leaves the registry's stopping list and is finalized; "
                  "before, a cell that had begun to stop was not orphaned at all: the stop waited for ever");

  frame_init (&f);
  f.gate = g_object_ref (gate);
  o.frame = &f;
  o.ask = NULL;
  g_thread_join (g_thread_new ("orphaner", orphan_thread, &o));

  g_assert_true (future_wait (o.asked));
  g_assert_true (g_value_get_boolean (pykka_future_get (o.asked, 0, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&f.held_finalized), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f.wait_code), ==, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_true (pykka_registry_stop_all (0, &error));
  g_assert_no_error (error);
  g_clear_object (&o.asked);
  g_clear_object (&o.ref);
  frame_clear (&f);
  g_assert_cmpint (g_atomic_int_get (&o.actor_finalized), ==, 1);
}

static void
test_orphaned_in_on_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  Orphaner o = { 0, };
  PykkaTerminated *t;
  Frame f;

  g_test_summary ("A stackful actor's on_start holds an object and waits; the thread that runs its context ends: "
                  "on_start's wait fails with ACTOR_DEAD and it returns, its frame releases the object, the actor "
                  "dies (its death reason: the orphaning) and is finalized");

  frame_init (&f);
  f.gate = g_object_ref (gate);
  o.frame = &f;
  o.ask = "";
  g_thread_join (g_thread_new ("orphaner", orphan_thread, &o));

  g_assert_true (future_wait (o.asked));
  t = g_value_get_boxed (pykka_future_get (o.asked, 0, &error));
  g_assert_no_error (error);
  g_assert_error (pykka_terminated_get_reason (t), PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (pykka_terminated_get_reason (t)->message, "orphaned"));
  g_assert_cmpint (g_atomic_int_get (&f.held_finalized), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f.wait_code), ==, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_null (pykka_registry_get_all ());
  g_clear_object (&o.asked);
  g_clear_object (&o.ref);
  frame_clear (&f);
  g_assert_cmpint (g_atomic_int_get (&o.actor_finalized), ==, 1);
}

/* ------------------------------------------------------------------
 * A name registered while another thread is inside pykka_actor_start()
 * (R16): the test hook of pykka_cell_start() runs in that window
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaCell     *cell;    /* (unowned) the starting actor's */
  PykkaActorRef *ref;     /* (owned) */
  const char    *name;
  GThread       *thread;  /* the registering thread */
  gboolean       ok;      /* what the registration returned */
  GError        *error;
  gint           done;    /* atomic */
} NameAtStart;

static NameAtStart *name_at_start;

static gpointer
register_thread (gpointer data)
{
  NameAtStart *n = data;

  n->ok = pykka_registry_register_name (n->name, n->ref, &n->error);
  g_atomic_int_set (&n->done, 1);
  return NULL;
}

/* Inside the start (the actor STARTING, not registered yet): another
 * thread registers the name; the start goes on once that registration
 * waits for it (before the fix: once it had failed). */
static void
name_at_start_hook (PykkaCell *cell)
{
  NameAtStart *n = name_at_start;
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  if (n == NULL || cell != n->cell)
    return;
  n->thread = g_thread_new ("namer", register_thread, n);
  while (pykka_registry_count_start_waiters () == 0 && !g_atomic_int_get (&n->done))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (100);
    }
}

static void
test_name_while_starting (void)
{
  g_autoptr(TestActor) actor = test_actor_new (NULL, NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActorRef) found = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  NameAtStart n = { 0, };

  g_test_summary ("A name registered on another thread while pykka_actor_start() runs (the actor STARTING, not yet "
                  "in the registry) waits for the start's end and is kept: the registration returns TRUE and the "
                  "name finds the actor; before, it failed with ACTOR_DEAD");

  n.ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actor)));
  n.cell = pykka_actor_ref_get_cell (n.ref);
  n.name = "races19-starting";
  name_at_start = &n;
  pykka_cell_starting_hook = name_at_start_hook;
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  pykka_cell_starting_hook = NULL;
  name_at_start = NULL;
  g_assert_no_error (error);
  g_thread_join (n.thread);

  g_assert_no_error (n.error);
  g_assert_true (n.ok);
  found = pykka_registry_lookup_name (n.name);
  g_assert_true (found == ref);
  names = pykka_registry_dup_names (ref);
  g_assert_cmpstrv (names, ((const char *[]) { "races19-starting", NULL }));

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_clear_object (&found);
  found = pykka_registry_lookup_name (n.name);
  g_assert_null (found);
  g_object_unref (n.ref);
}

static void
test_name_while_start_fails (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TestActor) owner = NULL;
  g_autoptr(PykkaActorRef) owner_ref = NULL;
  g_autoptr(TestActor) actor = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActorRef) found = NULL;
  g_autoptr(GError) error = NULL;
  NameAtStart n = { 0, };

  g_test_summary ("A name registered on another thread while pykka_actor_start() runs, and the start then fails "
                  "(a thread of its own on a context this thread owns): the registration fails with ACTOR_DEAD "
                  "giving the start's error, and the name is free");

  /* This thread owns the context: an own-thread actor cannot have it. */
  g_main_context_push_thread_default (context);
  owner = test_actor_new (NULL, NULL);
  owner_ref = pykka_actor_start (PYKKA_ACTOR (owner), &error);
  g_assert_no_error (error);

  actor = test_actor_new_of_type (TEST_TYPE_ACTOR, NULL, NULL, "context", context, "use-own-thread", TRUE, NULL);
  n.ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actor)));
  n.cell = pykka_actor_ref_get_cell (n.ref);
  n.name = "races19-start-fails";
  name_at_start = &n;
  pykka_cell_starting_hook = name_at_start_hook;
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  pykka_cell_starting_hook = NULL;
  name_at_start = NULL;
  g_assert_null (ref);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_thread_join (n.thread);

  g_assert_false (n.ok);
  g_assert_error (n.error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (n.error->message, "its start failed"));
  g_assert_nonnull (strstr (n.error->message, error->message));
  found = pykka_registry_lookup_name (n.name);
  g_assert_null (found);

  g_clear_error (&error);
  g_assert_true (pykka_actor_ref_stop_sync (owner_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (context);
  g_clear_error (&n.error);
  g_object_unref (n.ref);
}

typedef struct
{
  PykkaActor *actor;  /* (owned) */
  gint        go;     /* atomic */
} StartRace;

static gpointer
start_thread (gpointer data)
{
  StartRace *r = data;
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref;

  while (!g_atomic_int_get (&r->go))
    ;
  ref = pykka_actor_start (r->actor, &error);
  g_assert_no_error (error);
  g_object_unref (ref);
  return NULL;
}

/* A new own-thread actor in @r, and a thread that starts it as soon as
 * r->go is set. */
static GThread *
start_race_begin (StartRace *r)
{
  r->actor = PYKKA_ACTOR (test_actor_new_of_type (TEST_TYPE_ACTOR, NULL, NULL, "use-own-thread", TRUE, NULL));
  r->go = 0;
  return g_thread_new ("starter", start_thread, r);
}

/* @error is ACTOR_DEAD saying the actor was never started (cleared). */
static void
assert_never_started (GError    **error,
                      const char *what)
{
  g_assert_error (*error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  if (strstr ((*error)->message, "never started") == NULL)
    g_error ("%s: %s", what, (*error)->message);
  g_clear_error (error);
}

static void
test_name_races_start (void)
{
  guint n = scaled (200);

  g_test_summary ("One thread starts an actor (on a thread of its own) while another registers a name for it, "
                  "over and over, in both orders: the registration either finds the actor never started (NEW) or "
                  "takes the name, never ACTOR_DEAD of a live actor");

  for (guint i = 0; i < n; i++)
    {
      StartRace r;
      GThread *thread = start_race_begin (&r);
      PykkaActorRef *ref = pykka_actor_get_actor_ref (r.actor);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_atomic_int_set (&r.go, 1);
      ok = pykka_registry_register_name ("races19-race", ref, &error);
      g_thread_join (thread);
      if (!ok)
        assert_never_started (&error, "register");
      else
        {
          g_autoptr(PykkaActorRef) found = pykka_registry_lookup_name ("races19-race");

          g_assert_true (found == ref);
        }
      g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
      g_assert_no_error (error);
      g_object_unref (r.actor);
    }
}

/* A tell and an ask sent while another thread starts the actor: each is
 * taken, or fails saying the actor was never started, never that it is
 * dead (the refusal and its error's wording were two reads of the
 * state, a start could come between them). */
static void
test_tell_races_start (void)
{
  guint n = scaled (200);

  g_test_summary ("One thread starts an actor (on a thread of its own) while another tells and asks it, over and "
                  "over: each message is taken or fails with ACTOR_DEAD saying the actor was never started, never "
                  "that a live actor is dead");

  for (guint i = 0; i < n; i++)
    {
      StartRace r;
      GThread *thread = start_race_begin (&r);
      PykkaActorRef *ref = pykka_actor_get_actor_ref (r.actor);
      g_autoptr(GError) error = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      GValue v = G_VALUE_INIT;

      g_atomic_int_set (&r.go, 1);
      if (!pykka_actor_ref_tell (ref, test_value_int (&v, 1), &error))
        assert_never_started (&error, "tell");
      asked = pykka_actor_ref_ask (ref, &v);
      g_value_unset (&v);
      g_thread_join (thread);
      if (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error) == NULL)
        assert_never_started (&error, "ask");
      g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
      g_assert_no_error (error);
      g_object_unref (r.actor);
    }
}

/* ------------------------------------------------------------------
 * Hostile callbacks of derived futures (R17)
 * ------------------------------------------------------------------ */

static gint reduce_calls;

static gboolean
map_true_with_error (const GValue *value, GValue *result, gpointer user_data, GError **error)
{
  g_value_init (result, G_TYPE_STRING);
  g_value_set_string (result, "a value that must not be kept");
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "map said TRUE with an error");
  return TRUE;
}

static gboolean
reduce_true_with_error (const GValue *acc, const GValue *item, GValue *result, gpointer user_data, GError **error)
{
  g_atomic_int_inc (&reduce_calls);
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, g_value_get_int (acc) + g_value_get_int (item));
  if (g_value_get_int (item) == 2)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "reduce said TRUE with an error");
  return TRUE;
}

static void
test_derived_true_with_error (void)
{
  g_autoptr(PykkaFuture) source = pykka_future_new ();
  g_autoptr(PykkaFuture) list = pykka_future_new ();
  g_autoptr(PykkaFuture) mapped = NULL;
  g_autoptr(PykkaFuture) reduced = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *items = pykka_value_list_new (4);
  GValue v = G_VALUE_INIT;

  g_test_summary ("A map or reduce callback that returns TRUE and sets an error (as a handler may): the derived "
                  "future fails with that error, as an ask does, the value is dropped, the reduce stops there, "
                  "nothing leaks");

  mapped = pykka_future_map (source, map_true_with_error, NULL, NULL);
  g_assert_true (pykka_future_set_value (source, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
  test_iterate_until (NULL, pykka_future_is_done (mapped));
  g_assert_null (pykka_future_get (mapped, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  reduced = pykka_future_reduce (list, reduce_true_with_error, NULL, NULL, NULL);
  for (gint i = 1; i <= 4; i++)
    {
      pykka_value_list_add (items, test_value_int (&v, i));
      g_value_unset (&v);
    }
  g_value_init (&v, G_TYPE_PTR_ARRAY);
  g_value_take_boxed (&v, items);
  g_assert_true (pykka_future_set_value (list, &v, NULL));
  g_value_unset (&v);
  test_iterate_until (NULL, pykka_future_is_done (reduced));
  g_assert_null (pykka_future_get (reduced, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpint (g_atomic_int_get (&reduce_calls), ==, 1);
}


/* ------------------------------------------------------------------
 * stop_all from two threads at once, while other threads start actors
 * ------------------------------------------------------------------ */

typedef struct
{
  GMutex      lock;
  GPtrArray  *records;     /* (owned) TestRecord, under lock */
  gint        finalized;   /* atomic: actors finalized */
  gint        made;        /* atomic: actors made */
  gint        go;          /* atomic: the stop_all threads may start */
  gint        starters_done; /* atomic */
  gint        stoppers_done; /* atomic */
  gint        stop_ok;     /* atomic: stop_all calls that returned TRUE */
} StopAll;

static PykkaActorRef *
stop_all_start_one (StopAll *s, gboolean own_thread, gboolean stackful)
{
  g_autoptr(TestActor) actor = test_actor_new_of_type (stackful ? TEST_TYPE_STACKFUL_ACTOR : TEST_TYPE_ACTOR,
                                                       test_echo, NULL, "use-own-thread", own_thread, NULL);
  PykkaActorRef *ref;

  g_atomic_int_inc (&s->made);
  g_object_weak_ref (G_OBJECT (actor), count_finalized, &s->finalized);
  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->records, test_record_ref (test_actor_get_record (actor)));
  g_mutex_unlock (&s->lock);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), NULL);
  g_assert_nonnull (ref);
  return ref;
}

static gpointer
stop_all_starter (gpointer data)
{
  StopAll *s = data;

  while (!g_atomic_int_get (&s->go))
    g_usleep (50);
  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(PykkaActorRef) ref = stop_all_start_one (s, TRUE, i % 3 == 0);
    }
  g_atomic_int_inc (&s->starters_done);
  return NULL;
}

static gpointer
stop_all_stopper (gpointer data)
{
  StopAll *s = data;
  g_autoptr(GError) error = NULL;

  while (!g_atomic_int_get (&s->go))
    g_usleep (50);
  if (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error))
    g_atomic_int_inc (&s->stop_ok);
  else
    g_assert_false (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT));
  g_atomic_int_inc (&s->stoppers_done);
  return NULL;
}

static void
test_stop_all_twice_at_once (void)
{
  g_test_summary ("pykka_registry_stop_all() from two threads at once, while two other threads start "
                  "own-thread actors and the main thread runs its actors: both calls return without a "
                  "timeout, every actor's on_stop runs exactly once, every actor is finalized");

  for (guint round = 0; round < scaled (8); round++)
    {
      StopAll s = { 0 };
      GThread *threads[4];

      g_mutex_init (&s.lock);
      s.records = g_ptr_array_new_with_free_func ((GDestroyNotify) test_record_free);
      for (guint i = 0; i < 16; i++)
        {
          g_autoptr(PykkaActorRef) ref = stop_all_start_one (&s, i % 2 == 0, i % 4 == 1);
        }
      threads[0] = g_thread_new ("stop-all-1", stop_all_stopper, &s);
      threads[1] = g_thread_new ("stop-all-2", stop_all_stopper, &s);
      threads[2] = g_thread_new ("start-1", stop_all_starter, &s);
      threads[3] = g_thread_new ("start-2", stop_all_starter, &s);
      g_atomic_int_set (&s.go, 1);
      test_iterate_until (NULL, g_atomic_int_get (&s.stoppers_done) == 2 &&
                                g_atomic_int_get (&s.starters_done) == 2);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        g_thread_join (threads[i]);
      /* Actors started after the last round of both run on. */
      {
        g_autoptr(GError) error = NULL;

        g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
        g_assert_no_error (error);
      }
      test_iterate_until (NULL, g_atomic_int_get (&s.finalized) == g_atomic_int_get (&s.made));
      for (guint i = 0; i < s.records->len; i++)
        {
          TestRecord *r = s.records->pdata[i];

          g_assert_cmpint (g_atomic_int_get (&r->n_started), ==, 1);
          g_assert_cmpint (g_atomic_int_get (&r->n_stopped), ==, 1);
        }
      g_ptr_array_unref (s.records);
      g_mutex_clear (&s.lock);
    }
}


/* ------------------------------------------------------------------
 * A stackful handler resumed by an error, which suspends again, while
 * its actor is killed or stopped from another thread
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaFuture *gate1;          /* (owned) */
  PykkaFuture *gate2;          /* (owned) */
  gint         held_finalized; /* atomic */
  gint         in_first;       /* atomic */
  gint         in_second;      /* atomic: entering the second wait */
  gint         second_code;    /* atomic: -1 value, else the error's code */
} Twice;

static gboolean
twice_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Twice *t = test_actor_get_data (self);
  g_autoptr(GObject) held = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GError) first = NULL;
  const GValue *v;

  g_object_weak_ref (held, count_finalized, &t->held_finalized);
  g_atomic_int_set (&t->in_first, 1);
  v = pykka_future_get (t->gate1, TEST_TIMEOUT_MSEC, &first);
  g_assert_null (v);
  g_assert_nonnull (first);
  g_atomic_int_set (&t->in_second, 1);
  v = pykka_future_get (t->gate2, TEST_TIMEOUT_MSEC, error);
  if (v == NULL)
    {
      g_atomic_int_set (&t->second_code, (*error)->code);
      return FALSE;
    }
  g_atomic_int_set (&t->second_code, -1);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, 2);
  return TRUE;
}

static void
test_suspend_again_after_error (gconstpointer data)
{
  gboolean kill = GPOINTER_TO_INT (data);

  g_test_summary ("A stackful handler whose awaited future fails suspends again on a second future while another "
                  "thread kills (or stops) its actor at the same time as the first future fails: the asker is "
                  "answered once, the second wait ends (ACTOR_DEAD when killed, its value when stopped), the "
                  "handler's frame is released, the actor is finalized and later completions touch nothing freed");

  for (guint round = 0; round < scaled (200); round++)
    {
      g_autoptr(TestActor) actor = NULL;
      g_autoptr(PykkaActorRef) ref = NULL;
      g_autoptr(PykkaFuture) asked = NULL;
      g_autoptr(PykkaFuture) stopped = NULL;
      g_autoptr(GError) error = NULL;
      gint actor_finalized = 0;
      GValue v = G_VALUE_INIT;
      Twice t = { 0 };
      g_autoptr(GError) first_fails = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "first fails");

      t.gate1 = pykka_future_new ();
      t.gate2 = pykka_future_new ();
      actor = test_actor_new_of_type (TEST_TYPE_STACKFUL_ACTOR, twice_receive, &t, "use-own-thread", TRUE, NULL);
      g_object_weak_ref (G_OBJECT (actor), count_finalized, &actor_finalized);
      ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
      g_assert_no_error (error);
      g_clear_object (&actor);
      asked = ask_text (ref, "twice");
      test_iterate_until (NULL, g_atomic_int_get (&t.in_first) == 1);
      if (round % 3 == 0)
        g_usleep (round % 7 * 10);
      if (round % 2 == 0)
        pykka_future_set_error (t.gate1, first_fails, NULL);
      if (kill)
        g_assert_true (pykka_actor_ref_kill (ref));
      else
        stopped = pykka_actor_ref_stop (ref);
      if (round % 2 == 1)
        pykka_future_set_error (t.gate1, first_fails, NULL);
      if (!kill)
        {
          test_iterate_until (NULL, g_atomic_int_get (&t.in_second) == 1);
          pykka_future_set_value (t.gate2, test_value_int (&v, 2), NULL);
          g_value_unset (&v);
          g_assert_true (future_wait (stopped));
        }
      g_assert_true (future_wait (asked));
      if (kill)
        {
          g_assert_null (pykka_future_get (asked, 0, &error));
          g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
          g_clear_error (&error);
        }
      else
        g_assert_cmpint (g_value_get_int (pykka_future_get (asked, 0, NULL)), ==, 2);
      test_iterate_until (NULL, g_atomic_int_get (&t.held_finalized) == 1);
      {
        g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (ref);

        g_assert_true (future_wait (terminated));
      }
      g_clear_object (&ref);
      test_iterate_until (NULL, g_atomic_int_get (&actor_finalized) == 1);
      if (kill)
        {
          pykka_future_set_value (t.gate2, test_value_int (&v, 2), NULL);
          g_value_unset (&v);
        }
      g_clear_object (&t.gate1);
      g_clear_object (&t.gate2);
    }
}


/* ------------------------------------------------------------------
 * A parent's stop that runs nested in its child's handler
 * ------------------------------------------------------------------ */

typedef struct
{
  PykkaFuture   *gate;        /* (owned) what the child's handler waits for */
  gint           waiting;     /* atomic */
  gint           done;        /* atomic: the thread may end */
  PykkaActorRef *parent;      /* (owned) out */
  PykkaActorRef *child;       /* (owned) out */
  PykkaFuture   *asked;       /* (owned) out */
  PykkaFuture   *stopped;     /* (owned) out */
  gint           ready;       /* atomic: the outs are set */
} Nested;

static gboolean
nested_child_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Nested *n = test_actor_get_data (self);
  const GValue *v;

  g_atomic_int_set (&n->waiting, 1);
  /* A plain handler's wait: other turns of this context run nested in it. */
  v = pykka_future_get (n->gate, TEST_TIMEOUT_MSEC, error);
  if (v == NULL)
    return FALSE;
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (v));
  return TRUE;
}

static gpointer
nested_thread (gpointer data)
{
  Nested *n = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TestActor) parent = NULL;
  g_autoptr(TestActor) child = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  parent = test_actor_new (test_echo, NULL);
  child = test_actor_new (nested_child_receive, n);
  n->parent = pykka_actor_start (PYKKA_ACTOR (parent), &error);
  g_assert_no_error (error);
  n->child = pykka_actor_start_child (PYKKA_ACTOR (parent), PYKKA_ACTOR (child), &error);
  g_assert_no_error (error);
  /* The child's handler waits; the parent's stop (sent by the main thread
   * then) runs nested in that wait. */
  n->asked = ask_text (n->child, "hold");
  g_atomic_int_set (&n->ready, 1);
  while (!g_atomic_int_get (&n->done))
    {
      g_main_context_iteration (context, FALSE);
      g_usleep (100);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_parent_stop_nested_in_child (void)
{
  Nested n = { 0 };
  g_autoptr(PykkaFuture) parent_dead = NULL;
  g_autoptr(PykkaFuture) child_dead = NULL;
  GValue v = G_VALUE_INIT;
  GThread *t;

  g_test_summary ("A parent's stop whose turn runs nested in its child's plain handler (which waits, so other "
                  "turns of the context run in its wait) stops the child without waiting for its death on that "
                  "stack, which could never come: the parent dies, the child's handler then returns, and the "
                  "child dies; before, the parent's turn waited for ever and the thread never ended");

  n.gate = pykka_future_new ();
  t = g_thread_new ("nested", nested_thread, &n);
  test_iterate_until (NULL, g_atomic_int_get (&n.ready) == 1 && g_atomic_int_get (&n.waiting) == 1);
  parent_dead = pykka_actor_ref_get_terminated (n.parent);
  child_dead = pykka_actor_ref_get_terminated (n.child);
  n.stopped = pykka_actor_ref_stop (n.parent);
  if (!future_wait (parent_dead))
    g_error ("the parent's stop never ended: it waits for a child whose handler is below it on its stack");
  g_assert_true (pykka_future_set_value (n.gate, test_value_int (&v, 5), NULL));
  g_value_unset (&v);
  g_assert_true (future_wait (n.asked));
  g_assert_cmpint (g_value_get_int (pykka_future_get (n.asked, 0, NULL)), ==, 5);
  g_assert_true (future_wait (child_dead));
  g_assert_true (future_wait (n.stopped));
  g_atomic_int_set (&n.done, 1);
  g_thread_join (t);
  g_clear_object (&n.asked);
  g_clear_object (&n.stopped);
  g_clear_object (&n.parent);
  g_clear_object (&n.child);
  g_clear_object (&n.gate);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/Pykka/Races19/orphaned/frame-released", GINT_TO_POINTER (FALSE),
                        test_orphaned_frame_released);
  g_test_add_data_func ("/Pykka/Races19/orphaned/frame-released-waits-again", GINT_TO_POINTER (TRUE),
                        test_orphaned_frame_released);
  g_test_add_func ("/Pykka/Races19/orphaned/after-kill", test_orphaned_after_kill);
  g_test_add_func ("/Pykka/Races19/orphaned/edge-removed", test_orphaned_edge_removed);
  g_test_add_func ("/Pykka/Races19/orphaned/in-on-stop", test_orphaned_in_on_stop);
  g_test_add_func ("/Pykka/Races19/orphaned/in-on-start", test_orphaned_in_on_start);
  g_test_add_func ("/Pykka/Races19/names/while-starting", test_name_while_starting);
  g_test_add_func ("/Pykka/Races19/names/while-start-fails", test_name_while_start_fails);
  g_test_add_func ("/Pykka/Races19/names/races-start", test_name_races_start);
  g_test_add_func ("/Pykka/Races19/messages/race-start", test_tell_races_start);
  g_test_add_func ("/Pykka/Races19/hostile/derived-true-with-error", test_derived_true_with_error);
  g_test_add_func ("/Pykka/Races19/stop-all/twice-at-once", test_stop_all_twice_at_once);
  g_test_add_func ("/Pykka/Races19/children/parent-stop-nested-in-child", test_parent_stop_nested_in_child);
  g_test_add_data_func ("/Pykka/Races19/suspend-again/after-error-killed", GINT_TO_POINTER (TRUE),
                        test_suspend_again_after_error);
  g_test_add_data_func ("/Pykka/Races19/suspend-again/after-error-stopped", GINT_TO_POINTER (FALSE),
                        test_suspend_again_after_error);

  return g_test_run ();
}
