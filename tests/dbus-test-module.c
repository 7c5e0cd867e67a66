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
