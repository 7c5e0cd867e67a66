/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Supervision (issue 15.2 and 15.3): PykkaSupervisor restarts failed
 * children behind the same ref, with the three strategies and a restart
 * intensity, and stops its children first. Every wait has
 * TEST_TIMEOUT_MSEC; no timing is asserted. */

#include "config.h"

#include <string.h>

#include "test-util.h"

/* What the instances of one child did. */
typedef struct
{
  gint id;
  gint made;          /* instances made by the factory */
  gint started;
  gint stopped;       /* on_stop */
  gint failed;        /* on_failure */
  gint handled;       /* messages handled, all instances */
  gboolean own_thread;
} Kid;

static GMutex order_lock;
static GArray *stop_order;   /* Kid ids, in on_stop order */

#define TEST_TYPE_KID (test_kid_get_type ())
G_DECLARE_FINAL_TYPE (TestKid, test_kid, TEST, KID, PykkaActor)

struct _TestKid
{
  PykkaActor parent_instance;
  Kid       *kid;
  gint       instance;
};

G_DEFINE_FINAL_TYPE (TestKid, test_kid, PYKKA_TYPE_ACTOR)

static gboolean
test_kid_on_start (PykkaActor *actor, GError **error)
{
  g_atomic_int_inc (&TEST_KID (actor)->kid->started);
  return TRUE;
}

static gboolean
test_kid_on_stop (PykkaActor *actor, GError **error)
{
  Kid *kid = TEST_KID (actor)->kid;

  g_atomic_int_inc (&kid->stopped);
  g_mutex_lock (&order_lock);
  if (stop_order != NULL)
    g_array_append_val (stop_order, kid->id);
  g_mutex_unlock (&order_lock);
  return TRUE;
}

static void
test_kid_on_failure (PykkaActor *actor, const GError *error)
{
  g_atomic_int_inc (&TEST_KID (actor)->kid->failed);
}

static gboolean
test_kid_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  TestKid *self = TEST_KID (actor);

  if (G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), "crash") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crashed on purpose");
      return FALSE;
    }
  g_atomic_int_inc (&self->kid->handled);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, self->instance);
  return TRUE;
}

static void
test_kid_class_init (TestKidClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  actor_class->on_start = test_kid_on_start;
  actor_class->on_stop = test_kid_on_stop;
  actor_class->on_failure = test_kid_on_failure;
  actor_class->on_receive = test_kid_on_receive;
}

static void
test_kid_init (TestKid *self)
{
}

static PykkaActor *
make_kid (gpointer data)
{
  Kid *kid = data;
  TestKid *actor = g_object_new (TEST_TYPE_KID, "use-own-thread", kid->own_thread, NULL);

  actor->kid = kid;
  actor->instance = g_atomic_int_add (&kid->made, 1) + 1;
  return PYKKA_ACTOR (actor);
}

static PykkaActorRef *
start_supervisor (PykkaRestartStrategy strategy, guint max_restarts, PykkaSupervisor **out)
{
  g_autoptr(PykkaSupervisor) sup = pykka_supervisor_new (strategy, max_restarts, 60000);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (sup), &error);

  g_assert_no_error (error);
  *out = g_steal_pointer (&sup);
  return ref;
}

static PykkaActorRef *
start_kid (PykkaSupervisor *sup, Kid *kid)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_supervisor_start_child (sup, make_kid, kid, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ref);
  return ref;
}

static void
tell_string (PykkaActorRef *ref, const char *text)
{
  GValue value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, text);
  g_assert_true (pykka_actor_ref_tell (ref, &value, &error));
  g_assert_no_error (error);
  g_value_unset (&value);
}

/* The instance that answers an ask now. */
static gint
instance_of (PykkaActorRef *ref)
{
  g_autoptr(PykkaFuture) f = test_ask_int (ref, 0);

  return test_get_int (f);
}

static void
test_one_for_one (void)
{
  Kid a = { .id = 1 }, b = { .id = 2 };
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 5, &sup);
  g_autoptr(PykkaActorRef) ra = start_kid (sup, &a);
  g_autoptr(PykkaActorRef) rb = start_kid (sup, &b);
  g_autofree char *urn = g_strdup (pykka_actor_ref_get_urn (ra));
  g_autoptr(PykkaFuture) after = NULL;

  g_test_summary ("One-for-one: a failed child is restarted behind the same ref (same urn, still "
                  "registered, alive); what was sent after the failure reaches the new instance; "
                  "the other child is untouched");

  g_assert_cmpint (instance_of (ra), ==, 1);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  tell_string (ra, "crash");
  after = test_ask_int (ra, 5);  /* queued behind the crash */
  g_assert_cmpint (test_get_int (after), ==, 2);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (pykka_actor_ref_get_urn (ra), ==, urn);
  g_assert_true (pykka_actor_ref_is_alive (ra));
  {
    g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (urn);

    g_assert_true (found == ra);
  }
  g_assert_cmpint (a.made, ==, 2);
  g_assert_cmpint (a.started, ==, 2);
  g_assert_cmpint (a.failed, ==, 1);
  g_assert_cmpint (a.stopped, ==, 0);
  g_assert_cmpint (instance_of (rb), ==, 1);
  g_assert_cmpint (b.made, ==, 1);
  g_assert_cmpuint (pykka_supervisor_get_restarts (sup), ==, 1);

  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_false (pykka_actor_ref_is_alive (ra));
  g_assert_false (pykka_actor_ref_is_alive (rb));
}

static void
test_strategies (gconstpointer data)
{
  PykkaRestartStrategy strategy = GPOINTER_TO_INT (data);
  Kid kids[3] = { { .id = 1 }, { .id = 2 }, { .id = 3 } };
  PykkaActorRef *refs[3];
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (strategy, 5, &sup);
  gint expected_made[3];

  g_test_summary ("One-for-all restarts every child, rest-for-one the failed one and those started "
                  "after it; the instances that had not failed run on_stop first");

  for (guint i = 0; i < 3; i++)
    refs[i] = start_kid (sup, &kids[i]);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (instance_of (refs[i]), ==, 1);

  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  tell_string (refs[1], "crash");
  expected_made[0] = strategy == PYKKA_RESTART_ONE_FOR_ALL ? 2 : 1;
  expected_made[1] = 2;
  expected_made[2] = strategy == PYKKA_RESTART_ONE_FOR_ONE ? 1 : 2;
  for (guint i = 0; i < 3; i++)
    {
      /* Asks until the restart (if any) has happened: the instance number
       * is the new one's once it has. */
      gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

      while (instance_of (refs[i]) != expected_made[i])
        {
          if (g_get_monotonic_time () > end)
            g_error ("child %u was not restarted", i + 1);
          g_usleep (1000);
        }
    }
  g_test_assert_expected_messages ();
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (kids[i].made, ==, expected_made[i]);
      /* The failed one ran on_failure, not on_stop; the others restarted
       * ran on_stop. */
      g_assert_cmpint (kids[i].stopped, ==, i != 1 && expected_made[i] == 2 ? 1 : 0);
      g_assert_cmpint (kids[i].failed, ==, i == 1 ? 1 : 0);
    }
  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
  for (guint i = 0; i < 3; i++)
    g_object_unref (refs[i]);
}

static void
test_intensity (void)
{
  Kid a = { .id = 1 }, b = { .id = 2 };
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 2, &sup);
  g_autoptr(PykkaActorRef) ra = start_kid (sup, &a);
  g_autoptr(PykkaActorRef) rb = start_kid (sup, &b);
  g_autoptr(PykkaFuture) sup_dead = pykka_actor_ref_get_terminated (sup_ref);
  g_autoptr(PykkaFuture) a_dead = pykka_actor_ref_get_terminated (ra);
  const GValue *value;
  const GError *reason;

  g_test_summary ("More failures than the restart intensity allows: every child stops (the failed "
                  "one dies of its failure), then the supervisor fails with FAILED");

  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in actor PykkaSupervisor*");
  for (guint i = 0; i < 3; i++)
    {
      tell_string (ra, "crash");
      /* One at a time: the next crash goes to the next instance. */
      if (i < 2)
        {
          gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

          while (g_atomic_int_get (&a.started) < (gint) i + 2)
            {
              if (g_get_monotonic_time () > end)
                g_error ("no restart");
              g_main_context_iteration (NULL, FALSE);
            }
        }
    }
  value = pykka_future_get (sup_dead, TEST_TIMEOUT_MSEC, NULL);
  g_assert_nonnull (value);
  g_test_assert_expected_messages ();
  reason = pykka_terminated_get_reason (g_value_get_boxed (value));
  g_assert_error ((GError *) reason, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_nonnull (strstr (reason->message, "more than 2 restarts"));
  value = pykka_future_get (a_dead, TEST_TIMEOUT_MSEC, NULL);
  g_assert_error ((GError *) pykka_terminated_get_reason (g_value_get_boxed (value)), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_false (pykka_actor_ref_is_alive (rb));
  g_assert_cmpint (b.stopped, ==, 1);
  g_assert_cmpint (a.made, ==, 3);
}

static void
test_stop_children_first (void)
{
  Kid kids[3] = { { .id = 1, .own_thread = TRUE }, { .id = 2 }, { .id = 3, .own_thread = TRUE } };
  PykkaActorRef *refs[3];
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 5, &sup);

  g_test_summary ("Stopping a supervisor stops its children first, last started first, and waits "
                  "for each (own-thread and same-context children alike)");

  g_mutex_lock (&order_lock);
  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  g_mutex_unlock (&order_lock);
  for (guint i = 0; i < 3; i++)
    refs[i] = start_kid (sup, &kids[i]);
  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
  g_mutex_lock (&order_lock);
  g_assert_cmpuint (stop_order->len, ==, 3);
  g_assert_cmpint (g_array_index (stop_order, gint, 0), ==, 3);
  g_assert_cmpint (g_array_index (stop_order, gint, 1), ==, 2);
  g_assert_cmpint (g_array_index (stop_order, gint, 2), ==, 1);
  g_clear_pointer (&stop_order, g_array_unref);
  g_mutex_unlock (&order_lock);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (pykka_actor_ref_is_alive (refs[i]));
      g_object_unref (refs[i]);
    }
}

static void
test_flood (void)
{
  Kid kid = { .id = 1, .own_thread = TRUE };
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 1000, &sup);
  g_autoptr(PykkaActorRef) ref = start_kid (sup, &kid);
  g_autoptr(GPtrArray) asks = g_ptr_array_new_with_free_func (g_object_unref);
  const guint n = 2000, every = 100;
  guint crashes = 0, answered = 0;

  g_test_summary ("Restarts under a flood of messages from another thread's view: every message "
                  "that is not a crash is handled exactly once, every ask answered, one restart "
                  "per crash");

  for (guint i = 1; i <= n; i++)
    {
      if (i % every == 0)
        {
          crashes++;
          g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
          tell_string (ref, "crash");
        }
      else if (i % 2 == 0)
        g_ptr_array_add (asks, test_ask_int (ref, (gint) i));
      else
        test_tell_int (ref, (gint) i);
    }
  for (guint i = 0; i < asks->len; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (pykka_future_get (asks->pdata[i], TEST_TIMEOUT_MSEC, &error));
      g_assert_no_error (error);
      answered++;
    }
  /* A last ask comes after everything. */
  (void) instance_of (ref);
  g_test_assert_expected_messages ();
  g_assert_cmpint (kid.handled, ==, (gint) (n - crashes) + 1);
  g_assert_cmpint (kid.made, ==, (gint) crashes + 1);
  g_assert_cmpint (kid.failed, ==, (gint) crashes);
  g_assert_cmpuint (pykka_supervisor_get_restarts (sup), ==, crashes);
  g_assert_cmpuint (answered, ==, asks->len);
  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
}

static void
test_ask_failure_restarts_nothing (void)
{
  Kid kid = { .id = 1 };
  g_autoptr(PykkaSupervisor) sup = NULL;
  g_autoptr(PykkaActorRef) sup_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 5, &sup);
  g_autoptr(PykkaActorRef) ref = start_kid (sup, &kid);
  g_autoptr(PykkaFuture) asked = NULL;
  g_autoptr(GError) error = NULL;
  GValue crash = G_VALUE_INIT;

  g_test_summary ("The failure of an ask goes to its asker and restarts nothing");

  g_value_init (&crash, G_TYPE_STRING);
  g_value_set_static_string (&crash, "crash");
  asked = pykka_actor_ref_ask (ref, &crash);
  g_assert_null (pykka_future_get (asked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (instance_of (ref), ==, 1);
  g_assert_cmpuint (pykka_supervisor_get_restarts (sup), ==, 0);
  g_value_unset (&crash);
  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
}

static void
test_bad_input (void)
{
  g_autoptr(PykkaSupervisor) sup = pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, 1, 1000);
  g_autoptr(GError) error = NULL;
  Kid kid = { .id = 1 };

  g_test_summary ("A child of a supervisor that is not running is refused with ACTOR_DEAD");

  g_assert_null (pykka_supervisor_start_child (sup, make_kid, &kid, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpint (kid.made, ==, 0);
}

static void
test_backoff (void)
{
  Kid kid = { .id = 1 };
  g_autoptr(PykkaSupervisor) sup = g_object_new (PYKKA_TYPE_SUPERVISOR, "max-restarts", 5,
                                                 "within-msec", 60000, "backoff-msec", 50, NULL);
  g_autoptr(PykkaActorRef) sup_ref = pykka_actor_start (PYKKA_ACTOR (sup), NULL);
  g_autoptr(PykkaActorRef) ref = start_kid (sup, &kid);
  guint backoff = 0;
  gint64 crashed;

  g_test_summary ("With a back-off, a restart waits at least that long; what is sent meanwhile waits");

  g_object_get (sup, "backoff-msec", &backoff, NULL);
  g_assert_cmpuint (backoff, ==, 50);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor*");
  crashed = g_get_monotonic_time ();
  tell_string (ref, "crash");
  g_assert_cmpint (instance_of (ref), ==, 2);
  /* A lower bound only: a restart never comes earlier. */
  g_assert_cmpint (g_get_monotonic_time () - crashed, >=, 50 * 1000);
  g_test_assert_expected_messages ();
  g_assert_true (pykka_actor_ref_stop_sync (sup_ref, TEST_TIMEOUT_MSEC, NULL));
}

static PykkaActor *
make_supervisor (gpointer data)
{
  return PYKKA_ACTOR (pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, 0, 60000));
}

static void
test_escalation (void)
{
  Kid kid = { .id = 1 };
  g_autoptr(PykkaSupervisor) top = NULL;
  g_autoptr(PykkaActorRef) top_ref = start_supervisor (PYKKA_RESTART_ONE_FOR_ONE, 5, &top);
  g_autoptr(PykkaActorRef) middle_ref = pykka_supervisor_start_child (top, make_supervisor, NULL, NULL, NULL);
  g_autoptr(PykkaActor) middle = pykka_actor_ref_dup_actor (middle_ref);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) kid_dead = NULL;
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

  g_test_summary ("A supervisor that gives up fails, and its own supervisor restarts it behind the "
                  "same ref (escalation); its children are dead");

  ref = start_kid (PYKKA_SUPERVISOR (middle), &kid);
  kid_dead = pykka_actor_ref_get_terminated (ref);
  g_clear_object (&middle);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor TestKid*");
  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in supervised actor PykkaSupervisor*");
  tell_string (ref, "crash");
  g_assert_nonnull (pykka_future_get (kid_dead, TEST_TIMEOUT_MSEC, NULL));
  while (pykka_supervisor_get_restarts (top) < 1)
    {
      if (g_get_monotonic_time () > end)
        g_error ("no escalation");
      g_main_context_iteration (NULL, FALSE);
    }
  g_test_assert_expected_messages ();
  g_assert_true (pykka_actor_ref_is_alive (middle_ref));
  {
    g_autoptr(PykkaActor) fresh = pykka_actor_ref_dup_actor (middle_ref);

    g_assert_true (PYKKA_IS_SUPERVISOR (fresh));
  }
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_true (pykka_actor_ref_stop_sync (top_ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_false (pykka_actor_ref_is_alive (middle_ref));
}

/* A plain parent (a TestActor) that records its on_stop in stop_order
 * as id 0 and counts the deaths of its children it is told of. */
static gint parent_told;

static gboolean
parent_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    g_atomic_int_inc (&parent_told);
  else if (G_VALUE_HOLDS_STRING (message))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "parent fails");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parent_on_stop (TestActor *self, GError **error)
{
  gint zero = 0;

  g_mutex_lock (&order_lock);
  if (stop_order != NULL)
    g_array_append_val (stop_order, zero);
  g_mutex_unlock (&order_lock);
  return TRUE;
}

static void
test_parent_and_children (gconstpointer data)
{
  gboolean fail = GPOINTER_TO_INT (data);
  Kid kids[3] = { { .id = 1, .own_thread = TRUE }, { .id = 2 }, { .id = 3, .own_thread = TRUE } };
  PykkaActorRef *refs[3];
  TestRecord *r;
  g_autoptr(PykkaActorRef) parent_ref = test_start (0, parent_receive, NULL, &r);
  g_autoptr(PykkaActor) parent = pykka_actor_ref_dup_actor (parent_ref);
  g_autoptr(GError) error = NULL;

  g_test_summary ("An actor's children (pykka_actor_start_child) are watched by it and stopped "
                  "first, newest first, when it stops or fails, before its own last hook");

  test_actor_set_on_stop (TEST_ACTOR (parent), parent_on_stop);
  g_atomic_int_set (&parent_told, 0);
  g_mutex_lock (&order_lock);
  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  g_mutex_unlock (&order_lock);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaActor) child = make_kid (&kids[i]);

      refs[i] = pykka_actor_start_child (parent, child, &error);
      g_assert_no_error (error);
    }
  if (fail)
    {
      g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error in actor TestActor*");
      tell_string (parent_ref, "fail");
      test_iterate_until (NULL, !pykka_actor_ref_is_alive (parent_ref) && r->n_failures == 1);
      g_test_assert_expected_messages ();
    }
  else
    g_assert_true (pykka_actor_ref_stop_sync (parent_ref, TEST_TIMEOUT_MSEC, NULL));
  for (guint i = 0; i < 3; i++)
    g_assert_false (pykka_actor_ref_is_alive (refs[i]));
  g_mutex_lock (&order_lock);
  g_assert_cmpuint (stop_order->len, ==, fail ? 3 : 4);
  g_assert_cmpint (g_array_index (stop_order, gint, 0), ==, 3);
  g_assert_cmpint (g_array_index (stop_order, gint, 1), ==, 2);
  g_assert_cmpint (g_array_index (stop_order, gint, 2), ==, 1);
  if (!fail)
    g_assert_cmpint (g_array_index (stop_order, gint, 3), ==, 0);
  g_clear_pointer (&stop_order, g_array_unref);
  g_mutex_unlock (&order_lock);

  /* A parent that is not running starts no child. */
  {
    Kid late = { .id = 4 };
    g_autoptr(PykkaActor) child = make_kid (&late);

    g_assert_null (pykka_actor_start_child (parent, child, &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
    g_clear_error (&error);
  }
  for (guint i = 0; i < 3; i++)
    g_object_unref (refs[i]);
  test_record_free (r);
}

static void
test_parent_told_of_child_death (void)
{
  Kid kid = { .id = 1 };
  TestRecord *r;
  g_autoptr(PykkaActorRef) parent_ref = test_start (0, parent_receive, NULL, &r);
  g_autoptr(PykkaActor) parent = pykka_actor_ref_dup_actor (parent_ref);
  g_autoptr(PykkaActor) child = make_kid (&kid);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start_child (parent, child, NULL);

  g_test_summary ("A parent is told of its child's death, as a watcher");

  g_atomic_int_set (&parent_told, 0);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  test_iterate_until (NULL, g_atomic_int_get (&parent_told) == 1);
  g_assert_true (pykka_actor_ref_stop_sync (parent_ref, TEST_TIMEOUT_MSEC, NULL));
  test_record_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Supervisor/one-for-one", test_one_for_one);
  g_test_add_data_func ("/Pykka/Supervisor/strategy/one-for-one", GINT_TO_POINTER (PYKKA_RESTART_ONE_FOR_ONE), test_strategies);
  g_test_add_data_func ("/Pykka/Supervisor/strategy/one-for-all", GINT_TO_POINTER (PYKKA_RESTART_ONE_FOR_ALL), test_strategies);
  g_test_add_data_func ("/Pykka/Supervisor/strategy/rest-for-one", GINT_TO_POINTER (PYKKA_RESTART_REST_FOR_ONE), test_strategies);
  g_test_add_func ("/Pykka/Supervisor/intensity", test_intensity);
  g_test_add_func ("/Pykka/Supervisor/stop-children-first", test_stop_children_first);
  g_test_add_func ("/Pykka/Supervisor/flood", test_flood);
  g_test_add_func ("/Pykka/Supervisor/ask-failure-restarts-nothing", test_ask_failure_restarts_nothing);
  g_test_add_func ("/Pykka/Supervisor/bad-input", test_bad_input);
  g_test_add_func ("/Pykka/Supervisor/backoff", test_backoff);
  g_test_add_func ("/Pykka/Supervisor/escalation", test_escalation);
  g_test_add_data_func ("/Pykka/Parent/children-stopped-first/stop", GINT_TO_POINTER (FALSE), test_parent_and_children);
  g_test_add_data_func ("/Pykka/Parent/children-stopped-first/failure", GINT_TO_POINTER (TRUE), test_parent_and_children);
  g_test_add_func ("/Pykka/Parent/told-of-child-death", test_parent_told_of_child_death);

  return g_test_run ();
}
