/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Bad input: every public function with NULL, objects of the wrong type,
 * non-actor GTypes, finished futures and dead refs. Programmer errors are
 * g_return_if_fail criticals (the function returns a harmless value);
 * run-time conditions are GErrors that name the actor. */

#include "config.h"

#include "rel-util.h"

#define expect_critical() \
  rel_expect (G_LOG_LEVEL_CRITICAL, "*assertion*failed*")
#define expect_gobject_critical() \
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_CRITICAL, "*")

static gboolean
map_identity (const GValue *value, GValue *result, gpointer data, GError **error)
{
  g_value_init (result, G_VALUE_TYPE (value));
  g_value_copy (value, result);
  return TRUE;
}

static gboolean
filter_all (const GValue *item, gpointer data)
{
  return TRUE;
}

static gboolean
reduce_first (const GValue *acc, const GValue *item, GValue *result, gpointer data, GError **error)
{
  return map_identity (acc, result, data, error);
}

static void
ready_never (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_not_reached ();
}

/* NULL and wrong-type instances everywhere. */
static void
test_null_and_wrong_type (void)
{
  g_autoptr(PykkaFuture) future = pykka_future_new ();
  g_autoptr(PykkaEvent) event = pykka_event_new ();
  gpointer wrong = event;  /* an object of the wrong type */
  gpointer wrong_ref = future;
  GValue msg = G_VALUE_INIT, unset = G_VALUE_INIT;
  GError *error = NULL;

  g_test_summary ("NULL or an object of the wrong type gives a critical and a harmless result, never a crash");

  test_value_int (&msg, 1);

  /* PykkaActor */
  expect_critical ();
  g_assert_null (pykka_actor_start (NULL, &error));
  expect_critical ();
  g_assert_null (pykka_actor_start (wrong, &error));
  expect_critical ();
  pykka_actor_stop (NULL);
  expect_critical ();
  pykka_actor_stop (wrong);
  expect_critical ();
  g_assert_null (pykka_actor_get_urn (NULL));
  expect_critical ();
  g_assert_null (pykka_actor_get_actor_ref (wrong));
  expect_critical ();
  g_assert_null (pykka_actor_get_context (NULL));
  expect_critical ();
  g_assert_false (pykka_actor_get_use_own_thread (wrong));
  expect_critical ();
  pykka_actor_class_set_stackful (NULL, TRUE);
  expect_critical ();
  g_assert_false (pykka_actor_class_get_stackful (NULL));
  g_test_assert_expected_messages ();

  /* PykkaActorRef */
  expect_critical ();
  g_assert_false (pykka_actor_ref_tell (NULL, &msg, &error));
  expect_critical ();
  g_assert_false (pykka_actor_ref_tell (wrong_ref, &msg, &error));
  expect_critical ();
  g_assert_null (pykka_actor_ref_ask (NULL, &msg));
  expect_critical ();
  g_assert_null (pykka_actor_ref_ask (wrong_ref, &msg));
  expect_critical ();
  g_assert_false (pykka_actor_ref_ask_sync (NULL, &msg, 0, NULL, &error));
  expect_critical ();
  g_assert_null (pykka_actor_ref_stop (NULL));
  expect_critical ();
  g_assert_false (pykka_actor_ref_stop_sync (wrong_ref, 0, &error));
  expect_critical ();
  g_assert_false (pykka_actor_ref_is_alive (NULL));
  expect_critical ();
  g_assert_null (pykka_actor_ref_get_urn (wrong_ref));
  expect_critical ();
  g_assert_true (pykka_actor_ref_get_actor_type (NULL) == G_TYPE_INVALID);
  expect_critical ();
  g_assert_null (pykka_actor_ref_dup_actor (wrong_ref));
  g_test_assert_expected_messages ();
  g_assert_null (error);

  /* PykkaFuture */
  expect_critical ();
  g_assert_false (pykka_future_set_value (NULL, &msg, &error));
  expect_critical ();
  g_assert_false (pykka_future_set_value (wrong, &msg, &error));
  expect_critical ();
  g_assert_false (pykka_future_set_error (future, NULL, &error));
  expect_critical ();
  g_assert_false (pykka_future_set_error (NULL, error, &error));
  expect_critical ();
  g_assert_false (pykka_future_is_done (wrong));
  expect_critical ();
  g_assert_null (pykka_future_get (NULL, 0, &error));
  expect_critical ();
  g_assert_null (pykka_future_get (wrong, 0, &error));
  expect_critical ();
  pykka_future_get_async (NULL, NULL, ready_never, NULL);
  expect_critical ();
  pykka_future_get_async (future, wrong, ready_never, NULL);
  expect_critical ();
  g_assert_null (pykka_future_get_finish (future, NULL, &error));
  expect_critical ();
  g_assert_null (pykka_future_get_finish (future, wrong, &error));
  expect_critical ();
  g_assert_null (pykka_future_map (NULL, map_identity, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_map (future, NULL, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_filter (wrong, filter_all, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_filter (future, NULL, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_reduce (NULL, reduce_first, NULL, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_reduce (future, NULL, NULL, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_reduce (future, reduce_first, &unset, NULL, NULL));
  expect_critical ();
  g_assert_null (pykka_future_new_for_error (NULL));
  expect_critical ();
  g_assert_null (pykka_future_join (NULL, 2));
  {
    PykkaFuture *mixed[3] = { future, NULL, wrong };

    expect_critical ();
    g_assert_null (pykka_future_join (mixed, 2));
    expect_critical ();
    g_assert_null (pykka_future_join (mixed + 2, 1));
    expect_critical ();
    g_assert_null (pykka_future_get_all (mixed, 3, 0, &error));
    expect_critical ();
    g_assert_null (pykka_future_get_all (NULL, 1, 0, &error));
  }
  g_test_assert_expected_messages ();
  g_assert_null (error);
  g_assert_false (pykka_future_is_done (future));

  /* PykkaEvent */
  expect_critical ();
  pykka_event_set (NULL);
  expect_critical ();
  pykka_event_set (wrong_ref);
  expect_critical ();
  pykka_event_clear (NULL);
  expect_critical ();
  g_assert_false (pykka_event_is_set (wrong_ref));
  expect_critical ();
  g_assert_false (pykka_event_wait (NULL, 0));
  expect_critical ();
  pykka_event_wait_async (NULL, NULL, ready_never, NULL);
  expect_critical ();
  pykka_event_wait_async (event, wrong_ref, ready_never, NULL);
  expect_critical ();
  g_assert_false (pykka_event_wait_finish (event, NULL, &error));
  g_test_assert_expected_messages ();

  /* PykkaRegistry */
  expect_critical ();
  g_assert_null (pykka_registry_get_by_type_name (NULL));
  expect_critical ();
  g_assert_null (pykka_registry_get_by_urn (NULL));
  expect_critical ();
  g_assert_cmpuint (pykka_registry_broadcast (NULL, 0), ==, 0);
  expect_critical ();
  g_assert_cmpuint (pykka_registry_broadcast (&unset, 0), ==, 0);
  g_test_assert_expected_messages ();

  /* Unset messages */
  {
    g_autoptr(PykkaActorRef) ref = test_start (0, test_echo, NULL, NULL);
    g_autoptr(PykkaActor) actor = pykka_actor_ref_dup_actor (ref);
    TestRecord *record = test_record_ref (test_actor_get_record (TEST_ACTOR (actor)));

    g_clear_object (&actor);
    expect_critical ();
    g_assert_false (pykka_actor_ref_tell (ref, NULL, &error));
    expect_critical ();
    g_assert_false (pykka_actor_ref_tell (ref, &unset, &error));
    expect_critical ();
    g_assert_null (pykka_actor_ref_ask (ref, &unset));
    expect_critical ();
    g_assert_false (pykka_actor_ref_ask_sync (ref, NULL, 0, NULL, &error));
    g_test_assert_expected_messages ();
    test_stop_all ();
    g_assert_cmpint (record->n_received, ==, 0);
    test_record_free (record);
  }

  g_value_unset (&msg);
}

/* Out-of-range timeouts and an error location already set. */
static void
test_bad_arguments (void)
{
  g_autoptr(PykkaFuture) future = pykka_future_new ();
  g_autoptr(PykkaEvent) event = pykka_event_new ();
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) set_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already set");
  GError *error = set_error;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Negative timeouts below -1 and a non-empty error location are criticals");

  test_value_int (&msg, 1);
  ref = test_start (0, test_echo, NULL, &record);

  expect_critical ();
  g_assert_null (pykka_future_get (future, -2, NULL));
  expect_critical ();
  g_assert_false (pykka_event_wait (event, -5));
  expect_critical ();
  g_assert_false (pykka_actor_ref_ask_sync (ref, &msg, -2, NULL, NULL));
  expect_critical ();
  g_assert_false (pykka_actor_ref_stop_sync (ref, G_MININT, NULL));
  expect_critical ();
  g_assert_false (pykka_registry_stop_all (-3, NULL));
  expect_critical ();
  g_assert_null (pykka_future_get_all (&future, 1, -2, NULL));
  g_test_assert_expected_messages ();

  expect_critical ();
  g_assert_null (pykka_future_get (future, 0, &error));
  expect_critical ();
  g_assert_false (pykka_future_set_value (future, &msg, &error));
  expect_critical ();
  g_assert_false (pykka_actor_ref_tell (ref, &msg, &error));
  expect_critical ();
  g_assert_false (pykka_actor_ref_stop_sync (ref, 0, &error));
  expect_critical ();
  g_assert_false (pykka_registry_stop_all (0, &error));
  g_test_assert_expected_messages ();
  g_assert_true (error == set_error);
  g_assert_false (pykka_future_is_done (future));
  g_assert_true (pykka_actor_ref_is_alive (ref));

  test_stop_all ();
  g_assert_cmpint (record->n_received, ==, 0);
  test_record_free (record);
  g_value_unset (&msg);
}

/* Types that are not actors. */
static void
test_non_actor_types (void)
{
  GValue msg = G_VALUE_INIT;
  GList *found;

  g_test_summary ("A GType that is not an actor type is a critical where a type is required, an empty answer where a name is looked up");

  test_value_int (&msg, 1);

  expect_critical ();
  g_assert_null (pykka_registry_get_by_type (G_TYPE_OBJECT));
  expect_critical ();
  g_assert_null (pykka_registry_get_by_type (G_TYPE_INT));
  expect_critical ();
  g_assert_null (pykka_registry_get_by_type (G_TYPE_INVALID));
  expect_critical ();
  g_assert_cmpuint (pykka_registry_broadcast (&msg, G_TYPE_STRING), ==, 0);
  expect_critical ();
  g_assert_cmpuint (pykka_registry_broadcast (&msg, PYKKA_TYPE_FUTURE), ==, 0);
  g_test_assert_expected_messages ();

  found = pykka_registry_get_by_type_name ("GObject");
  g_assert_null (found);
  found = pykka_registry_get_by_type_name ("NoSuchTypeAnywhere");
  g_assert_null (found);
  found = pykka_registry_get_by_type_name ("");
  g_assert_null (found);
  g_assert_null (pykka_registry_get_by_urn (""));
  g_assert_null (pykka_registry_get_by_urn ("urn:uuid:"));
  g_assert_null (pykka_registry_get_by_urn ("urn:uuid:00000000-0000-4000-8000-000000000000"));
  g_assert_null (pykka_registry_get_by_urn ("urn:uuid:zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"));
  g_assert_null (pykka_registry_get_by_urn ("not a urn at all, and much longer than one would ever be"));

  /* Creating the abstract-ish base type works (it only logs on messages). */
  {
    g_autoptr(PykkaActor) base = g_object_new (PYKKA_TYPE_ACTOR, NULL);
    g_autoptr(PykkaActorRef) ref = pykka_actor_start (base, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (ref);
    rel_expect (G_LOG_LEVEL_WARNING, "*Unexpected message of type gint received by actor PykkaActor (urn:uuid:*");
    g_assert_true (pykka_actor_ref_ask_sync (ref, &msg, TEST_TIMEOUT_MSEC, NULL, &error));
    g_assert_no_error (error);
    g_test_assert_expected_messages ();
    test_stop_all ();
  }
  g_value_unset (&msg);
}

/* A finished future refuses a second outcome with a GError. */
static void
test_finished_future (void)
{
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "first");
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("Completing a finished future fails with ALREADY_SET and keeps the first outcome");

  future = pykka_future_new_for_value (test_value_int (&msg, 1));
  g_assert_false (pykka_future_set_value (future, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  g_assert_false (pykka_future_set_error (future, failure, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  g_assert_false (pykka_future_set_value (future, NULL, NULL));
  g_assert_cmpint (rel_future_get_int (future), ==, 1);
  g_clear_object (&future);

  future = pykka_future_new_for_error (failure);
  g_assert_false (pykka_future_set_value (future, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  g_clear_error (&error);
  rel_assert_future_error (future, G_IO_ERROR, G_IO_ERROR_FAILED);

  /* A value-less future gives an unset value, not NULL. */
  g_clear_object (&future);
  future = pykka_future_new_for_value (NULL);
  {
    const GValue *value = pykka_future_get (future, 0, &error);

    g_assert_no_error (error);
    g_assert_nonnull (value);
    g_assert_false (G_IS_VALUE (value));
  }

  /* Reducing or filtering a value that is not a list is a GError. */
  {
    g_autoptr(PykkaFuture) src = pykka_future_new_for_value (&msg);
    g_autoptr(PykkaFuture) filtered = pykka_future_filter (src, filter_all, NULL, NULL);
    g_autoptr(PykkaFuture) reduced = pykka_future_reduce (src, reduce_first, NULL, NULL, NULL);

    rel_assert_future_error (filtered, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
    rel_assert_future_error (reduced, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  }

  g_value_unset (&msg);
}

/* A dead ref: everything is a GError naming the actor, or FALSE. */
static void
test_dead_ref (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *type_and_urn = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT, reply = G_VALUE_INIT;

  g_test_summary ("A dead ref fails every call with ACTOR_DEAD naming the actor's class and urn");

  ref = test_start (0, test_echo, NULL, &record);
  type_and_urn = g_strdup_printf ("TestActor (%s)", pykka_actor_ref_get_urn (ref));
  test_stop_all ();
  test_value_int (&msg, 1);

  g_assert_false (pykka_actor_ref_tell (ref, &msg, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, type_and_urn));
  g_clear_error (&error);

  future = pykka_actor_ref_ask (ref, &msg);
  g_assert_true (pykka_future_is_done (future));
  g_assert_null (pykka_future_get (future, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, type_and_urn));
  g_clear_error (&error);

  g_assert_false (pykka_actor_ref_ask_sync (ref, &msg, -1, &reply, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_false (G_IS_VALUE (&reply));
  g_clear_error (&error);

  g_assert_false (pykka_actor_ref_stop_sync (ref, -1, &error));
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  g_assert_null (pykka_actor_ref_dup_actor (ref));
  g_assert_null (pykka_registry_get_by_urn (pykka_actor_ref_get_urn (ref)));

  /* Restarting a dead actor is a GError too. */
  {
    g_autoptr(TestActor) actor = test_actor_new (test_echo, NULL);
    TestRecord *r2 = test_record_ref (test_actor_get_record (actor));
    g_autoptr(PykkaActorRef) first = pykka_actor_start (PYKKA_ACTOR (actor), &error);

    g_assert_no_error (error);
    g_assert_null (pykka_actor_start (PYKKA_ACTOR (actor), &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, pykka_actor_get_urn (PYKKA_ACTOR (actor))));
    g_clear_error (&error);
    test_stop_all ();
    g_assert_null (pykka_actor_start (PYKKA_ACTOR (actor), &error));
    g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
    g_clear_error (&error);
    test_record_free (r2);
  }

  g_value_unset (&msg);
  test_record_free (record);
}

/* A timed-out wait on an ask names the actor it waited for. */
static void
test_timeout_names_actor (void)
{
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  TestRecord *record;
  GValue msg = G_VALUE_INIT;

  g_test_summary ("The TIMEOUT error of a wait for an actor's reply names the actor");

  ref = test_start (0, test_echo, NULL, &record);
  g_assert_false (pykka_actor_ref_ask_sync (ref, test_value_int (&msg, 1), 0, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, pykka_actor_ref_get_urn (ref)));
  test_stop_all ();
  g_value_unset (&msg);
  test_record_free (record);
}

/* Issue 12, F21: only the exact spelling that pykka_actor_get_urn()
 * returns finds an actor. The random part of urns comes from the global
 * GRand: the child seeds it so that the last group of the actor's urn
 * starts with "00" (@data FALSE) or "f" (@data TRUE), which is when
 * strtoull() would read a sign, blank or 0x prefix as the same number. */
static gboolean
seed_gives_last_group (guint32  seed,
                       gboolean high)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint32 r[4];
  guint64 lows[2];

  for (guint i = 0; i < 4; i++)
    r[i] = g_rand_int (rand);
  g_rand_free (rand);

  /* Either order in which the two numbers of each half may be drawn. */
  lows[0] = ((guint64) (r[2] & 0xffff) << 32) | r[3];
  lows[1] = ((guint64) (r[3] & 0xffff) << 32) | r[2];
  for (guint i = 0; i < 2; i++)
    {
      if (high ? (lows[i] >> 44) != 0xf || lows[i] > G_GUINT64_CONSTANT (0xfffffffff000)
               : (lows[i] >> 40) != 0 || lows[i] > G_GUINT64_CONSTANT (0xfffffff000))
        return FALSE;
    }
  return TRUE;
}

static void
assert_urn_not_found (const char *spelling)
{
  g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (spelling);

  if (found != NULL)
    g_error ("\"%s\" found actor %s", spelling, pykka_actor_ref_get_urn (found));
}

static void
test_urn_spellings (gconstpointer data)
{
  gboolean high = GPOINTER_TO_INT (data);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaActorRef) found = NULL;
  g_autofree char *upper = NULL;
  g_autofree char *upper_hex = NULL;
  g_autofree char *upper_prefix = NULL;
  TestRecord *record;
  const char *urn, *group;
  gsize prefix_len;
  guint32 seed = 0;

  if (!g_test_subprocess ())
    {
      g_test_summary ("Only the canonical spelling of a urn finds an actor: a blank, sign or 0x prefix in the last group, or upper case, finds nothing (issue 12, F21)");
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  while (!seed_gives_last_group (seed, high))
    seed++;
  g_random_set_seed (seed);

  ref = test_start (0, test_echo, NULL, &record);
  urn = pykka_actor_ref_get_urn (ref);
  prefix_len = strlen (urn) - 12;
  group = urn + prefix_len;
  found = pykka_registry_get_by_urn (urn);
  g_assert_true (found == ref);

  if (!high)
    {
      g_assert_true (g_str_has_prefix (group, "00"));
      for (const char *const *p = (const char *const[]) { " ", "+", "\t", NULL }; *p != NULL; p++)
        {
          g_autofree char *s = g_strdup_printf ("%.*s%s%s", (int) prefix_len, urn, *p, group + 1);
          assert_urn_not_found (s);
        }
      for (const char *const *p = (const char *const[]) { "0x", "0X", " +", NULL }; *p != NULL; p++)
        {
          g_autofree char *s = g_strdup_printf ("%.*s%s%s", (int) prefix_len, urn, *p, group + 2);
          assert_urn_not_found (s);
        }
    }
  else
    {
      guint64 value = g_ascii_strtoull (group, NULL, 16);
      guint64 negated = (G_GUINT64_CONSTANT (1) << 48) - value;
      g_autofree char *s = g_strdup_printf ("%.*s-%011" G_GINT64_MODIFIER "x", (int) prefix_len, urn, negated);

      g_assert_true (g_str_has_prefix (group, "f"));
      assert_urn_not_found (s);
    }

  /* Upper case differs from the urn unless it has no hex letter at all. */
  upper = g_ascii_strup (urn, -1);
  assert_urn_not_found (upper);
  upper_prefix = g_strdup_printf ("URN:UUID:%s", urn + strlen ("urn:uuid:"));
  assert_urn_not_found (upper_prefix);
  {
    g_autofree char *tail = g_ascii_strup (urn + strlen ("urn:uuid:"), -1);
    upper_hex = g_strconcat ("urn:uuid:", tail, NULL);
  }
  if (strcmp (upper_hex, urn) != 0)
    assert_urn_not_found (upper_hex);

  test_stop_all ();
  test_record_free (record);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/BadInput/null-and-wrong-type", test_null_and_wrong_type);
  g_test_add_func ("/Pykka/BadInput/bad-arguments", test_bad_arguments);
  g_test_add_func ("/Pykka/BadInput/non-actor-types", test_non_actor_types);
  g_test_add_func ("/Pykka/BadInput/finished-future", test_finished_future);
  g_test_add_func ("/Pykka/BadInput/dead-ref", test_dead_ref);
  g_test_add_func ("/Pykka/BadInput/timeout-names-actor", test_timeout_names_actor);
  g_test_add_data_func ("/Pykka/BadInput/urn-spellings/leading-zeros", GINT_TO_POINTER (FALSE), test_urn_spellings);
  g_test_add_data_func ("/Pykka/BadInput/urn-spellings/leading-f", GINT_TO_POINTER (TRUE), test_urn_spellings);

  return g_test_run ();
}
