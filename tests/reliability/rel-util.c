/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <stdlib.h>

#include "rel-util.h"

static void
leak_weak_notify (gpointer  data,
                  GObject  *where_the_object_was)
{
  RelLeakCounter *counter = data;

  g_atomic_int_inc (&counter->finalized);
}

void
rel_leak_watch (RelLeakCounter *counter,
                gpointer        object)
{
  g_atomic_int_inc (&counter->watched);
  g_object_weak_ref (object, leak_weak_notify, counter);
}

void
rel_leak_assert_all_freed (RelLeakCounter *counter)
{
  /* Own-thread actors are released on their threads, a little later. */
  test_iterate_until (NULL, g_atomic_int_get (&counter->finalized) ==
                            g_atomic_int_get (&counter->watched));
  g_assert_cmpint (counter->finalized, ==, counter->watched);
}

guint
rel_scaled (guint n)
{
  const char *scale = g_getenv ("PYKKA_STRESS_SCALE");
  double f = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  if (f <= 0)
    f = 1.0;
  return MAX (1, (guint) (n * f));
}

void
rel_assert_future_error (PykkaFuture *future,
                         GQuark       domain,
                         gint         code)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);

  g_assert_null (value);
  g_assert_error (error, domain, code);
}

gint
rel_future_get_int (PykkaFuture *future)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS_INT (value));
  return g_value_get_int (value);
}

struct _RelEchoActor
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (RelEchoActor, rel_echo_actor, PYKKA_TYPE_ACTOR)

static gboolean
rel_echo_actor_on_receive (PykkaActor    *actor,
                           const GValue  *message,
                           GValue        *reply,
                           GError       **error)
{
  g_value_init (reply, G_VALUE_TYPE (message));
  g_value_copy (message, reply);
  return TRUE;
}

static void
rel_echo_actor_class_init (RelEchoActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = rel_echo_actor_on_receive;
}

static void
rel_echo_actor_init (RelEchoActor *self)
{
}
