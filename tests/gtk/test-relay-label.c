/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A GtkLabel shows a property of an actor on its own thread through a
 * PykkaPropertyRelay (issue 13.6): the label is set only on the main
 * thread, and shows the actor's final value (an int, transformed into the
 * label's string). Run under xvfb-run by the test suite; exits 77
 * (skipped) when no display can be opened. Every wait has a deadline. */

#include <gtk/gtk.h>
#include <pykka-glib/pykka.h>

#define TIMEOUT_USEC (20 * G_USEC_PER_SEC)

#define TEST_TYPE_COUNTER (test_counter_get_type ())
G_DECLARE_FINAL_TYPE (TestCounter, test_counter, TEST, COUNTER, PykkaActor)

struct _TestCounter
{
  PykkaActor parent_instance;
  gint       count;
};

G_DEFINE_FINAL_TYPE (TestCounter, test_counter, PYKKA_TYPE_ACTOR)

static GThread *main_thread;
static gboolean label_set_elsewhere;

static void
test_counter_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  g_value_set_int (value, TEST_COUNTER (object)->count);
}

static void
test_counter_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  TEST_COUNTER (object)->count = g_value_get_int (value);
}

/* Told N: sets "count" N times, on the actor's thread; asked, replies
 * the count. */
static gboolean
test_counter_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  TestCounter *self = TEST_COUNTER (actor);
  gint n = g_value_get_int (message);

  g_assert_true (g_thread_self () != main_thread);
  for (gint i = 0; i < n; i++)
    g_object_set (self, "count", self->count + 1, NULL);
  g_value_set_int (g_value_init (reply, G_TYPE_INT), self->count);
  return TRUE;
}

static void
test_counter_class_init (TestCounterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_counter_get_property;
  object_class->set_property = test_counter_set_property;
  PYKKA_ACTOR_CLASS (klass)->on_receive = test_counter_on_receive;
  g_object_class_install_property (object_class, 1,
    g_param_spec_int ("count", NULL, NULL, 0, G_MAXINT, 0, G_PARAM_READWRITE));
}

static void
test_counter_init (TestCounter *self)
{
}

static void
label_notify_cb (GObject *label, GParamSpec *pspec, gpointer data)
{
  if (g_thread_self () != main_thread)
    label_set_elsewhere = TRUE;
}

static void
iterate_until_label (GtkLabel *label, const char *text)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_USEC;

  while (g_strcmp0 (gtk_label_get_text (label), text) != 0)
    {
      if (g_get_monotonic_time () > end)
        g_error ("the label shows “%s”, not “%s”", gtk_label_get_text (label), text);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (100);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(TestCounter) counter = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaPropertyRelay) relay = NULL;
  g_autoptr(PykkaFuture) answer = NULL;
  g_autoptr(GError) error = NULL;
  GValue n = G_VALUE_INIT;
  GtkWidget *window, *label;
  const GValue *final;
  g_autofree char *expected = NULL;

  main_thread = g_thread_self ();
  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }

  window = gtk_window_new ();
  label = gtk_label_new ("none");
  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (label, "notify::label", G_CALLBACK (label_notify_cb), NULL);

  counter = g_object_new (TEST_TYPE_COUNTER, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (PYKKA_ACTOR (counter), &error);
  g_assert_no_error (error);

  relay = pykka_property_relay_new (PYKKA_ACTOR (counter), "count", label, "label",
                                    G_BINDING_SYNC_CREATE, NULL);
  iterate_until_label (GTK_LABEL (label), "0");

  g_value_set_int (g_value_init (&n, G_TYPE_INT), 1000);
  answer = pykka_actor_ref_ask (ref, &n);
  final = pykka_future_get (answer, TIMEOUT_USEC / 1000, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%d", g_value_get_int (final));
  iterate_until_label (GTK_LABEL (label), expected);
  g_assert_false (label_set_elsewhere);
  g_print ("The label shows %s\n", gtk_label_get_text (GTK_LABEL (label)));

  g_clear_object (&relay);
  pykka_actor_ref_stop_sync (ref, TIMEOUT_USEC / 1000, &error);
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
