/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Messages and errors (issue 19): handlers by message type and the error
 * of a message no handler takes; errors that say what to do (an actor
 * never started, a stop that times out on an actor busy on a reply
 * future, get_async callbacks that no loop runs, in the debug dump); what
 * crosses threads copied and what shared, and the PYKKA_DEBUG=threads
 * check. */

#include "config.h"

#include <string.h>

#include "test-util.h"

/* ---------------------------------------------------------------------------
 * Handlers by message type
 */

#define TEST_TYPE_TYPED (test_typed_get_type ())
G_DECLARE_DERIVABLE_TYPE (TestTyped, test_typed, TEST, TYPED, PykkaActor)

struct _TestTypedClass
{
  PykkaActorClass parent_class;
};

G_DEFINE_TYPE (TestTyped, test_typed, PYKKA_TYPE_ACTOR)

static gboolean
reply_text (GValue     *reply,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static gboolean
reply_text (GValue     *reply,
            const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  g_value_init (reply, G_TYPE_STRING);
  g_value_take_string (reply, g_strdup_vprintf (format, args));
  va_end (args);
  return TRUE;
}

static gboolean
typed_on_int (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  return reply_text (reply, "int %d", g_value_get_int (message));
}

static gboolean
typed_on_string (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  if (g_str_equal (g_value_get_string (message), "fail"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "asked to fail");
      return FALSE;
    }
  return reply_text (reply, "string %s", g_value_get_string (message));
}

static gboolean
typed_on_object (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  return reply_text (reply, "object %s", G_OBJECT_TYPE_NAME (g_value_get_object (message)));
}

static gboolean
typed_on_pair (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  const char *key;
  gint32 n;

  g_variant_get (g_value_get_variant (message), "(&si)", &key, &n);
  return reply_text (reply, "pair %s=%d", key, n);
}

static gboolean
typed_on_any_pair (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  return reply_text (reply, "any pair %s", g_variant_get_type_string (g_value_get_variant (message)));
}

static gboolean
typed_on_variant (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  return reply_text (reply, "variant %s", g_variant_get_type_string (g_value_get_variant (message)));
}

static void
test_typed_class_init (TestTypedClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  pykka_actor_class_add_handler (actor_class, G_TYPE_INT, typed_on_int);
  pykka_actor_class_add_handler (actor_class, G_TYPE_STRING, typed_on_string);
  pykka_actor_class_add_handler (actor_class, G_TYPE_OBJECT, typed_on_object);
  /* Added first, yet after the variant handlers below. */
  pykka_actor_class_add_handler (actor_class, G_TYPE_VARIANT, typed_on_variant);
  pykka_actor_class_add_variant_handler (actor_class, "(si)", typed_on_pair);
  pykka_actor_class_add_variant_handler (actor_class, "(s*)", typed_on_any_pair);
}

static void
test_typed_init (TestTyped *self)
{
}

/* A subclass: replaces the string handler, adds doubles. */
#define TEST_TYPE_TYPED_CHILD (test_typed_child_get_type ())
G_DECLARE_FINAL_TYPE (TestTypedChild, test_typed_child, TEST, TYPED_CHILD, TestTyped)

struct _TestTypedChild
{
  TestTyped parent_instance;
};

G_DEFINE_FINAL_TYPE (TestTypedChild, test_typed_child, TEST_TYPE_TYPED)

static gboolean
child_on_string (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  g_autofree char *up = g_ascii_strup (g_value_get_string (message), -1);

  return reply_text (reply, "child %s", up);
}

static gboolean
child_on_double (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  return reply_text (reply, "double %.1f", g_value_get_double (message));
}

static void
test_typed_child_class_init (TestTypedChildClass *klass)
{
  pykka_actor_class_add_handler (PYKKA_ACTOR_CLASS (klass), G_TYPE_STRING, child_on_string);
  pykka_actor_class_add_handler (PYKKA_ACTOR_CLASS (klass), G_TYPE_DOUBLE, child_on_double);
}

static void
test_typed_child_init (TestTypedChild *self)
{
}

static PykkaActorRef *
start_of_type (GType type)
{
  g_autoptr(PykkaActor) actor = g_object_new (type, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  return ref;
}

/* Asks @message and returns the string reply (owned), or NULL with @error. */
static char *
ask_text (PykkaActorRef  *ref,
          const GValue   *message,
          GError        **error)
{
  g_auto(GValue) reply = G_VALUE_INIT;

  if (!pykka_actor_ref_ask_sync (ref, message, TEST_TIMEOUT_MSEC, &reply, error))
    return NULL;
  return g_value_dup_string (&reply);
}

static char *
ask_variant_text (PykkaActorRef *ref,
                  GVariant      *variant)
{
  g_auto(GValue) message = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  char *text;

  g_value_set_variant (g_value_init (&message, G_TYPE_VARIANT), variant);
  text = ask_text (ref, &message, &error);
  g_assert_no_error (error);
  return text;
}

static void
assert_ask_text (PykkaActorRef *ref,
                 const GValue  *message,
                 const char    *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ask_text (ref, message, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_dispatch_by_type (void)
{
  g_autoptr(PykkaActorRef) ref = start_of_type (TEST_TYPE_TYPED);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(GValue) v = G_VALUE_INIT;
  g_autofree char *pair = NULL, *any_pair = NULL, *other = NULL;

  g_test_summary ("The default on_receive calls the handler of the message's type: exact types, "
                  "a derived object type, variants by type string (definite before indefinite, "
                  "both before a handler for every GVariant)");

  assert_ask_text (ref, test_value_int (&v, 7), "int 7");
  g_value_unset (&v);
  assert_ask_text (ref, test_value_string (&v, "hi"), "string hi");
  g_value_unset (&v);
  g_value_set_object (g_value_init (&v, G_TYPE_CANCELLABLE), cancellable);
  assert_ask_text (ref, &v, "object GCancellable");
  g_value_unset (&v);

  pair = ask_variant_text (ref, g_variant_new ("(si)", "n", 4));
  g_assert_cmpstr (pair, ==, "pair n=4");
  any_pair = ask_variant_text (ref, g_variant_new ("(sb)", "b", TRUE));
  g_assert_cmpstr (any_pair, ==, "any pair (sb)");
  other = ask_variant_text (ref, g_variant_new_uint32 (3));
  g_assert_cmpstr (other, ==, "variant u");

  test_stop_all ();
}

static void
test_handler_errors (void)
{
  g_autoptr(PykkaActorRef) ref = start_of_type (TEST_TYPE_TYPED);
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("A handler's error goes to the asker as from on_receive, and the actor lives on");

  text = ask_text (ref, test_value_string (&v, "fail"), &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (pykka_actor_ref_is_alive (ref));
  test_stop_all ();
}

static void
test_subclass_handlers (void)
{
  g_autoptr(PykkaActorRef) child = start_of_type (TEST_TYPE_TYPED_CHILD);
  g_autoptr(PykkaActorRef) parent = start_of_type (TEST_TYPE_TYPED);
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("A subclass inherits its parent's handlers, replaces one type and adds another; "
                  "the parent's table is unchanged");

  assert_ask_text (child, test_value_int (&v, 1), "int 1");
  g_value_unset (&v);
  assert_ask_text (child, test_value_string (&v, "hi"), "child HI");
  assert_ask_text (parent, &v, "string hi");
  g_value_unset (&v);
  g_value_set_double (g_value_init (&v, G_TYPE_DOUBLE), 1.5);
  assert_ask_text (child, &v, "double 1.5");

  /* The parent has no double handler. */
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*TestTyped (urn:*no handler for a message of type gdouble*");
  text = ask_text (parent, &v, &error);
  g_test_assert_expected_messages ();
  g_assert_null (text);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  test_stop_all ();
}

static void
test_unhandled_type (void)
{
  g_autoptr(PykkaActorRef) ref = start_of_type (TEST_TYPE_TYPED);
  g_autoptr(PykkaActorRef) other = start_of_type (TEST_TYPE_TYPED);
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  g_test_summary ("A message no handler takes fails the ask with INVALID_ARGUMENT naming the actor, "
                  "the type received and the types handled; logged once per class and type as a "
                  "warning (never a critical); a tell of it is dropped and the actor lives on");

  g_value_set_boolean (g_value_init (&v, G_TYPE_BOOLEAN), TRUE);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING,
                         "Actor TestTyped (urn:uuid:*) has no handler for a message of type gboolean "
                         "(it handles gint, gchararray, GObject, GVariant, GVariant '(si)', GVariant '(s*)'): "
                         "the ask fails with PYKKA_ERROR_INVALID_ARGUMENT (logged once per actor class and message type)");
  text = ask_text (ref, &v, &error);
  g_test_assert_expected_messages ();
  g_assert_null (text);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  expected = g_strdup_printf ("Actor TestTyped (%s) has no handler for a message of type gboolean: "
                              "it handles gint, gchararray, GObject, GVariant, GVariant '(si)', GVariant '(s*)'. "
                              "Send one of those, or add a handler for this type to the actor’s class",
                              pykka_actor_ref_get_urn (ref));
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* Once per class and type: another actor of the class, the same type,
   * logs nothing (an unexpected warning would abort the test). */
  text = ask_text (other, &v, &error);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A tell of another type: dropped, logged, the actor lives on. */
  g_value_unset (&v);
  g_value_set_uint64 (g_value_init (&v, G_TYPE_UINT64), 1);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*message of type guint64 *: the tell is dropped*");
  g_assert_true (pykka_actor_ref_tell (ref, &v, NULL));
  g_value_unset (&v);
  assert_ask_text (ref, test_value_int (&v, 2), "int 2");
  g_test_assert_expected_messages ();
  g_assert_true (pykka_actor_ref_is_alive (ref));

  test_stop_all ();
}


/* ---------------------------------------------------------------------------
 * Errors a user can act on
 */

static void
test_never_started (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (TEST_TYPE_TYPED, NULL);
  PykkaActorRef *ref = pykka_actor_get_actor_ref (actor);
  g_autoptr(PykkaActorRef) started = NULL;
  g_autoptr(PykkaFuture) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("A message to an actor that was never started fails with ACTOR_DEAD saying so and how to start it "
                  "(tell, ask, check_alive); once started, the same ref works");

  expected = g_strdup_printf ("Actor TestTyped (%s) was never started: it takes no message until "
                              "pykka_actor_start() (start() in Python, JavaScript and Vala) has started it",
                              pykka_actor_ref_get_urn (ref));
  test_value_int (&v, 1);
  g_assert_false (pykka_actor_ref_tell (ref, &v, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  answer = pykka_actor_ref_ask (ref, &v);
  g_assert_null (pykka_future_get (answer, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_assert_false (pykka_actor_ref_check_alive (ref, &error));
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  started = pykka_actor_start (actor, &error);
  g_assert_no_error (error);
  g_assert_true (pykka_actor_ref_check_alive (ref, &error));
  g_assert_no_error (error);
  assert_ask_text (ref, &v, "int 1");
  test_stop_all ();
}

static void
test_dead_error_texts (void)
{
  g_autoptr(PykkaActorRef) ref = start_of_type (TEST_TYPE_TYPED);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("A stopped actor's errors name it: tell, ask and check_alive say the same");

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  expected = g_strdup_printf ("Actor TestTyped (%s) is dead", pykka_actor_ref_get_urn (ref));
  test_value_int (&v, 1);
  g_assert_false (pykka_actor_ref_tell (ref, &v, &error));
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_assert_false (pykka_actor_ref_ask_sync (ref, &v, TEST_TIMEOUT_MSEC, NULL, &error));
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_assert_false (pykka_actor_ref_check_alive (ref, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Whether the dump shows @ref suspended on a reply future. */
static gboolean
line_is_suspended (PykkaActorRef *ref)
{
  g_autofree char *dump = pykka_debug_dump_actors ();
  g_autofree char *pattern = g_strdup_printf ("*%s *suspended on a reply future*", pykka_actor_ref_get_urn (ref));

  return g_pattern_match_simple (pattern, dump);
}

/* Replies with the future given as data: the actor suspends on it. */
static gboolean
reply_with_future (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, test_actor_get_data (self));
  return TRUE;
}

static void
test_stop_busy_on_reply_future (void)
{
  g_autoptr(PykkaFuture) pending = pykka_future_new ();
  g_autoptr(PykkaActorRef) inner = test_start (TEST_TYPE_ACTOR, reply_with_future, pending, NULL);
  g_autoptr(PykkaFuture) inner_answer = NULL;
  g_autoptr(PykkaActorRef) outer = NULL;
  g_autoptr(PykkaFuture) outer_answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *inner_who = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("Stopping an actor busy on a reply future times out saying so, and names the future's state: "
                  "no actor behind it, or the actor it waits for; kill stops it");

  /* inner replies with a future that nobody completes. */
  test_value_int (&v, 1);
  inner_answer = pykka_actor_ref_ask (inner, &v);
  test_iterate_until (NULL, line_is_suspended (inner));
  g_assert_false (pykka_actor_ref_stop_sync (inner, 50, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  expected = g_strdup_printf ("Timed out after 50 ms waiting for actor TestActor (%s) to stop: it is busy on a reply "
                              "future, which is still pending and has no actor behind it (whoever holds it must complete it); "
                              "it takes no other message, a stop neither, until then. Stop it at once with "
                              "pykka_actor_ref_kill() (kill() in Python, JavaScript and Vala), which abandons the future",
                              pykka_actor_ref_get_urn (inner));
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_assert_true (pykka_actor_ref_is_alive (inner));

  /* outer replies with the future of its ask to inner. */
  outer = test_start (TEST_TYPE_ACTOR, reply_with_future, inner_answer, NULL);
  outer_answer = pykka_actor_ref_ask (outer, &v);
  test_iterate_until (NULL, line_is_suspended (outer));
  g_assert_false (pykka_actor_ref_ask_sync (outer, &v, 50, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  inner_who = g_strdup_printf ("TestActor (%s)", pykka_actor_ref_get_urn (inner));
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("*: it is busy on a reply future, which is still pending until actor %s answers; "
                              "it takes no other message, a stop neither, until then. Stop it at once with pykka_actor_ref_kill()*",
                              inner_who);
  g_assert_true (g_pattern_match_simple (expected, error->message));
  g_clear_error (&error);

  /* An ask says "a reply". */
  g_assert_false (pykka_actor_ref_ask_sync (inner, &v, 50, NULL, &error));
  g_assert_true (g_str_has_prefix (error->message, "Timed out after 50 ms waiting for a reply from actor TestActor ("));
  g_assert_nonnull (strstr (error->message, "): it is busy on a reply future, which is still pending and has no actor behind it"));
  g_clear_error (&error);

  /* The way out. */
  g_assert_true (pykka_actor_ref_kill (outer));
  g_assert_true (pykka_actor_ref_kill (inner));
  g_assert_null (pykka_future_get (outer_answer, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  test_iterate_until (NULL, !pykka_actor_ref_is_alive (outer) && !pykka_actor_ref_is_alive (inner));
  test_stop_all ();
}

/* Takes longer than the 50 ms the stop below waits. */
static gboolean
take_100_ms (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_usleep (100 * 1000);
  return TRUE;
}

static void
test_stop_behind_a_running_handler (void)
{
  g_autoptr(PykkaActorRef) ref = test_start (TEST_TYPE_ACTOR, take_100_ms, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("A stop that times out behind a handler that ran during the wait says that the actor was "
                  "still handling the messages sent before the stop");

  /* The wait runs the handler (the actor is on this thread's context),
   * which outlasts the deadline: the stop is not started after it. */
  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&v, 1), NULL));
  g_assert_false (pykka_actor_ref_stop_sync (ref, 50, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT);
  expected = g_strdup_printf ("Timed out after 50 ms waiting for actor TestActor (%s) to stop: it was still handling "
                              "the messages sent before the stop", pykka_actor_ref_get_urn (ref));
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL) || !pykka_actor_ref_is_alive (ref));
  test_stop_all ();
}

static void
got_async (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (pykka_future_get_finish (PYKKA_FUTURE (source), result, &error));
  g_assert_no_error (error);
  (*(int *) data)++;
}

/* The dump's line about @context's get_async callbacks, or NULL. */
static char *
async_line (GMainContext *context)
{
  g_autofree char *dump = pykka_debug_dump_actors ();
  g_autofree char *key = g_strdup_printf ("context=%p ", (gpointer) context);
  g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], key) != NULL && strstr (lines[i], "waiting=") != NULL)
      return g_strdup (lines[i]);
  return NULL;
}

static void
test_dump_pending_callbacks (void)
{
  g_autoptr(GMainContext) unrun = g_main_context_new ();
  g_autoptr(PykkaFuture) done = pykka_future_new ();
  g_autoptr(PykkaFuture) pending = pykka_future_new ();
  g_autofree char *line = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  int called = 0;

  g_test_summary ("get_async on a context that no loop runs never calls back; the debug dump lists such "
                  "callbacks per context (waiting for their future, ready to run) until the context runs them");

  test_value_int (&v, 1);
  g_assert_true (pykka_future_set_value (done, &v, NULL));
  g_main_context_push_thread_default (unrun);
  pykka_future_get_async (done, NULL, got_async, &called);
  pykka_future_get_async (pending, NULL, got_async, &called);
  g_main_context_pop_thread_default (unrun);

  line = async_line (unrun);
  g_test_message ("%s", line ? line : "(no line)");
  g_assert_nonnull (line);
  g_assert_true (g_pattern_match_simple ("*waiting=1 ready=1 (ready callbacks run when this context is iterated: if they stay, no loop runs it)", line));
  g_assert_cmpint (called, ==, 0);

  /* Iterating the context runs the ready one. */
  while (g_main_context_iteration (unrun, FALSE))
    ;
  g_assert_cmpint (called, ==, 1);
  g_clear_pointer (&line, g_free);
  line = async_line (unrun);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_suffix (line, "waiting=1 ready=0"));

  g_assert_true (pykka_future_set_value (pending, &v, NULL));
  g_clear_pointer (&line, g_free);
  line = async_line (unrun);
  g_assert_true (g_pattern_match_simple ("*waiting=0 ready=1*", line));
  while (g_main_context_iteration (unrun, FALSE))
    ;
  g_assert_cmpint (called, ==, 2);
  g_clear_pointer (&line, g_free);
  g_assert_null (async_line (unrun));
}


/* ---------------------------------------------------------------------------
 * What crosses threads (PYKKA_DEBUG=threads is set in main())
 */

/* A GObject type with no thread-safety of its own, and two that are
 * marked thread-safe (one through its parent). */
#define TEST_TYPE_SAFE (test_safe_get_type ())
G_DECLARE_DERIVABLE_TYPE (TestSafe, test_safe, TEST, SAFE, GObject)
struct _TestSafeClass { GObjectClass parent_class; };
G_DEFINE_TYPE (TestSafe, test_safe, G_TYPE_OBJECT)
static void test_safe_class_init (TestSafeClass *klass) { }
static void test_safe_init (TestSafe *self) { }

#define TEST_TYPE_SAFE_CHILD (test_safe_child_get_type ())
G_DECLARE_FINAL_TYPE (TestSafeChild, test_safe_child, TEST, SAFE_CHILD, TestSafe)
struct _TestSafeChild { TestSafe parent_instance; };
G_DEFINE_FINAL_TYPE (TestSafeChild, test_safe_child, TEST_TYPE_SAFE)
static void test_safe_child_class_init (TestSafeChildClass *klass) { }
static void test_safe_child_init (TestSafeChild *self) { }

static PykkaActorRef *
start_echo_on_own_thread (void)
{
  TestActor *actor = test_actor_new_of_type (TEST_TYPE_ACTOR, test_echo, NULL, "use-own-thread", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);

  g_assert_no_error (error);
  g_object_unref (actor);
  return ref;
}

/* Asks @ref to echo @message, returns the reply (to unset). */
static void
echo (PykkaActorRef *ref,
      const GValue  *message,
      GValue        *reply)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pykka_actor_ref_ask_sync (ref, message, TEST_TIMEOUT_MSEC, reply, &error));
  g_assert_no_error (error);
}

static void
test_what_is_copied_and_shared (void)
{
  g_autoptr(PykkaActorRef) ref = start_echo_on_own_thread ();
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("abc", 3);
  const char *const words[] = { "a", "b", NULL };
  char text[] = "text";
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(GValue) reply = G_VALUE_INIT;

  g_test_summary ("Strings and boxed types arrive as copies; a GObject, a GVariant and a GBytes arrive as the very "
                  "same instance (shared; the last two are immutable), a pointer as the same address");

  g_value_set_string (g_value_init (&v, G_TYPE_STRING), text);
  echo (ref, &v, &reply);
  g_assert_cmpstr (g_value_get_string (&reply), ==, "text");
  g_assert_true (g_value_get_string (&reply) != g_value_get_string (&v));
  g_value_unset (&v);
  g_value_unset (&reply);

  g_value_set_boxed (g_value_init (&v, G_TYPE_STRV), words);
  echo (ref, &v, &reply);
  g_assert_true (g_strv_equal (g_value_get_boxed (&reply), words));
  g_assert_true (g_value_get_boxed (&reply) != (gpointer) words);
  g_value_unset (&v);
  g_value_unset (&reply);

  g_value_set_variant (g_value_init (&v, G_TYPE_VARIANT), g_variant_new ("(si)", "n", 1));
  echo (ref, &v, &reply);
  g_assert_true (g_value_get_variant (&reply) == g_value_get_variant (&v));
  g_value_unset (&v);
  g_value_unset (&reply);

  g_value_set_boxed (g_value_init (&v, G_TYPE_BYTES), bytes);
  echo (ref, &v, &reply);
  g_assert_true (g_value_get_boxed (&reply) == bytes);
  g_value_unset (&v);
  g_value_unset (&reply);

  /* Shared: the sender and the actor hold the same object (the check
   * warns about it). */
  g_value_set_object (g_value_init (&v, G_TYPE_OBJECT), object);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "PYKKA_DEBUG=threads: a message of type GObject*");
  echo (ref, &v, &reply);
  g_test_assert_expected_messages ();
  g_assert_true (g_value_get_object (&reply) == object);
  g_value_unset (&v);
  g_value_unset (&reply);
  test_stop_all ();
}

static void
test_debug_threads_warns (void)
{
  g_autoptr(PykkaActorRef) remote = start_echo_on_own_thread ();
  g_autoptr(PykkaActorRef) local = start_of_type (TEST_TYPE_TYPED);
  g_autoptr(GObject) plain = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) safe = g_object_new (TEST_TYPE_SAFE_CHILD, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PykkaFuture) future = pykka_future_new ();
  g_autoptr(GPtrArray) array = g_ptr_array_new ();
  g_autoptr(GBytes) bytes = g_bytes_new_static ("abc", 3);
  g_autofree char *expected = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(GValue) reply = G_VALUE_INIT;
  int x = 0;

  g_test_summary ("PYKKA_DEBUG=threads warns once per actor class and type when a GObject not marked thread-safe, "
                  "a raw pointer or a shared container crosses to an actor on another thread; never for copies, "
                  "immutable values, marked types (and their subtypes) or an actor on the sender's thread");

  /* An object crossing: the warning names the type, the actor and its thread. */
  expected = g_strdup_printf ("PYKKA_DEBUG=threads: a message of type TestSafe (a GObject, shared by reference and not "
                              "marked thread-safe) crosses to actor TestActor (%s), which runs on thread “*”: both "
                              "threads now hold it. Send a copy or an immutable value (a GVariant, a GBytes), hand "
                              "the object over and stop touching it, or mark its type with pykka_mark_thread_safe_type() "
                              "(logged once per actor class and type)", pykka_actor_ref_get_urn (remote));
  g_value_set_object (g_value_init (&v, G_TYPE_OBJECT), g_object_new (TEST_TYPE_SAFE, NULL));
  g_object_unref (g_value_get_object (&v));
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, expected);
  echo (remote, &v, &reply);
  g_test_assert_expected_messages ();
  g_value_unset (&reply);
  /* Once: the same type again says nothing (a warning would abort). */
  echo (remote, &v, &reply);
  g_value_unset (&reply);
  g_value_unset (&v);

  /* A raw pointer. */
  g_value_set_pointer (g_value_init (&v, G_TYPE_POINTER), &x);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*message of type gpointer (a raw pointer, passed unchecked)*");
  echo (remote, &v, &reply);
  g_test_assert_expected_messages ();
  g_value_unset (&reply);
  g_value_unset (&v);

  /* A container whose copy is a reference. */
  g_value_set_boxed (g_value_init (&v, G_TYPE_PTR_ARRAY), array);
  g_test_expect_message ("Pykka", G_LOG_LEVEL_WARNING, "*message of type GPtrArray (a container whose copy is a new reference to the same one)*");
  echo (remote, &v, &reply);
  g_test_assert_expected_messages ();
  g_value_unset (&reply);
  g_value_unset (&v);

  /* No warning for these (an unexpected warning aborts the test). */
  g_value_set_object (g_value_init (&v, G_TYPE_CANCELLABLE), cancellable);
  echo (remote, &v, &reply);
  g_value_unset (&reply);
  g_value_unset (&v);
  /* (Complete: the echo replies with it, and waits for it.) */
  g_assert_true (pykka_future_set_value (future, test_value_int (&v, 1), NULL));
  g_value_unset (&v);
  g_value_set_object (g_value_init (&v, PYKKA_TYPE_FUTURE), future);
  echo (remote, &v, &reply);
  g_value_unset (&reply);
  g_value_unset (&v);
  g_value_set_boxed (g_value_init (&v, G_TYPE_BYTES), bytes);
  echo (remote, &v, &reply);
  g_value_unset (&reply);
  g_value_unset (&v);
  g_value_set_variant (g_value_init (&v, G_TYPE_VARIANT), g_variant_new_string ("immutable"));
  echo (remote, &v, &reply);
  g_value_unset (&reply);
  g_value_unset (&v);
  echo (remote, test_value_string (&v, "copied"), &reply);
  g_value_unset (&reply);
  g_value_unset (&v);

  /* A type marked thread-safe, through its parent. */
  pykka_mark_thread_safe_type (TEST_TYPE_SAFE);
  g_value_set_object (g_value_init (&v, G_TYPE_OBJECT), safe);
  echo (remote, &v, &reply);
  g_value_unset (&reply);

  /* An actor on the sender's thread: nothing crosses. */
  g_value_set_object (&v, plain);
  g_assert_true (pykka_actor_ref_ask_sync (local, &v, TEST_TIMEOUT_MSEC, &reply, NULL));
  g_value_unset (&reply);
  g_value_unset (&v);
  test_stop_all ();
}

int
main (int argc, char **argv)
{
  /* Read at the first message: the whole binary runs with the check. */
  g_setenv ("PYKKA_DEBUG", "threads", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Messages/dispatch-by-type", test_dispatch_by_type);
  g_test_add_func ("/Pykka/Messages/handler-errors", test_handler_errors);
  g_test_add_func ("/Pykka/Messages/subclass-handlers", test_subclass_handlers);
  g_test_add_func ("/Pykka/Messages/unhandled-type", test_unhandled_type);
  g_test_add_func ("/Pykka/Threads/copied-and-shared", test_what_is_copied_and_shared);
  g_test_add_func ("/Pykka/Threads/debug-threads-warns", test_debug_threads_warns);
  g_test_add_func ("/Pykka/Errors/never-started", test_never_started);
  g_test_add_func ("/Pykka/Errors/dead", test_dead_error_texts);
  g_test_add_func ("/Pykka/Errors/stop-busy-on-reply-future", test_stop_busy_on_reply_future);
  g_test_add_func ("/Pykka/Errors/stop-behind-a-running-handler", test_stop_behind_a_running_handler);
  g_test_add_func ("/Pykka/Errors/dump-pending-callbacks", test_dump_pending_callbacks);

  return g_test_run ();
}
