/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Messages and errors (issue 19): handlers by message type and the error
 * of a message no handler takes. */

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Messages/dispatch-by-type", test_dispatch_by_type);
  g_test_add_func ("/Pykka/Messages/handler-errors", test_handler_errors);
  g_test_add_func ("/Pykka/Messages/subclass-handlers", test_subclass_handlers);
  g_test_add_func ("/Pykka/Messages/unhandled-type", test_unhandled_type);

  return g_test_run ();
}
