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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Application/held-while-actor-runs", test_held_while_actor_runs);
  g_test_add_func ("/Pykka/Application/held-by-earlier-actor", test_held_by_earlier_actor);
  g_test_add_func ("/Pykka/Application/shutdown-stops-lifo", test_shutdown_stops_lifo);
  g_test_add_func ("/Pykka/Application/shutdown-timeout", test_shutdown_timeout);
  g_test_add_func ("/Pykka/Application/held-through-on-stop", test_held_through_on_stop);

  return g_test_run ();
}
