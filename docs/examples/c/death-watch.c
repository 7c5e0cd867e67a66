/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* death-watch.c: a watcher actor is told, in its mailbox, when the actors
 * it watches die, and why; plain code waits on a ref's terminated future;
 * kill stops an actor without waiting for its queue. */

#include <pykka-glib/pykka.h>

/* A worker that fails on the string "crash". */
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
  if (G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), "crash") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crashed on purpose");
      return FALSE;
    }
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

/* A monitor that prints the deaths it is told of. */
#define MY_TYPE_MONITOR (my_monitor_get_type ())
G_DECLARE_FINAL_TYPE (MyMonitor, my_monitor, MY, MONITOR, PykkaActor)

struct _MyMonitor
{
  PykkaActor parent_instance;
  guint      deaths;
};

G_DEFINE_FINAL_TYPE (MyMonitor, my_monitor, PYKKA_TYPE_ACTOR)

static gboolean
my_monitor_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    {
      PykkaTerminated *terminated = g_value_get_boxed (message);
      const GError *reason = pykka_terminated_get_reason (terminated);

      g_print ("%s died: %s\n", pykka_actor_ref_get_urn (pykka_terminated_get_actor_ref (terminated)),
               reason != NULL ? reason->message : "stopped");
      MY_MONITOR (actor)->deaths++;
    }
  else if (G_VALUE_HOLDS (message, PYKKA_TYPE_ACTOR_REF))
    /* Watch the actor whose ref we are given. */
    pykka_actor_watch (actor, g_value_get_object (message));
  else
    g_value_set_uint (g_value_init (reply, G_TYPE_UINT), MY_MONITOR (actor)->deaths);
  return TRUE;
}

static void
my_monitor_class_init (MyMonitorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_monitor_on_receive;
}

static void
my_monitor_init (MyMonitor *self)
{
}

static PykkaActorRef *
start (GType type)
{
  g_autoptr(PykkaActor) actor = g_object_new (type, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  if (ref == NULL)
    g_error ("%s", error->message);
  return ref;
}

static void
tell_ref (PykkaActorRef *ref, PykkaActorRef *watched)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, PYKKA_TYPE_ACTOR_REF);
  g_value_set_object (&value, watched);
  if (!pykka_actor_ref_tell (ref, &value, NULL))
    g_error ("the monitor is dead");
  g_value_unset (&value);
}

int
main (void)
{
  g_autoptr(PykkaActorRef) monitor = start (MY_TYPE_MONITOR);
  g_autoptr(PykkaActorRef) stopped = start (MY_TYPE_WORKER);
  g_autoptr(PykkaActorRef) crashed = start (MY_TYPE_WORKER);
  g_autoptr(PykkaActorRef) killed = start (MY_TYPE_WORKER);
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autoptr(PykkaFuture) deaths = NULL;
  g_autoptr(GError) error = NULL;
  GValue crash = G_VALUE_INIT;

  tell_ref (monitor, stopped);
  tell_ref (monitor, crashed);
  tell_ref (monitor, killed);

  /* Plain code watches with a future. */
  terminated = pykka_actor_ref_get_terminated (crashed);

  pykka_actor_ref_stop_sync (stopped, 5000, NULL);
  g_value_set_static_string (g_value_init (&crash, G_TYPE_STRING), "crash");
  pykka_actor_ref_tell (crashed, &crash, NULL);
  // Kill: no waiting for what is queued; on_stop runs, queued asks fail.
  pykka_actor_ref_kill (killed);

  if (pykka_future_get (terminated, 5000, &error) == NULL)
    g_error ("%s", error->message);
  g_print ("the crash was seen by plain code too\n");

  /* The monitor is told three times, once each: ask until it was. */
  for (guint i = 0; i < 5000; i++)
    {
      g_clear_object (&deaths);
      deaths = pykka_actor_ref_ask (monitor, &crash);
      if (g_value_get_uint (pykka_future_get (deaths, 5000, NULL)) == 3)
        break;
      g_usleep (1000);
    }
  if (g_value_get_uint (pykka_future_get (deaths, 0, NULL)) != 3)
    g_error ("the monitor was not told of every death");
  g_print ("deaths: 3\n");
  g_value_unset (&crash);

  if (!pykka_registry_stop_all (5000, &error))
    g_error ("%s", error->message);
  return 0;
}
