/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lifecycle.c: what failures do. An error answers an ask and the actor
 * lives on; an error in a told message stops the actor, after on_failure
 * and without on_stop. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_PARSER (my_parser_get_type ())
G_DECLARE_FINAL_TYPE (MyParser, my_parser, MY, PARSER, PykkaActor)

struct _MyParser
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyParser, my_parser, PYKKA_TYPE_ACTOR)

static gboolean
my_parser_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  const char *text = g_value_get_string (message);
  gint64 number;

  if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &number, error))
    return FALSE;
  g_value_set_int (g_value_init (reply, G_TYPE_INT), (int) number);
  return TRUE;
}

static void
my_parser_on_failure (PykkaActor *actor, const GError *error)
{
  g_print ("on_failure: %s\n", error->message);
}

static gboolean
my_parser_on_stop (PykkaActor *actor, GError **error)
{
  g_print ("on_stop\n");  /* not reached in this example */
  return TRUE;
}

static void
my_parser_class_init (MyParserClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  actor_class->on_receive = my_parser_on_receive;
  actor_class->on_failure = my_parser_on_failure;
  actor_class->on_stop = my_parser_on_stop;
}

static void
my_parser_init (MyParser *self)
{
}

static GValue *
string_value (GValue *value, const char *text)
{
  g_value_set_string (g_value_init (value, G_TYPE_STRING), text);
  return value;
}

int
main (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (MY_TYPE_PARSER, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (actor, NULL);
  g_auto(GValue) bad = G_VALUE_INIT;
  g_auto(GValue) good = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  string_value (&bad, "forty-two");
  string_value (&good, "42");

  /* The asker gets the error; the actor lives on. */
  if (pykka_actor_ref_ask_sync (ref, &bad, 5000, NULL, &error))
    g_error ("Parsed a bad number");
  g_print ("ask failed: %s\n", error->message);
  g_clear_error (&error);
  g_assert_true (pykka_actor_ref_is_alive (ref));

  /* Nobody waits for a told message: its error stops the actor. */
  pykka_actor_ref_tell (ref, &bad, NULL);
  g_autoptr(PykkaFuture) after = pykka_actor_ref_ask (ref, &good);
  if (pykka_future_get (after, 5000, &error) != NULL)
    g_error ("The actor survived a failed tell");
  g_print ("then: %s\n", error->message);  /* Actor MyParser (urn:…) is dead */
  g_assert_false (pykka_actor_ref_is_alive (ref));
  return 0;
}
