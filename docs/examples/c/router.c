/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* router.c: a router hands each job to the next of its workers and
 * answers through a deferred reply, so that it takes the next job at
 * once: the three workers run three jobs at the same time. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_WORKER (my_worker_get_type ())
G_DECLARE_FINAL_TYPE (MyWorker, my_worker, MY, WORKER, PykkaActor)

struct _MyWorker
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyWorker, my_worker, PYKKA_TYPE_ACTOR)

static gboolean
my_worker_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  g_usleep (100 * 1000);  /* a job of 100 ms */
  g_value_set_int (g_value_init (reply, G_TYPE_INT), g_value_get_int (message) * 10);
  return TRUE;
}

static void
my_worker_class_init (MyWorkerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_worker_on_receive;
}

static void
my_worker_init (MyWorker *self)
{
}

#define MY_TYPE_ROUTER (my_router_get_type ())
G_DECLARE_FINAL_TYPE (MyRouter, my_router, MY, ROUTER, PykkaActor)

struct _MyRouter
{
  PykkaActor     parent_instance;
  PykkaActorRef *workers[3];
  guint          next;
};

G_DEFINE_FINAL_TYPE (MyRouter, my_router, PYKKA_TYPE_ACTOR)

/* The worker answered: so does the router, through the handle. */
static void
worker_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PykkaFuture) handle = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  if (value != NULL)
    pykka_future_set_value (handle, value, NULL);
  else
    pykka_future_set_error (handle, error, NULL);
}

static gboolean
my_router_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  MyRouter *self = MY_ROUTER (actor);
  PykkaActorRef *worker = self->workers[self->next++ % 3];
  g_autoptr(PykkaFuture) answer = NULL;
  PykkaFuture *handle;

  /* Take the reply as a handle: the router goes on with the next job. */
  handle = pykka_actor_defer_reply (actor, error);
  if (handle == NULL)
    return FALSE;
  answer = pykka_actor_ref_ask (worker, message);
  pykka_future_get_async (answer, NULL, worker_answered, handle);
  return TRUE;
}

static void
my_router_class_init (MyRouterClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_router_on_receive;
}

static void
my_router_init (MyRouter *self)
{
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaActor) worker = g_object_new (MY_TYPE_WORKER, "use-own-thread", TRUE, NULL);

      self->workers[i] = pykka_actor_start (worker, NULL);
    }
}

int
main (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (MY_TYPE_ROUTER, NULL);
  g_autoptr(PykkaActorRef) router = pykka_actor_start (actor, NULL);
  g_autoptr(GError) error = NULL;
  PykkaFuture *jobs[6];
  gint64 start = g_get_monotonic_time ();

  for (gint i = 0; i < 6; i++)
    {
      GValue job = G_VALUE_INIT;

      g_value_set_int (g_value_init (&job, G_TYPE_INT), i);
      jobs[i] = pykka_actor_ref_ask (router, &job);
    }
  for (gint i = 0; i < 6; i++)
    {
      const GValue *value = pykka_future_get (jobs[i], 5000, &error);

      if (value == NULL)
        g_error ("%s", error->message);
      g_print ("%d ", g_value_get_int (value));  /* 0 10 20 30 40 50 */
      g_object_unref (jobs[i]);
    }
  g_print ("\n");
  /* Three at a time: about 200 ms, not 600. */
  g_debug ("%" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - start) / 1000);

  if (!pykka_registry_stop_all (5000, &error))
    g_error ("%s", error->message);
  return 0;
}
