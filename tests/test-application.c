/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pykka_application_attach() (issue 13.5): a GApplication without a
 * display, run with g_application_run() on a short timeline. Every run
 * has a watchdog that quits it after TEST_TIMEOUT_MSEC; no timing is
 * asserted. */

#include "config.h"

#include "test-util.h"

/* An actor that records its on_stop in a shared list, stops itself when
 * told 0, and, when told 1, blocks its on_stop until `release_stop` is
 * set. */
#define APP_TYPE_ACTOR (app_actor_get_type ())
G_DECLARE_FINAL_TYPE (AppActor, app_actor, APP, ACTOR, PykkaActor)

struct _AppActor
{
  PykkaActor parent_instance;
  gint       id;
  gboolean   block_stop;
};

G_DEFINE_FINAL_TYPE (AppActor, app_actor, PYKKA_TYPE_ACTOR)

static GMutex   lock;
static GCond    cond;
static GArray  *stop_order;     /* ids, under lock */
static gboolean release_stop;   /* under lock */

static gboolean
app_actor_on_stop (PykkaActor *actor, GError **error)
{
  AppActor *self = APP_ACTOR (actor);
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&lock);
  g_array_append_val (stop_order, self->id);
  while (self->block_stop && !release_stop)
    if (!g_cond_wait_until (&cond, &lock, end))
      g_error ("on_stop was never released");
  g_mutex_unlock (&lock);
  return TRUE;
}

static gboolean
app_actor_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  switch (g_value_get_int (message))
    {
    case 0:
      pykka_actor_stop (actor);
      break;
    case 1:
      APP_ACTOR (actor)->block_stop = TRUE;
      break;
    default:
      break;
    }
  return TRUE;
}

static void
app_actor_class_init (AppActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_stop = app_actor_on_stop;
  PYKKA_ACTOR_CLASS (klass)->on_receive = app_actor_on_receive;
}

static void
app_actor_init (AppActor *self)
{
}

static PykkaActorRef *
start_app_actor (gint id, gboolean own_thread)
{
  g_autoptr(AppActor) actor = g_object_new (APP_TYPE_ACTOR, "use-own-thread", own_thread, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref;

  actor->id = id;
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  return ref;
}

typedef struct
{
  GApplication  *app;
  PykkaActorRef *refs[3];
  gboolean       timed_out;
  gboolean       loop_ran;     /* an idle ran after activate returned */
  gint           alive_at_shutdown;
  guint          watchdog;
} Fixture;

static gboolean
watchdog_cb (gpointer data)
{
  Fixture *f = data;

  f->timed_out = TRUE;
  f->watchdog = 0;
  g_application_quit (f->app);
  return G_SOURCE_REMOVE;
}

/* Connected before pykka_application_attach(): runs before its handler. */
static void
count_alive_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;

  f->alive_at_shutdown = 0;
  for (guint i = 0; i < G_N_ELEMENTS (f->refs); i++)
    if (f->refs[i] != NULL && pykka_actor_ref_is_alive (f->refs[i]))
      f->alive_at_shutdown++;
}

static void
fixture_init (Fixture *f, gint stop_timeout_msec)
{
  memset (f, 0, sizeof *f);
  g_mutex_lock (&lock);
  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  release_stop = FALSE;
  g_mutex_unlock (&lock);

  f->app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_signal_connect (f->app, "shutdown", G_CALLBACK (count_alive_cb), f);
  pykka_application_attach (f->app, stop_timeout_msec);
  f->watchdog = g_timeout_add (TEST_TIMEOUT_MSEC, watchdog_cb, f);
}

static void
fixture_clear (Fixture *f)
{
  g_assert_false (f->timed_out);
  g_clear_handle_id (&f->watchdog, g_source_remove);
  g_object_add_weak_pointer (G_OBJECT (f->app), (gpointer *) &f->app);
  g_object_unref (f->app);
  g_assert_null (f->app);
  for (guint i = 0; i < G_N_ELEMENTS (f->refs); i++)
    g_clear_object (&f->refs[i]);
  g_assert_null (pykka_registry_get_all ());
  g_mutex_lock (&lock);
  g_clear_pointer (&stop_order, g_array_unref);
  g_mutex_unlock (&lock);
}

static gboolean
tell_stop_cb (gpointer data)
{
  Fixture *f = data;

  f->loop_ran = TRUE;
  test_tell_int (f->refs[0], 0);
  return G_SOURCE_REMOVE;
}

static void
held_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;

  /* Nothing else holds the application: without the hold of the running
   * actor, g_application_run() would return right after this handler. */
  f->refs[0] = start_app_actor (1, TRUE);
  g_idle_add (tell_stop_cb, f);
}

static void
test_held_while_actor_runs (void)
{
  Fixture f;
  int status;

  g_test_summary ("An own-thread actor started in ::activate holds the application: the main loop "
                  "runs on after activate; once the actor stops itself, the application quits, "
                  "and at ::shutdown the actor is already dead");

  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_signal_connect (f.app, "activate", G_CALLBACK (held_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_false (f.timed_out);
  g_assert_true (f.loop_ran);
  g_assert_cmpint (f.alive_at_shutdown, ==, 0);
  g_assert_false (pykka_actor_ref_is_alive (f.refs[0]));
  g_assert_cmpuint (stop_order->len, ==, 1);
  fixture_clear (&f);
}

static void
started_before_activate_cb (GApplication *app, gpointer data)
{
  g_idle_add (tell_stop_cb, data);
}

static void
test_held_by_earlier_actor (void)
{
  Fixture f;
  int status;

  g_test_summary ("An actor started before pykka_application_attach() holds the application too");

  memset (&f, 0, sizeof f);
  {
    /* Started before the attach in fixture_init(). */
    PykkaActorRef *early = start_app_actor (1, TRUE);

    fixture_init (&f, TEST_TIMEOUT_MSEC);
    f.refs[0] = early;
  }
  g_signal_connect (f.app, "activate", G_CALLBACK (started_before_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_assert_cmpint (f.alive_at_shutdown, ==, 0);
  g_assert_false (pykka_actor_ref_is_alive (f.refs[0]));
  fixture_clear (&f);
}

static gboolean
quit_cb (gpointer data)
{
  Fixture *f = data;

  f->loop_ran = TRUE;
  g_application_quit (f->app);
  return G_SOURCE_REMOVE;
}

static void
lifo_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;

  f->refs[0] = start_app_actor (1, TRUE);
  f->refs[1] = start_app_actor (2, FALSE);  /* on the main context */
  f->refs[2] = start_app_actor (3, TRUE);
  g_idle_add (quit_cb, f);
}

static void
test_shutdown_stops_lifo (void)
{
  Fixture f;
  int status;

  g_test_summary ("g_application_quit() with actors running: ::shutdown stops them all, last "
                  "started first (own-thread and main-context actors alike), within the timeout");

  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_signal_connect (f.app, "activate", G_CALLBACK (lifo_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_assert_cmpint (f.alive_at_shutdown, ==, 3);
  g_assert_cmpuint (stop_order->len, ==, 3);
  g_assert_cmpint (g_array_index (stop_order, gint, 0), ==, 3);
  g_assert_cmpint (g_array_index (stop_order, gint, 1), ==, 2);
  g_assert_cmpint (g_array_index (stop_order, gint, 2), ==, 1);
  for (guint i = 0; i < 3; i++)
    g_assert_false (pykka_actor_ref_is_alive (f.refs[i]));
  fixture_clear (&f);
}

static void
stuck_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;
  g_autoptr(PykkaFuture) done = NULL;
  GValue one = G_VALUE_INIT;

  f->refs[0] = start_app_actor (1, TRUE);
  done = pykka_actor_ref_ask (f->refs[0], test_value_int (&one, 1));
  g_value_unset (&one);
  pykka_future_get (done, TEST_TIMEOUT_MSEC, NULL);
  g_idle_add (quit_cb, f);
}

static void
test_shutdown_timeout (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  int status;

  g_test_summary ("An actor whose on_stop does not finish within the timeout: ::shutdown warns "
                  "and returns, g_application_run() returns; the actor stops later");

  fixture_init (&f, 50);
  g_signal_connect (f.app, "activate", G_CALLBACK (stuck_activate_cb), &f);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "Not every actor stopped at the shutdown*");
  status = g_application_run (f.app, 0, NULL);
  g_test_assert_expected_messages ();

  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_mutex_lock (&lock);
  release_stop = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  g_assert_true (pykka_actor_ref_stop_sync (f.refs[0], TEST_TIMEOUT_MSEC, &error) || error == NULL);
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (f.refs[0]));
  fixture_clear (&f);
}

/* Polls, on the main loop, for the actor to be in its blocked on_stop;
 * then lets the loop run a few more ticks before it releases on_stop. */
static gboolean
release_when_stopping_cb (gpointer data)
{
  Fixture *f = data;
  g_autolist(PykkaActorRef) registered = NULL;

  if (pykka_actor_ref_is_alive (f->refs[0]))
    return G_SOURCE_CONTINUE;

  /* In on_stop: not alive, not registered, yet still holding the
   * application, whose loop runs on. */
  registered = pykka_registry_get_all ();
  g_assert_null (registered);
  if (++f->alive_at_shutdown < 20)
    return G_SOURCE_CONTINUE;

  f->loop_ran = TRUE;
  g_mutex_lock (&lock);
  release_stop = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  return G_SOURCE_REMOVE;
}

static void
held_through_on_stop_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;

  f->refs[0] = start_app_actor (1, TRUE);
  test_tell_int (f->refs[0], 1);  /* its on_stop blocks */
  test_tell_int (f->refs[0], 0);  /* it stops itself */
  g_timeout_add (2, release_when_stopping_cb, f);
}

static void
test_held_through_on_stop (void)
{
  Fixture f;
  int status;

  g_test_summary ("An actor that stops itself holds the application until its on_stop returns, "
                  "although it has left the registry and is not alive while on_stop runs");

  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_signal_handlers_disconnect_by_func (f.app, count_alive_cb, &f);
  g_signal_connect (f.app, "activate", G_CALLBACK (held_through_on_stop_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_false (f.timed_out);
  /* The loop went on while on_stop was blocked, and released it. */
  g_assert_true (f.loop_ran);
  g_assert_cmpint (f.alive_at_shutdown, ==, 20);
  g_assert_cmpuint (stop_order->len, ==, 1);
  g_assert_false (pykka_actor_ref_is_alive (f.refs[0]));
  fixture_clear (&f);
}

/* ---- UI actors started and asked from odd places (issue 18, session 5) ---- */

/* An actor of the main context that checks that every hook and handler
 * runs on the main thread; told "modal", it runs a nested main loop (a
 * modal dialog) until `modal_end` is set. */
#define UI_TYPE_ACTOR (ui_actor_get_type ())
G_DECLARE_FINAL_TYPE (UiActor, ui_actor, UI, ACTOR, PykkaActor)

struct _UiActor
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (UiActor, ui_actor, PYKKA_TYPE_ACTOR)

static GThread *main_thread;
static gint     ui_off_main;    /* atomic: a hook ran on another thread */
static gint     ui_started;     /* atomic */
static gint     ui_stopped;     /* atomic */
static gint     ui_in_modal;    /* atomic */
static gint     ui_modal_end;   /* atomic */
static gint     ui_reentered;   /* atomic: a message of the modal actor ran inside its modal loop */

static void
ui_check_thread (void)
{
  if (g_thread_self () != main_thread)
    g_atomic_int_set (&ui_off_main, TRUE);
}

static gboolean
ui_actor_on_start (PykkaActor *actor, GError **error)
{
  ui_check_thread ();
  g_atomic_int_inc (&ui_started);
  return TRUE;
}

static gboolean
ui_actor_on_stop (PykkaActor *actor, GError **error)
{
  ui_check_thread ();
  g_atomic_int_inc (&ui_stopped);
  return TRUE;
}

static gboolean
modal_poll_cb (gpointer data)
{
  if (!g_atomic_int_get (&ui_modal_end))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
ui_actor_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  ui_check_thread ();
  if (G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), "modal") == 0)
    {
      g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
      GSource *poll = g_timeout_source_new (1);

      g_source_set_callback (poll, modal_poll_cb, loop, NULL);
      g_source_attach (poll, NULL);
      g_atomic_int_set (&ui_in_modal, TRUE);
      g_main_loop_run (loop);
      g_atomic_int_set (&ui_in_modal, FALSE);
      g_source_destroy (poll);
      g_source_unref (poll);
    }
  else if (g_atomic_int_get (&ui_in_modal) && g_object_get_data (G_OBJECT (actor), "modal") != NULL)
    g_atomic_int_set (&ui_reentered, TRUE);
  g_value_init (reply, G_TYPE_BOOLEAN);
  g_value_set_boolean (reply, g_thread_self () == main_thread);
  return TRUE;
}

static void
ui_actor_class_init (UiActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_start = ui_actor_on_start;
  PYKKA_ACTOR_CLASS (klass)->on_stop = ui_actor_on_stop;
  PYKKA_ACTOR_CLASS (klass)->on_receive = ui_actor_on_receive;
}

static void
ui_actor_init (UiActor *self)
{
}

static void
ui_reset (void)
{
  main_thread = g_thread_self ();
  g_atomic_int_set (&ui_off_main, FALSE);
  g_atomic_int_set (&ui_started, 0);
  g_atomic_int_set (&ui_stopped, 0);
  g_atomic_int_set (&ui_in_modal, FALSE);
  g_atomic_int_set (&ui_modal_end, FALSE);
  g_atomic_int_set (&ui_reentered, FALSE);
}

/* Starts a UI actor in the global default context from any thread. */
static PykkaActorRef *
start_ui_actor (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (UI_TYPE_ACTOR, "context", g_main_context_default (), NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  return ref;
}

/* Asks @ref from this thread and checks that the handler ran on the main
 * thread. */
static void
ask_on_main (PykkaActorRef *ref)
{
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  future = pykka_actor_ref_ask (ref, test_value_int (&v, 5));
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_boolean (value));
}

/* Set by start_ui_from_thread() once its ask was answered. */
static gint starter_asked;

static gpointer
start_ui_from_thread (gpointer data)
{
  PykkaActorRef *ref;

  /* No context of its own: the actor goes to the global default one. */
  {
    g_autoptr(PykkaActor) actor = g_object_new (UI_TYPE_ACTOR, NULL);
    g_autoptr(GError) error = NULL;

    ref = pykka_actor_start (actor, &error);
    g_assert_no_error (error);
  }
  ask_on_main (ref);
  g_atomic_int_set (&starter_asked, 1);
  return ref;
}

/* A worker on a thread of its own that starts a UI actor when asked. */
static gboolean
worker_starts_ui (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  PykkaActorRef *ui = start_ui_actor ();

  ask_on_main (ui);
  g_value_init (reply, PYKKA_TYPE_ACTOR_REF);
  g_value_take_object (reply, ui);
  return TRUE;
}

static void
off_main_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;
  g_autoptr(PykkaFuture) started = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  g_atomic_int_set (&starter_asked, 0);
  thread = g_thread_new ("starter", start_ui_from_thread, NULL);
  /* The thread's start and ask wait for the main context: run it until
   * the ask is answered (the start alone is not enough: the join below
   * would stop the main context before the ask's turn). */
  test_iterate_until (NULL, g_atomic_int_get (&starter_asked) == 1);
  g_assert_cmpint (g_atomic_int_get (&ui_started), >=, 1);
  f->refs[0] = g_thread_join (thread);

  {
    g_autoptr(TestActor) worker = test_actor_new_of_type (TEST_TYPE_ACTOR, worker_starts_ui, NULL,
                                                          "use-own-thread", TRUE, NULL);

    f->refs[1] = pykka_actor_start (PYKKA_ACTOR (worker), &error);
    g_assert_no_error (error);
  }
  started = pykka_actor_ref_ask (f->refs[1], test_value_int (&v, 0));
  g_value_unset (&v);
  value = pykka_future_get (started, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  f->refs[2] = g_value_dup_object (value);
  g_idle_add (quit_cb, f);
}

static void
test_ui_actor_started_off_main (void)
{
  Fixture f;
  int status;

  g_test_summary ("UI actors (main context) started from a plain thread and from a worker actor "
                  "on a thread of its own: on_start, handlers and on_stop (at shutdown) run on "
                  "the main thread only");

  ui_reset ();
  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_signal_connect (f.app, "activate", G_CALLBACK (off_main_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_assert_cmpint (g_atomic_int_get (&ui_started), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&ui_stopped), ==, 2);
  g_assert_false (g_atomic_int_get (&ui_off_main));
  for (guint i = 0; i < 3; i++)
    g_assert_false (pykka_actor_ref_is_alive (f.refs[i]));
  fixture_clear (&f);
}

/* A thread asks a UI actor while another UI actor's handler runs a modal
 * loop: answered in the modal loop; the modal actor's own message waits
 * until its handler returns. */
typedef struct
{
  PykkaActorRef *modal;
  PykkaActorRef *other;
  gint           done;
} ModalAsker;

static gpointer
modal_asker_thread (gpointer data)
{
  ModalAsker *m = data;
  g_autoptr(PykkaFuture) ping = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  {
    gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

    while (!g_atomic_int_get (&ui_in_modal))
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_usleep (100);
      }
  }
  ping = pykka_actor_ref_ask (m->modal, test_value_int (&v, 1));
  g_value_unset (&v);
  ask_on_main (m->other);
  ask_on_main (m->other);
  g_assert_false (pykka_future_is_done (ping));
  g_atomic_int_set (&ui_modal_end, TRUE);
  g_assert_nonnull (pykka_future_get (ping, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_atomic_int_set (&m->done, TRUE);
  return NULL;
}

static gboolean
quit_when_done_cb (gpointer data)
{
  Fixture *f = data;
  ModalAsker *m = g_object_get_data (G_OBJECT (f->app), "asker");

  if (!g_atomic_int_get (&m->done))
    return G_SOURCE_CONTINUE;
  f->loop_ran = TRUE;
  g_application_quit (f->app);
  return G_SOURCE_REMOVE;
}

static void
modal_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;
  ModalAsker *m = g_object_get_data (G_OBJECT (app), "asker");
  GValue v = G_VALUE_INIT;

  f->refs[0] = start_ui_actor ();
  f->refs[1] = start_ui_actor ();
  {
    g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (f->refs[0]);

    g_object_set_data (G_OBJECT (actor), "modal", GINT_TO_POINTER (1));
  }
  m->modal = f->refs[0];
  m->other = f->refs[1];
  g_thread_unref (g_thread_new ("asker", modal_asker_thread, m));
  g_assert_true (pykka_actor_ref_tell (f->refs[0], test_value_string (&v, "modal"), NULL));
  g_value_unset (&v);
  g_timeout_add (1, quit_when_done_cb, f);
}

static void
test_ui_actor_asked_during_modal_loop (void)
{
  Fixture f;
  ModalAsker m = { NULL, NULL, FALSE };
  int status;

  g_test_summary ("A thread asks a UI actor while the handler of another runs a nested main loop "
                  "(a modal dialog): the ask is answered meanwhile, on the main thread; the modal "
                  "actor's own message waits for its handler to return");

  ui_reset ();
  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_object_set_data (G_OBJECT (f.app), "asker", &m);
  g_signal_connect (f.app, "activate", G_CALLBACK (modal_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_assert_true (g_atomic_int_get (&m.done));
  g_assert_false (g_atomic_int_get (&ui_reentered));
  g_assert_false (g_atomic_int_get (&ui_off_main));
  g_assert_cmpint (g_atomic_int_get (&ui_stopped), ==, 2);
  fixture_clear (&f);
}

/* A thread asks a UI actor in a loop while the application quits: every
 * ask gets an answer or ACTOR_DEAD, none times out. */
typedef struct
{
  PykkaActorRef *ref;
  GThread       *thread;
  gint           answered;   /* atomic */
  GError        *last;
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *fl = data;

  for (;;)
    {
      g_autoptr(PykkaFuture) future = NULL;
      GError *error = NULL;
      GValue v = G_VALUE_INIT;

      future = pykka_actor_ref_ask (fl->ref, test_value_int (&v, 5));
      g_value_unset (&v);
      if (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error) == NULL)
        {
          fl->last = error;
          return NULL;
        }
      g_atomic_int_inc (&fl->answered);
    }
}

static gboolean
quit_after_answers_cb (gpointer data)
{
  Fixture *f = data;
  Flood *fl = g_object_get_data (G_OBJECT (f->app), "flood");

  if (g_atomic_int_get (&fl->answered) < 20)
    return G_SOURCE_CONTINUE;
  f->loop_ran = TRUE;
  g_application_quit (f->app);
  return G_SOURCE_REMOVE;
}

static void
flood_activate_cb (GApplication *app, gpointer data)
{
  Fixture *f = data;
  Flood *fl = g_object_get_data (G_OBJECT (app), "flood");

  f->refs[0] = start_ui_actor ();
  fl->ref = f->refs[0];
  fl->thread = g_thread_new ("flood", flood_thread, fl);
  g_idle_add (quit_after_answers_cb, f);
}

static void
test_quit_while_asks_pending (void)
{
  Fixture f;
  Flood fl = { NULL, NULL, 0, NULL };
  int status;

  g_test_summary ("g_application_quit() while a thread keeps asking a UI actor: the asks queued "
                  "before the stop are answered, later ones fail with ACTOR_DEAD; none times out");

  ui_reset ();
  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_object_set_data (G_OBJECT (f.app), "flood", &fl);
  g_signal_connect (f.app, "activate", G_CALLBACK (flood_activate_cb), &f);
  status = g_application_run (f.app, 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.loop_ran);
  g_thread_join (fl.thread);
  g_assert_error (fl.last, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&fl.last);
  g_assert_cmpint (g_atomic_int_get (&fl.answered), >=, 20);
  fixture_clear (&f);
}

/* After the run: the application is no longer running, its attach still
 * counts actors; starting and stopping one then, and finalizing the
 * application while another runs, is harmless. */
static void
test_actors_after_run (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  PykkaActorRef *late;
  int status;

  g_test_summary ("Actors started after g_application_run() returned, and one still running when "
                  "the application is finalized: no hold leaks into a finalized application, no crash");

  ui_reset ();
  fixture_init (&f, TEST_TIMEOUT_MSEC);
  g_signal_connect (f.app, "activate", G_CALLBACK (started_before_activate_cb), &f);
  f.refs[0] = start_app_actor (1, TRUE);
  status = g_application_run (f.app, 0, NULL);
  g_assert_cmpint (status, ==, 0);

  f.refs[1] = start_ui_actor ();
  ask_on_main (f.refs[1]);
  g_assert_true (pykka_actor_ref_stop_sync (f.refs[1], TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);

  late = start_ui_actor ();
  g_clear_handle_id (&f.watchdog, g_source_remove);
  g_clear_object (&f.app);
  ask_on_main (late);
  g_assert_true (pykka_actor_ref_stop_sync (late, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_object_unref (late);
  for (guint i = 0; i < G_N_ELEMENTS (f.refs); i++)
    g_clear_object (&f.refs[i]);
  g_assert_null (pykka_registry_get_all ());
  g_mutex_lock (&lock);
  g_clear_pointer (&stop_order, g_array_unref);
  g_mutex_unlock (&lock);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Application/held-while-actor-runs", test_held_while_actor_runs);
  g_test_add_func ("/Pykka/Application/held-by-earlier-actor", test_held_by_earlier_actor);
  g_test_add_func ("/Pykka/Application/shutdown-stops-lifo", test_shutdown_stops_lifo);
  g_test_add_func ("/Pykka/Application/shutdown-timeout", test_shutdown_timeout);
  g_test_add_func ("/Pykka/Application/held-through-on-stop", test_held_through_on_stop);
  g_test_add_func ("/Pykka/Application/ui-actor-started-off-main", test_ui_actor_started_off_main);
  g_test_add_func ("/Pykka/Application/ui-actor-asked-during-modal-loop", test_ui_actor_asked_during_modal_loop);
  g_test_add_func ("/Pykka/Application/quit-while-asks-pending", test_quit_while_asks_pending);
  g_test_add_func ("/Pykka/Application/actors-after-run", test_actors_after_run);

  return g_test_run ();
}
