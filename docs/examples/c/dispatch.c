/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* dispatch.c: handlers by message type instead of a chain of
 * G_VALUE_HOLDS() tests, and the error of a message of another type.
 *
 * Build: cc dispatch.c $(pkg-config --cflags --libs pykka-glib-1.0) */

#include <pykka-glib/pykka.h>

#define MY_TYPE_CALCULATOR (my_calculator_get_type ())
G_DECLARE_FINAL_TYPE (MyCalculator, my_calculator, MY, CALCULATOR, PykkaActor)

struct _MyCalculator
{
  PykkaActor parent_instance;
  int        total;
};

G_DEFINE_FINAL_TYPE (MyCalculator, my_calculator, PYKKA_TYPE_ACTOR)

/* Only ints come here: no G_VALUE_HOLDS_INT() test, no wrong cast. */
static gboolean
my_calculator_on_int (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  MyCalculator *self = MY_CALCULATOR (actor);

  self->total += g_value_get_int (message);
  g_value_set_int (g_value_init (reply, G_TYPE_INT), self->total);
  return TRUE;
}

static gboolean
my_calculator_on_command (PykkaActor *actor, const GValue *message,
                          GValue *reply, GError **error)
{
  MyCalculator *self = MY_CALCULATOR (actor);

  if (g_strcmp0 (g_value_get_string (message), "reset") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown command “%s”", g_value_get_string (message));
      return FALSE;
    }
  self->total = 0;
  return TRUE;
}

/* A GVariant "(sii)": an operation and its two operands. */
static gboolean
my_calculator_on_operation (PykkaActor *actor, const GValue *message,
                            GValue *reply, GError **error)
{
  const char *op;
  gint32 a, b;

  g_variant_get (g_value_get_variant (message), "(&sii)", &op, &a, &b);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, g_str_equal (op, "*") ? a * b : a + b);
  return TRUE;
}

static void
my_calculator_class_init (MyCalculatorClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  pykka_actor_class_add_handler (actor_class, G_TYPE_INT, my_calculator_on_int);
  pykka_actor_class_add_handler (actor_class, G_TYPE_STRING, my_calculator_on_command);
  pykka_actor_class_add_variant_handler (actor_class, "(sii)", my_calculator_on_operation);
}

static void
my_calculator_init (MyCalculator *self)
{
}

static int
ask_int (PykkaActorRef *ref, const GValue *message)
{
  g_auto(GValue) reply = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (!pykka_actor_ref_ask_sync (ref, message, 5000, &reply, &error))
    g_error ("%s", error->message);
  return g_value_get_int (&reply);
}

int
main (void)
{
  g_autoptr(PykkaActor) calculator = g_object_new (MY_TYPE_CALCULATOR, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (calculator, NULL);
  g_auto(GValue) number = G_VALUE_INIT;
  g_auto(GValue) operation = G_VALUE_INIT;
  g_auto(GValue) wrong = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_value_set_int (g_value_init (&number, G_TYPE_INT), 5);
  g_print ("total: %d\n", ask_int (ref, &number));  /* total: 5 */
  g_value_set_variant (g_value_init (&operation, G_TYPE_VARIANT),
                       g_variant_new ("(sii)", "*", 6, 7));
  g_print ("6 * 7 = %d\n", ask_int (ref, &operation));  /* 6 * 7 = 42 */

  /* A double: no handler takes it. The ask fails; the actor lives on. */
  g_value_set_double (g_value_init (&wrong, G_TYPE_DOUBLE), 2.5);
  if (!pykka_actor_ref_ask_sync (ref, &wrong, 5000, NULL, &error))
    g_print ("%s\n", error->message);
  /* Actor MyCalculator (urn:uuid:…) has no handler for a message of type
   * gdouble: it handles gint, gchararray, GVariant '(sii)'. Send one of
   * those, or add a handler for this type to the actor’s class */
  g_assert_true (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT));
  g_print ("still alive: %s\n", pykka_actor_ref_is_alive (ref) ? "yes" : "no");

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
