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

typedef struct
{
  Frame         *frame;
  const char    *ask;               /* what to ask the actor; NULL: stop it (its on_stop waits) */
  gint           actor_finalized;   /* atomic */
  PykkaFuture   *asked;             /* (owned) out */
  PykkaActorRef *ref;               /* (owned) out */
  gboolean       hold;              /* once the handler waits, the thread waits for go before it ends */
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
  o->ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  if (o->ask == NULL)
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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/Pykka/Races19/orphaned/frame-released", GINT_TO_POINTER (FALSE),
                        test_orphaned_frame_released);
  g_test_add_data_func ("/Pykka/Races19/orphaned/frame-released-waits-again", GINT_TO_POINTER (TRUE),
                        test_orphaned_frame_released);
  g_test_add_func ("/Pykka/Races19/orphaned/edge-removed", test_orphaned_edge_removed);
  g_test_add_func ("/Pykka/Races19/orphaned/in-on-stop", test_orphaned_in_on_stop);

  return g_test_run ();
}
