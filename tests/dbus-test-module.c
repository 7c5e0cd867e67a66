/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A loadable module with an actor class for pykka-glib-host (issue 17.4),
 * used by tests/test-dbus.c: echoes ints + 1, tells its pid, and crashes
 * or sleeps on request. */

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <pykka-glib/pykka.h>

#define TEST_TYPE_HOST_ACTOR (test_host_actor_get_type ())
G_DECLARE_FINAL_TYPE (TestHostActor, test_host_actor, TEST, HOST_ACTOR, PykkaActor)

/* Exported for pykka-glib-host, which finds it by the type's name. */
G_MODULE_EXPORT GType test_host_actor_get_type (void);

struct _TestHostActor
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (TestHostActor, test_host_actor, PYKKA_TYPE_ACTOR)

static gboolean
test_host_actor_on_receive (PykkaActor    *actor,
                            const GValue  *message,
                            GValue        *reply,
                            GError       **error)
{
  if (G_VALUE_HOLDS_INT (message))
    {
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, g_value_get_int (message) + 1);
      return TRUE;
    }
  if (G_VALUE_HOLDS_STRING (message))
    {
      const char *s = g_value_get_string (message);

      if (g_strcmp0 (s, "pid") == 0)
        {
          g_value_init (reply, G_TYPE_STRING);
          g_value_take_string (reply, g_strdup_printf ("%d", (int) getpid ()));
          return TRUE;
        }
      if (g_str_has_prefix (s, "ask-back "))
        {
          /* "ask-back BUS-NAME PATH N": asks, through the session bus, the
           * actor that the asking process exported, and answers what it
           * answered: two processes asking each other. */
          g_auto(GStrv) words = g_strsplit (s, " ", 4);
          g_autoptr(GDBusConnection) bus = NULL;
          g_autoptr(PykkaRemoteRef) back = NULL;
          g_autoptr(PykkaFuture) answer = NULL;
          GValue n = G_VALUE_INIT;
          const GValue *value;

          if (g_strv_length (words) != 4 ||
              (bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error)) == NULL)
            return FALSE;
          back = pykka_remote_ref_new (bus, words[1], words[2]);
          g_value_init (&n, G_TYPE_INT);
          g_value_set_int (&n, atoi (words[3]));
          answer = pykka_remote_ref_ask (back, &n);
          value = pykka_future_get (answer, 10000, error);
          if (value == NULL)
            return FALSE;
          g_value_init (reply, G_TYPE_INT);
          g_value_set_int (reply, g_value_get_int (value) + 100);
          return TRUE;
        }
      if (g_strcmp0 (s, "segv") == 0)
        raise (SIGSEGV);
      if (g_strcmp0 (s, "abort") == 0)
        abort ();
      if (g_strcmp0 (s, "sleep") == 0)
        {
          /* Until killed (bounded, so that nothing lingers). */
          for (int i = 0; i < 600; i++)
            g_usleep (100000);
          return TRUE;
        }
    }
  g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT, "unexpected");
  return FALSE;
}

static void
test_host_actor_class_init (TestHostActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = test_host_actor_on_receive;
}

static void
test_host_actor_init (TestHostActor *self)
{
}
