/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "test-util.h"

GValue *
test_value_int (GValue *value, gint v)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, v);
  return value;
}

GValue *
test_value_string (GValue *value, const char *v)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, v);
  return value;
}

void
test_tell_int (PykkaActorRef *ref, gint v)
{
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (pykka_actor_ref_tell (ref, test_value_int (&value, v), &error));
  g_assert_no_error (error);
  g_value_unset (&value);
}

PykkaFuture *
test_ask_int (PykkaActorRef *ref, gint v)
{
  GValue value = G_VALUE_INIT;
  PykkaFuture *f = pykka_actor_ref_ask (ref, test_value_int (&value, v));

  g_value_unset (&value);
  return f;
}

PykkaFuture *
test_ask_object (PykkaActorRef *ref, gpointer object)
{
  GValue value = G_VALUE_INIT;
  PykkaFuture *f;

  g_value_init (&value, G_TYPE_OBJECT);
  g_value_set_object (&value, object);
  f = pykka_actor_ref_ask (ref, &value);
  g_value_unset (&value);
  return f;
}

gint
test_get_int (PykkaFuture *future)
{
  g_autoptr(GError) error = NULL;
  const GValue *v = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);

  g_assert_no_error (error);
  return g_value_get_int (v);
}

typedef struct
{
  TestReceiveFunc receive;
  TestHookFunc    on_start;
  TestHookFunc    on_stop;
  gpointer        data;
  TestRecord     *record;  /* (owned by the test, see test_record_free) */
} TestActorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (TestActor, test_actor, PYKKA_TYPE_ACTOR)

static gboolean
test_actor_on_start (PykkaActor *actor, GError **error)
{
  TestActorPrivate *priv = test_actor_get_instance_private (TEST_ACTOR (actor));

  g_atomic_int_inc (&priv->record->n_started);
  if (priv->on_start != NULL)
    return priv->on_start (TEST_ACTOR (actor), error);
  return TRUE;
}

static gboolean
test_actor_on_stop (PykkaActor *actor, GError **error)
{
  TestActorPrivate *priv = test_actor_get_instance_private (TEST_ACTOR (actor));

  g_atomic_int_inc (&priv->record->n_stopped);
  if (priv->on_stop != NULL)
    return priv->on_stop (TEST_ACTOR (actor), error);
  return TRUE;
}

static void
test_actor_on_failure (PykkaActor *actor, const GError *error)
{
  TestActorPrivate *priv = test_actor_get_instance_private (TEST_ACTOR (actor));

  g_mutex_lock (&priv->record->mutex);
  g_free (priv->record->last_failure);
  priv->record->last_failure = g_strdup (error->message);
  g_mutex_unlock (&priv->record->mutex);
  g_atomic_int_inc (&priv->record->n_failures);
}

static gboolean
test_actor_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  TestActorPrivate *priv = test_actor_get_instance_private (TEST_ACTOR (actor));
  TestRecord *r = priv->record;
  GMainContext *ctx = g_main_context_ref_thread_default ();

  g_mutex_lock (&r->mutex);
  r->thread = g_thread_self ();
  r->handler_context = ctx;
  g_mutex_unlock (&r->mutex);
  g_main_context_unref (ctx);
  g_atomic_int_inc (&r->n_received);

  if (priv->receive != NULL)
    return priv->receive (TEST_ACTOR (actor), message, reply, error);
  return TRUE;
}

static void
test_actor_finalize (GObject *object)
{
  TestActorPrivate *priv = test_actor_get_instance_private (TEST_ACTOR (object));

  test_record_free (priv->record);
  G_OBJECT_CLASS (test_actor_parent_class)->finalize (object);
}

static void
test_actor_class_init (TestActorClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_actor_finalize;
  actor_class->on_start = test_actor_on_start;
  actor_class->on_stop = test_actor_on_stop;
  actor_class->on_failure = test_actor_on_failure;
  actor_class->on_receive = test_actor_on_receive;
}

static TestRecord *
test_record_new (void)
{
  TestRecord *r = g_new0 (TestRecord, 1);

  r->ref_count = 1;
  g_mutex_init (&r->mutex);
  r->ints = g_array_new (FALSE, FALSE, sizeof (gint));
  return r;
}

static void
test_actor_init (TestActor *self)
{
  TestActorPrivate *priv = test_actor_get_instance_private (self);

  priv->record = test_record_new ();
}

TestRecord *
test_record_ref (TestRecord *r)
{
  g_atomic_int_inc (&r->ref_count);
  return r;
}

void
test_record_free (TestRecord *r)
{
  if (!g_atomic_int_dec_and_test (&r->ref_count))
    return;
  g_array_unref (r->ints);
  g_free (r->last_failure);
  g_mutex_clear (&r->mutex);
  g_free (r);
}

TestActor *
test_actor_new_of_type (GType type, TestReceiveFunc receive, gpointer data, const char *first_prop, ...)
{
  TestActor *self;
  TestActorPrivate *priv;
  va_list args;

  va_start (args, first_prop);
  self = TEST_ACTOR (g_object_new_valist (type, first_prop, args));
  va_end (args);
  priv = test_actor_get_instance_private (self);
  priv->receive = receive;
  priv->data = data;
  return self;
}

TestActor *
test_actor_new (TestReceiveFunc receive, gpointer data)
{
  return test_actor_new_of_type (TEST_TYPE_ACTOR, receive, data, NULL);
}

TestRecord *
test_actor_get_record (TestActor *self)
{
  TestActorPrivate *priv = test_actor_get_instance_private (self);
  return priv->record;
}

gpointer
test_actor_get_data (TestActor *self)
{
  TestActorPrivate *priv = test_actor_get_instance_private (self);
  return priv->data;
}

void
test_actor_set_on_start (TestActor *self, TestHookFunc func)
{
  TestActorPrivate *priv = test_actor_get_instance_private (self);
  priv->on_start = func;
}

void
test_actor_set_on_stop (TestActor *self, TestHookFunc func)
{
  TestActorPrivate *priv = test_actor_get_instance_private (self);
  priv->on_stop = func;
}

PykkaActorRef *
test_start (GType type, TestReceiveFunc receive, gpointer data, TestRecord **record)
{
  g_autoptr(TestActor) actor = test_actor_new_of_type (type ? type : TEST_TYPE_ACTOR, receive, data, NULL);
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref;

  if (record != NULL)
    *record = test_record_ref (test_actor_get_record (actor));
  ref = pykka_actor_start (PYKKA_ACTOR (actor), &error);
  g_assert_no_error (error);
  g_assert_nonnull (ref);
  return ref;
}

struct _TestStackfulActor
{
  TestActor parent_instance;
};

G_DEFINE_FINAL_TYPE (TestStackfulActor, test_stackful_actor, TEST_TYPE_ACTOR)

static void
test_stackful_actor_class_init (TestStackfulActorClass *klass)
{
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
test_stackful_actor_init (TestStackfulActor *self)
{
}

gboolean
test_echo (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_value_init (reply, G_VALUE_TYPE (message));
  g_value_copy (message, reply);
  return TRUE;
}

gboolean
test_record_int (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  TestRecord *r = test_actor_get_record (self);
  gint v = g_value_get_int (message);

  g_mutex_lock (&r->mutex);
  g_array_append_val (r->ints, v);
  g_mutex_unlock (&r->mutex);
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, v);
  return TRUE;
}

gboolean
test_fail (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "handler failed on purpose");
  return FALSE;
}

void
test_stop_all (void)
{
  g_autoptr(GError) error = NULL;

  pykka_registry_stop_all (TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_null (pykka_registry_get_all ());
}
