/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fault injection: errors in every hook, objects dropped at the worst
 * moment, contexts and threads that go away under live actors, stops from
 * odd places, zero timeouts. Each outcome is the one documented in
 * docs/reliability.md. */

#include "config.h"

#include "rel-util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* A TestActor whose on_failure can be told to misbehave. */
typedef enum
{
  FAILURE_NOTHING,
  FAILURE_TELL_SELF,      /* tells itself a message */
  FAILURE_STOP_SELF,      /* pykka_actor_stop () on itself, twice */
  FAILURE_ASK_SELF_WAIT,  /* asks itself and waits for the answer */
} FailureMode;

#define FAULT_TYPE_ACTOR (fault_actor_get_type ())
G_DECLARE_FINAL_TYPE (FaultActor, fault_actor, FAULT, ACTOR, TestActor)

struct _FaultActor
{
  TestActor    parent_instance;
  FailureMode  failure_mode;
  GError      *ask_self_error;  /* (owned) what the wait in on_failure got */
  gint         n_failure_calls;
};

G_DEFINE_FINAL_TYPE (FaultActor, fault_actor, TEST_TYPE_ACTOR)

static void
fault_actor_on_failure (PykkaActor   *actor,
                        const GError *error)
{
  FaultActor *self = FAULT_ACTOR (actor);
  PykkaActorRef *ref = pykka_actor_get_actor_ref (actor);
  GValue msg = G_VALUE_INIT;

  PYKKA_ACTOR_CLASS (fault_actor_parent_class)->on_failure (actor, error);
  self->n_failure_calls++;
  test_value_int (&msg, 7);

  /* As in Pykka: the failing actor has left the registry and is not alive
   * while on_failure runs. */
  g_assert_false (pykka_actor_ref_is_alive (ref));
  {
    g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (ref));
    g_autoptr(GError) reason = pykka_actor_ref_dup_death_reason (ref);

    g_assert_null (found);
    /* Who sees it not alive can read why already. */
    g_assert_nonnull (reason);
  }

  switch (self->failure_mode)
    {
    case FAILURE_TELL_SELF:
      {
        g_autoptr(GError) tell_error = NULL;

        /* Dead to senders already: the tell fails at once. */
        g_assert_false (pykka_actor_ref_tell (ref, &msg, &tell_error));
        g_assert_error (tell_error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      }
      break;
    case FAILURE_STOP_SELF:
      pykka_actor_stop (actor);
      pykka_actor_stop (actor);
      break;
    case FAILURE_ASK_SELF_WAIT:
      {
        g_autoptr(PykkaFuture) future = pykka_actor_ref_ask (ref, &msg);

        g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &self->ask_self_error));
      }
      break;
    case FAILURE_NOTHING:
    default:
      break;
    }
  g_value_unset (&msg);
}

static void
fault_actor_finalize (GObject *object)
{
  g_clear_error (&FAULT_ACTOR (object)->ask_self_error);
  G_OBJECT_CLASS (fault_actor_parent_class)->finalize (object);
}

static void
fault_actor_class_init (FaultActorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fault_actor_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_failure = fault_actor_on_failure;
}

static void
fault_actor_init (FaultActor *self)
{
}

static gboolean
fail_hook (TestActor *self, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "hook failed on purpose");
  return FALSE;
}

static gboolean
fail_hook_without_error (TestActor *self, GError **error)
{
  return FALSE;
}

/* Iterates the default context until nothing is left to do. */
static void
drain (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
assert_registry_empty (void)
{
  GList *all = pykka_registry_get_all ();

  g_assert_null (all);
}

/* on_start fails: no on_stop, no on_failure; messages queued behind the
 * start are answered with ACTOR_DEAD; the actor is released. */
static void
test_on_start_error (gconstpointer data)
{
  TestHookFunc hook = (TestHookFunc) data;
  RelLeakCounter leaks = { 0, };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TestActor) actor = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("An error in on_start stops the actor without on_stop or on_failure; queued asks fail with ACTOR_DEAD");

  actor = test_actor_new (test_echo, NULL);
  record = test_record_ref (test_actor_get_record (actor));
  test_actor_set_on_start (actor, hook);
  rel_leak_watch (&leaks, actor);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  g_clear_object (&actor);

  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  g_assert_no_error (error);
  asked = pykka_actor_ref_ask (ref, &msg);

  rel_expect (G_LOG_LEVEL_MESSAGE, "*failed to start*");
  rel_assert_future_error (asked, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_test_assert_expected_messages ();

  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_started, ==, 1);
  g_assert_cmpint (record->n_received, ==, 0);
  g_assert_cmpint (record->n_stopped, ==, 0);
  g_assert_cmpint (record->n_failures, ==, 0);
  assert_registry_empty ();
  rel_leak_assert_all_freed (&leaks);

  /* The dead actor refuses everything, naming itself. */
  g_assert_false (pykka_actor_ref_tell (ref, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
  g_assert_nonnull (strstr (error->message, "TestActor"));
  g_assert_false (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));

  g_value_unset (&msg);
  test_record_free (record);
}

/* A told message whose handler fails: on_failure once, no on_stop, the
 * rest of the mailbox answered with ACTOR_DEAD. */
static void
test_tell_handler_error (void)
{
  RelLeakCounter leaks = { 0, };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A failing tell handler runs on_failure once and stops the actor without on_stop");

  ref = test_start (0, test_fail, NULL, &record);
  {
    g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (ref);
    rel_leak_watch (&leaks, actor);
  }
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  g_assert_true (pykka_actor_ref_tell (ref, &msg, &error));
  asked = pykka_actor_ref_ask (ref, &msg);

  rel_expect (G_LOG_LEVEL_MESSAGE, "*Unhandled error in actor TestActor (urn:uuid:*handler failed on purpose*");
  rel_assert_future_error (asked, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_test_assert_expected_messages ();

  g_assert_cmpint (record->n_received, ==, 1);
  g_assert_cmpint (record->n_failures, ==, 1);
  g_assert_cmpint (record->n_stopped, ==, 0);
  g_assert_cmpstr (record->last_failure, ==, "handler failed on purpose");
  g_assert_false (pykka_actor_ref_is_alive (ref));
  assert_registry_empty ();
  rel_leak_assert_all_freed (&leaks);
  g_value_unset (&msg);
  test_record_free (record);
}

static gboolean
fail_odd (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  gint v = g_value_get_int (message);

  switch (v % 3)
    {
    case 0:
      return test_echo (self, message, reply, error);
    case 1:
      return test_fail (self, message, reply, error);
    default:
      /* TRUE with an error set is a failure too; FALSE without one a
       * generic failure. */
      if (v % 2)
        return FALSE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "TRUE with an error");
      return TRUE;
    }
}

/* The handler of an ask fails: the asker gets the error, the actor lives. */
static void
test_ask_handler_error (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  TestRecord *record;

  g_test_summary ("A failing ask handler answers the asker with the error and the actor lives on");

  ref = test_start (0, fail_odd, NULL, &record);
  for (gint i = 0; i < 12; i++)
    {
      GValue msg = G_VALUE_INIT;
      g_autoptr(PykkaFuture) future = pykka_actor_ref_ask (ref, test_value_int (&msg, i));
      g_autoptr(GError) error = NULL;
      const GValue *value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);

      switch (i % 3)
        {
        case 0:
          g_assert_no_error (error);
          g_assert_cmpint (g_value_get_int (value), ==, i);
          break;
        case 1:
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          break;
        default:
          if (i % 2)
            {
              g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
              g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
            }
          else
            g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
          break;
        }
      g_value_unset (&msg);
    }
  g_assert_true (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_failures, ==, 0);
  test_stop_all ();
  g_assert_cmpint (record->n_stopped, ==, 1);
  test_record_free (record);
}

/* on_stop fails: logged, the actor is dead anyway and the stop reports
 * TRUE. */
static void
test_on_stop_error (gconstpointer data)
{
  TestHookFunc hook = (TestHookFunc) data;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(TestActor) actor = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;

  g_test_summary ("An error in on_stop is logged; the actor is dead and the stop reports TRUE");

  actor = test_actor_new (test_echo, NULL);
  record = test_record_ref (test_actor_get_record (actor));
  test_actor_set_on_stop (actor, hook);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);

  rel_expect (G_LOG_LEVEL_MESSAGE, "*on_stop of actor TestActor (urn:uuid:*failed*");
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->n_stopped, ==, 1);
  assert_registry_empty ();
  test_record_free (record);
}

/* on_failure itself misbehaves: tells itself, stops itself twice, or asks
 * itself and waits. */
static void
test_on_failure_misbehaves (gconstpointer data)
{
  FailureMode mode = GPOINTER_TO_INT (data) & 0xff;
  RelLeakCounter leaks = { 0, };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(FaultActor) actor = NULL;
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("on_failure that tells, stops or asks its own actor neither crashes nor hangs");

  ref = test_start (FAULT_TYPE_ACTOR, test_fail, NULL, &record);
  actor = FAULT_ACTOR (pykka_actor_ref_dup_actor (ref));
  actor->failure_mode = mode;
  rel_leak_watch (&leaks, actor);

  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  asked = pykka_actor_ref_ask (ref, &msg);
  stopped = pykka_actor_ref_stop (ref);

  rel_expect (G_LOG_LEVEL_MESSAGE, "*Unhandled error in actor FaultActor*");
  rel_assert_future_error (asked, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_test_assert_expected_messages ();
  g_assert_false (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);

  g_assert_cmpint (actor->n_failure_calls, ==, 1);
  g_assert_cmpint (record->n_received, ==, 1);
  g_assert_cmpint (record->n_stopped, ==, 0);
  if (mode == FAILURE_ASK_SELF_WAIT)
    g_assert_error (actor->ask_self_error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  assert_registry_empty ();

  g_clear_object (&actor);
  rel_leak_assert_all_freed (&leaks);
  g_value_unset (&msg);
  test_record_free (record);
}

static gboolean
reply_with_data_future (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, test_actor_get_data (self));
  return TRUE;
}

/* The actor is finalized while refs and futures to it are still held. */
static void
test_finalized_while_refs_held (void)
{
  RelLeakCounter leaks = { 0, };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) blocker = pykka_future_new ();
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) second = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Refs and futures outlive the actor: the futures keep their outcome, the ref reports a dead actor");

  ref = test_start (0, reply_with_data_future, blocker, &record);
  {
    g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (ref);
    rel_leak_watch (&leaks, actor);
  }
  first = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
  second = pykka_actor_ref_ask (ref, &msg);
  stopped = pykka_actor_ref_stop (ref);
  drain ();
  g_assert_false (pykka_future_is_done (first));
  g_assert_false (pykka_future_is_done (stopped));

  /* Completing the awaited future releases the first ask, answers the
   * second the same way, then stops. */
  g_assert_true (pykka_future_set_value (blocker, &msg, &error));
  g_assert_cmpint (rel_future_get_int (first), ==, 1);
  g_assert_cmpint (rel_future_get_int (second), ==, 1);
  g_assert_true (g_value_get_boolean (pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error)));
  rel_leak_assert_all_freed (&leaks);

  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_null (pykka_actor_ref_dup_actor (ref));
  g_assert_true (g_str_has_prefix (pykka_actor_ref_get_urn (ref), "urn:uuid:"));
  g_assert_true (pykka_actor_ref_get_actor_type (ref) == TEST_TYPE_ACTOR);
  {
    g_autoptr(PykkaFuture) late = pykka_actor_ref_ask (ref, &msg);
    g_autoptr(PykkaFuture) late_stop = pykka_actor_ref_stop (ref);

    rel_assert_future_error (late, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
    g_assert_false (g_value_get_boolean (pykka_future_get (late_stop, 0, NULL)));
  }
  /* The futures keep their outcome after the actor is gone. */
  g_assert_cmpint (rel_future_get_int (first), ==, 1);

  /* An actor that was never started, dropped while its ref lives. */
  {
    g_autoptr(TestActor) never = test_actor_new (test_echo, NULL);
    g_autoptr(PykkaActorRef) never_ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (never)));
    TestRecord *never_record = test_record_ref (test_actor_get_record (never));

    g_clear_object (&never);
    g_assert_false (pykka_actor_ref_is_alive (never_ref));
    g_assert_false (pykka_actor_ref_tell (never_ref, &msg, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
    g_clear_error (&error);
    test_record_free (never_record);
  }

  g_value_unset (&msg);
  test_record_free (record);
}

typedef struct
{
  PykkaActorRef *ref;         /* (owned) */
  PykkaFuture   *pending;     /* (owned) an ask left in the mailbox */
  TestRecord    *record;
  gboolean       keep_context;
} OrphanData;

static gpointer
orphan_thread (gpointer data)
{
  OrphanData *od = data;
  GMainContext *ctx = g_main_context_new ();
  GValue msg = G_VALUE_INIT;

  g_main_context_push_thread_default (ctx);
  od->ref = test_start (0, test_record_int, NULL, &od->record);
  /* Some mail handled on this thread, some left in the mailbox. */
  for (gint i = 0; i < 5; i++)
    {
      g_assert_true (pykka_actor_ref_tell (od->ref, test_value_int (&msg, i), NULL));
      g_value_unset (&msg);
    }
  test_iterate_until (ctx, g_atomic_int_get (&od->record->n_received) >= 5);
  for (gint i = 5; i < 10; i++)
    {
      g_assert_true (pykka_actor_ref_tell (od->ref, test_value_int (&msg, i), NULL));
      g_value_unset (&msg);
    }
  od->pending = pykka_actor_ref_ask (od->ref, test_value_int (&msg, 99));
  g_value_unset (&msg);
  g_main_context_pop_thread_default (ctx);
  /* The thread ends and drops its context while the actor lives on it. */
  g_main_context_unref (ctx);
  return NULL;
}

/* A context dropped and its thread ended while an actor lives on it. */
static void
test_context_orphaned (void)
{
  OrphanData od = { 0, };
  GThread *thread;
  GValue msg = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) late = NULL;

  g_test_summary ("When the thread that owned an actor's context ends, the actor dies without hooks: queued and later asks fail with ACTOR_DEAD saying the context was orphaned, never a hang");

  thread = g_thread_new ("orphan", orphan_thread, &od);
  g_thread_join (thread);

  /* Nobody may run the context any more: the actor is dead, its
   * queued mail answered, nothing handled on this thread. */
  g_assert_false (pykka_actor_ref_is_alive (od.ref));
  g_assert_cmpint (od.record->ints->len, ==, 5);
  g_assert_cmpint (od.record->n_stopped, ==, 0);
  g_assert_false (pykka_actor_ref_tell (od.ref, test_value_int (&msg, 10), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  late = pykka_actor_ref_ask (od.ref, &msg);
  g_value_unset (&msg);
  g_assert_null (pykka_future_get (late, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (od.pending, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "orphaned"));
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (od.ref)));

  g_clear_object (&od.pending);
  g_object_unref (od.ref);
  test_record_free (od.record);
}

/* An actor on the context of an own-thread actor that stops: the thread
 * ends, and the other actor dies with it. */
static void
test_own_thread_ended (void)
{
  g_autoptr(PykkaActorRef) owner_ref = NULL;
  g_autoptr(PykkaActorRef) guest_ref = NULL;
  g_autoptr(GError) error = NULL;
  GMainContext *ctx;
  GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;

  g_test_summary ("A guest actor on the context of an own-thread actor dies when that thread ends: its asks fail with ACTOR_DEAD, never time out");

  {
    PykkaActor *owner;
    PykkaActor *guest;

    owner = g_object_new (REL_TYPE_ECHO_ACTOR, "use-own-thread", TRUE, NULL);
    owner_ref = pykka_actor_start (owner, &error);
    g_assert_no_error (error);
    ctx = pykka_actor_get_context (owner);
    g_assert_nonnull (ctx);
    guest = g_object_new (REL_TYPE_ECHO_ACTOR, "context", ctx, NULL);
    guest_ref = pykka_actor_start (guest, &error);
    g_assert_no_error (error);
    g_object_unref (guest);
    g_object_unref (owner);
  }
  /* Answered by the owner's thread while it runs. */
  g_assert_true (pykka_actor_ref_ask_sync (guest_ref, test_value_int (&msg, 3), TEST_TIMEOUT_MSEC, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&reply), ==, 3);
  g_value_unset (&reply);

  g_assert_true (pykka_actor_ref_stop_sync (owner_ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  /* The owner's thread may still run the context for a moment after the
   * stop is answered, and answer the guest; once it has ended, asks fail
   * with ACTOR_DEAD, never with TIMEOUT. */
  for (guint i = 0; ; i++)
    {
      g_assert_cmpuint (i, <, 100000);
      if (!pykka_actor_ref_ask_sync (guest_ref, &msg, TEST_TIMEOUT_MSEC, &reply, &error))
        break;
      g_value_unset (&reply);
    }
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (pykka_actor_ref_is_alive (guest_ref));
  g_value_unset (&msg);
  test_stop_all ();
}

/* Every holder drops an ask's future while the actor still has to answer
 * it. */
static void
test_future_dropped (void)
{
  RelLeakCounter leaks = { 0, };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) blocker = pykka_future_new ();
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("An ask whose future nobody holds any more is still handled once, and the future is freed after");

  ref = test_start (0, reply_with_data_future, blocker, &record);
  for (gint i = 0; i < 3; i++)
    {
      PykkaFuture *future = pykka_actor_ref_ask (ref, test_value_int (&msg, i));

      rel_leak_watch (&leaks, future);
      g_object_unref (future);
      g_value_unset (&msg);
    }
  drain ();
  g_assert_cmpint (record->n_received, ==, 1);
  g_assert_cmpint (leaks.finalized, ==, 0);
  g_assert_true (pykka_future_set_value (blocker, test_value_int (&msg, 5), NULL));
  g_value_unset (&msg);
  test_iterate_until (NULL, g_atomic_int_get (&record->n_received) == 3);
  rel_leak_assert_all_freed (&leaks);

  /* A dropped ask still queued when the actor stops. */
  {
    PykkaFuture *future;

    future = pykka_actor_ref_ask (ref, test_value_int (&msg, 9));
    rel_leak_watch (&leaks, future);
    g_object_unref (future);
    g_value_unset (&msg);
  }
  test_stop_all ();
  rel_leak_assert_all_freed (&leaks);
  test_record_free (record);
}

static gboolean
stop_in_on_start (TestActor *self, GError **error)
{
  pykka_actor_stop (PYKKA_ACTOR (self));
  return TRUE;
}

/* Stop requested from inside on_start: messages sent before it are
 * handled, then the actor stops normally. */
static void
test_stop_in_on_start (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(TestActor) actor = test_actor_new (test_record_int, NULL);
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(PykkaFuture) late = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record = test_record_ref (test_actor_get_record (actor));
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A stop requested in on_start comes after the messages sent before on_start ran");

  test_actor_set_on_start (actor, stop_in_on_start);
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  asked = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
  g_assert_cmpint (rel_future_get_int (asked), ==, 1);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  late = pykka_actor_ref_ask (ref, &msg);
  rel_assert_future_error (late, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (record->n_started, ==, 1);
  g_assert_cmpint (record->n_stopped, ==, 1);
  g_assert_cmpint (record->n_received, ==, 1);
  assert_registry_empty ();
  g_value_unset (&msg);
  test_record_free (record);
}

typedef struct
{
  PykkaFuture *stop1;
  PykkaFuture *stop2;
} TwoStops;

static gboolean
stop_twice (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  TwoStops *ts = test_actor_get_data (self);
  PykkaActorRef *ref = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));

  if (g_value_get_int (message) == 0)
    {
      ts->stop1 = pykka_actor_ref_stop (ref);
      ts->stop2 = pykka_actor_ref_stop (ref);
      pykka_actor_stop (PYKKA_ACTOR (self));
    }
  return test_record_int (self, message, reply, error);
}

/* Stop requested twice from inside a handler. */
static void
test_stop_twice_in_handler (gconstpointer data)
{
  GType type = GPOINTER_TO_SIZE (data) ? TEST_TYPE_STACKFUL_ACTOR : TEST_TYPE_ACTOR;
  TwoStops ts = { NULL, NULL };
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) after = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Two stops from inside a handler: the first stops the actor (TRUE), the second finds it dead (FALSE)");

  ref = test_start (type, stop_twice, &ts, &record);
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 0), &error));
  g_value_unset (&msg);
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&msg, 1), &error));
  after = pykka_actor_ref_ask (ref, &msg);
  g_value_unset (&msg);

  /* The message sent before the handler's stops is still handled. */
  g_assert_cmpint (rel_future_get_int (after), ==, 1);
  test_iterate_until (NULL, ts.stop2 != NULL && pykka_future_is_done (ts.stop2));
  g_assert_true (g_value_get_boolean (pykka_future_get (ts.stop1, 0, &error)));
  g_assert_false (g_value_get_boolean (pykka_future_get (ts.stop2, 0, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (record->n_stopped, ==, 1);
  /* 0, then the tell and the ask of 1 sent before the stops. */
  g_assert_cmpint (record->ints->len, ==, 3);
  assert_registry_empty ();
  g_clear_object (&ts.stop1);
  g_clear_object (&ts.stop2);
  test_record_free (record);
}

/* A timeout of 0 only looks; nothing is lost by looking. */
static void
test_timeout_zero (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) pending = pykka_future_new ();
  g_autoptr(PykkaEvent) event = pykka_event_new ();
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;

  g_test_summary ("Timeouts of 0 report TIMEOUT at once and change nothing");

  g_assert_null (pykka_future_get (pending, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_false (pykka_event_wait (event, 0));
  pykka_event_set (event);
  g_assert_true (pykka_event_wait (event, 0));

  ref = test_start (0, test_record_int, NULL, &record);
  /* The actor has not run yet: its context was not iterated. */
  g_assert_false (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, 1), 0, &reply, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_false (pykka_actor_ref_stop_sync (ref, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_clear_error (&error);
  {
    PykkaFuture *futures[1] = { pending };

    g_assert_null (pykka_future_get_all (futures, 1, 0, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
    g_clear_error (&error);
  }

  /* Both the ask and the stop still happen, once. */
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (ref));
  g_assert_cmpint (record->ints->len, ==, 1);
  g_assert_cmpint (record->n_stopped, ==, 1);

  /* stop_all (0) asks every actor to stop and reports the timeout. */
  {
    g_autoptr(PykkaActorRef) a = test_start (0, test_echo, NULL, NULL);
    g_autoptr(PykkaActorRef) b = test_start (0, test_echo, NULL, NULL);
    TestRecord *ra, *rb;
    g_autoptr(PykkaActor) aa = pykka_actor_ref_dup_actor (a);
    g_autoptr(PykkaActor) ab = pykka_actor_ref_dup_actor (b);

    ra = test_record_ref (test_actor_get_record (TEST_ACTOR (aa)));
    rb = test_record_ref (test_actor_get_record (TEST_ACTOR (ab)));
    g_clear_object (&aa);
    g_clear_object (&ab);
    g_assert_false (pykka_registry_stop_all (0, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
    g_clear_error (&error);
    test_iterate_until (NULL, !pykka_actor_ref_is_alive (a) && !pykka_actor_ref_is_alive (b));
    assert_registry_empty ();
    test_record_free (ra);
    test_record_free (rb);
  }

  g_value_unset (&msg);
  test_record_free (record);
}

static gboolean
stackful_ask_self (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *ref = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  g_autoptr(PykkaFuture) future = NULL;
  GValue inner = G_VALUE_INIT;
  const GValue *value;

  if (g_value_get_int (message) != 0)
    return test_echo (self, message, reply, error);

  future = pykka_actor_ref_ask (ref, test_value_int (&inner, 1));
  g_value_unset (&inner);
  value = pykka_future_get (future, -1, error);
  if (value == NULL)
    return FALSE;
  return test_echo (self, value, reply, error);
}

/* A stackful handler that waits for its own actor. */
static void
test_stackful_self_deadlock (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A stackful handler that waits for a reply from its own actor gets DEADLOCK instead of hanging");

  ref = test_start (TEST_TYPE_STACKFUL_ACTOR, stackful_ask_self, NULL, &record);
  future = pykka_actor_ref_ask (ref, test_value_int (&msg, 0));
  rel_assert_future_error (future, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  test_stop_all ();
  g_value_unset (&msg);
  test_record_free (record);
}

/* Futures dropped while a join still waits for one of them. */
static void
test_join_dropped (void)
{
  RelLeakCounter leaks = { 0, };
  PykkaFuture *parts[2] = { pykka_future_new (), pykka_future_new () };
  PykkaFuture *joined = pykka_future_join (parts, 2);
  GValue msg = G_VALUE_INIT;

  g_test_summary ("A join over a future that never completes leaks nothing once every holder dropped them");

  rel_leak_watch (&leaks, parts[0]);
  rel_leak_watch (&leaks, parts[1]);
  rel_leak_watch (&leaks, joined);
  g_assert_true (pykka_future_set_value (parts[1], test_value_int (&msg, 1), NULL));
  g_value_unset (&msg);
  g_object_unref (parts[0]);
  g_object_unref (parts[1]);
  g_object_unref (joined);
  rel_leak_assert_all_freed (&leaks);
}

/* Issue 12, F20: an on_stop that starts a successor, which is alive and
 * registered when the stop returns. Each successor starts the next until
 * its data (the number still to start) is 0. */
static gboolean
start_successor (TestActor *self, GError **error)
{
  gint left = GPOINTER_TO_INT (test_actor_get_data (self));
  g_autoptr(TestActor) next = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;

  if (left <= 0)
    return TRUE;
  next = test_actor_new (test_echo, GINT_TO_POINTER (left - 1));
  test_actor_set_on_stop (next, start_successor);
  ref = pykka_actor_start (PYKKA_ACTOR (next), error);
  return ref != NULL;
}

static void
start_chain (gint successors)
{
  g_autoptr(TestActor) first = test_actor_new (test_echo, GINT_TO_POINTER (successors));
  g_autoptr(PykkaActorRef) ref = NULL;

  test_actor_set_on_stop (first, start_successor);
  ref = pykka_actor_start (PYKKA_ACTOR (first), NULL);
  g_assert_nonnull (ref);
}

static void
test_stop_all_successors (void)
{
  g_autoptr(GError) error = NULL;
  guint calls = 0;

  g_test_summary ("stop_all returns TRUE only with an empty registry: actors that on_stop starts are stopped too, and a chain that never ends fails with an error instead of looping forever (issue 12, F20)");

  /* A few successors: stopped in later rounds of the same call. */
  start_chain (3);
  g_assert_true (pykka_registry_stop_all (-1, &error));
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());

  start_chain (3);
  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());

  /* More successors than stop_all has rounds: FALSE, with an error. */
  start_chain (1000);
  g_assert_false (pykka_registry_stop_all (-1, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_clear_error (&error);
  /* Later calls go on where it stopped, until the chain ends. */
  while (!pykka_registry_stop_all (-1, &error))
    {
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
      g_clear_error (&error);
      g_assert_cmpuint (++calls, <, 1000);
    }
  g_assert_null (pykka_registry_get_all ());
}

/* Issue 12, F10: cancelled asynchronous waits keep nothing alive. */
static void
cancelled_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  RelLeakCounter *leaks = data;
  g_autoptr(GError) error = NULL;

  if (PYKKA_IS_EVENT (source))
    g_assert_false (pykka_event_wait_finish (PYKKA_EVENT (source), result, &error));
  else
    g_assert_null (pykka_future_get_finish (PYKKA_FUTURE (source), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  rel_leak_watch (leaks, result);  /* the GTask */
}

static gpointer
cancel_all_in_thread (gpointer data)
{
  GPtrArray *cancellables = data;

  for (guint i = 0; i < cancellables->len; i++)
    g_cancellable_cancel (cancellables->pdata[i]);
  g_ptr_array_unref (cancellables);
  return NULL;
}

static void
test_cancelled_waits_released (void)
{
  RelLeakCounter leaks = { 0, };
  PykkaEvent *event = pykka_event_new ();
  PykkaFuture *future = pykka_future_new ();
  guint n = 1000;

  g_test_summary ("Cancelled wait_async and get_async release the event, the future, their GTasks and the cancellables at once (issue 12, F10)");

  for (guint i = 0; i < n; i++)
    {
      GCancellable *cancellable = g_cancellable_new ();

      rel_leak_watch (&leaks, cancellable);
      pykka_event_wait_async (event, cancellable, cancelled_cb, &leaks);
      pykka_future_get_async (future, cancellable, cancelled_cb, &leaks);
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }
  /* Cancelled from another thread than the one that waits. */
  {
    GPtrArray *later = g_ptr_array_new_with_free_func (g_object_unref);
    GThread *thread;

    for (guint i = 0; i < n; i++)
      {
        GCancellable *cancellable = g_cancellable_new ();

        rel_leak_watch (&leaks, cancellable);
        pykka_event_wait_async (event, cancellable, cancelled_cb, &leaks);
        pykka_future_get_async (future, cancellable, cancelled_cb, &leaks);
        g_ptr_array_add (later, cancellable);
      }
    thread = g_thread_new ("canceller", cancel_all_in_thread, later);
    g_thread_join (thread);
  }
  /* Already cancelled before the wait starts. */
  {
    GCancellable *cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    rel_leak_watch (&leaks, cancellable);
    pykka_event_wait_async (event, cancellable, cancelled_cb, &leaks);
    pykka_future_get_async (future, cancellable, cancelled_cb, &leaks);
    g_object_unref (cancellable);
  }

  /* Every callback ran and every GTask and cancellable is gone ... */
  test_iterate_until (NULL, (guint) g_atomic_int_get (&leaks.finalized) == 3 * (2 * n + 1));
  /* ... and nothing refers to the event or the future any more. */
  g_assert_cmpuint (G_OBJECT (event)->ref_count, ==, 1);
  g_assert_cmpuint (G_OBJECT (future)->ref_count, ==, 1);
  rel_leak_watch (&leaks, event);
  rel_leak_watch (&leaks, future);
  g_object_unref (event);
  g_object_unref (future);
  rel_leak_assert_all_freed (&leaks);
}

/* Issue 12, F12: a stackful handler that overflows its coroutine stack
 * kills the process with SIGSEGV, and stderr names the actor. */
static const char *test_argv0;
static volatile guint overflow_limit = G_MAXUINT;

static G_GNUC_NO_INLINE guint
overflow_recurse (guint depth)
{
  volatile guint8 frame[512];

  frame[0] = (guint8) depth;
  if (depth >= overflow_limit)
    return frame[0];
  return overflow_recurse (depth + 1) + frame[0];
}

static gboolean
overflowing_handler (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  overflow_recurse (0);
  return TRUE;
}

static void
test_stackful_overflow_names_actor (void)
{
  const char *argv[] = { test_argv0, "-q", "-p", "/Pykka/Faults/stackful-overflow-names-actor",
                         "--GTestSubprocess", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  const char *urn;
  gint status = 0;

  if (g_test_subprocess ())
    {
      g_autoptr(PykkaActorRef) ref = NULL;
      g_autoptr(PykkaFuture) future = NULL;
      struct rlimit no_core = { 0, 0 };
      TestRecord *record;
      GValue msg = G_VALUE_INIT;

      setrlimit (RLIMIT_CORE, &no_core);
      ref = test_start (TEST_TYPE_STACKFUL_ACTOR, overflowing_handler, NULL, &record);
      g_print ("URN=%s\n", pykka_actor_ref_get_urn (ref));
      fflush (stdout);
      future = pykka_actor_ref_ask (ref, test_value_int (&msg, 1));
      pykka_future_get (future, TEST_TIMEOUT_MSEC, NULL);
      g_printerr ("survived the overflow\n");
      return;
    }

  g_test_summary ("A stackful handler that overflows its stack dies of SIGSEGV, and stderr names the actor (issue 12, F12)");

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("child stdout: %s\nchild stderr: %s", out, err);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGSEGV);
  urn = strstr (out, "URN=");
  g_assert_nonnull (urn);
  expected = g_strdup_printf ("pykka-glib: stack overflow in a stackful handler of actor TestStackfulActor (%.*s)",
                              (int) strcspn (urn + 4, "\n"), urn + 4);
  g_assert_nonnull (strstr (err, expected));
}

int
main (int argc, char *argv[])
{
  test_argv0 = argv[0];
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/Pykka/Faults/on-start-error", fail_hook, test_on_start_error);
  g_test_add_data_func ("/Pykka/Faults/on-start-false-without-error", fail_hook_without_error, test_on_start_error);
  g_test_add_func ("/Pykka/Faults/tell-handler-error", test_tell_handler_error);
  g_test_add_func ("/Pykka/Faults/ask-handler-error", test_ask_handler_error);
  g_test_add_data_func ("/Pykka/Faults/on-stop-error", fail_hook, test_on_stop_error);
  g_test_add_data_func ("/Pykka/Faults/on-stop-false-without-error", fail_hook_without_error, test_on_stop_error);
  g_test_add_data_func ("/Pykka/Faults/on-failure-tells-self", GINT_TO_POINTER (FAILURE_TELL_SELF), test_on_failure_misbehaves);
  g_test_add_data_func ("/Pykka/Faults/on-failure-stops-self", GINT_TO_POINTER (FAILURE_STOP_SELF), test_on_failure_misbehaves);
  g_test_add_data_func ("/Pykka/Faults/on-failure-asks-self", GINT_TO_POINTER (FAILURE_ASK_SELF_WAIT), test_on_failure_misbehaves);
  g_test_add_func ("/Pykka/Faults/finalized-while-refs-held", test_finalized_while_refs_held);
  g_test_add_func ("/Pykka/Faults/context-orphaned", test_context_orphaned);
  g_test_add_func ("/Pykka/Faults/own-thread-ended", test_own_thread_ended);
  g_test_add_func ("/Pykka/Faults/future-dropped", test_future_dropped);
  g_test_add_func ("/Pykka/Faults/stop-in-on-start", test_stop_in_on_start);
  g_test_add_data_func ("/Pykka/Faults/stop-twice-in-handler", GSIZE_TO_POINTER (0), test_stop_twice_in_handler);
  g_test_add_data_func ("/Pykka/Faults/stop-twice-in-stackful-handler", GSIZE_TO_POINTER (1), test_stop_twice_in_handler);
  g_test_add_func ("/Pykka/Faults/timeout-zero", test_timeout_zero);
  g_test_add_func ("/Pykka/Faults/stackful-self-deadlock", test_stackful_self_deadlock);
  g_test_add_func ("/Pykka/Faults/join-dropped", test_join_dropped);
  g_test_add_func ("/Pykka/Faults/stop-all-successors", test_stop_all_successors);
  g_test_add_func ("/Pykka/Faults/cancelled-waits-released", test_cancelled_waits_released);
  g_test_add_func ("/Pykka/Faults/stackful-overflow-names-actor", test_stackful_overflow_names_actor);

  return g_test_run ();
}
