/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* reply-with-future.c: a handler that answers later. It replies with a
 * future; the actor takes no other message until the future completes,
 * and the ask is answered with the future's outcome. This is how handlers
 * in any language suspend without a coroutine. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_SLOW (my_slow_get_type ())
G_DECLARE_FINAL_TYPE (MySlow, my_slow, MY, SLOW, PykkaActor)

struct _MySlow
{
  PykkaActor parent_instance;
  GString   *log;  /* the order in which things happened */
};

G_DEFINE_FINAL_TYPE (MySlow, my_slow, PYKKA_TYPE_ACTOR)

static gboolean
complete_later (gpointer data)
{
  PykkaFuture *future = data;
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_static_string (g_value_init (&value, G_TYPE_STRING), "done");
  pykka_future_set_value (future, &value, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
my_slow_on_receive (PykkaActor *actor, const GValue *message,
                    GValue *reply, GError **error)
{
  MySlow *self = MY_SLOW (actor);
  const char *request = g_value_get_string (message);

  g_string_append_printf (self->log, "%s ", request);
  if (g_str_equal (request, "slow"))
    {
      PykkaFuture *later = pykka_future_new ();

      /* Some asynchronous work completes the future; a timer here. */
      g_timeout_add_full (G_PRIORITY_DEFAULT, 50, complete_later,
                          g_object_ref (later), g_object_unref);
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_take_object (reply, later);
      return TRUE;
    }

  g_value_init (reply, G_TYPE_STRING);
  g_value_set_string (reply, self->log->str);
  return TRUE;
}

static void
my_slow_finalize (GObject *object)
{
  g_string_free (MY_SLOW (object)->log, TRUE);
  G_OBJECT_CLASS (my_slow_parent_class)->finalize (object);
}

static void
my_slow_class_init (MySlowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = my_slow_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_slow_on_receive;
}

static void
my_slow_init (MySlow *self)
{
  self->log = g_string_new (NULL);
}

static PykkaFuture *
ask_string (PykkaActorRef *ref, const char *text)
{
  g_auto(GValue) message = G_VALUE_INIT;

  g_value_set_static_string (g_value_init (&message, G_TYPE_STRING), text);
  return pykka_actor_ref_ask (ref, &message);
}

int
main (void)
{
  g_autoptr(PykkaActor) actor = g_object_new (MY_TYPE_SLOW, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (actor, NULL);
  g_autoptr(GError) error = NULL;

  g_autoptr(PykkaFuture) slow = ask_string (ref, "slow");
  g_autoptr(PykkaFuture) quick = ask_string (ref, "quick");

  /* "quick" waits behind "slow" until the timer completes its future. */
  const GValue *log = pykka_future_get (quick, 5000, &error);
  if (log == NULL)
    g_error ("%s", error->message);
  g_print ("slow: %s\n", g_value_get_string (pykka_future_get (slow, 0, NULL)));
  g_print ("order: %s\n", g_value_get_string (log));  /* order: slow quick */
  g_assert_true (pykka_future_is_done (slow));

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
