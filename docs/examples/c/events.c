/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* events.c: an actor on a thread of its own raises an event that the
 * main thread waits for, blocking and then asynchronously. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_LOADER (my_loader_get_type ())
G_DECLARE_FINAL_TYPE (MyLoader, my_loader, MY, LOADER, PykkaActor)

struct _MyLoader
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyLoader, my_loader, PYKKA_TYPE_ACTOR)

/* The message is the event to raise once the work is done. */
static gboolean
my_loader_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  PykkaEvent *done = g_value_get_object (message);

  /* ... load something ... */
  pykka_event_set (done);
  return TRUE;
}

static void
my_loader_class_init (MyLoaderClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_loader_on_receive;
}

static void
my_loader_init (MyLoader *self)
{
}

static void
on_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  if (pykka_event_wait_finish (PYKKA_EVENT (source), result, NULL))
    g_print ("ready again\n");
  g_main_loop_quit (user_data);
}

int
main (void)
{
  g_autoptr(PykkaActor) loader = g_object_new (MY_TYPE_LOADER, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (loader, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_auto(GValue) message = G_VALUE_INIT;

  g_autoptr(PykkaEvent) ready = pykka_event_new ();
  g_value_set_object (g_value_init (&message, PYKKA_TYPE_EVENT), ready);
  pykka_actor_ref_tell (ref, &message, NULL);
  if (!pykka_event_wait (ready, 5000))
    g_error ("Not ready after 5 s");
  g_print ("ready\n");

  /* Lower the flag and wait again, this time without blocking. */
  pykka_event_clear (ready);
  pykka_event_wait_async (ready, NULL, on_ready, loop);
  pykka_actor_ref_tell (ref, &message, NULL);
  g_main_loop_run (loop);

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
