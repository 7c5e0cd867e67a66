/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-application.h"

#include "pykka-private.h"

/*
 * GApplication integration (issue 13.5): the application is held while any
 * actor is registered, and its shutdown stops every actor, newest first.
 *
 * The registry changes on any thread; GApplication is used only on the
 * thread that attached (the application's thread, which runs
 * g_application_run() on the global default context). A change on that
 * thread is reconciled at once, so that an actor started in ::activate
 * holds the application before g_application_run() looks at its use count;
 * a change on another thread queues one idle on the default context, which
 * reconciles there. Reconciling compares "an actor is registered or
 * stopping" with "we hold the application", so notifications that arrive
 * out of order (an actor's add and its remove, told on two threads)
 * cannot leave a wrong hold behind.
 */

typedef struct
{
  gatomicrefcount ref;
  GThread        *thread;            /* the application's thread */
  GMainContext   *context;           /* (owned) where idles reconcile */
  /* Only on the application's thread: */
  GApplication   *application;       /* (nullable) cleared when it is finalized */
  gint            stop_timeout_msec;
  gboolean        held;
  /* Atomic: a reconcile idle is queued. */
  gint            queued;
} AppLink;

static AppLink *
app_link_ref (AppLink *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
app_link_unref (gpointer data)
{
  AppLink *link = data;

  if (g_atomic_ref_count_dec (&link->ref))
    {
      g_main_context_unref (link->context);
      g_free (link);
    }
}

/* On the application's thread. */
static void
app_link_reconcile (AppLink *link)
{
  gboolean want;

  g_atomic_int_set (&link->queued, 0);
  if (link->application == NULL)
    return;

  want = !pykka_registry_is_quiet ();
  if (want && !link->held)
    {
      link->held = TRUE;
      g_application_hold (link->application);
    }
  else if (!want && link->held)
    {
      link->held = FALSE;
      g_application_release (link->application);
    }
}

static void
app_link_closure_unref (gpointer  data,
                        GClosure *closure)
{
  app_link_unref (data);
}

static gboolean
app_link_reconcile_cb (gpointer data)
{
  app_link_reconcile (data);
  return G_SOURCE_REMOVE;
}

/* Any thread, right after an actor joined or left the registry. */
static void
registry_changed (PykkaCell *cell,
                  gboolean   added,
                  gpointer   user_data)
{
  AppLink *link = user_data;
  GSource *source;

  if (g_thread_self () == link->thread)
    {
      app_link_reconcile (link);
      return;
    }
  if (!g_atomic_int_compare_and_exchange (&link->queued, 0, 1))
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[pykka] application hold");
  g_source_set_callback (source, app_link_reconcile_cb, app_link_ref (link), app_link_unref);
  g_source_attach (source, link->context);
  g_source_unref (source);
}

static void
application_shutdown_cb (GApplication *application,
                         gpointer      user_data)
{
  AppLink *link = user_data;
  g_autoptr(GError) error = NULL;

  if (!pykka_registry_stop_all (link->stop_timeout_msec, &error))
    g_warning ("Not every actor stopped at the shutdown of the application: %s",
               error->message);

  app_link_reconcile (link);
  /* The run is over: whatever still runs (after a timeout) no longer
   * holds it. */
  if (link->held)
    {
      link->held = FALSE;
      g_application_release (application);
    }
}

/* The application is being finalized, on its thread. */
static void
app_link_detach (gpointer data)
{
  AppLink *link = data;

  /* Once this returns, registry_changed() is not running and never runs
   * again; queued idles find no application. */
  pykka_registry_remove_observer (registry_changed, link);
  link->application = NULL;
  app_link_unref (link);
}

static GQuark
app_link_quark (void)
{
  static GQuark quark;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("pykka-application-link");
  return quark;
}

/**
 * pykka_application_attach:
 * @application: a #GApplication, not running yet or running on the
 *   calling thread
 * @stop_timeout_msec: how long its shutdown waits for each actor to stop,
 *   in milliseconds, -1 for ever
 *
 * Ties the life of @application to the actors of the process:
 *
 * - while any actor is running (is in the registry, see
 *   [class@Pykka.Registry], or still runs its `on_stop` or `on_failure`),
 *   @application is held, as with g_application_hold(), so that
 *   g_application_run() does not return while actors still work, even
 *   with no window open; once the last actor has stopped (its last hook
 *   returned), the hold is released (g_application_release()),
 *   and an application that nothing else holds quits;
 * - on #GApplication::shutdown, every actor still running is stopped,
 *   last started first, waiting up to @stop_timeout_msec for each
 *   ([func@Pykka.Registry.stop_all]); actors that do not stop in time
 *   are reported with a warning and no longer hold the application.
 *
 * Call it from the thread that runs @application (the main thread),
 * before g_application_run() or from a handler of the application.
 * Actors start and stop on any thread: the hold and release always
 * happen on that thread, in the global default main context, which
 * g_application_run() iterates. An actor started on the application's
 * thread, in #GApplication::activate for example, holds the application
 * before the handler returns. The actors are stopped before the class
 * handler of #GApplication::shutdown runs (#GtkApplication's, which
 * destroys the windows).
 *
 * Calling it again for the same application only changes
 * @stop_timeout_msec. The tie lasts as long as the application.
 *
 * ```c
 *   g_autoptr(GtkApplication) app = gtk_application_new ("org.example.Counter", G_APPLICATION_NON_UNIQUE);
 *   // Held while actors run; at shutdown, stops them (newest first, 5 s each).
 *   pykka_application_attach (G_APPLICATION (app), 5000);
 *   g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
 * ```
 */
void
pykka_application_attach (GApplication *application,
                          gint          stop_timeout_msec)
{
  AppLink *link;

  g_return_if_fail (G_IS_APPLICATION (application));
  g_return_if_fail (stop_timeout_msec >= -1);

  link = g_object_get_qdata (G_OBJECT (application), app_link_quark ());
  if (link != NULL)
    {
      g_return_if_fail (link->thread == g_thread_self ());
      link->stop_timeout_msec = stop_timeout_msec;
      return;
    }

  link = g_new0 (AppLink, 1);
  g_atomic_ref_count_init (&link->ref);
  link->thread = g_thread_self ();
  link->context = g_main_context_ref (g_main_context_default ());
  link->application = application;
  link->stop_timeout_msec = stop_timeout_msec;
  g_object_set_qdata_full (G_OBJECT (application), app_link_quark (), link, app_link_detach);

  g_signal_connect_data (application, "shutdown", G_CALLBACK (application_shutdown_cb),
                         app_link_ref (link), app_link_closure_unref, 0);
  pykka_registry_add_observer (registry_changed, link);
  /* Actors that run already. */
  app_link_reconcile (link);
}
