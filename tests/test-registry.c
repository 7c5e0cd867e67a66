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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Registry/queries", test_queries);
  g_test_add_func ("/Pykka/Registry/broadcast", test_broadcast);
  g_test_add_func ("/Pykka/Registry/stop-all-lifo", test_stop_all_lifo);
  g_test_add_func ("/Pykka/Registry/stop-all-futures", test_stop_all_futures);
  g_test_add_func ("/Pykka/Registry/concurrent-registration", test_concurrent_registration);

  return g_test_run ();
}
