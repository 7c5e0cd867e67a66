/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* supervisor.c: a supervisor restarts a failed worker behind the same
 * ref; what is sent meanwhile reaches the new instance. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_WORKER (my_worker_get_type ())
G_DECLARE_FINAL_TYPE (MyWorker, my_worker, MY, WORKER, PykkaActor)

struct _MyWorker
{
  PykkaActor parent_instance;
  guint      instance;
};

G_DEFINE_FINAL_TYPE (MyWorker, my_worker, PYKKA_TYPE_ACTOR)

static guint instances;

static gboolean
my_worker_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  if (G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), "crash") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crashed on purpose");
      return FALSE;
    }
  g_value_set_uint (g_value_init (reply, G_TYPE_UINT), MY_WORKER (actor)->instance);
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
  self->instance = ++instances;
}

/* Makes each instance of the child: the first, and one per restart. */
static PykkaActor *
make_worker (gpointer user_data)
{
  return g_object_new (MY_TYPE_WORKER, NULL);
}

static guint
ask_instance (PykkaActorRef *worker)
{
  g_autoptr(PykkaFuture) answer = NULL;
  g_autoptr(GError) error = NULL;
  GValue who = G_VALUE_INIT;
  const GValue *value;

  g_value_set_static_string (g_value_init (&who, G_TYPE_STRING), "who");
  answer = pykka_actor_ref_ask (worker, &who);
  g_value_unset (&who);
  value = pykka_future_get (answer, 5000, &error);
  if (value == NULL)
    g_error ("%s", error->message);
  return g_value_get_uint (value);
}

int
main (void)
{
  g_autoptr(PykkaSupervisor) supervisor = pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, 3, 5000);
  g_autoptr(PykkaActorRef) supervisor_ref = NULL;
  g_autoptr(PykkaActorRef) worker = NULL;
  g_autoptr(GError) error = NULL;
  GValue crash = G_VALUE_INIT;

  supervisor_ref = pykka_actor_start (PYKKA_ACTOR (supervisor), &error);
  worker = pykka_supervisor_start_child (supervisor, make_worker, NULL, NULL, &error);
  if (worker == NULL)
    g_error ("%s", error->message);
  g_print ("%u\n", ask_instance (worker));  /* 1 */

  g_value_set_static_string (g_value_init (&crash, G_TYPE_STRING), "crash");
  pykka_actor_ref_tell (worker, &crash, NULL);
  g_value_unset (&crash);
  g_print ("%u\n", ask_instance (worker));  /* 2: the same ref, a new instance */

  /* Stopping the supervisor stops its children first. */
  pykka_actor_ref_stop_sync (supervisor_ref, 5000, NULL);
  if (pykka_actor_ref_is_alive (worker))
    g_error ("the worker outlived its supervisor");
  return 0;
}
