/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* deadlock.c: two plain actors that ask each other and block. The second
 * blocking get could never finish, so it fails at once with
 * PYKKA_ERROR_DEADLOCK instead of hanging. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_PEER (my_peer_get_type ())
G_DECLARE_FINAL_TYPE (MyPeer, my_peer, MY, PEER, PykkaActor)

struct _MyPeer
{
  PykkaActor     parent_instance;
  PykkaActorRef *other;  /* (nullable) */
};

G_DEFINE_FINAL_TYPE (MyPeer, my_peer, PYKKA_TYPE_ACTOR)

/* Asks the other peer, if any, and waits for it: a blocking get inside a
 * handler that is not stackful. */
static gboolean
my_peer_on_receive (PykkaActor *actor, const GValue *message,
                    GValue *reply, GError **error)
{
  MyPeer *self = MY_PEER (actor);
  g_autoptr(PykkaFuture) answer = NULL;
  const GValue *value;

  if (self->other == NULL)
    return TRUE;
  answer = pykka_actor_ref_ask (self->other, message);
  value = pykka_future_get (answer, 5000, error);
  if (value == NULL)
    return FALSE;
  g_value_init (reply, G_VALUE_TYPE (value));
  g_value_copy (value, reply);
  return TRUE;
}

static void
my_peer_dispose (GObject *object)
{
  g_clear_object (&MY_PEER (object)->other);
  G_OBJECT_CLASS (my_peer_parent_class)->dispose (object);
}

static void
my_peer_class_init (MyPeerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = my_peer_dispose;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_peer_on_receive;
}

static void
my_peer_init (MyPeer *self)
{
}

int
main (void)
{
  g_autoptr(MyPeer) a = g_object_new (MY_TYPE_PEER, NULL);
  g_autoptr(MyPeer) b = g_object_new (MY_TYPE_PEER, NULL);
  g_autoptr(PykkaActorRef) a_ref = pykka_actor_start (PYKKA_ACTOR (a), NULL);
  g_autoptr(PykkaActorRef) b_ref = pykka_actor_start (PYKKA_ACTOR (b), NULL);
  g_auto(GValue) message = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  /* A asks B, B asks A back: A is busy in the handler that waits for B. */
  a->other = g_object_ref (b_ref);
  b->other = g_object_ref (a_ref);

  g_value_set_int (g_value_init (&message, G_TYPE_INT), 1);
  if (pykka_actor_ref_ask_sync (a_ref, &message, 5000, NULL, &error) ||
      !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_DEADLOCK))
    g_error ("Expected a deadlock error");
  g_print ("%s\n", error->message);

  g_clear_object (&a->other);  /* break the cycle of references */
  g_clear_object (&b->other);
  pykka_registry_stop_all (5000, NULL);
  return 0;
}
