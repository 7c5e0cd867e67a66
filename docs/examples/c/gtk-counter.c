/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* gtk-counter.c: a GTK application whose label shows the count of an
 * actor on a thread of its own. pykka_application_attach() stops the
 * actor when the application shuts down; a PykkaPropertyRelay sets the
 * label on the main thread. The application quits once the label shows
 * 100. Exits 77 when no display can be opened (the test suite runs it
 * under xvfb-run). */

#include <gtk/gtk.h>
#include <pykka-glib/pykka.h>

#define MY_TYPE_COUNTER (my_counter_get_type ())
G_DECLARE_FINAL_TYPE (MyCounter, my_counter, MY, COUNTER, PykkaActor)

struct _MyCounter
{
  PykkaActor parent_instance;
  gint       count;
};

G_DEFINE_FINAL_TYPE (MyCounter, my_counter, PYKKA_TYPE_ACTOR)

static void
my_counter_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  g_value_set_int (value, MY_COUNTER (object)->count);
}

static void
my_counter_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  MY_COUNTER (object)->count = g_value_get_int (value);
}

/* Told a number n, counts n steps: "count" changes, and notifies, on the
 * actor's thread. */
static gboolean
my_counter_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  MyCounter *self = MY_COUNTER (actor);

  for (gint i = 0; i < g_value_get_int (message); i++)
    g_object_set (self, "count", self->count + 1, NULL);
  return TRUE;
}

static void
my_counter_class_init (MyCounterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = my_counter_get_property;
  object_class->set_property = my_counter_set_property;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_counter_on_receive;
  g_object_class_install_property (object_class, 1,
    g_param_spec_int ("count", NULL, NULL, 0, G_MAXINT, 0, G_PARAM_READWRITE));
}

static void
my_counter_init (MyCounter *self)
{
}

static void
label_changed (GtkLabel *label, GParamSpec *pspec, GApplication *app)
{
  if (g_strcmp0 (gtk_label_get_text (label), "100") == 0)
    g_application_quit (app);
}

static void
on_activate (GApplication *app, gpointer user_data)
{
  g_autoptr(MyCounter) counter = g_object_new (MY_TYPE_COUNTER, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (PYKKA_ACTOR (counter), NULL);
  GtkWidget *window = gtk_application_window_new (GTK_APPLICATION (app));
  GtkWidget *label = gtk_label_new (NULL);
  PykkaPropertyRelay *relay;
  GValue steps = G_VALUE_INIT;

  gtk_window_set_child (GTK_WINDOW (window), label);
  g_signal_connect (label, "notify::label", G_CALLBACK (label_changed), app);
  gtk_window_present (GTK_WINDOW (window));

  // The label shows the actor's "count", set on the main thread.
  relay = pykka_property_relay_new (PYKKA_ACTOR (counter), "count", label, "label",
                                    G_BINDING_SYNC_CREATE, NULL);
  // The relay lives as long as the label.
  g_object_set_data_full (G_OBJECT (label), "count-relay", relay, g_object_unref);

  g_value_set_int (g_value_init (&steps, G_TYPE_INT), 100);
  pykka_actor_ref_tell (ref, &steps, NULL);
}

int
main (int argc, char **argv)
{
  if (!gtk_init_check ())
    return 77;  /* no display */

  g_autoptr(GtkApplication) app = gtk_application_new ("org.example.Counter", G_APPLICATION_NON_UNIQUE);
  // Held while actors run; at shutdown, stops them (newest first, 5 s each).
  pykka_application_attach (G_APPLICATION (app), 5000);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  int status = g_application_run (G_APPLICATION (app), argc, argv);

  g_assert_null (pykka_registry_get_all ());
  return status;
}
