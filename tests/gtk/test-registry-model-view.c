/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A GtkListView that shows a PykkaRegistryModel (issue 13.4): a row per
 * running actor, labelled with its urn, that follows starts and stops.
 * Iterates the main context until the rows on screen are the expected
 * ones (failing after a deadline), then exits. Run under xvfb-run by the
 * test suite; exits 77 (skipped) when no display can be opened. */

#include <gtk/gtk.h>
#include <pykka-glib/pykka.h>

#define TIMEOUT_USEC (60 * G_USEC_PER_SEC)
#define N_ACTORS     6

#define TEST_TYPE_ROW_ACTOR (test_row_actor_get_type ())
G_DECLARE_FINAL_TYPE (TestRowActor, test_row_actor, TEST, ROW_ACTOR, PykkaActor)

struct _TestRowActor
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (TestRowActor, test_row_actor, PYKKA_TYPE_ACTOR)

static void
test_row_actor_class_init (TestRowActorClass *klass)
{
}

static void
test_row_actor_init (TestRowActor *self)
{
}

static GThread *main_thread;

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  data)
{
  gtk_list_item_set_child (item, gtk_label_new (NULL));
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         gpointer                  data)
{
  PykkaActorRef *ref = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), pykka_actor_ref_get_urn (ref));
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  if (g_thread_self () != main_thread)
    g_error ("items-changed outside the model's thread");
}

/* The texts of the labels the list view shows, sorted. */
static void
collect_labels (GtkWidget *widget,
                GPtrArray *texts)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      if (GTK_IS_LABEL (child))
        {
          const char *text = gtk_label_get_text (GTK_LABEL (child));

          if (text != NULL && *text != '\0')
            g_ptr_array_add (texts, (gpointer) text);
        }
      collect_labels (child, texts);
    }
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

/* Whether the view's model lists @expected (refs in start order) and the
 * view shows exactly their urns. */
static gboolean
view_shows (GtkListView *view,
            GList       *expected)
{
  GListModel *shown = G_LIST_MODEL (gtk_list_view_get_model (view));
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(GPtrArray) urns = g_ptr_array_new ();
  guint i = 0;

  if (g_list_model_get_n_items (shown) != g_list_length (expected))
    return FALSE;
  for (GList *l = expected; l != NULL; l = l->next, i++)
    {
      g_autoptr(PykkaActorRef) item = g_list_model_get_item (shown, i);

      if (item != l->data)
        return FALSE;
      g_ptr_array_add (urns, (gpointer) pykka_actor_ref_get_urn (l->data));
    }

  collect_labels (GTK_WIDGET (view), texts);
  if (texts->len != urns->len)
    return FALSE;
  g_ptr_array_sort (texts, compare_strings);
  g_ptr_array_sort (urns, compare_strings);
  for (i = 0; i < urns->len; i++)
    if (strcmp (texts->pdata[i], urns->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
iterate_until_shown (GtkListView *view,
                     GList       *expected,
                     const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_USEC;

  while (!view_shows (view, expected))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("FAIL: the list view never showed %s\n", what);
          return FALSE;
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_print ("ok: the list view shows %s (%u rows)\n", what, g_list_length (expected));
  return TRUE;
}

static PykkaActorRef *
start_row_actor (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (TEST_TYPE_ROW_ACTOR, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  if (ref == NULL)
    g_error ("%s", error->message);
  return ref;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PykkaRegistryModel) model = NULL;
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GError) error = NULL;
  g_autolist(PykkaActorRef) expected = NULL;
  PykkaActorRef *refs[N_ACTORS] = { NULL };
  GtkWidget *window, *scrolled, *view;
  gboolean ok;

  main_thread = g_thread_self ();
  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display could be opened (run under xvfb-run)\n");
      return 77;
    }

  for (guint i = 0; i < N_ACTORS / 2; i++)
    refs[i] = start_row_actor ();

  model = pykka_registry_model_new (TEST_TYPE_ROW_ACTOR);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), NULL);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  view = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (model)))),
                            g_object_ref (factory));

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 360);
  gtk_window_set_title (GTK_WINDOW (window), "pykka-glib: running actors");
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_present (GTK_WINDOW (window));

  /* The actors running when the model was made. */
  expected = pykka_registry_get_by_type (TEST_TYPE_ROW_ACTOR);
  ok = iterate_until_shown (GTK_LIST_VIEW (view), expected, "the first actors");

  /* More start while the window is up. */
  for (guint i = N_ACTORS / 2; ok && i < N_ACTORS; i++)
    refs[i] = start_row_actor ();
  if (ok)
    {
      g_list_free_full (g_steal_pointer (&expected), g_object_unref);
      expected = pykka_registry_get_by_type (TEST_TYPE_ROW_ACTOR);
      ok = g_list_length (expected) == N_ACTORS &&
           iterate_until_shown (GTK_LIST_VIEW (view), expected, "the started actors");
    }

  /* Two stop, without waiting: the rows go once they are dead. */
  if (ok)
    {
      g_autoptr(PykkaFuture) a = pykka_actor_ref_stop (refs[1]);
      g_autoptr(PykkaFuture) b = pykka_actor_ref_stop (refs[4]);

      g_list_free_full (g_steal_pointer (&expected), g_object_unref);
      for (guint i = 0; i < N_ACTORS; i++)
        if (i != 1 && i != 4)
          expected = g_list_append (expected, g_object_ref (refs[i]));
      ok = iterate_until_shown (GTK_LIST_VIEW (view), expected, "the actors left after two stopped");
    }

  gtk_window_destroy (GTK_WINDOW (window));
  if (!pykka_registry_stop_all (10000, &error))
    g_error ("%s", error->message);
  if (ok)
    {
      g_list_free_full (g_steal_pointer (&expected), g_object_unref);
      /* The model follows the last stops too. */
      for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_USEC;
           g_list_model_get_n_items (G_LIST_MODEL (model)) != 0 && g_get_monotonic_time () < deadline;)
        if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
      ok = g_list_model_get_n_items (G_LIST_MODEL (model)) == 0;
      if (!ok)
        g_printerr ("FAIL: the model still lists actors after stop_all\n");
    }
  for (guint i = 0; i < N_ACTORS; i++)
    g_clear_object (&refs[i]);
  return ok ? 0 : 1;
}
