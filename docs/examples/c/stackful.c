/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* stackful.c: a C actor whose handlers run on a coroutine, so that a
 * blocking get suspends only this actor while the others of its context
 * keep running. */

#include <pykka-glib/pykka.h>

/* A plain actor: doubles the int it is asked. */
#define MY_TYPE_DOUBLER (my_doubler_get_type ())
G_DECLARE_FINAL_TYPE (MyDoubler, my_doubler, MY, DOUBLER, PykkaActor)

struct _MyDoubler
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyDoubler, my_doubler, PYKKA_TYPE_ACTOR)

static gboolean
my_doubler_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  g_value_set_int (g_value_init (reply, G_TYPE_INT), 2 * g_value_get_int (message));
  return TRUE;
}

static void
my_doubler_class_init (MyDoublerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_doubler_on_receive;
}

static void
my_doubler_init (MyDoubler *self)
{
}

/* A stackful actor: asks a doubler and waits for the answer in the
 * middle of its handler, written as straight-line code. */
#define MY_TYPE_SUMMER (my_summer_get_type ())
G_DECLARE_FINAL_TYPE (MySummer, my_summer, MY, SUMMER, PykkaActor)

struct _MySummer
{
  PykkaActor     parent_instance;
  PykkaActorRef *doubler;
};

G_DEFINE_FINAL_TYPE (MySummer, my_summer, PYKKA_TYPE_ACTOR)

static gboolean
my_summer_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  MySummer *self = MY_SUMMER (actor);
  g_autoptr(PykkaFuture) doubled = pykka_actor_ref_ask (self->doubler, message);
  const GValue *value;

  /* Suspends this actor only; the doubler runs meanwhile. */
  value = pykka_future_get (doubled, 5000, error);
  if (value == NULL)
    return FALSE;

  g_value_set_int (g_value_init (reply, G_TYPE_INT),
                   g_value_get_int (message) + g_value_get_int (value));
  return TRUE;
}

static void
my_summer_dispose (GObject *object)
{
  g_clear_object (&MY_SUMMER (object)->doubler);
  G_OBJECT_CLASS (my_summer_parent_class)->dispose (object);
}

static void
my_summer_class_init (MySummerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = my_summer_dispose;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_summer_on_receive;
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
my_summer_init (MySummer *self)
{
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GValue) reply = G_VALUE_INIT;
  g_auto(GValue) ten = G_VALUE_INIT;

  g_autoptr(PykkaActor) doubler = g_object_new (MY_TYPE_DOUBLER, NULL);
  g_autoptr(MySummer) summer = g_object_new (MY_TYPE_SUMMER, NULL);
  summer->doubler = pykka_actor_start (doubler, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (PYKKA_ACTOR (summer), NULL);

  g_value_set_int (g_value_init (&ten, G_TYPE_INT), 10);
  if (!pykka_actor_ref_ask_sync (ref, &ten, 5000, &reply, &error))
    g_error ("%s", error->message);
  g_print ("10 + 2 * 10 = %d\n", g_value_get_int (&reply));  /* 30 */

  pykka_registry_stop_all (5000, NULL);
  return 0;
}
