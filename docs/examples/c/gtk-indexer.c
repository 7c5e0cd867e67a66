/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* gtk-indexer.c: a GTK file indexer. A worker actor on a thread of its own
 * walks a directory and hands the files it finds, name and size, in
 * batches to a view actor in the main context, which owns the GListStore
 * that a GtkListView shows, and the progress bar. Start asks the worker
 * with a GCancellable, which Cancel cancels; the worker checks it at every
 * file. pykka_application_attach() stops the actors at shutdown, newest
 * first: the view first, whose on_stop cancels the work in progress.
 *
 *     gtk-indexer [DIRECTORY]       index DIRECTORY (default /usr/share/doc)
 *     gtk-indexer --self-test       index 200 files of a temporary
 *                                   directory to the end, again with
 *                                   Cancel pressed midway, then a third
 *                                   time, quitting midway
 *
 * With PYKKA_SCREENSHOT set, the self-test writes a PNG of the window
 * there once Cancel has stopped the second run. Exits 77 when no display
 * can be opened (the test suite runs it under xvfb-run). */

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <pykka-glib/pykka.h>

#define BATCH_SIZE 20

/* One indexed file: made on the worker's thread, never changed after, and
 * shown on the main thread. */
#define MY_TYPE_FILE (my_file_get_type ())
G_DECLARE_FINAL_TYPE (MyFile, my_file, MY, FILE, GObject)

struct _MyFile
{
  GObject  parent_instance;
  char    *name;
  guint64  size;
};

G_DEFINE_FINAL_TYPE (MyFile, my_file, G_TYPE_OBJECT)

static void
my_file_finalize (GObject *object)
{
  g_free (MY_FILE (object)->name);
  G_OBJECT_CLASS (my_file_parent_class)->finalize (object);
}

static void
my_file_class_init (MyFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = my_file_finalize;
}

static void
my_file_init (MyFile *self)
{
}

static MyFile *
my_file_new (const char *name, guint64 size)
{
  MyFile *file = g_object_new (MY_TYPE_FILE, NULL);

  file->name = g_strdup (name);
  file->size = size;
  return file;
}

/* The worker: on a thread of its own. Told the view's ref first; then
 * each ask with a directory indexes it, and answers how many files it
 * handed to the view. */
#define MY_TYPE_INDEXER (my_indexer_get_type ())
G_DECLARE_FINAL_TYPE (MyIndexer, my_indexer, MY, INDEXER, PykkaActor)

struct _MyIndexer
{
  PykkaActor     parent_instance;
  PykkaActorRef *view;
};

G_DEFINE_FINAL_TYPE (MyIndexer, my_indexer, PYKKA_TYPE_ACTOR)

/* The regular files under @dir, as paths relative to @root. */
static void
collect_files (const char *root, const char *relative, GPtrArray *paths,
               GCancellable *cancellable)
{
  g_autofree char *dir_path = g_build_filename (root, relative, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL &&
         !g_cancellable_is_cancelled (cancellable))
    {
      g_autofree char *child = g_build_filename (relative, name, NULL);
      g_autofree char *path = g_build_filename (root, child, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files (root, child, paths, cancellable);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (paths, g_steal_pointer (&child));
    }
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* Hands a batch to the view, which takes it, and waits until the view has
 * added it, so that a fast walk never floods the main thread. */
static gboolean
send_batch (MyIndexer *self, GPtrArray *batch, GError **error)
{
  g_autoptr(PykkaFuture) taken = NULL;
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_PTR_ARRAY);
  g_value_take_boxed (&message, batch);
  taken = pykka_actor_ref_ask (self->view, &message);
  g_value_unset (&message);
  return pykka_future_get (taken, -1, error) != NULL;
}

static gboolean
my_indexer_index (MyIndexer *self, const char *root, GValue *reply, GError **error)
{
  // The ask's cancellable: Cancel in the window cancels it.
  GCancellable *cancellable = pykka_actor_get_current_cancellable (PYKKA_ACTOR (self));
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *batch = NULL;
  GValue total = G_VALUE_INIT;
  guint sent = 0;

  collect_files (root, "", paths, cancellable);
  g_ptr_array_sort (paths, compare_paths);
  g_value_set_uint (g_value_init (&total, G_TYPE_UINT), paths->len);
  pykka_actor_ref_tell (self->view, &total, NULL);

  for (guint i = 0; i < paths->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      g_autofree char *path = g_build_filename (root, paths->pdata[i], NULL);
      GStatBuf st;

      if (g_stat (path, &st) != 0)
        continue;
      if (batch == NULL)
        batch = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (batch, my_file_new (paths->pdata[i], st.st_size));
      if (batch->len == BATCH_SIZE || i + 1 == paths->len)
        {
          sent += batch->len;
          if (!send_batch (self, g_steal_pointer (&batch), error))
            return FALSE;
        }
    }

  g_clear_pointer (&batch, g_ptr_array_unref);  /* cancelled midway */
  g_value_set_uint (g_value_init (reply, G_TYPE_UINT), sent);
  return TRUE;
}

static gboolean
my_indexer_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  MyIndexer *self = MY_INDEXER (actor);

  if (G_VALUE_HOLDS (message, PYKKA_TYPE_ACTOR_REF))
    {
      g_set_object (&self->view, g_value_get_object (message));
      return TRUE;
    }
  return my_indexer_index (self, g_value_get_string (message), reply, error);
}

static void
my_indexer_dispose (GObject *object)
{
  g_clear_object (&MY_INDEXER (object)->view);
  G_OBJECT_CLASS (my_indexer_parent_class)->dispose (object);
}

static void
my_indexer_class_init (MyIndexerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = my_indexer_dispose;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_indexer_on_receive;
}

static void
my_indexer_init (MyIndexer *self)
{
}

/* The view: an actor of the main context, so its handlers run on the main
 * thread, as the signal handlers of its widgets do; it alone changes the
 * list and the progress bar. */
#define MY_TYPE_VIEW (my_view_get_type ())
G_DECLARE_FINAL_TYPE (MyView, my_view, MY, VIEW, PykkaActor)

struct _MyView
{
  PykkaActor      parent_instance;
  PykkaActorRef  *indexer;
  char           *directory;
  GListStore     *files;
  GtkProgressBar *progress;
  GtkButton      *button;
  GCancellable   *cancellable;  /* of the run in progress, or NULL */
  guint           total;
  guint           last_sent;    /* the worker's answer for the last run */
  gboolean        last_cancelled;
};

G_DEFINE_FINAL_TYPE (MyView, my_view, PYKKA_TYPE_ACTOR)

static void
my_view_show_progress (MyView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->files));
  g_autofree char *text = NULL;

  if (self->cancellable == NULL && self->last_cancelled)
    text = g_strdup_printf ("Cancelled: %u of %u files", n, self->total);
  else
    text = g_strdup_printf ("%u of %u files", n, self->total);
  gtk_progress_bar_set_text (self->progress, text);
  gtk_progress_bar_set_fraction (self->progress, self->total ? (double) n / self->total : 0);
}

static gboolean
my_view_on_receive (PykkaActor *actor, const GValue *message,
                    GValue *reply, GError **error)
{
  MyView *self = MY_VIEW (actor);

  if (G_VALUE_HOLDS_UINT (message))
    self->total = g_value_get_uint (message);
  else
    {
      // A batch of files from the worker, added on the main thread.
      GPtrArray *batch = g_value_get_boxed (message);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->files));

      g_list_store_splice (self->files, n, 0, batch->pdata, batch->len);
    }
  my_view_show_progress (self);
  return TRUE;
}

/* Pressing Cancel while a run is in progress, or quitting: the worker
 * sees the cancellable at its next file. */
static gboolean
my_view_on_stop (PykkaActor *actor, GError **error)
{
  MyView *self = MY_VIEW (actor);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static void
my_view_dispose (GObject *object)
{
  MyView *self = MY_VIEW (object);

  g_clear_object (&self->indexer);
  g_clear_object (&self->files);
  g_clear_object (&self->progress);
  g_clear_object (&self->button);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->directory, g_free);
  G_OBJECT_CLASS (my_view_parent_class)->dispose (object);
}

static void
my_view_class_init (MyViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = my_view_dispose;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_view_on_receive;
  PYKKA_ACTOR_CLASS (klass)->on_stop = my_view_on_stop;
  g_signal_new ("run-finished", MY_TYPE_VIEW, G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
my_view_init (MyView *self)
{
  self->files = g_list_store_new (MY_TYPE_FILE);
}

/* The worker's answer to a run, on the main thread. */
static void
index_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(MyView) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *sent = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  self->last_sent = sent != NULL ? g_value_get_uint (sent) : 0;
  self->last_cancelled = g_cancellable_is_cancelled (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_button_set_label (self->button, "Start");
  my_view_show_progress (self);
  g_signal_emit_by_name (self, "run-finished");
}

static void
button_clicked (GtkButton *button, MyView *self)
{
  g_autoptr(PykkaFuture) done = NULL;
  GValue directory = G_VALUE_INIT;

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);  // Cancel
      return;
    }

  g_list_store_remove_all (self->files);
  self->total = 0;
  self->cancellable = g_cancellable_new ();
  gtk_button_set_label (button, "Cancel");
  my_view_show_progress (self);

  // Start: the worker indexes the directory on its own thread.
  g_value_set_string (g_value_init (&directory, G_TYPE_STRING), self->directory);
  done = pykka_actor_ref_ask_cancellable (self->indexer, &directory, self->cancellable);
  g_value_unset (&directory);
  pykka_future_get_async (done, NULL, index_done, g_object_ref (self));
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  MyFile *file = gtk_list_item_get_item (item);
  g_autofree char *size = g_format_size (file->size);
  g_autofree char *text = g_strdup_printf ("%s  (%s)", file->name, size);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

/* Closing the window quits, even midway: the actors hold the application
 * while they run. */
static gboolean
window_close_request (GtkWindow *window, GApplication *app)
{
  g_application_quit (app);
  return FALSE;
}

static MyView *
build_window (GtkApplication *app, const char *directory)
{
  g_autoptr(PykkaActor) indexer = g_object_new (MY_TYPE_INDEXER, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) indexer_ref = pykka_actor_start (indexer, NULL);
  MyView *view = g_object_new (MY_TYPE_VIEW, NULL);
  g_autoptr(PykkaActorRef) view_ref = NULL;
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *list;
  GValue ref = G_VALUE_INIT;

  view->directory = g_strdup (directory);
  view->indexer = g_object_ref (indexer_ref);
  view->progress = g_object_ref (GTK_PROGRESS_BAR (gtk_progress_bar_new ()));
  view->button = g_object_ref (GTK_BUTTON (gtk_button_new_with_label ("Start")));
  gtk_progress_bar_set_show_text (view->progress, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (view->progress), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (view->progress), GTK_ALIGN_CENTER);
  g_signal_connect (view->button, "clicked", G_CALLBACK (button_clicked), view);

  // The list shows the view's store, which only the view changes.
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (view->files)))),
                            factory);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_widget_set_vexpand (scrolled, TRUE);

  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (view->progress));
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (view->button));
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_title (GTK_WINDOW (window), "File indexer");
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 360);
  g_object_set_data_full (G_OBJECT (window), "view", view, g_object_unref);
  g_signal_connect (window, "close-request", G_CALLBACK (window_close_request), app);

  // Started after the worker, so stopped before it at shutdown.
  view_ref = pykka_actor_start (PYKKA_ACTOR (view), NULL);
  g_value_init (&ref, PYKKA_TYPE_ACTOR_REF);
  g_value_set_object (&ref, view_ref);
  pykka_actor_ref_tell (indexer_ref, &ref, NULL);
  g_value_unset (&ref);

  gtk_window_present (GTK_WINDOW (window));
  return view;
}

/* The self-test: three runs over a temporary directory of 200 files. */
typedef struct
{
  GApplication *app;
  MyView       *view;
  GtkWidget    *window;
  char         *directory;
  guint         n_files;
  guint         run;        /* 1: to the end, 2: Cancel midway, 3: quit midway */
  guint         ticks;
} SelfTest;

static char *
make_test_directory (guint *n_files)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("gtk-indexer-XXXXXX", &error);

  g_assert_no_error (error);
  *n_files = 0;
  for (guint d = 0; d < 10; d++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/dir-%02u", root, d);

      g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
      for (guint f = 0; f < 20; f++)
        {
          g_autofree char *path = g_strdup_printf ("%s/note-%03u.txt", dir, d * 20 + f);
          g_autofree char *text = g_strnfill (37 * (d * 20 + f), 'x');

          g_assert_true (g_file_set_contents (path, text, -1, NULL));
          (*n_files)++;
        }
    }
  return root;
}

static void
remove_test_directory (const char *root)
{
  for (guint d = 0; d < 10; d++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/dir-%02u", root, d);

      for (guint f = 0; f < 20; f++)
        {
          g_autofree char *path = g_strdup_printf ("%s/note-%03u.txt", dir, d * 20 + f);

          g_remove (path);
        }
      g_rmdir (dir);
    }
  g_rmdir (root);
}

static void
save_screenshot (GtkWidget *widget, const char *path)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, path))
    g_printerr ("Could not write %s\n", path);
  else
    g_print ("# screenshot written to %s\n", path);
}

static void
press_button (SelfTest *t)
{
  g_signal_emit_by_name (t->view->button, "clicked");
}

/* Two frames after the Cancel, the window is laid out and drawn. */
static gboolean
screenshot_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  SelfTest *t = user_data;

  if (++t->ticks < 3)
    return G_SOURCE_CONTINUE;
  if (g_getenv ("PYKKA_SCREENSHOT") != NULL)
    save_screenshot (t->window, g_getenv ("PYKKA_SCREENSHOT"));
  t->run = 3;
  g_print ("# run 3: quitting midway\n");
  press_button (t);
  return G_SOURCE_REMOVE;
}

static void
self_test_items_changed (GListModel *files, guint position, guint removed,
                         guint added, SelfTest *t)
{
  guint n = g_list_model_get_n_items (files);

  /* Midway through a batch handler of the view: the worker waits for its
   * answer, so it sees the Cancel (or the quit) before the next batch. */
  if (t->run == 2 && n >= t->n_files / 4 && t->view->cancellable != NULL &&
      !g_cancellable_is_cancelled (t->view->cancellable))
    press_button (t);
  else if (t->run == 3 && n >= t->n_files / 4)
    g_application_quit (t->app);
}

static void
self_test_run_finished (MyView *view, SelfTest *t)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (view->files));

  g_print ("# run %u: %u files indexed of %u, %s\n", t->run, n, view->total,
           view->last_cancelled ? "cancelled" : "finished");
  g_assert_cmpuint (n, ==, view->last_sent);
  if (t->run == 1)
    {
      g_assert_false (view->last_cancelled);
      g_assert_cmpuint (n, ==, t->n_files);
      g_assert_cmpuint (view->total, ==, t->n_files);
      t->run = 2;
      g_print ("# run 2: pressing Cancel midway\n");
      press_button (t);
    }
  else if (t->run == 2)
    {
      g_assert_true (view->last_cancelled);
      g_assert_cmpuint (n, <, t->n_files);
      g_assert_cmpuint (n, >=, t->n_files / 4);
      gtk_widget_add_tick_callback (t->window, screenshot_tick, t, NULL);
    }
  else
    {
      /* Run 3 ends at the shutdown: the view's on_stop cancelled it. */
      g_assert_true (view->last_cancelled);
      g_assert_cmpuint (n, <, t->n_files);
    }
}

static void
on_activate (GApplication *app, gpointer user_data)
{
  SelfTest *t = user_data;
  const char *directory = g_object_get_data (G_OBJECT (app), "directory");
  MyView *view = build_window (GTK_APPLICATION (app), directory);

  if (t == NULL)
    return;
  t->app = app;
  t->view = g_object_ref (view);
  t->window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_signal_connect (view->files, "items-changed", G_CALLBACK (self_test_items_changed), t);
  g_signal_connect (view, "run-finished", G_CALLBACK (self_test_run_finished), t);
  t->run = 1;
  g_print ("# run 1: indexing %u files to the end\n", t->n_files);
  press_button (t);
}

int
main (int argc, char **argv)
{
  gboolean self_test = argc > 1 && g_str_equal (argv[1], "--self-test");
  SelfTest t = { 0 };
  g_autofree char *directory = NULL;
  int status;

  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display could be opened (run under xvfb-run)\n");
      return 77;
    }

  if (self_test)
    directory = make_test_directory (&t.n_files);
  else
    directory = g_strdup (argc > 1 ? argv[1] : "/usr/share/doc");

  g_autoptr(GtkApplication) app = gtk_application_new ("org.example.Indexer", G_APPLICATION_NON_UNIQUE);
  // At shutdown, stops the actors newest first: the view, then the worker.
  pykka_application_attach (G_APPLICATION (app), 5000);
  g_object_set_data (G_OBJECT (app), "directory", directory);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), self_test ? &t : NULL);
  status = g_application_run (G_APPLICATION (app), 1, argv);

  // Every actor has stopped, even when the application quit midway.
  g_assert_null (pykka_registry_get_all ());
  if (self_test)
    {
      g_assert_cmpuint (t.run, ==, 3);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (t.view->files));
      gboolean cancelled = t.view->cancellable != NULL && g_cancellable_is_cancelled (t.view->cancellable);

      /* The view's on_stop cancelled run 3 at the shutdown, unless the
       * worker had finished before it: when the worker stops depends on
       * the timing, that it stops does not. */
      g_print ("# run 3: quit after %u of %u files, %s\n", n, t.n_files,
               cancelled ? "cancelled at shutdown" : "finished before the shutdown");
      g_assert_cmpuint (n, <=, t.n_files);
      g_clear_object (&t.view);
      remove_test_directory (directory);
      g_print ("# self-test passed\n");
    }
  return status;
}
