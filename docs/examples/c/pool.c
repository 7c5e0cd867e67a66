/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pool.c: a pool of two workers on threads of their own behind a
 * round-robin router; a worker that fails is restarted. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_SQUARER (my_squarer_get_type ())
G_DECLARE_FINAL_TYPE (MySquarer, my_squarer, MY, SQUARER, PykkaActor)

struct _MySquarer
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MySquarer, my_squarer, PYKKA_TYPE_ACTOR)

static gboolean
my_squarer_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  gint n = g_value_get_int (message);

  g_value_set_int (g_value_init (reply, G_TYPE_INT), n * n);
  return TRUE;
}

static void
my_squarer_class_init (MySquarerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_squarer_on_receive;
}

static void
my_squarer_init (MySquarer *self)
{
}

/* Each worker, on a thread of its own. */
static PykkaActor *
make_worker (gpointer user_data)
{
  return g_object_new (MY_TYPE_SQUARER, "use-own-thread", TRUE, NULL);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaActorRef) pool = NULL;
  PykkaFuture *squares[10];

  pool = pykka_router_start_pool (PYKKA_ROUTER_ROUND_ROBIN, 2, make_worker, NULL, NULL, &error);
  if (pool == NULL)
    g_error ("%s", error->message);
  for (gint i = 0; i < 10; i++)
    {
      GValue n = G_VALUE_INIT;

      g_value_set_int (g_value_init (&n, G_TYPE_INT), i);
      squares[i] = pykka_actor_ref_ask (pool, &n);
    }
  for (gint i = 0; i < 10; i++)
    {
      const GValue *value = pykka_future_get (squares[i], 5000, &error);

      if (value == NULL)
        g_error ("%s", error->message);
      g_print ("%d ", g_value_get_int (value));  /* 0 1 4 9 16 25 36 49 64 81 */
      g_object_unref (squares[i]);
    }
  g_print ("\n");
  /* Stopping the router stops the pool. */
  pykka_actor_ref_stop_sync (pool, 5000, NULL);
  return 0;
}
