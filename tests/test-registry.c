/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

static GArray *stop_order;

static gboolean
record_stop (TestActor *self, GError **error)
{
  gint id = GPOINTER_TO_INT (test_actor_get_data (self));

  g_array_append_val (stop_order, id);
  return TRUE;
}

static PykkaActorRef *
start_numbered (GType type, gint id, TestRecord **record)
{
  PykkaActorRef *ref = test_start (type, test_record_int, GINT_TO_POINTER (id), record);
  g_autoptr(PykkaActor) running = pykka_actor_ref_dup_actor (ref);

  test_actor_set_on_stop (TEST_ACTOR (running), record_stop);
  return ref;
}

static guint
count_refs (GList *list)
{
  guint n = g_list_length (list);

  g_list_free_full (list, g_object_unref);
  return n;
}

static void
test_queries (void)
{
  TestRecord *r[4];
  PykkaActorRef *refs[4];
  g_autolist(PykkaActorRef) all = NULL;
  g_autoptr(PykkaActorRef) by_urn = NULL;
  guint i = 0;

  g_test_summary ("get_all lists running actors in start order; get_by_type includes subtypes; get_by_type_name and get_by_urn find them; unknown names and urns give nothing");

  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  refs[0] = start_numbered (TEST_TYPE_ACTOR, 0, &r[0]);
  refs[1] = start_numbered (TEST_TYPE_STACKFUL_ACTOR, 1, &r[1]);
  refs[2] = start_numbered (TEST_TYPE_ACTOR, 2, &r[2]);
  refs[3] = start_numbered (TEST_TYPE_STACKFUL_ACTOR, 3, &r[3]);

  all = pykka_registry_get_all ();
  g_assert_cmpuint (g_list_length (all), ==, 4);
  for (GList *l = all; l != NULL; l = l->next, i++)
    g_assert_true (l->data == refs[i]);

  g_assert_cmpuint (count_refs (pykka_registry_get_by_type (TEST_TYPE_ACTOR)), ==, 4);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type (TEST_TYPE_STACKFUL_ACTOR)), ==, 2);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type (PYKKA_TYPE_ACTOR)), ==, 4);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type_name ("TestStackfulActor")), ==, 2);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type_name ("TestActor")), ==, 4);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type_name ("NoSuchType")), ==, 0);
  g_assert_cmpuint (count_refs (pykka_registry_get_by_type_name ("GObject")), ==, 0);

  by_urn = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (refs[2]));
  g_assert_true (by_urn == refs[2]);
  g_assert_null (pykka_registry_get_by_urn ("urn:uuid:00000000-0000-4000-8000-000000000000"));
  g_assert_null (pykka_registry_get_by_urn ("not a urn"));
  g_assert_null (pykka_registry_get_by_urn (""));

  /* Stopped actors leave the registry. */
  g_assert_true (pykka_actor_ref_stop_sync (refs[2], TEST_TIMEOUT_MSEC, NULL));
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (refs[2])));
  g_assert_cmpuint (count_refs (pykka_registry_get_all ()), ==, 3);

  test_stop_all ();
  for (i = 0; i < 4; i++)
    {
      g_object_unref (refs[i]);
      test_record_free (r[i]);
    }
  g_array_unref (stop_order);
}

static void
test_broadcast (void)
{
  TestRecord *r[3];
  PykkaActorRef *refs[3];
  GValue v = G_VALUE_INIT;

  g_test_summary ("broadcast tells every actor, or only those of a type and its subtypes, and counts them");

  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  refs[0] = start_numbered (TEST_TYPE_ACTOR, 0, &r[0]);
  refs[1] = start_numbered (TEST_TYPE_STACKFUL_ACTOR, 1, &r[1]);
  refs[2] = start_numbered (TEST_TYPE_ACTOR, 2, &r[2]);

  g_assert_cmpuint (pykka_registry_broadcast (test_value_int (&v, 7), G_TYPE_INVALID), ==, 3);
  g_value_unset (&v);
  g_assert_cmpuint (pykka_registry_broadcast (test_value_int (&v, 8), TEST_TYPE_STACKFUL_ACTOR), ==, 1);
  g_value_unset (&v);
  test_stop_all ();  /* handles everything sent before */

  g_assert_cmpuint (r[0]->ints->len, ==, 1);
  g_assert_cmpint (g_array_index (r[0]->ints, gint, 0), ==, 7);
  g_assert_cmpuint (r[1]->ints->len, ==, 2);
  g_assert_cmpint (g_array_index (r[1]->ints, gint, 1), ==, 8);
  g_assert_cmpuint (r[2]->ints->len, ==, 1);
  g_assert_cmpuint (pykka_registry_broadcast (test_value_int (&v, 9), G_TYPE_INVALID), ==, 0);
  g_value_unset (&v);

  for (guint i = 0; i < 3; i++)
    {
      g_object_unref (refs[i]);
      test_record_free (r[i]);
    }
  g_array_unref (stop_order);
}

static void
test_stop_all_lifo (void)
{
  TestRecord *r[5];
  PykkaActorRef *refs[5];
  g_autoptr(GError) error = NULL;

  g_test_summary ("stop_all stops the last started first and leaves the registry empty");

  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gint i = 0; i < 5; i++)
    refs[i] = start_numbered (TEST_TYPE_ACTOR, i, &r[i]);
  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());
  g_assert_cmpuint (stop_order->len, ==, 5);
  for (gint i = 0; i < 5; i++)
    {
      g_assert_cmpint (g_array_index (stop_order, gint, i), ==, 4 - i);
      g_assert_false (pykka_actor_ref_is_alive (refs[i]));
      g_object_unref (refs[i]);
      test_record_free (r[i]);
    }
  g_array_unref (stop_order);
}

static void
test_stop_all_futures (void)
{
  TestRecord *r[3];
  PykkaActorRef *refs[3];
  GList *futures;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The non-blocking stop_all asks every actor to stop in LIFO order and gives a TRUE future per actor");

  stop_order = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gint i = 0; i < 3; i++)
    refs[i] = start_numbered (TEST_TYPE_ACTOR, i, &r[i]);
  /* Once all are idle, the stop requests run in the order they are sent. */
  test_iterate_until (NULL, r[0]->n_started + r[1]->n_started + r[2]->n_started == 3);
  futures = pykka_registry_stop_all_futures ();
  g_assert_cmpuint (g_list_length (futures), ==, 3);
  for (GList *l = futures; l != NULL; l = l->next)
    g_assert_true (g_value_get_boolean (pykka_future_get (l->data, TEST_TIMEOUT_MSEC, &error)));
  g_assert_no_error (error);
  g_list_free_full (futures, g_object_unref);
  g_assert_null (pykka_registry_get_all ());
  for (gint i = 0; i < 3; i++)
    {
      g_assert_cmpint (g_array_index (stop_order, gint, i), ==, 2 - i);
      g_object_unref (refs[i]);
      test_record_free (r[i]);
    }
  g_array_unref (stop_order);
}

G_LOCK_DEFINE_STATIC (records);
static GPtrArray *records;

static gpointer
start_many (gpointer data)
{
  GMainContext *ctx = data;
  GPtrArray *refs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(TestActor) actor = g_object_new (TEST_TYPE_ACTOR,
                                                 "use-own-thread", i % 50 == 0,
                                                 "context", i % 50 == 0 ? NULL : ctx,
                                                 NULL);
      g_ptr_array_add (refs, pykka_actor_start (PYKKA_ACTOR (actor), NULL));
      G_LOCK (records);
      g_ptr_array_add (records, test_record_ref (test_actor_get_record (actor)));
      G_UNLOCK (records);
    }
  return refs;
}

static void
test_concurrent_registration (void)
{
  GThread *threads[4];
  GPtrArray *refs[4];
  g_autoptr(GError) error = NULL;

  g_test_summary ("Threads starting actors concurrently all land in the registry, and stop_all empties it");

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) test_record_free);
  for (guint i = 0; i < 4; i++)
    threads[i] = g_thread_new ("starter", start_many, g_main_context_default ());
  for (guint i = 0; i < 4; i++)
    refs[i] = g_thread_join (threads[i]);
  g_assert_cmpuint (count_refs (pykka_registry_get_all ()), ==, 800);

  g_assert_true (pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());
  for (guint i = 0; i < 4; i++)
    {
      for (guint j = 0; j < refs[i]->len; j++)
        g_assert_false (pykka_actor_ref_is_alive (refs[i]->pdata[j]));
      g_ptr_array_unref (refs[i]);
    }
  g_ptr_array_unref (records);
}

/* The urn index is filled when an urn is made: before the start, while
 * running, or racing with the start on another thread. */
#define URN_RACE_ACTORS 200

typedef struct
{
  PykkaActorRef **refs;
} UrnRace;

static gpointer
make_urns (gpointer data)
{
  UrnRace *race = data;

  /* Makes each urn while the main thread may be starting that actor. */
  for (guint i = 0; i < URN_RACE_ACTORS; i++)
    pykka_actor_ref_get_urn (race->refs[i]);
  return NULL;
}

static void
test_urn_lookup (void)
{
  g_autoptr(TestActor) early = test_actor_new (test_record_int, NULL);
  g_autoptr(PykkaActorRef) early_ref = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (early)));
  g_autoptr(PykkaActorRef) late_ref = NULL;
  g_autoptr(PykkaActorRef) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *early_urn = g_strdup (pykka_actor_ref_get_urn (early_ref));
  g_autofree PykkaActorRef **refs = g_new0 (PykkaActorRef *, URN_RACE_ACTORS);
  TestActor *actors[URN_RACE_ACTORS];
  UrnRace race = { refs };
  GThread *thread;

  g_test_summary ("get_by_urn finds a running actor whose urn was made before its start, while it runs, or on another thread while it starts; never once it stops");

  /* Made before the start. */
  g_assert_null (pykka_registry_get_by_urn (early_urn));
  g_object_unref (pykka_actor_start (PYKKA_ACTOR (early), &error));
  g_assert_no_error (error);
  found = pykka_registry_get_by_urn (early_urn);
  g_assert_true (found == early_ref);
  g_clear_object (&found);

  /* Made while it runs. */
  late_ref = test_start (0, test_record_int, NULL, NULL);
  found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (late_ref));
  g_assert_true (found == late_ref);
  g_clear_object (&found);

  /* Made on another thread, racing with the start. */
  for (guint i = 0; i < URN_RACE_ACTORS; i++)
    {
      actors[i] = test_actor_new (test_record_int, NULL);
      refs[i] = g_object_ref (pykka_actor_get_actor_ref (PYKKA_ACTOR (actors[i])));
    }
  thread = g_thread_new ("urns", make_urns, &race);
  for (guint i = 0; i < URN_RACE_ACTORS; i++)
    {
      g_object_unref (pykka_actor_start (PYKKA_ACTOR (actors[i]), &error));
      g_assert_no_error (error);
      g_object_unref (actors[i]);
    }
  g_thread_join (thread);
  for (guint i = 0; i < URN_RACE_ACTORS; i++)
    {
      found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (refs[i]));
      g_assert_true (found == refs[i]);
      g_clear_object (&found);
    }

  /* Stopping, stopped: gone. */
  g_assert_true (pykka_actor_ref_stop_sync (early_ref, TEST_TIMEOUT_MSEC, NULL));
  g_assert_null (pykka_registry_get_by_urn (early_urn));
  test_stop_all ();
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (late_ref)));
  for (guint i = 0; i < URN_RACE_ACTORS; i++)
    {
      g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (refs[i])));
      g_object_unref (refs[i]);
    }
}

/* ------------------------------------------------------------------
 * Names (issue 15.5)
 * ------------------------------------------------------------------ */

static void
assert_names (PykkaActorRef *ref, const char *const *expected)
{
  g_auto(GStrv) names = pykka_registry_dup_names (ref);

  g_assert_nonnull (names);
  g_assert_true (g_strv_equal ((const char *const *) names, expected));
}

static void
test_names (void)
{
  g_autoptr(PykkaActorRef) a = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(PykkaActorRef) b = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(PykkaActorRef) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = NULL;

  g_test_summary ("A name finds its actor; re-registering it for the same actor is fine; an actor may have several; another actor gets NAME_TAKEN naming the name and the holder; unregister_name frees one name only");

  g_assert_null (pykka_registry_lookup_name ("alpha"));
  assert_names (a, (const char *const[]) { NULL });

  g_assert_true (pykka_registry_register_name ("alpha", a, &error));
  g_assert_no_error (error);
  found = pykka_registry_lookup_name ("alpha");
  g_assert_true (found == a);
  g_clear_object (&found);

  /* Idempotent for the holder; a second and a non-ASCII name. */
  g_assert_true (pykka_registry_register_name ("alpha", a, &error));
  g_assert_no_error (error);
  g_assert_true (pykka_registry_register_name ("größe", a, &error));
  g_assert_no_error (error);
  assert_names (a, (const char *const[]) { "alpha", "größe", NULL });
  found = pykka_registry_lookup_name ("größe");
  g_assert_true (found == a);
  g_clear_object (&found);

  /* Taken: the error names the name and the holder. */
  g_assert_false (pykka_registry_register_name ("alpha", b, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_NAME_TAKEN);
  g_assert_nonnull (strstr (error->message, "alpha"));
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (a)));
  g_assert_nonnull (strstr (error->message, "TestActor"));
  g_clear_error (&error);
  found = pykka_registry_lookup_name ("alpha");
  g_assert_true (found == a);
  g_clear_object (&found);
  assert_names (b, (const char *const[]) { NULL });

  /* Names are case-sensitive strings: "Alpha" is another name. */
  g_assert_true (pykka_registry_register_name ("Alpha", b, &error));
  g_assert_no_error (error);

  /* Freeing one name leaves the others; freeing a free name is FALSE. */
  g_assert_true (pykka_registry_unregister_name ("alpha"));
  g_assert_false (pykka_registry_unregister_name ("alpha"));
  g_assert_false (pykka_registry_unregister_name ("never-registered"));
  g_assert_null (pykka_registry_lookup_name ("alpha"));
  assert_names (a, (const char *const[]) { "größe", NULL });
  g_assert_true (pykka_registry_register_name ("alpha", b, &error));
  g_assert_no_error (error);
  assert_names (b, (const char *const[]) { "Alpha", "alpha", NULL });
  found = pykka_registry_lookup_name ("alpha");
  g_assert_true (found == b);
  g_clear_object (&found);

  test_stop_all ();
  g_assert_null (pykka_registry_lookup_name ("alpha"));
  g_assert_null (pykka_registry_lookup_name ("Alpha"));
  g_assert_null (pykka_registry_lookup_name ("größe"));
  assert_names (a, (const char *const[]) { NULL });
  assert_names (b, (const char *const[]) { NULL });
}

static gboolean name_free_in_on_stop;

static gboolean
check_name_free (TestActor *self, GError **error)
{
  PykkaActorRef *found = pykka_registry_lookup_name ("worker");

  name_free_in_on_stop = found == NULL;
  g_clear_object (&found);
  return TRUE;
}

static void
test_names_freed_on_stop (void)
{
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(PykkaActorRef) successor = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (ref);
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaActorRef) found = NULL;

  g_test_summary ("An actor's names are free once it begins to stop (in its on_stop already), for a successor to take; a stopped actor cannot take a name (ACTOR_DEAD)");

  g_assert_true (pykka_registry_register_name ("worker", ref, &error));
  g_assert_true (pykka_registry_register_name ("worker-2", ref, &error));
  g_assert_no_error (error);
  test_actor_set_on_stop (TEST_ACTOR (actor), check_name_free);
  name_free_in_on_stop = FALSE;

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_true (name_free_in_on_stop);
  g_assert_null (pykka_registry_lookup_name ("worker"));
  g_assert_null (pykka_registry_lookup_name ("worker-2"));
  assert_names (ref, (const char *const[]) { NULL });

  /* The successor takes it; the dead actor cannot. */
  g_assert_true (pykka_registry_register_name ("worker", successor, &error));
  g_assert_no_error (error);
  found = pykka_registry_lookup_name ("worker");
  g_assert_true (found == successor);
  g_assert_false (pykka_registry_register_name ("worker-2", ref, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
  g_assert_null (pykka_registry_lookup_name ("worker-2"));

  test_stop_all ();
}

typedef struct
{
  GMainContext  *context;  /* (owned) */
  PykkaActorRef *ref;      /* (owned) out */
} OrphanNamed;

static gpointer
start_named_and_end (gpointer data)
{
  OrphanNamed *o = data;
  TestRecord *record;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (o->context);
  o->ref = test_start (0, test_record_int, NULL, &record);
  test_iterate_until (o->context, g_atomic_int_get (&record->n_started) == 1);
  g_assert_true (pykka_registry_register_name ("orphan", o->ref, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (o->context);
  test_record_free (record);
  return NULL;  /* the context is orphaned: the actor is killed */
}

static void
test_names_freed_on_failure_kill_orphan (void)
{
  g_autoptr(PykkaActorRef) failing = test_start (0, test_fail, NULL, NULL);
  TestRecord *killed_record;
  g_autoptr(PykkaActorRef) killed = test_start (0, test_record_int, NULL, &killed_record);
  g_autoptr(PykkaActorRef) failing_successor = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(GError) error = NULL;
  OrphanNamed o = { g_main_context_new (), NULL };
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Names are freed however the actor dies: a failed tell (on_failure), a kill (as soon as kill() returns: another actor may take the name at once), an orphaned context");

  g_assert_true (pykka_registry_register_name ("failing", failing, &error));
  g_assert_true (pykka_registry_register_name ("killed", killed, &error));
  g_assert_no_error (error);

  g_test_expect_message ("Pykka", G_LOG_LEVEL_MESSAGE, "*Unhandled error*handler failed on purpose*");
  g_assert_true (pykka_actor_ref_tell (failing, test_value_int (&msg, 1), &error));
  g_assert_no_error (error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (failing));
  g_test_assert_expected_messages ();
  g_assert_null (pykka_registry_lookup_name ("failing"));

  /* Free as soon as the kill returns, before the kill is handled. */
  g_assert_true (pykka_actor_ref_kill (killed));
  g_assert_null (pykka_registry_lookup_name ("killed"));
  assert_names (killed, (const char *const[]) { NULL });
  g_assert_false (pykka_registry_unregister_name ("killed"));
  g_assert_false (pykka_registry_register_name ("killed-2", killed, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_true (pykka_registry_register_name ("killed", failing_successor, &error));
  g_assert_no_error (error);
  test_iterate_until (NULL, g_atomic_int_get (&killed_record->n_stopped) == 1);
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (killed)));
  {
    g_autoptr(PykkaActorRef) found = pykka_registry_lookup_name ("killed");
    g_assert_true (found == failing_successor);
  }

  g_thread_join (g_thread_new ("orphaner", start_named_and_end, &o));
  g_assert_false (pykka_actor_ref_is_alive (o.ref));
  g_assert_null (pykka_registry_lookup_name ("orphan"));
  assert_names (o.ref, (const char *const[]) { NULL });

  g_value_unset (&msg);
  test_record_free (killed_record);
  g_clear_object (&o.ref);
  g_main_context_unref (o.context);
  test_stop_all ();
}

static void
test_names_invalid (void)
{
  g_autoptr(PykkaActorRef) ref = test_start (0, test_record_int, NULL, NULL);
  g_autoptr(PykkaActor) unstarted = PYKKA_ACTOR (test_actor_new (test_record_int, NULL));
  g_autoptr(GError) error = NULL;

  g_test_summary ("An empty name or one not in UTF-8 fails with INVALID_ARGUMENT; an actor never started cannot take a name (ACTOR_DEAD); lookups of such names find nothing");

  g_assert_false (pykka_registry_register_name ("", ref, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (pykka_registry_register_name ("bad\xff" "name", ref, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_nonnull (strstr (error->message, "bad"));
  g_clear_error (&error);
  g_assert_null (pykka_registry_lookup_name (""));
  g_assert_null (pykka_registry_lookup_name ("bad\xff" "name"));
  assert_names (ref, (const char *const[]) { NULL });

  g_assert_false (pykka_registry_register_name ("unstarted", pykka_actor_get_actor_ref (unstarted), &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_null (pykka_registry_lookup_name ("unstarted"));

  test_stop_all ();
}

static void
test_names_null_is_a_programmer_error (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;

  g_test_summary ("A NULL name is a programmer error (a critical), not a GError");

  if (g_test_subprocess ())
    {
      ref = test_start (0, test_record_int, NULL, NULL);
      pykka_registry_register_name (NULL, ref, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*pykka_registry_register_name*name != NULL*");
}

/* The race: threads register one name for their own actors at once
 * (exactly one wins), then take it in turn, each stopping its actor
 * once it holds the name, while the main thread runs the actors. */
#define RACE_THREADS 6
#define RACE_ROUNDS  20

typedef struct
{
  PykkaActorRef *ref;        /* (owned) */
  gint          *ready;      /* atomic: threads at the gate */
  gint          *go;         /* atomic */
  gint          *winners;    /* atomic: first-shot wins */
  gint          *done;       /* atomic: threads that held the name */
  gint          *finished;   /* atomic: threads about to return */
  gint          *attempted;  /* atomic: threads past their first try */
} Racer;

static gpointer
race_thread (gpointer data)
{
  Racer *r = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  PykkaActorRef *found;

  g_atomic_int_inc (r->ready);
  while (!g_atomic_int_get (r->go))
    g_thread_yield ();
  if (pykka_registry_register_name ("contested", r->ref, &error))
    {
      g_atomic_int_inc (r->winners);
      g_atomic_int_inc (r->attempted);
      /* Holds the name until every thread has tried once. */
      while (g_atomic_int_get (r->attempted) < RACE_THREADS)
        g_thread_yield ();
    }
  else
    {
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_NAME_TAKEN);
      g_clear_error (&error);
      g_atomic_int_inc (r->attempted);
      /* Wait for the holder to stop, then try again. */
      while (!pykka_registry_register_name ("contested", r->ref, &error))
        {
          g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_NAME_TAKEN);
          g_clear_error (&error);
          g_thread_yield ();
        }
    }
  /* Held: nobody else may have it until this actor stops. */
  found = pykka_registry_lookup_name ("contested");
  g_assert_true (found == r->ref);
  g_object_unref (found);
  g_assert_true (pykka_registry_register_name ("contested", r->ref, &error));
  g_assert_no_error (error);
  /* A name taken while the actor begins to stop is freed too. */
  g_atomic_int_inc (r->done);
  stopped = pykka_actor_ref_stop (r->ref);
  while (pykka_registry_register_name ("late", r->ref, NULL))
    g_thread_yield ();
  g_atomic_int_inc (r->finished);
  return NULL;
}

static void
test_names_race (void)
{
  g_test_summary ("Threads racing for one name: exactly one wins; then each takes it in turn as the holder stops; names taken while an actor stops are freed; after all stop no name is left");

  for (guint round = 0; round < RACE_ROUNDS; round++)
    {
      Racer racers[RACE_THREADS];
      GThread *threads[RACE_THREADS];
      gint ready = 0, go = 0, winners = 0, done = 0, finished = 0, attempted = 0;

      for (guint i = 0; i < RACE_THREADS; i++)
        {
          racers[i] = (Racer) { test_start (0, test_record_int, NULL, NULL), &ready, &go, &winners, &done, &finished, &attempted };
          threads[i] = g_thread_new ("racer", race_thread, &racers[i]);
        }
      test_iterate_until (NULL, g_atomic_int_get (&ready) == RACE_THREADS);
      g_atomic_int_set (&go, 1);
      /* The actors stop on this thread's context. */
      test_iterate_until (NULL, g_atomic_int_get (&finished) == RACE_THREADS);
      g_assert_cmpint (g_atomic_int_get (&done), ==, RACE_THREADS);
      for (guint i = 0; i < RACE_THREADS; i++)
        {
          g_thread_join (threads[i]);
          test_iterate_until (NULL, !pykka_actor_ref_is_alive (racers[i].ref));
        }
      test_stop_all ();
      g_assert_cmpint (winners, ==, 1);
      g_assert_null (pykka_registry_lookup_name ("contested"));
      g_assert_null (pykka_registry_lookup_name ("late"));
      for (guint i = 0; i < RACE_THREADS; i++)
        {
          assert_names (racers[i].ref, (const char *const[]) { NULL });
          g_object_unref (racers[i].ref);
        }
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Registry/queries", test_queries);
  g_test_add_func ("/Pykka/Registry/broadcast", test_broadcast);
  g_test_add_func ("/Pykka/Registry/stop-all-lifo", test_stop_all_lifo);
  g_test_add_func ("/Pykka/Registry/stop-all-futures", test_stop_all_futures);
  g_test_add_func ("/Pykka/Registry/concurrent-registration", test_concurrent_registration);
  g_test_add_func ("/Pykka/Registry/urn-lookup", test_urn_lookup);
  g_test_add_func ("/Pykka/Registry/names", test_names);
  g_test_add_func ("/Pykka/Registry/names-freed-on-stop", test_names_freed_on_stop);
  g_test_add_func ("/Pykka/Registry/names-freed-on-failure-kill-orphan", test_names_freed_on_failure_kill_orphan);
  g_test_add_func ("/Pykka/Registry/names-invalid", test_names_invalid);
  g_test_add_func ("/Pykka/Registry/names-null-is-a-programmer-error", test_names_null_is_a_programmer_error);
  g_test_add_func ("/Pykka/Registry/names-race", test_names_race);

  return g_test_run ();
}
