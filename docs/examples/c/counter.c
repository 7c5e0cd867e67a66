/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* counter.c: an actor that owns a count; tell, ask, and the lifecycle
 * from on_start to a dead actor. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_COUNTER (my_counter_get_type ())
G_DECLARE_FINAL_TYPE (MyCounter, my_counter, MY, COUNTER, PykkaActor)

struct _MyCounter
{
  PykkaActor parent_instance;
  int        count;  // only the actor touches it: no lock
};

G_DEFINE_FINAL_TYPE (MyCounter, my_counter, PYKKA_TYPE_ACTOR)

static gboolean
my_counter_on_start (PykkaActor *actor, GError **error)
{
  g_print ("started %s\n", pykka_actor_get_urn (actor));
  return TRUE;
}

static gboolean
my_counter_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  MyCounter *self = MY_COUNTER (actor);

  self->count += g_value_get_int (message);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, self->count);
  return TRUE;
}

static gboolean
my_counter_on_stop (PykkaActor *actor, GError **error)
{
  g_print ("stopped at %d\n", MY_COUNTER (actor)->count);
  return TRUE;
}

static void
my_counter_class_init (MyCounterClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  actor_class->on_start = my_counter_on_start;
  actor_class->on_receive = my_counter_on_receive;
  actor_class->on_stop = my_counter_on_stop;
}

static void
my_counter_init (MyCounter *self)
{
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GValue) one = G_VALUE_INIT;
  g_auto(GValue) reply = G_VALUE_INIT;

  g_autoptr(PykkaActor) actor = g_object_new (MY_TYPE_COUNTER, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (actor, &error);
  g_clear_object (&actor);  // the runtime keeps it alive until it stops

  g_value_set_int (g_value_init (&one, G_TYPE_INT), 1);
  pykka_actor_ref_tell (ref, &one, NULL);  // returns at once
  pykka_actor_ref_tell (ref, &one, NULL);
  if (!pykka_actor_ref_ask_sync (ref, &one, 5000, &reply, &error))
    g_error ("%s", error->message);
  g_print ("count: %d\n", g_value_get_int (&reply));  // count: 3

  // The stop is queued behind the messages sent before it.
  if (!pykka_actor_ref_stop_sync (ref, 5000, &error))
    g_error ("Not stopped: %s", error ? error->message : "already dead");

  // A dead actor refuses everything, at once.
  g_autoptr(PykkaFuture) late = pykka_actor_ref_ask (ref, &one);
  if (pykka_future_get (late, 0, &error) != NULL ||
      !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD))
    g_error ("A dead actor answered");
  g_print ("%s\n", error->message);
  return 0;
}
