/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* PykkaPropertyRelay (issue 13.6): an own-thread actor's property mirrored
 * onto an object of the main thread. Every wait has a deadline
 * (TEST_TIMEOUT_MSEC); no timing is asserted. */

#include "config.h"

#include "test-util.h"

/* The actor: told N > 0, sets "count" N times (count + 1 each time);
 * asked 0, replies its count; asked -1, replies whether anything still
 * listens to notify::count. */
#define COUNTER_TYPE_ACTOR (counter_actor_get_type ())
G_DECLARE_FINAL_TYPE (CounterActor, counter_actor, COUNTER, ACTOR, PykkaActor)

struct _CounterActor
{
  PykkaActor parent_instance;
  gint       count;
};

G_DEFINE_FINAL_TYPE (CounterActor, counter_actor, PYKKA_TYPE_ACTOR)

enum { COUNTER_PROP_COUNT = 1 };
static GParamSpec *counter_count_pspec;

static void
counter_actor_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  g_value_set_int (value, COUNTER_ACTOR (object)->count);
}

static void
counter_actor_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  COUNTER_ACTOR (object)->count = g_value_get_int (value);
}

static gboolean
counter_actor_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  CounterActor *self = COUNTER_ACTOR (actor);
  gint n = g_value_get_int (message);

  if (n > 0)
    for (gint i = 0; i < n; i++)
      g_object_set (self, "count", self->count + 1, NULL);
  else if (n == 0)
    g_value_set_int (g_value_init (reply, G_TYPE_INT), self->count);
  else
    g_value_set_boolean (g_value_init (reply, G_TYPE_BOOLEAN),
                         g_signal_has_handler_pending (self, g_signal_lookup ("notify", G_TYPE_OBJECT),
                                                       g_quark_from_static_string ("count"), FALSE));
  return TRUE;
}

static void
counter_actor_class_init (CounterActorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = counter_actor_get_property;
  object_class->set_property = counter_actor_set_property;
  PYKKA_ACTOR_CLASS (klass)->on_receive = counter_actor_on_receive;
  counter_count_pspec = g_param_spec_int ("count", NULL, NULL, 0, G_MAXINT, 0, G_PARAM_READWRITE);
  g_object_class_install_property (object_class, COUNTER_PROP_COUNT, counter_count_pspec);
}

static void
counter_actor_init (CounterActor *self)
{
}

/* The mirror: a plain object of the main thread that records every value
 * set and the thread that set it. */
#define TYPE_MIRROR (mirror_get_type ())
G_DECLARE_FINAL_TYPE (Mirror, mirror, TEST, MIRROR, GObject)

struct _Mirror
{
  GObject  parent_instance;
  gint     value;
  GArray  *values;
  gboolean wrong_thread;
};

G_DEFINE_FINAL_TYPE (Mirror, mirror, G_TYPE_OBJECT)

static GThread *main_thread;

static void
mirror_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  g_value_set_int (value, TEST_MIRROR (object)->value);
}

static void
mirror_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  Mirror *self = TEST_MIRROR (object);

  if (g_thread_self () != main_thread)
    self->wrong_thread = TRUE;
  self->value = g_value_get_int (value);
  g_array_append_val (self->values, self->value);
}

static void
mirror_finalize (GObject *object)
{
  g_array_unref (TEST_MIRROR (object)->values);
  G_OBJECT_CLASS (mirror_parent_class)->finalize (object);
}

static void
mirror_class_init (MirrorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = mirror_get_property;
  object_class->set_property = mirror_set_property;
  object_class->finalize = mirror_finalize;
  g_object_class_install_property (object_class, 1,
    g_param_spec_int ("value", NULL, NULL, -1, G_MAXINT, -1, G_PARAM_READWRITE));
}

static void
mirror_init (Mirror *self)
{
  self->value = -1;
  self->values = g_array_new (FALSE, FALSE, sizeof (gint));
}

static CounterActor *
new_counter (PykkaActorRef **ref)
{
  CounterActor *actor = g_object_new (COUNTER_TYPE_ACTOR, "use-own-thread", TRUE, NULL);
  g_autoptr(GError) error = NULL;

  *ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  return actor;
}

static gboolean
ask_bool (PykkaActorRef *ref, gint n)
{
  g_autoptr(PykkaFuture) future = test_ask_int (ref, n);
  g_autoptr(GError) error = NULL;
  const GValue *v = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);

  g_assert_no_error (error);
  return g_value_get_boolean (v);
}

static gint
ask_count (PykkaActorRef *ref)
{
  g_autoptr(PykkaFuture) future = test_ask_int (ref, 0);

  return test_get_int (future);
}

/* Runs what the main context has ready. */
static void
drain (void)
{
  for (guint i = 0; i < 100000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Waits (with a deadline) until the actor has no notify::count handler. */
static void
wait_disconnected (PykkaActorRef *ref)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  while (ask_bool (ref, -1))
    {
      if (g_get_monotonic_time () > end)
        g_error ("the relay's handler is still connected");
      drain ();
      g_usleep (1000);
    }
}

static void
test_flood (void)
{
  PykkaActorRef *ref;
  g_autoptr(CounterActor) actor = new_counter (&ref);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  g_autoptr(PykkaPropertyRelay) relay = NULL;
  g_autoptr(GError) error = NULL;
  gint final;

  g_test_summary ("An own-thread actor's handler sets its property 1000 times, then 1000 handlers "
                  "once each: the mirror is set only on the main thread, first with the value at "
                  "creation (SYNC_CREATE), then with increasing values (the newest when the main "
                  "context falls behind), the last of which is the actor's final value");

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value",
                                    G_BINDING_SYNC_CREATE, NULL);
  g_assert_nonnull (relay);
  test_iterate_until (NULL, mirror->value == 0);

  /* One handler sets it 1000 times, then 1000 handlers once each while
   * the main context runs. */
  test_tell_int (ref, 1000);
  for (gint i = 0; i < 1000; i++)
    {
      test_tell_int (ref, 1);
      g_main_context_iteration (NULL, FALSE);
    }
  final = ask_count (ref);
  g_assert_cmpint (final, ==, 2000);
  test_iterate_until (NULL, mirror->value == final);
  drain ();

  g_assert_false (mirror->wrong_thread);
  g_assert_cmpint (g_array_index (mirror->values, gint, 0), ==, 0);
  for (guint i = 1; i < mirror->values->len; i++)
    g_assert_cmpint (g_array_index (mirror->values, gint, i - 1), <, g_array_index (mirror->values, gint, i));
  g_assert_cmpint (mirror->value, ==, final);
  g_test_message ("%u values delivered for 2000 changes", mirror->values->len - 1);

  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_object_unref (ref);
}

static void
test_relay_dropped_in_flight (void)
{
  PykkaActorRef *ref;
  g_autoptr(CounterActor) actor = new_counter (&ref);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  PykkaPropertyRelay *relay;
  g_autoptr(GError) error = NULL;
  guint seen;

  g_test_summary ("The relay is dropped while the actor sets its property: nothing is set on the "
                  "mirror afterwards, even values already queued, and the actor loses the handler");

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value", G_BINDING_DEFAULT, NULL);
  g_object_add_weak_pointer (G_OBJECT (relay), (gpointer *) &relay);
  test_tell_int (ref, 1000);
  drain ();
  g_object_unref (relay);
  g_assert_null (relay);
  seen = mirror->values->len;

  g_assert_cmpint (ask_count (ref), ==, 1000);
  drain ();
  g_assert_cmpuint (mirror->values->len, ==, seen);
  wait_disconnected (ref);
  test_tell_int (ref, 10);
  g_assert_cmpint (ask_count (ref), ==, 1010);
  drain ();
  g_assert_cmpuint (mirror->values->len, ==, seen);
  g_assert_false (mirror->wrong_thread);

  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_object_unref (ref);
}

static gint actor_finalized;  /* atomic */

static void
actor_finalized_cb (gpointer data, GObject *where)
{
  g_atomic_int_set (&actor_finalized, 1);
}

static void
test_actor_stopped_first (void)
{
  PykkaActorRef *ref;
  CounterActor *actor = new_counter (&ref);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  PykkaPropertyRelay *relay;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The actor stops and is finalized while the relay lives (the relay holds no "
                  "reference to it): the mirror keeps the last value; unbinding later is harmless");

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value", G_BINDING_DEFAULT, NULL);
  test_tell_int (ref, 10);
  g_assert_cmpint (ask_count (ref), ==, 10);
  test_iterate_until (NULL, mirror->value == 10);

  g_atomic_int_set (&actor_finalized, 0);
  g_object_weak_ref (G_OBJECT (actor), actor_finalized_cb, NULL);
  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_object_unref (actor);
  test_iterate_until (NULL, g_atomic_int_get (&actor_finalized));
  drain ();
  g_assert_cmpint (mirror->value, ==, 10);

  g_object_add_weak_pointer (G_OBJECT (relay), (gpointer *) &relay);
  pykka_property_relay_unbind (relay);
  pykka_property_relay_unbind (relay);
  g_object_unref (relay);
  g_assert_null (relay);
  drain ();
  g_assert_false (mirror->wrong_thread);
  g_object_unref (ref);
}

static void
test_target_finalized_first (void)
{
  PykkaActorRef *ref;
  g_autoptr(CounterActor) actor = new_counter (&ref);
  Mirror *mirror = g_object_new (TYPE_MIRROR, NULL);
  g_autoptr(PykkaPropertyRelay) relay = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The mirror is finalized while values are on their way: nothing is delivered "
                  "to it, the actor loses the handler, the relay can still be unbound");

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value", G_BINDING_DEFAULT, NULL);
  test_tell_int (ref, 1000);
  drain ();
  g_object_add_weak_pointer (G_OBJECT (mirror), (gpointer *) &mirror);
  g_object_unref (mirror);
  g_assert_null (mirror);

  g_assert_cmpint (ask_count (ref), ==, 1000);
  drain ();
  wait_disconnected (ref);
  pykka_property_relay_unbind (relay);

  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_object_unref (ref);
}

static void
test_not_started (void)
{
  g_autoptr(CounterActor) actor = g_object_new (COUNTER_TYPE_ACTOR, "use-own-thread", TRUE, "count", 5, NULL);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  g_autoptr(PykkaPropertyRelay) relay = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A relay on an actor not started yet reads its first value at once, delivers "
                  "in the main context, and relays the values set once the actor runs");

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value", G_BINDING_SYNC_CREATE, NULL);
  g_assert_cmpint (mirror->value, ==, -1);
  test_iterate_until (NULL, mirror->value == 5);

  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  test_tell_int (ref, 3);
  test_iterate_until (NULL, mirror->value == 8);
  g_assert_false (mirror->wrong_thread);

  g_clear_object (&relay);
  wait_disconnected (ref);
  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
}

static void
test_bad_arguments (void)
{
  g_autoptr(CounterActor) actor = g_object_new (COUNTER_TYPE_ACTOR, NULL);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  GObject *plain = g_object_new (G_TYPE_OBJECT, NULL);

  g_test_summary ("Unknown properties, a type that does not transform and unsupported flags "
                  "are refused with a critical");

  if (g_test_subprocess ())
    {
      g_assert_null (pykka_property_relay_new (PYKKA_ACTOR (actor), "nope", mirror, "value", 0, NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*no readable property*nope*");

  g_test_expect_message ("Pykka", G_LOG_LEVEL_CRITICAL, "*no writable property*nope*");
  g_assert_null (pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "nope", 0, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Pykka", G_LOG_LEVEL_CRITICAL, "*cannot be set as*");
  g_assert_null (pykka_property_relay_new (PYKKA_ACTOR (actor), "context", mirror, "value", 0, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Pykka", G_LOG_LEVEL_CRITICAL, "*flags*");
  g_assert_null (pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value",
                                           G_BINDING_BIDIRECTIONAL, NULL));
  g_test_assert_expected_messages ();
  g_object_unref (plain);
}

static void
test_sync_create_after_stop (void)
{
  PykkaActorRef *ref;
  g_autoptr(CounterActor) actor = new_counter (&ref);
  g_autoptr(Mirror) mirror = g_object_new (TYPE_MIRROR, NULL);
  g_autoptr(PykkaPropertyRelay) relay = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A relay with SYNC_CREATE made for an own-thread actor that has stopped (its "
                  "thread and context are gone): the mirror gets the actor's last value");

  test_tell_int (ref, 7);
  g_assert_cmpint (ask_count (ref), ==, 7);
  pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);

  relay = pykka_property_relay_new (PYKKA_ACTOR (actor), "count", mirror, "value", G_BINDING_SYNC_CREATE, NULL);
  test_iterate_until (NULL, mirror->value == 7);
  g_assert_false (mirror->wrong_thread);
  g_object_unref (ref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/Pykka/Relay/flood", test_flood);
  g_test_add_func ("/Pykka/Relay/relay-dropped-in-flight", test_relay_dropped_in_flight);
  g_test_add_func ("/Pykka/Relay/actor-stopped-first", test_actor_stopped_first);
  g_test_add_func ("/Pykka/Relay/target-finalized-first", test_target_finalized_first);
  g_test_add_func ("/Pykka/Relay/not-started", test_not_started);
  g_test_add_func ("/Pykka/Relay/bad-arguments", test_bad_arguments);
  g_test_add_func ("/Pykka/Relay/sync-create-after-stop", test_sync_create_after_stop);

  return g_test_run ();
}
