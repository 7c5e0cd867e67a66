/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hello.c: the smallest actor, asked once and stopped.
 *
 * Build: cc hello.c $(pkg-config --cflags --libs pykka-glib-1.0) */

#include <pykka-glib/pykka.h>

#define HELLO_TYPE_GREETER (hello_greeter_get_type ())
G_DECLARE_FINAL_TYPE (HelloGreeter, hello_greeter, HELLO, GREETER, PykkaActor)

struct _HelloGreeter
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (HelloGreeter, hello_greeter, PYKKA_TYPE_ACTOR)

static gboolean
hello_greeter_on_receive (PykkaActor *actor, const GValue *message,
                          GValue *reply, GError **error)
{
  g_value_init (reply, G_TYPE_STRING);
  g_value_take_string (reply, g_strdup_printf ("Hi there, %s!", g_value_get_string (message)));
  return TRUE;
}

static void
hello_greeter_class_init (HelloGreeterClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = hello_greeter_on_receive;
}

static void
hello_greeter_init (HelloGreeter *self)
{
}

int
main (void)
{
  g_autoptr(PykkaActor) greeter = g_object_new (HELLO_TYPE_GREETER, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (greeter, NULL);
  g_auto(GValue) name = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_value_set_string (g_value_init (&name, G_TYPE_STRING), "Alice");
  g_autoptr(PykkaFuture) answer = pykka_actor_ref_ask (ref, &name);
  const GValue *reply = pykka_future_get (answer, 5000, &error);
  if (reply == NULL)
    g_error ("%s", error->message);
  g_print ("%s\n", g_value_get_string (reply));  /* Hi there, Alice! */

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
