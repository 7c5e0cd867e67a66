/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

#include "pykka-private.h"

/* Keeper: an object message is a future to keep; an int completes the
 * kept future with that int. */
static gboolean
keeper_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaFuture **kept = test_actor_get_data (self);

  if (G_VALUE_HOLDS_OBJECT (message))
    *kept = g_value_dup_object (message);
  else
    {
      pykka_future_set_value (*kept, message, NULL);
      g_clear_object (kept);
    }
  return TRUE;
}

/* Deferrer: for an int message, makes a future, hands it to the keeper and
 * replies with it. */
static gboolean
deferrer_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *keeper = test_actor_get_data (self);
  g_autoptr(PykkaFuture) later = pykka_future_new ();
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_OBJECT);
  g_value_set_object (&v, later);
  pykka_actor_ref_tell (keeper, &v, NULL);
  g_value_unset (&v);

  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, later);
  return TRUE;
}

static void
test_reply_with_future (void)
{
  PykkaFuture *kept = NULL;
  TestRecord *rk, *rd;
  g_autoptr(PykkaActorRef) keeper = test_start (0, keeper_receive, &kept, &rk);
  g_autoptr(PykkaActorRef) deferrer = test_start (0, deferrer_receive, keeper, &rd);
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("A handler replying with a future suspends its actor until another actor completes the future; the ask gets its value and the next message waits until then");

  first = test_ask_int (deferrer, 1);
  second = test_ask_int (deferrer, 2);
  test_iterate_until (NULL, kept != NULL);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (first));
  g_assert_false (pykka_future_is_done (second));
  g_assert_cmpint (rd->n_received, ==, 1);

  g_assert_true (pykka_actor_ref_tell (keeper, test_value_int (&v, 99), NULL));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (first), ==, 99);
  /* Now the second message runs and suspends in turn. */
  test_iterate_until (NULL, kept != NULL && rd->n_received == 2);
  g_assert_false (pykka_future_is_done (second));
  g_assert_true (pykka_actor_ref_tell (keeper, test_value_int (&v, 100), NULL));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (second), ==, 100);

  test_stop_all ();
  test_record_free (rk);
  test_record_free (rd);
}

static gboolean
fail_later_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "late failure");

  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_take_object (reply, pykka_future_new_for_error (failure));
  return TRUE;
}

static void
test_reply_with_failed_future (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, fail_later_receive, NULL, &r);
  g_autoptr(PykkaFuture) f = test_ask_int (ref, 1);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A reply future that fails answers the ask with its error; the actor lives on");

  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  test_stop_all ();
  test_record_free (r);
}

/* Chain: an actor whose data is the next ref asks it and waits; the last
 * one (data NULL) replies with its message + 1. */
static gboolean
chain_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *next = test_actor_get_data (self);
  g_autoptr(PykkaFuture) f = NULL;
  const GValue *v;

  g_value_init (reply, G_TYPE_INT);
  if (next == NULL)
    {
      g_value_set_int (reply, g_value_get_int (message) + 1);
      return TRUE;
    }
  /* Only stackful handlers run on a coroutine. */
  g_assert_true ((pykka_coroutine_self () != NULL) ==
                 pykka_actor_class_get_stackful (PYKKA_ACTOR_GET_CLASS (self)));
  f = pykka_actor_ref_ask (next, message);
  v = pykka_future_get (f, TEST_TIMEOUT_MSEC, error);
  if (v == NULL)
    return FALSE;
  g_value_set_int (reply, g_value_get_int (v) + 1);
  return TRUE;
}

static void
test_stackful_chain (void)
{
  TestRecord *ra, *rb, *rc;
  g_autoptr(PykkaActorRef) c = test_start (TEST_TYPE_STACKFUL_ACTOR, chain_receive, NULL, &rc);
  g_autoptr(PykkaActorRef) b = test_start (TEST_TYPE_STACKFUL_ACTOR, chain_receive, c, &rb);
  g_autoptr(PykkaActorRef) a = test_start (TEST_TYPE_STACKFUL_ACTOR, chain_receive, b, &ra);
  g_autoptr(PykkaFuture) f = NULL;

  g_test_summary ("Stackful actors on one context ask each other in a chain (A asks B, which asks C) with blocking gets, and everything completes");

  for (gint round = 0; round < 100; round++)
    {
      g_clear_object (&f);
      f = test_ask_int (a, round);
      g_assert_cmpint (test_get_int (f), ==, round + 3);
    }
  g_assert_true (ra->thread == g_thread_self ());
  g_assert_true (rc->thread == g_thread_self ());
  test_stop_all ();
  test_record_free (ra);
  test_record_free (rb);
  test_record_free (rc);
}

static void
test_plain_handler_blocking_get (void)
{
  TestRecord *ra, *rb;
  g_autoptr(PykkaActorRef) b = test_start (0, chain_receive, NULL, &rb);
  g_autoptr(PykkaActorRef) a = test_start (0, chain_receive, b, &ra);
  g_autoptr(PykkaFuture) f = test_ask_int (a, 10);

  g_test_summary ("A plain (not stackful) handler blocking on an actor of its own context iterates the context, so the other actor answers");

  g_assert_cmpint (test_get_int (f), ==, 12);
  test_stop_all ();
  test_record_free (ra);
  test_record_free (rb);
}

static gboolean
self_ask_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *me = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  g_autoptr(PykkaFuture) f = NULL;

  if (g_value_get_int (message) == 0)
    {
      g_value_init (reply, G_TYPE_INT);
      return TRUE;
    }
  f = test_ask_int (me, 0);
  return pykka_future_get (f, TEST_TIMEOUT_MSEC, error) != NULL;
}

static void
test_deadlock_detected (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, self_ask_receive, NULL, &r);
  g_autoptr(PykkaFuture) f = test_ask_int (ref, 1);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A plain handler blocking on a reply from its own actor fails at once with DEADLOCK instead of hanging");

  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  g_assert_nonnull (strstr (error->message, "TestActor"));
  g_assert_true (pykka_actor_ref_is_alive (ref));
  test_stop_all ();
  test_record_free (r);
}

/* Waiter: a stackful actor that waits on the future (or event) it gets. */
static gboolean
waiter_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  GObject *object = g_value_get_object (message);

  g_value_init (reply, G_TYPE_INT);
  if (PYKKA_IS_EVENT (object))
    {
      g_value_set_int (reply, pykka_event_wait (PYKKA_EVENT (object), TEST_TIMEOUT_MSEC) ? 1 : -1);
      return TRUE;
    }
  else
    {
      const GValue *v = pykka_future_get (PYKKA_FUTURE (object), GPOINTER_TO_INT (test_actor_get_data (self)), error);
      if (v == NULL)
        return FALSE;
      g_value_set_int (reply, g_value_get_int (v) * 2);
      return TRUE;
    }
}

static gboolean
setter_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  pykka_event_set (g_value_get_object (message));
  return TRUE;
}

static void
test_stackful_event_wait (void)
{
  TestRecord *rw, *rs;
  g_autoptr(PykkaActorRef) waiter = test_start (TEST_TYPE_STACKFUL_ACTOR, waiter_receive, GINT_TO_POINTER (-1), &rw);
  g_autoptr(PykkaActorRef) setter = test_start (0, setter_receive, NULL, &rs);
  g_autoptr(PykkaEvent) event = pykka_event_new ();
  g_autoptr(PykkaFuture) waited = test_ask_object (waiter, event);
  g_autoptr(PykkaFuture) set = NULL;

  g_test_summary ("A stackful actor waiting on an event suspends; another actor of the same context sets it and the waiter resumes");

  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (pykka_future_is_done (waited));
  set = test_ask_object (setter, event);
  g_assert_cmpint (test_get_int (waited), ==, 1);
  test_stop_all ();
  test_record_free (rw);
  test_record_free (rs);
}

static void
test_coroutine_timeout (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) waiter = test_start (TEST_TYPE_STACKFUL_ACTOR, waiter_receive, GINT_TO_POINTER (20), &r);
  g_autoptr(PykkaFuture) never = pykka_future_new ();
  g_autoptr(PykkaFuture) f = test_ask_object (waiter, never);
  g_autoptr(PykkaFuture) again = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("A get with a timeout inside a stackful handler fails with TIMEOUT after the timeout; the actor goes on and a later get succeeds");

  g_assert_null (pykka_future_get (f, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  pykka_future_set_value (never, test_value_int (&v, 21), NULL);
  g_value_unset (&v);
  again = test_ask_object (waiter, never);
  g_assert_cmpint (test_get_int (again), ==, 42);
  test_stop_all ();
  test_record_free (r);
}

static void
test_many_suspended (void)
{
  const guint n = 10000;
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) gates = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) test_record_free);
  gsize memory = 0;
  guint suspended = 0;

  g_test_summary ("10 000 stackful actors suspended on futures at the same time, then all resumed with their own values, in bounded memory");

  for (guint i = 0; i < n; i++)
    {
      TestRecord *r;
      PykkaActorRef *ref = test_start (TEST_TYPE_STACKFUL_ACTOR, waiter_receive, GINT_TO_POINTER (-1), &r);
      PykkaFuture *gate = pykka_future_new ();

      g_ptr_array_add (refs, ref);
      g_ptr_array_add (records, r);
      g_ptr_array_add (gates, gate);
      g_ptr_array_add (answers, test_ask_object (ref, gate));
    }

  /* Run until every actor is suspended in its handler. */
  test_iterate_until (NULL, ({
    guint k = 0;
    for (guint i = 0; i < n; i++)
      k += ((TestRecord *) records->pdata[i])->n_received;
    k == n;
  }));
  for (guint i = 0; i < n; i++)
    {
      gsize size = pykka_cell_get_suspended_size (pykka_actor_ref_get_cell (refs->pdata[i]));

      if (size > 0)
        {
          suspended++;
          memory += size;
        }
      g_assert_false (pykka_future_is_done (answers->pdata[i]));
    }
  g_assert_cmpuint (suspended, ==, n);
  g_test_message ("%u coroutines suspended, %" G_GSIZE_FORMAT " bytes in all, %" G_GSIZE_FORMAT " per coroutine",
                  suspended, memory, memory / n);
  g_assert_cmpuint (memory / n, <, 16 * 1024);

  for (guint i = 0; i < n; i++)
    {
      GValue v = G_VALUE_INIT;

      pykka_future_set_value (gates->pdata[i], test_value_int (&v, (gint) i), NULL);
      g_value_unset (&v);
    }
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (test_get_int (answers->pdata[i]), ==, 2 * (gint) i);

  test_stop_all ();
}

typedef struct
{
  PykkaActorRef *ref;
  gint           result;
  gint           done;  /* atomic */
} CrossThread;

static gpointer
ask_from_thread (gpointer data)
{
  CrossThread *ct = data;
  g_autoptr(PykkaFuture) f = test_ask_int (ct->ref, 5);

  ct->result = test_get_int (f);
  g_atomic_int_set (&ct->done, 1);
  return NULL;
}

static void
test_get_from_other_thread (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, &r);
  CrossThread ct = { ref, 0, 0 };
  GThread *thread;

  g_test_summary ("A thread that does not run the actor's context waits for the reply while the context's own thread runs the actor");

  /* Own the default context so the asking thread cannot iterate it. */
  g_assert_true (g_main_context_acquire (NULL));
  thread = g_thread_new ("asker", ask_from_thread, &ct);
  test_iterate_until (NULL, g_atomic_int_get (&ct.done));
  g_thread_join (thread);
  g_main_context_release (NULL);
  g_assert_cmpint (ct.result, ==, 5);
  g_assert_true (r->thread == g_thread_self ());
  test_stop_all ();
  test_record_free (r);
}

/* The blocking asks of C (ask_sync, stop_sync) wait on a bare promise
 * instead of a future: the same cases again through them. */

/* Like chain_receive, with ask_sync. */
static gboolean
chain_sync_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *next = test_actor_get_data (self);
  GValue answer = G_VALUE_INIT;

  if (next != NULL)
    {
      if (!pykka_actor_ref_ask_sync (next, message, TEST_TIMEOUT_MSEC, &answer, error))
        return FALSE;
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, g_value_get_int (&answer) + 1);
      return TRUE;
    }
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_value_get_int (message) + 1);
  return TRUE;
}

static void
check_sync_chain (GType type)
{
  TestRecord *ra, *rb, *rc;
  g_autoptr(PykkaActorRef) c = test_start (type, chain_sync_receive, NULL, &rc);
  g_autoptr(PykkaActorRef) b = test_start (type, chain_sync_receive, c, &rb);
  g_autoptr(PykkaActorRef) a = test_start (type, chain_sync_receive, b, &ra);

  for (gint round = 0; round < 100; round++)
    {
      g_autoptr(GError) error = NULL;
      GValue msg = G_VALUE_INIT;
      GValue reply = G_VALUE_INIT;

      g_assert_true (pykka_actor_ref_ask_sync (a, test_value_int (&msg, round), TEST_TIMEOUT_MSEC, &reply, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (&reply), ==, round + 3);
    }
  g_assert_cmpint (rc->n_received, ==, 100);
  g_assert_true (pykka_actor_ref_stop_sync (a, TEST_TIMEOUT_MSEC, NULL));
  g_assert_false (pykka_actor_ref_stop_sync (a, TEST_TIMEOUT_MSEC, NULL));
  test_stop_all ();
  test_record_free (ra);
  test_record_free (rb);
  test_record_free (rc);
}

static void
test_ask_sync_chain (void)
{
  g_test_summary ("Actors on one context ask each other in a chain with ask_sync, stackful (suspending) and plain (iterating the context); stop_sync answers TRUE, then FALSE");

  check_sync_chain (TEST_TYPE_STACKFUL_ACTOR);
  check_sync_chain (0);
}

static void
test_ask_sync_timeout_late_reply (void)
{
  TestRecord *r;
  g_autoptr(PykkaActorRef) waiter = test_start (TEST_TYPE_STACKFUL_ACTOR, waiter_receive, GINT_TO_POINTER (-1), &r);
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;
  GValue reply = G_VALUE_INIT;
  GValue v = G_VALUE_INIT;

  g_test_summary ("An ask_sync that times out fails with TIMEOUT naming the actor; the reply that comes later goes nowhere, and the next ask_sync gets its own reply");

  g_value_init (&msg, G_TYPE_OBJECT);
  g_value_set_object (&msg, gate);
  g_assert_false (pykka_actor_ref_ask_sync (waiter, &msg, 20, &reply, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "TestStackfulActor (urn:uuid:"));
  g_assert_false (G_IS_VALUE (&reply));
  g_clear_error (&error);

  /* The actor still waits on the gate: open it; its answer to the
   * abandoned ask is dropped, and the next ask finds the gate open. */
  pykka_future_set_value (gate, test_value_int (&v, 21), NULL);
  g_value_unset (&v);
  g_assert_true (pykka_actor_ref_ask_sync (waiter, &msg, TEST_TIMEOUT_MSEC, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&reply), ==, 42);
  g_assert_cmpint (r->n_received, ==, 2);
  g_value_unset (&msg);
  test_stop_all ();
  test_record_free (r);
}

typedef struct
{
  PykkaActorRef *ref;
  gboolean       ok;
  gint           result;
  GError        *error;
  gint           done;  /* atomic */
} SyncAsk;

static gpointer
ask_sync_from_thread (gpointer data)
{
  SyncAsk *sa = data;
  GValue msg = G_VALUE_INIT;
  GValue reply = G_VALUE_INIT;

  sa->ok = pykka_actor_ref_ask_sync (sa->ref, test_value_int (&msg, 1), TEST_TIMEOUT_MSEC, &reply, &sa->error);
  if (sa->ok)
    sa->result = g_value_get_int (&reply);
  g_atomic_int_set (&sa->done, 1);
  return NULL;
}

static void
test_ask_sync_reply_with_future (void)
{
  PykkaFuture *kept = NULL;
  TestRecord *rk, *rd;
  g_autoptr(PykkaActorRef) keeper = test_start (0, keeper_receive, &kept, &rk);
  g_autoptr(PykkaActorRef) deferrer = test_start (0, deferrer_receive, keeper, &rd);
  SyncAsk sa = { deferrer, FALSE, 0, NULL, 0 };
  GThread *thread;
  GValue v = G_VALUE_INIT;

  g_test_summary ("An ask_sync from another thread, answered by a handler that replies with a future, gets the future's value once another actor completes it");

  /* Own the default context so the asking thread sleeps instead. */
  g_assert_true (g_main_context_acquire (NULL));
  thread = g_thread_new ("asker", ask_sync_from_thread, &sa);
  test_iterate_until (NULL, kept != NULL);
  g_assert_false (g_atomic_int_get (&sa.done));
  g_assert_true (pykka_actor_ref_tell (keeper, test_value_int (&v, 99), NULL));
  g_value_unset (&v);
  test_iterate_until (NULL, g_atomic_int_get (&sa.done));
  g_thread_join (thread);
  g_main_context_release (NULL);
  g_assert_no_error (sa.error);
  g_assert_true (sa.ok);
  g_assert_cmpint (sa.result, ==, 99);
  test_stop_all ();
  test_record_free (rk);
  test_record_free (rd);
}

static gboolean
self_ask_sync_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *me = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  GValue zero = G_VALUE_INIT;

  if (g_value_get_int (message) == 0)
    return TRUE;
  return pykka_actor_ref_ask_sync (me, test_value_int (&zero, 0), TEST_TIMEOUT_MSEC, NULL, error);
}

static void
test_ask_sync_deadlock (void)
{
  TestRecord *r, *rs;
  g_autoptr(PykkaActorRef) plain = test_start (0, self_ask_sync_receive, NULL, &r);
  g_autoptr(PykkaActorRef) stackful = test_start (TEST_TYPE_STACKFUL_ACTOR, self_ask_sync_receive, NULL, &rs);
  PykkaActorRef *refs[] = { plain, stackful };

  g_test_summary ("A handler, plain or stackful, that asks its own actor with ask_sync fails at once with DEADLOCK; the actor lives on");

  for (guint i = 0; i < G_N_ELEMENTS (refs); i++)
    {
      g_autoptr(GError) error = NULL;
      GValue one = G_VALUE_INIT;

      g_assert_false (pykka_actor_ref_ask_sync (refs[i], test_value_int (&one, 1), TEST_TIMEOUT_MSEC, NULL, &error));
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
      g_assert_true (pykka_actor_ref_is_alive (refs[i]));
    }
  test_stop_all ();
  test_record_free (r);
  test_record_free (rs);
}

/* A binding-style suspension: the handler replies with a future of its
 * own and asks to be resumed when the gate (its message) completes. */
typedef struct
{
  PykkaFuture  *reply;        /* (owned) (nullable) the handler's reply future */
  GMainContext *context;      /* the actor's */
  guint         resumed;
  guint         destroyed;
  gboolean      in_completer; /* set around the gate's completion */
  gboolean      wrong_place;  /* a resume ran outside a turn of the actor */
} Resumer;

static void
resumer_resume (PykkaActor *actor, PykkaFuture *gate, gpointer data)
{
  Resumer *rs = data;
  const GValue *v = pykka_future_get (gate, 0, NULL);
  GValue doubled = G_VALUE_INIT;

  rs->resumed++;
  if (rs->in_completer || g_main_context_get_thread_default () != rs->context ||
      pykka_actor_get_context (actor) != rs->context)
    rs->wrong_place = TRUE;
  g_value_set_int (g_value_init (&doubled, G_TYPE_INT), g_value_get_int (v) * 2);
  pykka_future_set_value (rs->reply, &doubled, NULL);
  g_clear_object (&rs->reply);
}

static void
resumer_destroy (gpointer data)
{
  ((Resumer *) data)->destroyed++;
}

static gboolean
resumer_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  Resumer *rs = test_actor_get_data (self);

  g_assert_null (rs->reply);
  rs->reply = pykka_future_new ();
  pykka_actor_resume_when (PYKKA_ACTOR (self), g_value_get_object (message),
                           resumer_resume, rs, resumer_destroy);
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, rs->reply);
  return TRUE;
}

static void
test_resume_when (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  Resumer rs = { NULL, ctx, 0, 0, FALSE, FALSE };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActor) actor = NULL;
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(PykkaFuture) never = pykka_future_new ();
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  g_autoptr(PykkaFuture) third = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("pykka_actor_resume_when() calls back in a turn of the actor, in its context, once the future completes, never inside the completer; the ask is answered in that turn; a resume that did not run when the suspension ends, or on an actor that is not running, is dropped");

  g_main_context_push_thread_default (ctx);
  ref = test_start (0, resumer_receive, &rs, &r);
  g_main_context_pop_thread_default (ctx);
  actor = pykka_actor_ref_dup_actor (ref);

  first = test_ask_object (ref, gate);
  second = test_ask_object (ref, gate);
  test_iterate_until (ctx, rs.reply != NULL);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (ctx, FALSE);
  g_assert_cmpuint (rs.resumed, ==, 0);
  g_assert_false (pykka_future_is_done (first));

  rs.in_completer = TRUE;
  pykka_future_set_value (gate, test_value_int (&v, 21), NULL);
  rs.in_completer = FALSE;
  g_value_unset (&v);
  g_assert_cmpuint (rs.resumed, ==, 0);
  test_iterate_until (ctx, pykka_future_is_done (first));
  g_assert_cmpint (g_value_get_int (pykka_future_get (first, 0, NULL)), ==, 42);

  /* The second message suspends on the gate, done already. */
  test_iterate_until (ctx, pykka_future_is_done (second));
  g_assert_cmpint (g_value_get_int (pykka_future_get (second, 0, NULL)), ==, 42);
  g_assert_cmpuint (rs.resumed, ==, 2);
  g_assert_cmpuint (rs.destroyed, ==, 2);
  g_assert_false (rs.wrong_place);

  /* A suspension that ends otherwise drops its resume. */
  third = test_ask_object (ref, never);
  test_iterate_until (ctx, rs.reply != NULL);
  pykka_future_set_value (rs.reply, test_value_int (&v, 7), NULL);
  g_value_unset (&v);
  g_clear_object (&rs.reply);
  test_iterate_until (ctx, pykka_future_is_done (third));
  g_assert_cmpint (g_value_get_int (pykka_future_get (third, 0, NULL)), ==, 7);
  g_assert_cmpuint (rs.destroyed, ==, 3);
  pykka_future_set_value (never, test_value_int (&v, 1), NULL);
  g_value_unset (&v);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (ctx, FALSE);
  g_assert_cmpuint (rs.resumed, ==, 2);

  g_main_context_push_thread_default (ctx);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (ctx);

  /* A dead actor resumes nothing. */
  pykka_actor_resume_when (actor, gate, resumer_resume, &rs, resumer_destroy);
  g_assert_cmpuint (rs.destroyed, ==, 4);
  g_assert_cmpuint (rs.resumed, ==, 2);
  test_record_free (r);
}

/* A binding-style suspension that records the current cancellable in
 * its resume. */
typedef struct
{
  PykkaFuture  *reply;        /* (owned) (nullable) the handler's reply future */
  GCancellable *seen;         /* (unowned) (nullable) the current cancellable in the resume */
  guint         resumed;
} CancelResumer;

static void
cancel_resumer_resume (PykkaActor *actor, PykkaFuture *gate, gpointer data)
{
  CancelResumer *cr = data;
  GValue done = G_VALUE_INIT;

  cr->resumed++;
  cr->seen = pykka_actor_get_current_cancellable (actor);
  pykka_future_set_value (cr->reply, test_value_int (&done, cr->seen != NULL), NULL);
  g_clear_object (&cr->reply);
}

static gboolean
cancel_resumer_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  CancelResumer *cr = test_actor_get_data (self);

  cr->reply = pykka_future_new ();
  pykka_actor_resume_when (PYKKA_ACTOR (self), g_value_get_object (message),
                           cancel_resumer_resume, cr, NULL);
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, cr->reply);
  return TRUE;
}

static void
test_resume_sees_ask_cancellable (void)
{
  CancelResumer cr = { NULL, NULL, 0 };
  TestRecord *r;
  g_autoptr(PykkaActorRef) ref = test_start (0, cancel_resumer_receive, &cr, &r);
  g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (ref);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PykkaFuture) gate = pykka_future_new ();
  g_autoptr(PykkaFuture) cancellable_ask = NULL;
  g_autoptr(PykkaFuture) plain_ask = NULL;
  GValue v = G_VALUE_INIT;

  g_test_summary ("A handler that replied with a future sees the cancellable of its ask in the resume of pykka_actor_resume_when(), cancelled once the asker cancels it; a plain ask's resume sees none, and outside handlers there is none");

  g_value_set_object (g_value_init (&v, G_TYPE_OBJECT), gate);
  cancellable_ask = pykka_actor_ref_ask_cancellable (ref, &v, cancellable);
  g_value_unset (&v);
  test_iterate_until (NULL, cr.reply != NULL);
  g_cancellable_cancel (cancellable);
  pykka_future_set_value (gate, test_value_int (&v, 1), NULL);
  g_value_unset (&v);
  test_iterate_until (NULL, pykka_future_is_done (cancellable_ask));
  g_assert_cmpuint (cr.resumed, ==, 1);
  g_assert_true (cr.seen == cancellable);
  g_assert_true (g_cancellable_is_cancelled (cr.seen));
  g_assert_cmpint (test_get_int (cancellable_ask), ==, 1);
  g_assert_null (pykka_actor_get_current_cancellable (actor));

  plain_ask = test_ask_object (ref, gate);
  test_iterate_until (NULL, pykka_future_is_done (plain_ask));
  g_assert_cmpuint (cr.resumed, ==, 2);
  g_assert_null (cr.seen);
  g_assert_cmpint (test_get_int (plain_ask), ==, 0);
  g_assert_null (pykka_actor_get_current_cancellable (actor));

  test_stop_all ();
  test_record_free (r);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Suspend/reply-with-future", test_reply_with_future);
  g_test_add_func ("/Pykka/Suspend/reply-with-failed-future", test_reply_with_failed_future);
  g_test_add_func ("/Pykka/Suspend/stackful-chain", test_stackful_chain);
  g_test_add_func ("/Pykka/Suspend/plain-handler-blocking-get", test_plain_handler_blocking_get);
  g_test_add_func ("/Pykka/Suspend/deadlock-detected", test_deadlock_detected);
  g_test_add_func ("/Pykka/Suspend/stackful-event-wait", test_stackful_event_wait);
  g_test_add_func ("/Pykka/Suspend/coroutine-timeout", test_coroutine_timeout);
  g_test_add_func ("/Pykka/Suspend/many-suspended", test_many_suspended);
  g_test_add_func ("/Pykka/Suspend/get-from-other-thread", test_get_from_other_thread);
  g_test_add_func ("/Pykka/Suspend/ask-sync-chain", test_ask_sync_chain);
  g_test_add_func ("/Pykka/Suspend/ask-sync-timeout-late-reply", test_ask_sync_timeout_late_reply);
  g_test_add_func ("/Pykka/Suspend/ask-sync-reply-with-future", test_ask_sync_reply_with_future);
  g_test_add_func ("/Pykka/Suspend/ask-sync-deadlock", test_ask_sync_deadlock);
  g_test_add_func ("/Pykka/Suspend/resume-when", test_resume_when);
  g_test_add_func ("/Pykka/Suspend/resume-sees-ask-cancellable", test_resume_sees_ask_cancellable);

  return g_test_run ();
}
