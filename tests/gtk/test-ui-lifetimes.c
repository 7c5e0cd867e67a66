/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Widgets bound to actors that come and go (issue 18, session 5): a
 * window whose label a PykkaPropertyRelay feeds is destroyed while the
 * actor floods changes; a GtkListView's PykkaRegistryModel followed by a
 * mirror list while threads start and stop actors, then dropped (window
 * destroyed, model finalized) while they go on; a relay whose actor stops
 * and is finalized with a delivery still queued. GLib and GTK criticals
 * are fatal (GTK reports an inconsistent model with one). Run
 * under xvfb-run by the test suite; exits 77 (skipped) when no display
 * can be opened. Every wait has a deadline; nothing is timed. */

#include <gtk/gtk.h>
#include <pykka-glib/pykka.h>

#define TIMEOUT_USEC (60 * G_USEC_PER_SEC)

static GThread *main_thread;

/* ---- an actor with a property that floods ---- */

#define TEST_TYPE_COUNTER (test_counter_get_type ())
G_DECLARE_FINAL_TYPE (TestCounter, test_counter, TEST, COUNTER, PykkaActor)

struct _TestCounter
{
  PykkaActor parent_instance;
  gint       count;
};

G_DEFINE_FINAL_TYPE (TestCounter, test_counter, PYKKA_TYPE_ACTOR)

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

/* Told N: sets "count" N times on its own thread; replies the count. */
static gboolean
test_counter_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  TestCounter *self = TEST_COUNTER (actor);
  gint n = g_value_get_int (message);

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

static PykkaActorRef *
start_counter (TestCounter **counter)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref;

  *counter = g_object_new (TEST_TYPE_COUNTER, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (PYKKA_ACTOR (*counter), &error);
  g_assert_no_error (error);
  return ref;
}

static void
tell_int (PykkaActorRef *ref, gint n)
{
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_value_set_int (g_value_init (&v, G_TYPE_INT), n);
  g_assert_true (pykka_actor_ref_tell (ref, &v, &error));
  g_assert_no_error (error);
}

static gint
ask_int (PykkaActorRef *ref, gint n)
{
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  g_value_set_int (g_value_init (&v, G_TYPE_INT), n);
  future = pykka_actor_ref_ask (ref, &v);
  value = pykka_future_get (future, TIMEOUT_USEC / 1000, &error);
  g_assert_no_error (error);
  return g_value_get_int (value);
}

/* Iterates the main context a few times, without blocking. */
static void
spin (guint n)
{
  for (guint i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
label_notify_cb (GObject *label, GParamSpec *pspec, gpointer data)
{
  if (g_thread_self () != main_thread)
    g_error ("a label was set outside the main thread");
}

/* 1. The window goes while the actor floods the relay's label. */
static void
window_destroyed_during_flood (void)
{
  g_autoptr(TestCounter) counter = NULL;
  g_autoptr(PykkaActorRef) ref = start_counter (&counter);
  g_autoptr(GError) error = NULL;
  GtkWidget *label = NULL;

  for (guint round = 0; round < 20; round++)
    {
      GtkWidget *window = gtk_window_new ();
      PykkaPropertyRelay *relay;

      label = gtk_label_new ("none");
      g_signal_connect (label, "notify::label", G_CALLBACK (label_notify_cb), NULL);
      gtk_window_set_child (GTK_WINDOW (window), label);
      gtk_window_present (GTK_WINDOW (window));
      g_object_add_weak_pointer (G_OBJECT (label), (gpointer *) &label);
      relay = pykka_property_relay_new (PYKKA_ACTOR (counter), "count", label, "label",
                                        G_BINDING_SYNC_CREATE, NULL);
      /* As the guide does: the relay lives as long as the label. */
      g_object_set_data_full (G_OBJECT (label), "count-relay", relay, g_object_unref);

      tell_int (ref, 2000);
      spin (round % 5);
      gtk_window_destroy (GTK_WINDOW (window));
      spin (3);
      g_assert_null (label);
    }
  /* Every change was handled; deliveries still queued find no label. */
  g_assert_cmpint (ask_int (ref, 0), ==, 20 * 2000);
  spin (50);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TIMEOUT_USEC / 1000, &error));
  g_assert_no_error (error);
}

/* 2. A relay's actor stops and is finalized with deliveries queued: the
 * label keeps the last value, the relay can be dropped later. */
static void
actor_finalized_with_delivery_queued (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = gtk_label_new ("none");
  g_autoptr(GError) error = NULL;
  TestCounter *counter = NULL;
  PykkaActorRef *ref = start_counter (&counter);
  PykkaPropertyRelay *relay;
  gint64 end = g_get_monotonic_time () + TIMEOUT_USEC;
  g_autofree char *expected = NULL;
  gint last;

  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
  relay = pykka_property_relay_new (PYKKA_ACTOR (counter), "count", label, "label", 0, NULL);
  g_object_add_weak_pointer (G_OBJECT (counter), (gpointer *) &counter);

  last = ask_int (ref, 500);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TIMEOUT_USEC / 1000, &error));
  g_assert_no_error (error);
  g_object_unref (ref);
  g_object_unref (counter);
  /* The actor's thread drops its references as it ends. */
  while (counter != NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      spin (1);
      g_usleep (100);
    }

  expected = g_strdup_printf ("%d", last);
  while (g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), expected) != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      spin (1);
      g_usleep (100);
    }
  g_object_unref (relay);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (5);
}

/* ---- a list view over the registry while threads churn ---- */

#define TEST_TYPE_ROW (test_row_get_type ())
G_DECLARE_FINAL_TYPE (TestRow, test_row, TEST, ROW, PykkaActor)

struct _TestRow
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (TestRow, test_row, PYKKA_TYPE_ACTOR)

static void
test_row_class_init (TestRowClass *klass)
{
}

static void
test_row_init (TestRow *self)
{
}

typedef struct
{
  gint  stop;       /* atomic */
  guint n_started;  /* atomic */
} Churn;

/* Starts actors on threads of their own and on this thread's context,
 * stops and kills them, until told to stop; leaves none behind. */
static gpointer
churn_thread (gpointer data)
{
  Churn *churn = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  guint i = 0;

  g_main_context_push_thread_default (context);
  while (!g_atomic_int_get (&churn->stop))
    {
      g_autoptr(TestRow) row = g_object_new (TEST_TYPE_ROW, "use-own-thread", i % 3 == 0, NULL);
      g_autoptr(GError) error = NULL;
      PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (row), &error);

      g_assert_no_error (error);
      g_ptr_array_add (refs, ref);
      g_atomic_int_inc (&churn->n_started);
      if (refs->len > 6)
        {
          PykkaActorRef *victim = g_ptr_array_steal_index (refs, (i * 7) % refs->len);

          if (i % 4 == 0)
            pykka_actor_ref_kill (victim);
          else
            g_object_unref (pykka_actor_ref_stop (victim));
          g_object_unref (victim);
        }
      g_main_context_iteration (context, FALSE);
      i++;
    }
  for (guint k = 0; k < refs->len; k++)
    {
      g_autoptr(GError) error = NULL;

      pykka_actor_ref_stop_sync (refs->pdata[k], TIMEOUT_USEC / 1000, &error);
      g_assert_no_error (error);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* A copy of the model kept up to date by items-changed alone: if the
 * model's signals lie, the copy drifts from it. */
static void
mirror_cb (GListModel *model,
           guint       position,
           guint       removed,
           guint       added,
           gpointer    data)
{
  GPtrArray *mirror = data;

  if (g_thread_self () != main_thread)
    g_error ("items-changed outside the model's thread");
  g_assert_cmpuint (position + removed, <=, mirror->len);
  g_ptr_array_remove_range (mirror, position, removed);
  for (guint a = 0; a < added; a++)
    g_ptr_array_insert (mirror, position + a, g_list_model_get_item (model, position + a));
  g_assert_cmpuint (mirror->len, ==, g_list_model_get_n_items (model));
}

static void
setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gtk_list_item_set_child (item, gtk_label_new (NULL));
}

static void
bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  PykkaActorRef *ref = gtk_list_item_get_item (item);

  /* A dead actor's ref still answers (the row may show it a moment). */
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), pykka_actor_ref_get_urn (ref));
}

static void
model_under_churn (void)
{
  Churn churn = { 0, 0 };
  GThread *threads[2];
  PykkaRegistryModel *model = pykka_registry_model_new (TEST_TYPE_ROW);
  g_autoptr(GPtrArray) mirror = g_ptr_array_new_with_free_func (g_object_unref);
  GtkWidget *window = gtk_window_new ();
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *view, *scrolled;
  gint64 end = g_get_monotonic_time () + TIMEOUT_USEC;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  g_signal_connect (model, "items-changed", G_CALLBACK (mirror_cb), mirror);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    g_ptr_array_add (mirror, g_list_model_get_item (G_LIST_MODEL (model), i));
  view = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (g_object_ref (model)))),
                            factory);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_set_default_size (GTK_WINDOW (window), 300, 400);
  gtk_window_present (GTK_WINDOW (window));

  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("churn", churn_thread, &churn);

  /* Rows come and go; the items read while actors die stay valid refs,
   * and the mirror matches the model after every update. */
  while ((guint) g_atomic_int_get (&churn.n_started) < 400)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(PykkaActorRef) ref = g_list_model_get_item (G_LIST_MODEL (model), i);

          g_assert_true (PYKKA_IS_ACTOR_REF (ref));
          g_assert_true (ref == mirror->pdata[i]);
          (void) pykka_actor_ref_is_alive (ref);
        }
      spin (1);
    }

  /* The window and the model go while the threads churn on. */
  g_signal_handlers_disconnect_by_func (model, mirror_cb, mirror);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (model), (gpointer *) &model);
  g_object_unref (model);
  spin (10);
  g_assert_null (model);
  {
    guint until = g_atomic_int_get (&churn.n_started) + 100;

    while ((guint) g_atomic_int_get (&churn.n_started) < until)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        spin (1);
      }
  }
  g_atomic_int_set (&churn.stop, TRUE);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  spin (10);
  g_print ("%u actors started and stopped under the list view\n", g_atomic_int_get (&churn.n_started));
}

int
main (int argc, char **argv)
{
  main_thread = g_thread_self ();
  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  /* After the init, which may warn about a missing session bus. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);

  window_destroyed_during_flood ();
  g_print ("window destroyed during a flood: ok\n");
  actor_finalized_with_delivery_queued ();
  g_print ("actor finalized with a delivery queued: ok\n");
  model_under_churn ();
  g_print ("model under churn: ok\n");
  return 0;
}
