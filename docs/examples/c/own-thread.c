/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* own-thread.c: where actors run. One actor on the main context, one on
 * a thread of its own, one on a context that the application runs in a
 * thread it made itself. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_WHERE (my_where_get_type ())
G_DECLARE_FINAL_TYPE (MyWhere, my_where, MY, WHERE, PykkaActor)

struct _MyWhere
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyWhere, my_where, PYKKA_TYPE_ACTOR)

/* Replies with the name of the thread that runs the handler. */
static gboolean
my_where_on_receive (PykkaActor *actor, const GValue *message,
                     GValue *reply, GError **error)
{
  g_assert_true (g_main_context_is_owner (pykka_actor_get_context (actor)));
  g_value_init (reply, G_TYPE_STRING);
  g_value_set_string (reply, g_main_context_is_owner (g_main_context_default ())
                               ? "main thread" : "another thread");
  return TRUE;
}

static void
my_where_class_init (MyWhereClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_where_on_receive;
}

static void
my_where_init (MyWhere *self)
{
}

static void
ask_where (PykkaActorRef *ref, const char *label)
{
  g_auto(GValue) message = G_VALUE_INIT;
  g_auto(GValue) reply = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_value_set_int (g_value_init (&message, G_TYPE_INT), 0);
  if (!pykka_actor_ref_ask_sync (ref, &message, 5000, &reply, &error))
    g_error ("%s", error->message);
  g_print ("%s runs on the %s\n", label, g_value_get_string (&reply));
}

static gpointer
run_loop (gpointer data)
{
  GMainLoop *loop = data;
  GMainContext *context = g_main_loop_get_context (loop);

  /* Until this thread runs the context, a thread that waits for one of
   * its actors may be running it: pushing it needs it acquired first. */
  while (!g_main_context_acquire (context))
    g_usleep (100);
  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  g_main_context_release (context);
  return NULL;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  /* Actors of the main context below input and drawing, and never more
   * than 4 ms in a row. */
  pykka_context_set_priority (NULL, G_PRIORITY_DEFAULT_IDLE);
  pykka_context_set_time_budget (NULL, 4000);

  /* 1. The default: the thread-default context of the starting thread. */
  g_autoptr(PykkaActor) here = g_object_new (MY_TYPE_WHERE, NULL);
  g_autoptr(PykkaActorRef) here_ref = pykka_actor_start (here, NULL);
  ask_where (here_ref, "the default actor");  /* the get iterates the main context */

  /* 2. A thread, context and loop of its own, like Pykka's ThreadingActor. */
  g_autoptr(PykkaActor) own = g_object_new (MY_TYPE_WHERE, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) own_ref = pykka_actor_start (own, NULL);
  ask_where (own_ref, "the own-thread actor");  /* the get sleeps until the reply */

  /* 3. A context the application runs itself, in a thread it made. */
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  GThread *thread = g_thread_new ("my-worker", run_loop, loop);
  g_autoptr(PykkaActor) placed = g_object_new (MY_TYPE_WHERE, "context", context, NULL);
  g_autoptr(PykkaActorRef) placed_ref = pykka_actor_start (placed, NULL);
  ask_where (placed_ref, "the placed actor");

  pykka_registry_stop_all (5000, NULL);
  g_main_context_invoke (context, quit_loop, loop);
  g_thread_join (thread);
  return 0;
}
