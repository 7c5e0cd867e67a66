/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* registry.c: finding running actors (by type, urn or name), broadcasting, a live list model
 * of them, and stopping them all (last started, first stopped) before the
 * program exits. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_WORKER (my_worker_get_type ())
G_DECLARE_FINAL_TYPE (MyWorker, my_worker, MY, WORKER, PykkaActor)

struct _MyWorker
{
  PykkaActor parent_instance;
  guint      n_pings;
};

G_DEFINE_FINAL_TYPE (MyWorker, my_worker, PYKKA_TYPE_ACTOR)

static gboolean
my_worker_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  MyWorker *self = MY_WORKER (actor);

  if (g_strcmp0 (g_value_get_string (message), "ping") == 0)
    self->n_pings++;
  g_value_set_uint (g_value_init (reply, G_TYPE_UINT), self->n_pings);
  return TRUE;
}

static gboolean
my_worker_on_stop (PykkaActor *actor, GError **error)
{
  g_print ("%s stops after %u ping(s)\n", pykka_actor_get_urn (actor),
           MY_WORKER (actor)->n_pings);
  return TRUE;
}

static void
my_worker_class_init (MyWorkerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_worker_on_receive;
  PYKKA_ACTOR_CLASS (klass)->on_stop = my_worker_on_stop;
}

static void
my_worker_init (MyWorker *self)
{
}

static void
on_workers_changed (GListModel *model, guint position, guint removed,
                    guint added, gpointer user_data)
{
  // On this thread, when its context runs: a GtkListView does the same.
  g_print ("at row %u: %u removed, %u added\n", position, removed, added);
}

int
main (void)
{
  g_auto(GValue) ping = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(PykkaActor) worker = g_object_new (MY_TYPE_WORKER, NULL);
      g_autoptr(PykkaActorRef) ref = pykka_actor_start (worker, NULL);
      // Dropping both references is fine: the registry knows the actor.
    }

  g_value_set_static_string (g_value_init (&ping, G_TYPE_STRING), "ping");
  guint sent = pykka_registry_broadcast (&ping, MY_TYPE_WORKER);
  g_print ("pinged %u workers\n", sent);  // pinged 3 workers

  g_autolist(PykkaActorRef) workers = pykka_registry_get_by_type (MY_TYPE_WORKER);
  PykkaActorRef *first = workers->data;
  g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (first));
  g_assert_true (found == first);

  // A name of our choosing finds an actor too (Erlang's register/whereis).
  if (!pykka_registry_register_name ("first-worker", first, &error))
    g_error ("%s", error->message);
  g_autoptr(PykkaActorRef) named = pykka_registry_lookup_name ("first-worker");
  g_assert_true (named == first);

  // A name is one actor's at a time.
  g_autoptr(GError) taken = NULL;
  if (!pykka_registry_register_name ("first-worker", workers->next->data, &taken))
    g_print ("%s\n", taken->message);  // The name “first-worker” is taken by actor MyWorker (urn:uuid:…)
  g_assert_error (taken, PYKKA_ERROR, PYKKA_ERROR_NAME_TAKEN);

  // A live list of the workers, as a GtkListView shows: it follows starts
  // and stops when this thread's context runs.
  g_autoptr(PykkaRegistryModel) model = pykka_registry_model_new (MY_TYPE_WORKER);
  g_print ("%u workers listed\n", g_list_model_get_n_items (G_LIST_MODEL (model)));  // 3 workers listed
  g_signal_connect (model, "items-changed", G_CALLBACK (on_workers_changed), NULL);

  g_autoptr(PykkaActor) fourth = g_object_new (MY_TYPE_WORKER, NULL);
  g_autoptr(PykkaActorRef) fourth_ref = pykka_actor_start (fourth, NULL);
  while (g_list_model_get_n_items (G_LIST_MODEL (model)) < 4)
    g_main_context_iteration (NULL, TRUE);  // at row 3: 0 removed, 1 added

  // Before the program exits: stop every actor, newest first.
  if (!pykka_registry_stop_all (5000, &error))
    g_error ("%s", error->message);
  g_assert_null (pykka_registry_get_all ());
  // Stopping freed the name.
  g_assert_null (pykka_registry_lookup_name ("first-worker"));
  return 0;
}
