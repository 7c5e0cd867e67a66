/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* PykkaRegistryModel (issue 13.4): the registry as a live GListModel. */

#include "config.h"

#include "test-util.h"

/* An actor type unrelated to TestActor, for the filters. */
#define MODEL_TYPE_OTHER (model_other_get_type ())
G_DECLARE_FINAL_TYPE (ModelOther, model_other, MODEL, OTHER, PykkaActor)

struct _ModelOther
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (ModelOther, model_other, PYKKA_TYPE_ACTOR)

static void
model_other_class_init (ModelOtherClass *klass)
{
}

static void
model_other_init (ModelOther *self)
{
}

static PykkaActorRef *
start_other (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (MODEL_TYPE_OTHER, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  return ref;
}

static void
stop (PykkaActorRef *ref)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
}

/* Follows a model through its items-changed signals: the mirror is what
 * the signals say the model holds, checked against the model at every
 * signal, and every signal is checked to come from @thread. */
typedef struct
{
  GListModel *model;
  GPtrArray  *mirror;   /* PykkaActorRef*, owned */
  GThread    *thread;
  guint       emissions;
  guint       n_items_notifies;
  gboolean    forbid_other;  /* no ModelOther may ever be listed */
} Watch;

static void
check_mirror (Watch *w)
{
  g_assert_cmpuint (w->mirror->len, ==, g_list_model_get_n_items (w->model));
  for (guint i = 0; i < w->mirror->len; i++)
    {
      g_autoptr(PykkaActorRef) item = g_list_model_get_item (w->model, i);

      g_assert_true (item == w->mirror->pdata[i]);
    }
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *w)
{
  g_assert_true (g_thread_self () == w->thread);
  g_assert_true (model == w->model);
  g_assert_cmpuint (removed + added, >, 0);
  g_assert_cmpuint (position + removed, <=, w->mirror->len);
  g_ptr_array_remove_range (w->mirror, position, removed);
  for (guint a = 0; a < added; a++)
    {
      PykkaActorRef *item = g_list_model_get_item (model, position + a);

      g_assert_nonnull (item);
      if (w->forbid_other)
        g_assert_false (g_type_is_a (pykka_actor_ref_get_actor_type (item), MODEL_TYPE_OTHER));
      g_ptr_array_insert (w->mirror, position + a, item);
    }
  check_mirror (w);
  w->emissions++;
}

static void
on_n_items (GObject    *model,
            GParamSpec *pspec,
            Watch      *w)
{
  g_assert_true (g_thread_self () == w->thread);
  w->n_items_notifies++;
}

static void
watch_init (Watch      *w,
            GListModel *model)
{
  w->model = model;
  w->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  w->thread = g_thread_self ();
  w->emissions = 0;
  w->n_items_notifies = 0;
  w->forbid_other = FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (w->mirror, g_list_model_get_item (model, i));
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), w);
  g_signal_connect (model, "notify::n-items", G_CALLBACK (on_n_items), w);
}

static void
watch_clear (Watch *w)
{
  g_signal_handlers_disconnect_by_data (w->model, w);
  g_clear_pointer (&w->mirror, g_ptr_array_unref);
}

/* Whether @model lists exactly @refs (transfer full), in that order. */
static gboolean
model_is (GListModel *model,
          GList      *refs)
{
  guint n = g_list_model_get_n_items (model), i = 0;
  gboolean same = n == g_list_length (refs);

  for (GList *l = refs; same && l != NULL; l = l->next, i++)
    {
      g_autoptr(PykkaActorRef) item = g_list_model_get_item (model, i);

      same = item == l->data;
    }
  g_list_free_full (refs, g_object_unref);
  return same;
}

static void
test_start_order (void)
{
  PykkaActorRef *refs[5];
  g_autoptr(PykkaRegistryModel) model = NULL;
  Watch w;

  g_test_summary ("The model lists the actors running at its creation at once, then the ones that start, in start order; items are PykkaActorRefs");

  refs[0] = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  refs[1] = start_other ();
  refs[2] = test_start (TEST_TYPE_STACKFUL_ACTOR, test_echo, NULL, NULL);

  model = pykka_registry_model_new (G_TYPE_NONE);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == PYKKA_TYPE_ACTOR_REF);
  g_assert_true (pykka_registry_model_get_actor_type (model) == PYKKA_TYPE_ACTOR);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaActorRef) item = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_true (item == refs[i]);
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 3));

  watch_init (&w, G_LIST_MODEL (model));
  refs[3] = start_other ();
  refs[4] = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  /* Nothing changes before the model's context runs. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 5);
  for (guint i = 0; i < 5; i++)
    g_assert_true (w.mirror->pdata[i] == refs[i]);
  g_assert_true (model_is (G_LIST_MODEL (model), pykka_registry_get_all ()));
  g_assert_cmpuint (w.emissions, >=, 1);
  g_assert_cmpuint (w.n_items_notifies, >=, 1);
  {
    guint n = 0;

    g_object_get (model, "n-items", &n, NULL);
    g_assert_cmpuint (n, ==, 5);
  }

  test_stop_all ();
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 0);
  g_assert_cmpuint (w.mirror->len, ==, 0);
  watch_clear (&w);
  for (guint i = 0; i < 5; i++)
    g_object_unref (refs[i]);
}

static void
test_filter (void)
{
  PykkaActorRef *refs[6];
  g_autoptr(PykkaRegistryModel) base = NULL;
  g_autoptr(PykkaRegistryModel) sub = NULL;
  g_autoptr(PykkaRegistryModel) other = NULL;
  GType type = 0;
  Watch wb, ws;

  g_test_summary ("A model of a type lists the actors of the type and of its subtypes only, and never shows another type's actor even for a moment");

  base = pykka_registry_model_new (TEST_TYPE_ACTOR);
  sub = g_object_new (PYKKA_TYPE_REGISTRY_MODEL, "actor-type", TEST_TYPE_STACKFUL_ACTOR, NULL);
  other = pykka_registry_model_new (MODEL_TYPE_OTHER);
  g_object_get (sub, "actor-type", &type, NULL);
  g_assert_true (type == TEST_TYPE_STACKFUL_ACTOR);
  g_object_get (other, "item-type", &type, NULL);
  g_assert_true (type == PYKKA_TYPE_ACTOR_REF);
  watch_init (&wb, G_LIST_MODEL (base));
  watch_init (&ws, G_LIST_MODEL (sub));
  wb.forbid_other = ws.forbid_other = TRUE;

  refs[0] = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  refs[1] = start_other ();
  refs[2] = test_start (TEST_TYPE_STACKFUL_ACTOR, test_echo, NULL, NULL);
  refs[3] = start_other ();
  refs[4] = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  refs[5] = test_start (TEST_TYPE_STACKFUL_ACTOR, test_echo, NULL, NULL);

  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (base)) == 4 &&
                            g_list_model_get_n_items (G_LIST_MODEL (sub)) == 2 &&
                            g_list_model_get_n_items (G_LIST_MODEL (other)) == 2);
  g_assert_true (model_is (G_LIST_MODEL (base), pykka_registry_get_by_type (TEST_TYPE_ACTOR)));
  g_assert_true (model_is (G_LIST_MODEL (sub), pykka_registry_get_by_type (TEST_TYPE_STACKFUL_ACTOR)));
  g_assert_true (model_is (G_LIST_MODEL (other), pykka_registry_get_by_type (MODEL_TYPE_OTHER)));
  g_assert_true (wb.mirror->pdata[0] == refs[0] && wb.mirror->pdata[1] == refs[2] &&
                 wb.mirror->pdata[2] == refs[4] && wb.mirror->pdata[3] == refs[5]);
  g_assert_true (ws.mirror->pdata[0] == refs[2] && ws.mirror->pdata[1] == refs[5]);

  test_stop_all ();
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (base)) == 0 &&
                            g_list_model_get_n_items (G_LIST_MODEL (sub)) == 0 &&
                            g_list_model_get_n_items (G_LIST_MODEL (other)) == 0);
  watch_clear (&wb);
  watch_clear (&ws);
  for (guint i = 0; i < 6; i++)
    g_object_unref (refs[i]);
}

static void
test_stop_positions (void)
{
  PykkaActorRef *refs[12];
  g_autoptr(PykkaRegistryModel) model = NULL;
  Watch w;

  g_test_summary ("Stopped actors leave the model; the positions of items-changed describe every step (checked against a mirror)");

  for (guint i = 0; i < 12; i++)
    refs[i] = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  model = pykka_registry_model_new (TEST_TYPE_ACTOR);
  watch_init (&w, G_LIST_MODEL (model));

  /* One at a time: each is one removal at its place. */
  stop (refs[4]);
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 11);
  g_assert_cmpuint (w.mirror->len, ==, 11);
  g_assert_true (w.mirror->pdata[3] == refs[3] && w.mirror->pdata[4] == refs[5]);
  stop (refs[0]);
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 10);
  g_assert_true (w.mirror->pdata[0] == refs[1]);

  /* Several at once, far apart and close together, with a start. */
  stop (refs[1]);
  stop (refs[7]);
  stop (refs[11]);
  {
    PykkaActorRef *late = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);

    stop (refs[8]);
    test_iterate_until (NULL, model_is (G_LIST_MODEL (model), pykka_registry_get_by_type (TEST_TYPE_ACTOR)));
    g_assert_cmpuint (w.mirror->len, ==, 7);
    g_assert_true (w.mirror->pdata[6] == late);
    g_object_unref (late);
  }
  check_mirror (&w);

  test_stop_all ();
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 0);
  watch_clear (&w);
  for (guint i = 0; i < 12; i++)
    g_object_unref (refs[i]);
}

/* A thread whose context runs actors this thread starts and stops on
 * command, so that the model's thread sees their changes in one burst. */
typedef enum
{
  SIDE_START_60 = 1,
  SIDE_SCATTER,
  SIDE_CLOSE_PAIR,
  SIDE_QUIT,
} SideCommand;

typedef struct
{
  GAsyncQueue *in, *out;
  GPtrArray   *refs;   /* the side's actors, alive first */
} Side;

static void
side_stop_at (Side  *side,
              guint  index)
{
  stop (side->refs->pdata[index]);
  g_ptr_array_remove_index (side->refs, index);
}

static gpointer
side_thread (gpointer data)
{
  Side *side = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gpointer cmd;

  g_main_context_push_thread_default (context);
  side->refs = g_ptr_array_new_with_free_func (g_object_unref);
  do
    {
      cmd = g_async_queue_timeout_pop (side->in, TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND);
      g_assert_nonnull (cmd);
      switch (GPOINTER_TO_INT (cmd))
        {
        case SIDE_START_60:
          for (guint i = 0; i < 60; i++)
            g_ptr_array_add (side->refs, test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL));
          break;
        case SIDE_SCATTER:
          /* Highest first, so that indices are those of the 60. */
          side_stop_at (side, 59);
          side_stop_at (side, 40);
          side_stop_at (side, 21);
          side_stop_at (side, 20);
          side_stop_at (side, 2);
          g_ptr_array_add (side->refs, test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL));
          g_ptr_array_add (side->refs, test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL));
          break;
        case SIDE_CLOSE_PAIR:
          side_stop_at (side, 7);
          side_stop_at (side, 5);
          break;
        case SIDE_QUIT:
          while (side->refs->len > 0)
            side_stop_at (side, side->refs->len - 1);
          break;
        default:
          g_assert_not_reached ();
        }
      g_async_queue_push (side->out, cmd);
    }
  while (GPOINTER_TO_INT (cmd) != SIDE_QUIT);
  g_ptr_array_unref (side->refs);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
side_do (Side        *side,
         SideCommand  cmd)
{
  g_async_queue_push (side->in, GINT_TO_POINTER (cmd));
  g_assert_true (g_async_queue_timeout_pop (side->out, TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND) ==
                 GINT_TO_POINTER (cmd));
}

typedef struct
{
  guint position, removed, added;
} Change;

static void
record_change (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               GArray     *changes)
{
  Change c = { position, removed, added };

  g_array_append_val (changes, c);
}

static void
assert_changes (GArray      *changes,
                const Change *expected,
                guint        n)
{
  g_assert_cmpuint (changes->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      Change c = g_array_index (changes, Change, i);

      g_assert_cmpuint (c.position, ==, expected[i].position);
      g_assert_cmpuint (c.removed, ==, expected[i].removed);
      g_assert_cmpuint (c.added, ==, expected[i].added);
    }
  g_array_set_size (changes, 0);
}

static void
test_scattered (void)
{
  Side side = { g_async_queue_new (), g_async_queue_new (), NULL };
  g_autoptr(PykkaRegistryModel) model = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  GThread *thread = g_thread_new ("side", side_thread, &side);
  static const Change scatter[] = { { 2, 1, 0 }, { 19, 2, 0 }, { 37, 1, 0 }, { 55, 1, 2 } };
  static const Change close_pair[] = { { 5, 3, 1 } };
  Watch w;

  g_test_summary ("Stops far apart in one burst are one items-changed each, at their positions step by step; stops close together are one signal that replaces the rows between them");

  side_do (&side, SIDE_START_60);
  model = pykka_registry_model_new (G_TYPE_NONE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 60);
  watch_init (&w, G_LIST_MODEL (model));
  g_signal_connect (model, "items-changed", G_CALLBACK (record_change), changes);

  /* Removes rows 2, 20, 21, 40 and 59 of 60, and adds two at the end. */
  side_do (&side, SIDE_SCATTER);
  test_iterate_until (NULL, changes->len > 0);
  g_assert_true (model_is (G_LIST_MODEL (model), pykka_registry_get_all ()));
  assert_changes (changes, scatter, G_N_ELEMENTS (scatter));

  /* Removes rows 5 and 7: one signal, row 6 replaced by itself. */
  side_do (&side, SIDE_CLOSE_PAIR);
  test_iterate_until (NULL, changes->len > 0);
  g_assert_true (model_is (G_LIST_MODEL (model), pykka_registry_get_all ()));
  assert_changes (changes, close_pair, G_N_ELEMENTS (close_pair));
  check_mirror (&w);

  side_do (&side, SIDE_QUIT);
  g_thread_join (thread);
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 0);
  g_assert_cmpuint (changes->len, ==, 1);
  g_signal_handlers_disconnect_by_func (model, record_change, changes);
  watch_clear (&w);
  g_async_queue_unref (side.in);
  g_async_queue_unref (side.out);
}

/* Threads that start and stop actors on contexts of their own. */
#define N_WORKERS       4
#define ACTORS_PER_WORKER 40

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  gint          quit;     /* atomic */
} Worker;

static GMutex burst_mutex;
static GCond burst_cond;
static guint burst_done;  /* under burst_mutex */

static gpointer
burst_worker (gpointer data)
{
  Worker *wk = data;
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 deadline;

  g_main_context_push_thread_default (wk->context);
  for (guint i = 0; i < ACTORS_PER_WORKER; i++)
    {
      GType type = i % 3 == 0 ? TEST_TYPE_STACKFUL_ACTOR : TEST_TYPE_ACTOR;

      g_ptr_array_add (refs, test_start (type, test_echo, NULL, NULL));
      if (i % 4 == 1)
        g_ptr_array_add (refs, start_other ());
    }
  for (guint i = 0; i < refs->len; i += 2)
    stop (refs->pdata[i]);

  g_mutex_lock (&burst_mutex);
  burst_done++;
  g_cond_signal (&burst_cond);
  g_mutex_unlock (&burst_mutex);

  /* Keep the rest running until the main thread has looked. */
  deadline = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  while (!g_atomic_int_get (&wk->quit))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (wk->context, FALSE))
        g_usleep (100);
    }
  for (guint i = 1; i < refs->len; i += 2)
    stop (refs->pdata[i]);

  g_main_context_pop_thread_default (wk->context);
  return NULL;
}

static void
test_thread_burst (void)
{
  g_autoptr(PykkaRegistryModel) model = pykka_registry_model_new (TEST_TYPE_ACTOR);
  g_autoptr(PykkaRegistryModel) all = pykka_registry_model_new (G_TYPE_NONE);
  Worker workers[N_WORKERS];
  Watch w, wa;
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

  g_test_summary ("Starts and stops from several threads reach the model on its own thread only; a burst between two iterations is one update of few items-changed signals, after which the model equals the registry's list");

  watch_init (&w, G_LIST_MODEL (model));
  watch_init (&wa, G_LIST_MODEL (all));
  w.forbid_other = TRUE;
  burst_done = 0;
  for (guint i = 0; i < N_WORKERS; i++)
    {
      workers[i].context = g_main_context_new ();
      workers[i].quit = 0;
      workers[i].thread = g_thread_new ("burst", burst_worker, &workers[i]);
    }

  /* The burst: this thread does not iterate its context meanwhile. */
  g_mutex_lock (&burst_mutex);
  while (burst_done < N_WORKERS)
    if (!g_cond_wait_until (&burst_cond, &burst_mutex, deadline))
      g_error ("Timed out waiting for the workers' bursts");
  g_mutex_unlock (&burst_mutex);
  g_assert_cmpuint (w.emissions, ==, 0);

  test_iterate_until (NULL, model_is (G_LIST_MODEL (model), pykka_registry_get_by_type (TEST_TYPE_ACTOR)) &&
                            model_is (G_LIST_MODEL (all), pykka_registry_get_all ()));
  g_test_message ("%u starts and %u stops became %u items-changed (all actors: %u)",
                  N_WORKERS * (ACTORS_PER_WORKER + ACTORS_PER_WORKER / 4),
                  N_WORKERS * (ACTORS_PER_WORKER + ACTORS_PER_WORKER / 4) / 2,
                  w.emissions, wa.emissions);
  /* One update (the registry did not change since), of at most 8 signals. */
  g_assert_cmpuint (w.emissions, >=, 1);
  g_assert_cmpuint (w.emissions, <=, 8);
  g_assert_cmpuint (wa.emissions, <=, 8);
  g_assert_cmpuint (w.n_items_notifies, ==, 1);
  g_assert_cmpuint (w.mirror->len, ==, N_WORKERS * ACTORS_PER_WORKER / 2);

  /* The rest stop while this thread runs its context. */
  for (guint i = 0; i < N_WORKERS; i++)
    g_atomic_int_set (&workers[i].quit, 1);
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (all)) == 0);
  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_thread_join (workers[i].thread);
      g_main_context_unref (workers[i].context);
    }
  test_iterate_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (model)) == 0);
  g_assert_cmpuint (w.mirror->len, ==, 0);
  g_assert_null (pykka_registry_get_all ());
  watch_clear (&w);
  watch_clear (&wa);
}

/* A model on a worker's own context: signals come on the worker. */
typedef struct
{
  gint   started;   /* atomic: the model exists */
  gint   expected;  /* atomic: how many actors to wait for, -1 until set */
  guint  emissions;
  gboolean ok;
} OwnContext;

static gpointer
own_context_thread (gpointer data)
{
  OwnContext *oc = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaRegistryModel) model = NULL;
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  Watch w;

  g_main_context_push_thread_default (context);
  model = pykka_registry_model_new (MODEL_TYPE_OTHER);
  watch_init (&w, G_LIST_MODEL (model));
  g_atomic_int_set (&oc->started, 1);

  while (g_atomic_int_get (&oc->expected) < 0 ||
         g_list_model_get_n_items (G_LIST_MODEL (model)) != (guint) g_atomic_int_get (&oc->expected) ||
         !model_is (G_LIST_MODEL (model), pykka_registry_get_by_type (MODEL_TYPE_OTHER)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (100);
    }
  oc->emissions = w.emissions;
  oc->ok = TRUE;
  watch_clear (&w);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_own_context (void)
{
  OwnContext oc = { 0, -1, 0, FALSE };
  PykkaActorRef *refs[6];
  GThread *thread;
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

  g_test_summary ("A model made on a thread with a context of its own is updated on that thread only, for actors that start and stop on the main thread");

  thread = g_thread_new ("model", own_context_thread, &oc);
  while (!g_atomic_int_get (&oc.started))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100);
    }
  for (guint i = 0; i < 6; i++)
    refs[i] = start_other ();
  stop (refs[1]);
  stop (refs[4]);
  g_atomic_int_set (&oc.expected, 4);
  g_thread_join (thread);
  g_assert_true (oc.ok);
  g_assert_cmpuint (oc.emissions, >=, 1);

  test_stop_all ();
  for (guint i = 0; i < 6; i++)
    g_object_unref (refs[i]);
}

/* Models made and dropped while threads keep starting and stopping
 * actors: each is finalized when dropped, on this thread, on another
 * thread, or in its own signal handler, and none is touched after. */
#define N_CHURNERS 3
#define N_MODELS   300

static gint churn_quit;    /* atomic */
static gint finalized;     /* atomic */

static gpointer
churner (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 deadline = g_get_monotonic_time () + 4 * TEST_TIMEOUT_MSEC * 1000;
  guint n = 0;

  g_main_context_push_thread_default (context);
  while (!g_atomic_int_get (&churn_quit))
    {
      PykkaActorRef *a, *b;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      a = test_start (n % 2 ? TEST_TYPE_ACTOR : TEST_TYPE_STACKFUL_ACTOR, test_echo, NULL, NULL);
      b = start_other ();
      stop (a);
      stop (b);
      g_object_unref (a);
      g_object_unref (b);
      n++;
    }
  g_main_context_pop_thread_default (context);
  return GUINT_TO_POINTER (n);
}

static gpointer
dropper (gpointer data)
{
  GAsyncQueue *queue = data;
  gpointer model;

  /* NULL-terminated: the main thread pushes a sentinel last. */
  while ((model = g_async_queue_timeout_pop (queue, 4 * TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND)) != NULL &&
         model != (gpointer) queue)
    g_object_unref (model);
  g_assert_true (model == (gpointer) queue);
  return NULL;
}

static void
count_finalized (gpointer  data,
                 GObject  *where_the_object_was)
{
  if (data != NULL)
    g_atomic_int_set ((gint *) data, 1);
  g_atomic_int_inc (&finalized);
}

static void
drop_in_handler (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 gpointer    data)
{
  /* The last reference: the model is finalized after its signal. */
  g_signal_handlers_disconnect_by_func (model, drop_in_handler, data);
  g_object_unref (model);
}

static void
test_dropped (void)
{
  GThread *churners[N_CHURNERS];
  GThread *drop_thread;
  GAsyncQueue *queue = g_async_queue_new ();
  guint in_handler = 0, total = 0;

  g_test_summary ("Models dropped (on their thread, on another thread, in their own items-changed handler) while actors keep starting and stopping on other threads are finalized and never touched again");

  g_atomic_int_set (&churn_quit, 0);
  g_atomic_int_set (&finalized, 0);
  for (guint i = 0; i < N_CHURNERS; i++)
    churners[i] = g_thread_new ("churn", churner, NULL);
  drop_thread = g_thread_new ("dropper", dropper, queue);

  for (guint i = 0; i < N_MODELS; i++)
    {
      GType type = i % 3 == 0 ? G_TYPE_NONE : i % 3 == 1 ? TEST_TYPE_ACTOR : MODEL_TYPE_OTHER;
      PykkaRegistryModel *model = pykka_registry_model_new (type);
      gpointer weak = model;
      gint gone = 0;

      /* @gone lives as long as this round: only for a model that is
       * finalized within it. */
      g_object_weak_ref (G_OBJECT (model), count_finalized, i % 3 == 2 ? &gone : NULL);
      for (guint k = 0; k < i % 4; k++)
        g_main_context_iteration (NULL, FALSE);
      switch (i % 3)
        {
        case 0:
          g_object_add_weak_pointer (G_OBJECT (model), &weak);
          g_object_unref (model);
          g_assert_null (weak);
          break;
        case 1:
          g_async_queue_push (queue, model);
          break;
        default:
          {
            /* Dropped by its first items-changed; a churner makes one
             * soon. Waits no longer than the test's deadline. */
            gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

            g_signal_connect (model, "items-changed", G_CALLBACK (drop_in_handler), NULL);
            while (!g_atomic_int_get (&gone) && g_get_monotonic_time () < end)
              if (!g_main_context_iteration (NULL, FALSE))
                g_usleep (50);
            if (!g_atomic_int_get (&gone))
              {
                /* No change came in time (a stalled churner): drop it here. */
                g_signal_handlers_disconnect_by_func (model, drop_in_handler, NULL);
                g_object_unref (model);
              }
            else
              in_handler++;
          }
        }
      total++;
    }
  g_async_queue_push (queue, queue);
  g_thread_join (drop_thread);

  g_atomic_int_set (&churn_quit, 1);
  for (guint i = 0; i < N_CHURNERS; i++)
    g_test_message ("churner %u: %u rounds", i, GPOINTER_TO_UINT (g_thread_join (churners[i])));
  g_test_message ("%u models, %u dropped in their own handler", total, in_handler);
  g_assert_cmpint (g_atomic_int_get (&finalized), ==, (gint) total);
  g_assert_cmpuint (in_handler, >, 0);
  g_assert_null (pykka_registry_get_all ());
  /* Whatever was pending for the dropped models does nothing now. */
  for (guint k = 0; k < 100; k++)
    g_main_context_iteration (NULL, FALSE);
  g_async_queue_unref (queue);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/RegistryModel/start-order", test_start_order);
  g_test_add_func ("/Pykka/RegistryModel/filter", test_filter);
  g_test_add_func ("/Pykka/RegistryModel/stop-positions", test_stop_positions);
  g_test_add_func ("/Pykka/RegistryModel/scattered", test_scattered);
  g_test_add_func ("/Pykka/RegistryModel/thread-burst", test_thread_burst);
  g_test_add_func ("/Pykka/RegistryModel/own-context", test_own_context);
  g_test_add_func ("/Pykka/RegistryModel/dropped", test_dropped);

  return g_test_run ();
}
