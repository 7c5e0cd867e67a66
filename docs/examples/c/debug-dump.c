/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* debug-dump.c: what every actor is doing, on demand and on SIGUSR1. */

#include <signal.h>

#include <pykka-glib/pykka.h>

#define MY_TYPE_IDLER (my_idler_get_type ())
G_DECLARE_FINAL_TYPE (MyIdler, my_idler, MY, IDLER, PykkaActor)

struct _MyIdler
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyIdler, my_idler, PYKKA_TYPE_ACTOR)

static gboolean
my_idler_on_receive (PykkaActor *actor, const GValue *message,
                     GValue *reply, GError **error)
{
  return TRUE;
}

static void
my_idler_class_init (MyIdlerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_idler_on_receive;
}

static void
my_idler_init (MyIdler *self)
{
}

static gboolean
quit_soon (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  g_autoptr(PykkaActor) idler = g_object_new (MY_TYPE_IDLER, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (idler, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  /* On demand, as a string: */
  g_autofree char *dump = pykka_debug_dump_actors ();
  g_print ("%s", dump);

  /* Or as a log message each time the process gets SIGUSR1, while the
   * default main context runs: kill -USR1 <pid> */
  guint handler = pykka_debug_install_signal_handler (SIGUSR1);

  raise (SIGUSR1);
  g_timeout_add (100, quit_soon, loop);
  g_main_loop_run (loop);

  g_source_remove (handler);
  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
