/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Actors across processes (issue 17): values, exports (generic and
 * typed), remote refs on a private bus (GTestDBus) and peer to peer, and
 * actors in a helper process. Every wait has TEST_TIMEOUT_MSEC. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "test-util.h"
#include "pykka-dbus-private.h"

static GTestDBus *bus;

/* ---- an actor for the tests ---- */

#define ECHO_TYPE_ACTOR (echo_actor_get_type ())
G_DECLARE_FINAL_TYPE (EchoActor, echo_actor, ECHO, ACTOR, PykkaActor)

struct _EchoActor
{
  PykkaActor parent_instance;
  gint       n_told;    /* atomic */
};

G_DEFINE_FINAL_TYPE (EchoActor, echo_actor, PYKKA_TYPE_ACTOR)

/* Released by the tests that block a handler. */
static GMutex block_mutex;
static GCond  block_cond;
static gboolean block_released;
static gboolean block_entered;

static void
block_reset (void)
{
  g_mutex_lock (&block_mutex);
  block_released = FALSE;
  block_entered = FALSE;
  g_mutex_unlock (&block_mutex);
}

static void
block_release (void)
{
  g_mutex_lock (&block_mutex);
  block_released = TRUE;
  g_cond_broadcast (&block_cond);
  g_mutex_unlock (&block_mutex);
}

static gboolean
block_has_entered (void)
{
  gboolean entered;

  g_mutex_lock (&block_mutex);
  entered = block_entered;
  g_mutex_unlock (&block_mutex);
  return entered;
}

static gboolean
echo_actor_on_receive (PykkaActor    *actor,
                       const GValue  *message,
                       GValue        *reply,
                       GError       **error)
{
  EchoActor *self = ECHO_ACTOR (actor);

  if (G_VALUE_HOLDS_STRING (message))
    {
      const char *s = g_value_get_string (message);

      if (g_strcmp0 (s, "io-error") == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
          return FALSE;
        }
      if (g_strcmp0 (s, "pykka-error") == 0)
        {
          g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL, "full up");
          return FALSE;
        }
      if (g_strcmp0 (s, "object") == 0)
        {
          g_value_init (reply, G_TYPE_OBJECT);
          g_value_take_object (reply, g_object_new (G_TYPE_OBJECT, NULL));
          return TRUE;
        }
      if (g_strcmp0 (s, "told") == 0)
        {
          g_value_init (reply, G_TYPE_INT);
          g_value_set_int (reply, g_atomic_int_get (&self->n_told));
          return TRUE;
        }
      if (g_strcmp0 (s, "tell") == 0)
        {
          g_atomic_int_inc (&self->n_told);
          return TRUE;
        }
      if (g_strcmp0 (s, "block") == 0)
        {
          gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

          g_mutex_lock (&block_mutex);
          block_entered = TRUE;
          while (!block_released && g_cond_wait_until (&block_cond, &block_mutex, end))
            ;
          g_mutex_unlock (&block_mutex);
          return TRUE;
        }
    }
  if (G_VALUE_HOLDS_INT (message))
    {
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, g_value_get_int (message) + 1);
      return TRUE;
    }
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_DBUS_CALL))
    {
      PykkaDBusCall *call = g_value_get_boxed (message);
      const char *name = pykka_dbus_call_get_method_name (call);
      GVariant *params = pykka_dbus_call_get_parameters (call);

      if (g_str_equal (name, "Add"))
        {
          gint a, b;

          g_variant_get (params, "(ii)", &a, &b);
          g_value_init (reply, G_TYPE_INT);
          g_value_set_int (reply, a + b);
          return TRUE;
        }
      if (g_str_equal (name, "Greet"))
        {
          const char *who;

          g_variant_get (params, "(&s)", &who);
          g_value_init (reply, G_TYPE_VARIANT);
          g_value_set_variant (reply, g_variant_new ("(s)", who));
          return TRUE;
        }
      if (g_str_equal (name, "Nothing"))
        return TRUE;
      if (g_str_equal (name, "Deep"))
        {
          guint depth;
          GVariant *v;

          /* @depth variants around an int, the out argument's included. */
          g_variant_get (params, "(u)", &depth);
          v = g_variant_new_int32 (7);
          for (guint i = 0; i < depth; i++)
            v = g_variant_new_variant (v);
          g_value_init (reply, G_TYPE_VARIANT);
          g_value_set_variant (reply, g_variant_new_tuple (&v, 1));
          return TRUE;
        }
      if (g_str_equal (name, "Wrong"))
        {
          g_value_init (reply, G_TYPE_STRING);
          g_value_set_string (reply, "not an int");
          return TRUE;
        }
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "unknown");
      return FALSE;
    }
  g_value_init (reply, G_VALUE_TYPE (message));
  g_value_copy (message, reply);
  return TRUE;
}

static void
echo_actor_class_init (EchoActorClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = echo_actor_on_receive;
}

static void
echo_actor_init (EchoActor *self)
{
}

static PykkaActorRef *
start_echo (gboolean own_thread)
{
  g_autoptr(GError) error = NULL;
  PykkaActor *actor = g_object_new (ECHO_TYPE_ACTOR, "use-own-thread", own_thread, NULL);
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  g_assert_no_error (error);
  g_object_unref (actor);
  return ref;
}

static void
stop_echo (PykkaActorRef *ref)
{
  g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

  test_iterate_until (NULL, pykka_future_is_done (stopped));
}

static GDBusConnection *
bus_connect (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                            | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);

  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  return connection;
}

/* Iterates the default context until @future is done (for the tests
 * whose server accepts connections there), then returns its value. */
static const GValue *
wait_future (PykkaFuture  *future,
             GError      **error)
{
  test_iterate_until (NULL, pykka_future_is_done (future));
  return pykka_future_get (future, 0, error);
}

static gint
wait_int (PykkaFuture *future)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = wait_future (future, &error);

  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_INT (value));
  return g_value_get_int (value);
}

/* ---- values ---- */

static void
round_trip (const GValue *in,
            GType         expected_type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) variant = pykka_dbus_value_to_variant (in, &error);
  g_autoptr(GVariant) wire = NULL;
  g_auto(GValue) out = G_VALUE_INIT;

  g_assert_no_error (error);
  g_assert_nonnull (variant);
  /* Through the wire format, as D-Bus carries it. */
  wire = g_variant_new_from_data (g_variant_get_type (variant),
                                  g_variant_get_data (variant), g_variant_get_size (variant),
                                  FALSE, NULL, NULL);
  wire = g_variant_ref_sink (wire);
  g_assert_true (pykka_dbus_value_from_variant (wire, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (g_type_name (G_VALUE_TYPE (&out)), ==, g_type_name (expected_type));
  if (expected_type == G_TYPE_INVALID)
    return;
  if (expected_type == G_TYPE_VARIANT && G_VALUE_HOLDS (in, G_TYPE_VARIANT))
    {
      GVariant *a = g_value_get_variant (in), *b = g_value_get_variant (&out);

      g_assert_true ((a == NULL && b == NULL) || (a != NULL && b != NULL && g_variant_equal (a, b)));
    }
  else if (expected_type == G_TYPE_STRING)
    g_assert_cmpstr (g_value_get_string (in), ==, g_value_get_string (&out));
  else if (expected_type == G_TYPE_INT && G_VALUE_HOLDS_INT (in))
    g_assert_cmpint (g_value_get_int (in), ==, g_value_get_int (&out));
  else if (expected_type == G_TYPE_UINT64)
    g_assert_cmpuint (g_value_get_uint64 (in), ==, g_value_get_uint64 (&out));
  else if (expected_type == G_TYPE_DOUBLE)
    g_assert_cmpfloat (g_value_get_double (in), ==, g_value_get_double (&out));
  else if (expected_type == G_TYPE_BOOLEAN)
    g_assert_cmpint (g_value_get_boolean (in), ==, g_value_get_boolean (&out));
  else if (expected_type == G_TYPE_STRV)
    g_assert_true (g_strv_equal (g_value_get_boxed (in), g_value_get_boxed (&out)));
  else if (expected_type == G_TYPE_BYTES)
    g_assert_true (g_bytes_equal (g_value_get_boxed (in), g_value_get_boxed (&out)));
}

static void
test_values (void)
{
  GValue v = G_VALUE_INIT;
  const char *strv[] = { "a", "b", NULL };
  g_autoptr(GBytes) bytes = g_bytes_new ("\0\1\2", 3);
  GVariantDict dict;

  round_trip (&v, G_TYPE_INVALID);

  g_value_init (&v, G_TYPE_BOOLEAN);
  g_value_set_boolean (&v, TRUE);
  round_trip (&v, G_TYPE_BOOLEAN);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, -42);
  round_trip (&v, G_TYPE_INT);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_UINT64);
  g_value_set_uint64 (&v, G_MAXUINT64);
  round_trip (&v, G_TYPE_UINT64);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, 2.5);
  round_trip (&v, G_TYPE_DOUBLE);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, "héllo");
  round_trip (&v, G_TYPE_STRING);
  g_value_set_string (&v, NULL);     /* no value */
  round_trip (&v, G_TYPE_INVALID);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_STRV);
  g_value_set_boxed (&v, strv);
  round_trip (&v, G_TYPE_STRV);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_BYTES);
  g_value_set_boxed (&v, bytes);
  round_trip (&v, G_TYPE_BYTES);
  g_value_unset (&v);

  /* A GVariant arrives as a GVariant, even one of a plain type. */
  g_value_init (&v, G_TYPE_VARIANT);
  g_value_set_variant (&v, g_variant_new_int32 (7));
  round_trip (&v, G_TYPE_VARIANT);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "k", "s", "v");
  g_value_set_variant (&v, g_variant_dict_end (&dict));
  round_trip (&v, G_TYPE_VARIANT);
  /* A NULL GVariant is "no value". */
  g_value_set_variant (&v, NULL);
  round_trip (&v, G_TYPE_INVALID);
  g_value_unset (&v);

  /* So is a NULL pointer (Python's None). */
  g_value_init (&v, G_TYPE_POINTER);
  round_trip (&v, G_TYPE_INVALID);
  g_value_unset (&v);
}

static void
test_values_that_cannot_cross (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_auto(GValue) out = G_VALUE_INIT;
  GValue v = G_VALUE_INIT;
  char *big;

  g_value_init (&v, G_TYPE_OBJECT);
  g_value_take_object (&v, g_object_new (G_TYPE_OBJECT, NULL));
  variant = pykka_dbus_value_to_variant (&v, &error);
  g_assert_null (variant);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "GObject"));
  g_clear_error (&error);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_POINTER);
  g_value_set_pointer (&v, &v);
  g_assert_null (pykka_dbus_value_to_variant (&v, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_static_string (&v, "\xff\xfe");
  g_assert_null (pykka_dbus_value_to_variant (&v, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  big = g_malloc (PYKKA_DBUS_MAX_VALUE_SIZE + 2);
  memset (big, 'a', PYKKA_DBUS_MAX_VALUE_SIZE + 1);
  big[PYKKA_DBUS_MAX_VALUE_SIZE + 1] = '\0';
  g_value_take_string (&v, big);
  g_assert_null (pykka_dbus_value_to_variant (&v, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_value_unset (&v);

  /* A file descriptor index does not become a message. */
  variant = g_variant_ref_sink (g_variant_new_handle (0));
  g_assert_false (pykka_dbus_value_from_variant (variant, &out, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_assert_true (G_VALUE_TYPE (&out) == G_TYPE_INVALID);
}

/* ---- exports ---- */

static GVariant *
ask_raw (GDBusConnection  *client,
         const char       *name,
         GVariant         *message,
         GError          **error)
{
  return g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE,
                                      "Ask", g_variant_new ("(v)", message),
                                      G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                      TEST_TIMEOUT_MSEC, NULL, error);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
on_properties_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *iface,
                       const char      *signal,
                       GVariant        *params,
                       gpointer         user_data)
{
  gboolean *dead = user_data;
  g_autoptr(GVariant) changed = g_variant_get_child_value (params, 1);
  gboolean alive = TRUE;

  if (g_variant_lookup (changed, "Alive", "b", &alive) && !alive)
    *dead = TRUE;
}

static void
test_generic_export (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  const char *name = g_dbus_connection_get_unique_name (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) inner = NULL;
  gboolean dead = FALSE;
  guint id, sub;

  id = pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, !=, 0);

  /* Ask, as gdbus call would. */
  reply = ask_raw (client, name, g_variant_new_int32 (41), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &inner);
  g_assert_cmpint (g_variant_get_int32 (inner), ==, 42);
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&inner, g_variant_unref);

  /* Tell, then an ask queued behind it sees it. */
  reply = g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE, "Tell",
                                       g_variant_new ("(v)", g_variant_new_string ("tell")),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = ask_raw (client, name, g_variant_new_string ("told"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &inner);
  g_assert_cmpint (g_variant_get_int32 (inner), ==, 1);
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&inner, g_variant_unref);

  /* A handler's error arrives as a D-Bus error with a registered name. */
  reply = ask_raw (client, name, g_variant_new_string ("io-error"), &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  reply = ask_raw (client, name, g_variant_new_string ("pykka-error"), &error);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL);
  g_clear_error (&error);

  /* A reply that cannot cross fails the call, not the actor. */
  reply = ask_raw (client, name, g_variant_new_string ("object"), &error);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Bad arguments are refused. */
  reply = g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE, "Ask",
                                       g_variant_new ("(i)", 1), NULL, G_DBUS_CALL_FLAGS_NONE,
                                       TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  reply = ask_raw (client, name, g_variant_new_handle (0), &error);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  reply = g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE, "Nope",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                       TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  /* Alive (answered by GDBus in this thread's default context), and
   * PropertiesChanged at the death. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    g_dbus_connection_call (client, name, "/test/echo", "org.freedesktop.DBus.Properties",
                            "Get", g_variant_new ("(ss)", PYKKA_DBUS_INTERFACE, "Alive"),
                            G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                            TEST_TIMEOUT_MSEC, NULL, store_result, &result);
    test_iterate_until (NULL, result != NULL);
    reply = g_dbus_connection_call_finish (client, result, &error);
    g_assert_no_error (error);
  }
  g_variant_get (reply, "(v)", &inner);
  g_assert_true (g_variant_get_boolean (inner));
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&inner, g_variant_unref);

  sub = g_dbus_connection_signal_subscribe (client, name, "org.freedesktop.DBus.Properties",
                                            "PropertiesChanged", "/test/echo", NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed,
                                            &dead, NULL);
  /* The match rule is in place once a round trip to the bus is done. */
  reply = g_dbus_connection_call_sync (client, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE, "Stop",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC,
                                       NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_assert_false (pykka_actor_ref_is_alive (ref));
  test_iterate_until (NULL, dead);
  g_dbus_connection_signal_unsubscribe (client, sub);

  /* A dead actor's asks fail with ACTOR_DEAD. */
  reply = ask_raw (client, name, g_variant_new_int32 (1), &error);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);

  g_assert_true (pykka_dbus_unexport (server, id));
  g_assert_false (pykka_dbus_unexport (server, id));
  reply = ask_raw (client, name, g_variant_new_int32 (1), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);
}

static const char calc_xml[] =
  "<node><interface name='org.example.Calc'>"
  "<method name='Add'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='i' direction='out'/></method>"
  "<method name='Greet'><arg type='s' direction='in'/><arg type='s' direction='out'/></method>"
  "<method name='Nothing'/>"
  "<method name='Wrong'><arg type='i' direction='out'/></method>"
  "<method name='Fails'/>"
  "</interface></node>";

static void
test_typed_export (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (calc_xml, NULL);
  const char *name = g_dbus_connection_get_unique_name (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *s;
  gint sum;
  guint id;

  id = pykka_actor_ref_export_interface (ref, server, "/calc", node->interfaces[0], &error);
  g_assert_no_error (error);

#define CALC(method, params, type) \
  g_dbus_connection_call_sync (client, name, "/calc", "org.example.Calc", method, params, \
                               type, G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC, NULL, &error)

  reply = CALC ("Add", g_variant_new ("(ii)", 2, 3), G_VARIANT_TYPE ("(i)"));
  g_assert_no_error (error);
  g_variant_get (reply, "(i)", &sum);
  g_assert_cmpint (sum, ==, 5);
  g_clear_pointer (&reply, g_variant_unref);

  reply = CALC ("Greet", g_variant_new ("(s)", "you"), G_VARIANT_TYPE ("(s)"));
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &s);
  g_assert_cmpstr (s, ==, "you");
  g_clear_pointer (&reply, g_variant_unref);

  reply = CALC ("Nothing", NULL, G_VARIANT_TYPE_UNIT);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  reply = CALC ("Wrong", NULL, NULL);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  reply = CALC ("Fails", NULL, NULL);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  reply = CALC ("Add", g_variant_new ("(s)", "x"), NULL);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  reply = CALC ("Missing", NULL, NULL);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);
#undef CALC

  g_assert_true (pykka_dbus_unexport (server, id));
  stop_echo (ref);
}

/* ---- remote refs ---- */

static void
test_remote_ref (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  GValue v = G_VALUE_INIT;
  const GValue *value;

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");
  g_assert_true (pykka_remote_ref_is_alive (remote));

  /* A blocking get, woken by GDBus's thread. */
  future = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 2);
  g_clear_object (&future);

  g_assert_true (pykka_remote_ref_tell (remote, test_value_string (&v, "tell"), &error));
  g_assert_no_error (error);
  g_value_unset (&v);
  future = pykka_remote_ref_ask (remote, test_value_string (&v, "told"));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 1);
  g_clear_object (&future);

  /* Errors keep domain and code. */
  future = pykka_remote_ref_ask (remote, test_value_string (&v, "io-error"));
  g_value_unset (&v);
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
  g_clear_error (&error);
  g_clear_object (&future);

  /* A message that cannot cross fails at once. */
  g_value_init (&v, G_TYPE_OBJECT);
  g_value_take_object (&v, g_object_new (G_TYPE_OBJECT, NULL));
  future = pykka_remote_ref_ask (remote, &v);
  g_assert_true (pykka_future_is_done (future));
  g_assert_null (pykka_future_get (future, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (pykka_remote_ref_tell (remote, &v, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_value_unset (&v);
  g_clear_object (&future);

  /* Stop; the death watch says it was a normal stop. */
  terminated = pykka_remote_ref_get_terminated (remote);
  future = pykka_remote_ref_stop (remote);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_boolean (value));
  g_assert_false (pykka_actor_ref_is_alive (ref));
  value = pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_null (g_value_get_boxed (value));
  g_assert_false (pykka_remote_ref_is_alive (remote));
  g_assert_null (pykka_remote_ref_dup_death_reason (remote));
  g_clear_object (&future);

  /* Later asks fail without being sent. */
  future = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_true (pykka_future_is_done (future));
  g_assert_null (pykka_future_get (future, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
}

static gdouble
test_scale (void)
{
  const char *scale = g_getenv ("PYKKA_STRESS_SCALE");

  return scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;
}

/* Connects to a server of this process: its handshake runs in this
 * thread's default context, so connect from another thread meanwhile. */
typedef struct
{
  const char     *address;
  PykkaRemoteRef *remote;
  gint            done;
} Connect;

static gpointer
connect_thread (gpointer data)
{
  Connect *c = data;
  g_autoptr(GError) error = NULL;

  c->remote = pykka_remote_ref_new_for_address (c->address, "/test/echo", NULL, &error);
  g_assert_no_error (error);
  g_atomic_int_set (&c->done, TRUE);
  return NULL;
}

static PykkaRemoteRef *
connect_direct (GDBusServer *server)
{
  Connect c = { g_dbus_server_get_client_address (server), NULL, FALSE };
  GThread *thread = g_thread_new ("connect", connect_thread, &c);

  test_iterate_until (NULL, g_atomic_int_get (&c.done));
  g_thread_join (thread);
  return c.remote;
}

static void
ask_many (PykkaRemoteRef *remote,
          guint           n,
          guint           window)
{
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      GValue v = G_VALUE_INIT;

      g_ptr_array_add (futures, pykka_remote_ref_ask (remote, test_value_int (&v, (gint) i)));
      g_value_unset (&v);
      if (futures->len == window || i == n - 1)
        {
          guint first = i + 1 - futures->len;

          for (guint j = 0; j < futures->len; j++)
            {
              const GValue *value = pykka_future_get (g_ptr_array_index (futures, j),
                                                      TEST_TIMEOUT_MSEC, &error);

              g_assert_no_error (error);
              g_assert_cmpint (g_value_get_int (value), ==, (gint) (first + j) + 1);
            }
          g_ptr_array_set_size (futures, 0);
        }
    }

  /* Exactly once: nothing is left pending (a second completion of a
   * future would have warned). */
  {
    PykkaDBusConn *conn = pykka_dbus_conn_get (pykka_remote_ref_get_connection (remote));

    g_mutex_lock (&conn->mutex);
    g_assert_cmpuint (g_hash_table_size (conn->pending), ==, 0);
    g_mutex_unlock (&conn->mutex);
  }
}

/* 10 000 asks in flight at once, peer to peer; on a bus, whose daemon
 * limits the pending replies of a connection (128 by default without a
 * configuration), in windows of 100. */
static void
test_many_asks (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaRemoteRef) direct = NULL;
  g_autoptr(GDBusServer) listener = NULL;
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(GError) error = NULL;
  guint n = MAX (100, (guint) (10000 * test_scale ()));
  GValue v = G_VALUE_INIT;

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");
  ask_many (remote, n, 100);

  listener = pykka_actor_ref_listen (ref, NULL, "/test/echo", &error);
  g_assert_no_error (error);
  direct = connect_direct (listener);
  first = pykka_remote_ref_ask (direct, test_value_int (&v, 0));
  g_value_unset (&v);
  g_assert_cmpint (wait_int (first), ==, 1);   /* accepted */
  ask_many (direct, n, n);
  stop_echo (ref);
}

static void
test_peer_to_peer (void)
{
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(GDBusServer) server = NULL;
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  GValue v = G_VALUE_INIT;

  server = pykka_actor_ref_listen (ref, NULL, "/test/echo", &error);
  g_assert_no_error (error);
  remote = connect_direct (server);
  g_assert_null (pykka_remote_ref_get_bus_name (remote));

  /* The server accepts the connection in this thread's default context. */
  future = pykka_remote_ref_ask (remote, test_value_int (&v, 10));
  g_value_unset (&v);
  g_assert_cmpint (wait_int (future), ==, 11);
  g_clear_object (&future);

  /* The server goes away: the ref dies, not the actor. */
  terminated = pykka_remote_ref_get_terminated (remote);
  g_dbus_server_stop (server);
  g_clear_object (&server);
  wait_future (terminated, &error);
  g_assert_no_error (error);
  g_assert_false (pykka_remote_ref_is_alive (remote));
  reason = pykka_remote_ref_dup_death_reason (remote);
  g_assert_error (reason, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (reason->message, "peer gone"));
  g_assert_true (pykka_actor_ref_is_alive (ref));

  future = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_null (pykka_future_get (future, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  stop_echo (ref);
}

/* The exporting process's connection closes while an ask is pending:
 * the bus tells the asker at once. */
static void
test_peer_vanishes_mid_ask (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) blocked = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  block_reset ();
  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");
  blocked = pykka_remote_ref_ask (remote, test_value_string (&v, "block"));
  g_value_unset (&v);
  test_iterate_until (NULL, block_has_entered ());

  g_dbus_connection_close_sync (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (pykka_future_get (blocked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "peer gone"));
  g_clear_error (&error);
  block_release ();
  stop_echo (ref);
}

/* A ref by well-known name dies when the name loses its owner. */
static void
test_name_vanishes (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (server, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.pykka.Test", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  remote = pykka_remote_ref_new (client, "org.pykka.Test", "/test/echo");
  future = pykka_remote_ref_ask (remote, test_value_int (&v, 5));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 6);

  terminated = pykka_remote_ref_get_terminated (remote);
  reply = g_dbus_connection_call_sync (server, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ReleaseName",
                                       g_variant_new ("(s)", "org.pykka.Test"),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       TEST_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);
  pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_false (pykka_remote_ref_is_alive (remote));
  stop_echo (ref);
}

/* ---- subprocesses ---- */

static PykkaRemoteRef *
start_in_subprocess (void)
{
  g_autoptr(GError) error = NULL;
  PykkaRemoteRef *remote;

  remote = pykka_subprocess_start_actor (TEST_DBUS_MODULE, "TestHostActor", &error);
  g_assert_no_error (error);
  g_assert_nonnull (pykka_remote_ref_get_subprocess (remote));
  return remote;
}

static void
test_subprocess (void)
{
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  future = pykka_remote_ref_ask (remote, test_value_int (&v, 20));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 21);
  g_clear_object (&future);

  future = pykka_remote_ref_ask (remote, test_value_string (&v, "pid"));
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (value), ==,
                   g_subprocess_get_identifier (pykka_remote_ref_get_subprocess (remote)));
  g_clear_object (&future);

  future = pykka_remote_ref_stop (remote);
  pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (pykka_remote_ref_get_subprocess (remote), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (pykka_remote_ref_get_subprocess (remote)));
  g_assert_cmpint (g_subprocess_get_exit_status (pykka_remote_ref_get_subprocess (remote)), ==, 0);
}

/* Two processes asking each other: this one asks the actor of a helper
 * process, whose handler asks back, over the session bus, an actor that
 * this process exported (and this process's actor answers on its own
 * thread while the test waits). */
static void
test_processes_ask_each_other (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;

  pykka_actor_ref_export_on_dbus (ref, server, "/test/asked_back", &error);
  g_assert_no_error (error);
  for (gint i = 0; i < 20; i++)
    {
      g_autoptr(PykkaFuture) future = NULL;
      GValue v = G_VALUE_INIT;

      g_free (request);
      request = g_strdup_printf ("ask-back %s /test/asked_back %d",
                                 g_dbus_connection_get_unique_name (server), i);
      future = pykka_remote_ref_ask (remote, test_value_string (&v, request));
      g_value_unset (&v);
      /* This process's echo adds 1, the helper's actor 100. */
      g_assert_cmpint (test_get_int (future), ==, i + 101);
    }
  {
    g_autoptr(PykkaFuture) stopped = pykka_remote_ref_stop (remote);

    pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait (pykka_remote_ref_get_subprocess (remote), NULL, &error));
  }
  stop_echo (ref);
}

static void
crash_with (const char *how)
{
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(PykkaFuture) terminated = pykka_remote_ref_get_terminated (remote);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  future = pykka_remote_ref_ask (remote, test_value_string (&v, how));
  g_value_unset (&v);
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);

  value = pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_value_get_boxed (value));
  reason = pykka_remote_ref_dup_death_reason (remote);
  g_assert_error (reason, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_nonnull (strstr (reason->message, "process crashed"));
  g_assert_false (pykka_remote_ref_is_alive (remote));
}

static void
test_subprocess_segv (void)
{
  crash_with ("segv");
}

static void
test_subprocess_abort (void)
{
  crash_with ("abort");
}

/* The peer process is killed while an ask waits: it fails at once. */
static void
test_subprocess_killed_mid_ask (void)
{
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  g_autoptr(PykkaFuture) blocked = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  GValue v = G_VALUE_INIT;

  blocked = pykka_remote_ref_ask (remote, test_value_string (&v, "sleep"));
  g_value_unset (&v);
  /* An ask behind it is answered once the sleeper is in its handler. */
  future = pykka_remote_ref_ask (remote, test_value_string (&v, "pid"));
  g_value_unset (&v);
  g_assert_false (pykka_future_is_done (future));

  g_subprocess_send_signal (pykka_remote_ref_get_subprocess (remote), SIGKILL);
  g_assert_null (pykka_future_get (blocked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_clear_error (&error);
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  reason = pykka_remote_ref_dup_death_reason (remote);
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason->message, "process crashed"));
}

static void
test_subprocess_bad_module (void)
{
  g_autoptr(GError) error = NULL;
  PykkaRemoteRef *remote = pykka_subprocess_start_actor (TEST_DBUS_MODULE, "NoSuchActor", &error);

  g_assert_null (remote);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
}

/* ---- death watch of remote actors ---- */

/* A local actor that keeps the news of deaths it is told of. */
typedef struct
{
  PykkaActor    *actor;
  PykkaActorRef *ref;
  GAsyncQueue   *news;   /* PykkaTerminated */
} Watcher;

/* GAsyncQueue's own lock is inside GLib, unseen by ThreadSanitizer: this
 * one, held across the push and taken after the pop, shows the order. */
static GMutex news_lock;

static gboolean
watcher_receive (TestActor     *self,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    {
      g_mutex_lock (&news_lock);
      g_async_queue_push (test_actor_get_data (self), g_value_dup_boxed (message));
      g_mutex_unlock (&news_lock);
    }
  else if (G_VALUE_HOLDS_STRING (message) && g_strcmp0 (g_value_get_string (message), "block") == 0)
    {
      gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;

      g_mutex_lock (&block_mutex);
      block_entered = TRUE;
      while (!block_released && g_cond_wait_until (&block_cond, &block_mutex, end))
        ;
      g_mutex_unlock (&block_mutex);
    }
  return TRUE;
}

/* Whether news came: after a round trip through the watcher's mailbox
 * (news is handled before the mail sent after it was queued). */
static gboolean
watcher_has_news (Watcher *w)
{
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  future = pykka_actor_ref_ask (w->ref, test_value_int (&v, 0));
  g_value_unset (&v);
  pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  return g_async_queue_length (w->news) > 0;
}

static void
watcher_start (Watcher *w)
{
  g_autoptr(GError) error = NULL;

  w->news = g_async_queue_new_full ((GDestroyNotify) pykka_terminated_unref);
  w->actor = PYKKA_ACTOR (test_actor_new_of_type (TEST_TYPE_ACTOR, watcher_receive, w->news,
                                                  "use-own-thread", TRUE, NULL));
  w->ref = pykka_actor_start (w->actor, &error);
  g_assert_no_error (error);
  g_assert_false (watcher_has_news (w));   /* running */
}

/* The next news, or NULL after TEST_TIMEOUT_MSEC. */
static PykkaTerminated *
watcher_pop (Watcher *w)
{
  PykkaTerminated *news = g_async_queue_timeout_pop (w->news, (guint64) TEST_TIMEOUT_MSEC * 1000);

  g_mutex_lock (&news_lock);
  g_mutex_unlock (&news_lock);
  return news;
}

static void
watcher_stop (Watcher *w)
{
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;

  stopped = pykka_actor_ref_stop (w->ref);
  pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_clear_object (&w->ref);
  g_clear_object (&w->actor);
  g_clear_pointer (&w->news, g_async_queue_unref);
}

/* A local actor watches a remote one: told once of its stop, with the
 * remote ref; a watch after the death is told at once. */
static void
test_watch_remote (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  PykkaTerminated *news;
  Watcher w = { 0 }, late = { 0 };

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");

  watcher_start (&w);
  pykka_actor_watch_remote (w.actor, remote);
  pykka_actor_watch_remote (w.actor, remote);   /* twice tells once */
  g_assert_false (watcher_has_news (&w));

  stopped = pykka_remote_ref_stop (remote);
  pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  news = watcher_pop (&w);
  g_assert_nonnull (news);
  g_assert_null (pykka_terminated_get_actor_ref (news));
  g_assert_true (pykka_terminated_get_remote_ref (news) == remote);
  g_assert_null (pykka_terminated_get_reason (news));
  pykka_terminated_unref (news);
  g_assert_false (watcher_has_news (&w));

  watcher_start (&late);
  pykka_actor_watch_remote (late.actor, remote);
  news = watcher_pop (&late);
  g_assert_nonnull (news);
  g_assert_true (pykka_terminated_get_remote_ref (news) == remote);
  pykka_terminated_unref (news);

  watcher_stop (&w);
  watcher_stop (&late);
  stop_echo (ref);
}

/* The watched actor's process is killed: the news says "process crashed". */
static void
test_watch_remote_killed (void)
{
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  PykkaTerminated *news;
  const GError *reason;
  Watcher w = { 0 };

  watcher_start (&w);
  pykka_actor_watch_remote (w.actor, remote);
  g_subprocess_send_signal (pykka_remote_ref_get_subprocess (remote), SIGKILL);
  news = watcher_pop (&w);
  g_assert_nonnull (news);
  g_assert_true (pykka_terminated_get_remote_ref (news) == remote);
  reason = pykka_terminated_get_reason (news);
  g_assert_error (reason, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_nonnull (strstr (reason->message, "process crashed"));
  pykka_terminated_unref (news);
  watcher_stop (&w);
}

/* An unwatch before the death, or after the news was queued: no news. */
static void
test_unwatch_remote (void)
{
  g_autoptr(PykkaRemoteRef) remote = start_in_subprocess ();
  g_autoptr(PykkaFuture) terminated = pykka_remote_ref_get_terminated (remote);
  g_autoptr(GError) error = NULL;
  Watcher before = { 0 }, queued = { 0 }, probe = { 0 };
  PykkaTerminated *news;
  GValue v = G_VALUE_INIT;

  block_reset ();
  watcher_start (&before);
  watcher_start (&queued);
  watcher_start (&probe);
  pykka_actor_watch_remote (before.actor, remote);
  /* The news goes out in the order of the watches: once @probe has it,
   * @queued's is queued. */
  pykka_actor_watch_remote (queued.actor, remote);
  pykka_actor_watch_remote (probe.actor, remote);
  pykka_actor_unwatch_remote (before.actor, remote);

  /* @queued is busy while the news arrives; the unwatch comes after it. */
  g_assert_true (pykka_actor_ref_tell (queued.ref, test_value_string (&v, "block"), &error));
  g_assert_no_error (error);
  g_value_unset (&v);
  test_iterate_until (NULL, block_has_entered ());
  g_subprocess_send_signal (pykka_remote_ref_get_subprocess (remote), SIGKILL);
  pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  news = watcher_pop (&probe);
  g_assert_nonnull (news);
  pykka_terminated_unref (news);
  pykka_actor_unwatch_remote (queued.actor, remote);
  block_release ();

  g_assert_false (watcher_has_news (&before));
  g_assert_false (watcher_has_news (&queued));
  watcher_stop (&before);
  watcher_stop (&queued);
  watcher_stop (&probe);
}

/* A watcher that dies first drops its watch: the remote ref is freed
 * (and its helper ends) when its last other reference goes. */
static void
test_watcher_dies_first (void)
{
  PykkaRemoteRef *remote = start_in_subprocess ();
  g_autoptr(GSubprocess) process = g_object_ref (pykka_remote_ref_get_subprocess (remote));
  g_autoptr(GError) error = NULL;
  Watcher w = { 0 };

  watcher_start (&w);
  pykka_actor_watch_remote (w.actor, remote);
  watcher_stop (&w);

  g_object_add_weak_pointer (G_OBJECT (remote), (gpointer *) &remote);
  g_object_unref (remote);
  test_iterate_until (NULL, remote == NULL);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
}

/* ---- supervised helper processes ---- */

static PykkaActor *
make_process_actor (gpointer user_data)
{
  return pykka_process_actor_new (TEST_DBUS_MODULE, "TestHostActor");
}

/* The pid of the helper behind @ref, or NULL (and *@error) if the ask failed. */
static char *
ask_pid (PykkaActorRef  *ref,
         GError        **error)
{
  g_autoptr(PykkaFuture) future = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  future = pykka_actor_ref_ask (ref, test_value_string (&v, "pid"));
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, error);
  return value != NULL ? g_value_dup_string (value) : NULL;
}

/* A process actor under a supervisor: its helper crashes, the ask in
 * flight fails with the crash's reason, and the same ref answers from a
 * fresh process. */
static void
test_supervised_process (void)
{
  g_autoptr(PykkaSupervisor) supervisor = pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, 3, 60000);
  g_autoptr(PykkaActorRef) supervisor_ref = NULL;
  g_autoptr(PykkaActorRef) child = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gint64 end;
  GValue v = G_VALUE_INIT;

  supervisor_ref = pykka_actor_start (PYKKA_ACTOR (supervisor), &error);
  g_assert_no_error (error);
  child = pykka_supervisor_start_child (supervisor, make_process_actor, NULL, NULL, &error);
  g_assert_no_error (error);

  future = pykka_actor_ref_ask (child, test_value_int (&v, 20));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 21);
  g_clear_object (&future);
  first = ask_pid (child, &error);
  g_assert_no_error (error);

  /* The helper crashes while this ask is in flight. */
  future = pykka_actor_ref_ask (child, test_value_string (&v, "segv"));
  g_value_unset (&v);
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "process crashed"));
  g_clear_error (&error);
  g_clear_object (&future);

  /* Until the restart, asks reach the dead helper and fail; then the
   * same ref answers from a new process. */
  end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  while ((second = ask_pid (child, &error)) == NULL)
    {
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
      g_clear_error (&error);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (10000);
    }
  g_assert_cmpstr (second, !=, first);
  g_assert_true (pykka_actor_ref_is_alive (child));
  g_assert_cmpuint (pykka_supervisor_get_restarts (supervisor), ==, 1);
  future = pykka_actor_ref_ask (child, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 2);

  stopped = pykka_actor_ref_stop (supervisor_ref);
  pykka_future_get (stopped, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_false (pykka_actor_ref_is_alive (child));
}

/* Without a supervisor, a crash of the helper fails the process actor
 * with the crash's reason. */
static void
test_process_actor_crash (void)
{
  g_autoptr(PykkaActor) actor = make_process_actor (NULL);
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  const GError *reason;
  GValue v = G_VALUE_INIT;

  ref = pykka_actor_start (actor, &error);
  g_assert_no_error (error);
  terminated = pykka_actor_ref_get_terminated (ref);
  g_assert_true (pykka_actor_ref_tell (ref, test_value_string (&v, "abort"), &error));
  g_assert_no_error (error);
  g_value_unset (&v);
  value = pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  reason = pykka_terminated_get_reason (g_value_get_boxed (value));
  g_assert_error (reason, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_nonnull (strstr (reason->message, "process crashed"));
}

/* A C client of a Python actor in python3 -m pykka_glib.host. */
static void
test_python_actor (void)
{
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  if (g_getenv ("PYKKA_TEST_PYTHON_ACTORS") == NULL)
    {
      g_test_skip ("built without introspection");
      return;
    }
  remote = pykka_subprocess_start_python_actor ("dbus_actors:Echo", &error);
  g_assert_no_error (error);

  future = pykka_remote_ref_ask (remote, test_value_int (&v, 41));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 42);
  g_clear_object (&future);

  future = pykka_remote_ref_ask (remote, test_value_string (&v, "hello"));
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (value), ==, "hello");
  g_clear_object (&future);

  /* A Python exception arrives as an error. */
  future = pykka_remote_ref_ask (remote, test_value_string (&v, "fail"));
  g_value_unset (&v);
  g_assert_null (pykka_future_get (future, TEST_TIMEOUT_MSEC, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "failed on purpose"));
  g_clear_error (&error);
  g_clear_object (&future);

  future = pykka_remote_ref_stop (remote);
  pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);
}

/* ---- hostile input and lost replies (issue 18, session 5) ---- */

/* A string array GValue holding NULL (an empty Python list becomes one in
 * some bindings) is an empty array, not a crash. */
static void
test_values_null_strv (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_auto(GValue) out = G_VALUE_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRV);
  variant = pykka_dbus_value_to_variant (&v, &error);
  g_assert_no_error (error);
  g_assert_nonnull (variant);
  g_assert_true (g_variant_is_of_type (variant, G_VARIANT_TYPE_STRING_ARRAY));
  g_assert_cmpuint (g_variant_n_children (variant), ==, 0);
  g_assert_true (pykka_dbus_value_from_variant (variant, &out, &error));
  g_assert_true (G_VALUE_HOLDS (&out, G_TYPE_STRV));
}

/* A variant nested deeper than D-Bus allows (64 levels; 32 arrays in a
 * signature) was refused by the bus, which then closed the sender's whole
 * connection: every ref on it died. It now fails before it is sent,
 * with INVALID_ARGUMENT, and the connection goes on working; the same
 * for a typed export's reply, which took the exporting connection down. */
static GVariant *
nest (guint    depth,
      gboolean arrays)
{
  GVariant *v = g_variant_new_int32 (7);

  for (guint i = 0; i < depth; i++)
    v = arrays ? g_variant_new_array (NULL, &v, 1) : g_variant_new_variant (v);
  return g_variant_ref_sink (v);
}

static void
ask_deep (PykkaRemoteRef  *remote,
          GVariant        *deep,
          gboolean         fits)
{
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_VARIANT);
  g_value_set_variant (&v, deep);
  future = pykka_remote_ref_ask (remote, &v);
  g_value_unset (&v);
  value = pykka_future_get (future, TEST_TIMEOUT_MSEC, &error);
  if (fits)
    {
      g_assert_no_error (error);
      g_assert_true (G_VALUE_HOLDS (value, G_TYPE_VARIANT));
      g_assert_true (g_variant_equal (g_value_get_variant (value), deep));
    }
  else
    {
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "nested deeper"));
      g_clear_error (&error);
      g_value_init (&v, G_TYPE_VARIANT);
      g_value_set_variant (&v, deep);
      g_assert_false (pykka_remote_ref_tell (remote, &v, &error));
      g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
      g_value_unset (&v);
    }
  /* The connection survived. */
  g_clear_object (&future);
  future = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (future), ==, 2);
  g_assert_true (pykka_remote_ref_is_alive (remote));
}

static const char deep_xml[] =
  "<node><interface name='org.example.Deep'>"
  "<method name='Deep'><arg type='u' direction='in'/><arg type='v' direction='out'/></method>"
  "</interface></node>";

static void
test_deep_variants (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaRemoteRef) direct = NULL;
  g_autoptr(GDBusServer) listener = NULL;
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (deep_xml, NULL);
  g_autoptr(GError) error = NULL;
  /* Variants around an int: the message adds two (its argument, and the
   * `v` that keeps a variant a variant), so 62 is the deepest. */
  const struct { guint depth; gboolean arrays; gboolean fits; } cases[] = {
    { 16, FALSE, TRUE }, { 62, FALSE, TRUE }, { 63, FALSE, FALSE }, { 200, FALSE, FALSE },
    { 32, TRUE, TRUE }, { 33, TRUE, FALSE },
  };

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");
  listener = pykka_actor_ref_listen (ref, NULL, "/test/echo", &error);
  g_assert_no_error (error);
  direct = connect_direct (listener);
  {
    g_autoptr(PykkaFuture) first = NULL;
    GValue v = G_VALUE_INIT;

    first = pykka_remote_ref_ask (direct, test_value_int (&v, 0));
    g_value_unset (&v);
    g_assert_cmpint (wait_int (first), ==, 1);   /* accepted */
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) deep = nest (cases[i].depth, cases[i].arrays);

      g_test_message ("%u %s", cases[i].depth, cases[i].arrays ? "arrays" : "variants");
      ask_deep (remote, deep, cases[i].fits);
      ask_deep (direct, deep, cases[i].fits);
    }

  /* A typed export whose handler replies too deep a value: an error
   * reply, and the exporting connection stays open. */
  pykka_actor_ref_export_interface (ref, server, "/deep", node->interfaces[0], &error);
  g_assert_no_error (error);
  for (guint depth = 64; depth <= 65; depth++)
    {
      g_autoptr(GVariant) reply =
        g_dbus_connection_call_sync (client, g_dbus_connection_get_unique_name (server), "/deep",
                                     "org.example.Deep", "Deep", g_variant_new ("(u)", depth),
                                     NULL, G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC, NULL, &error);

      if (depth == 64)
        g_assert_no_error (error);
      else
        {
          g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT);
          g_clear_error (&error);
        }
      g_assert_false (g_dbus_connection_is_closed (server));
    }
  stop_echo (ref);
}

/* Raw calls that do not follow the interface: each gets a D-Bus error. */
static void
test_hostile_calls (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  const char *name = g_dbus_connection_get_unique_name (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const struct { const char *method; const char *args; } calls[] = {
    { "Ask", NULL }, { "Ask", "(i)" }, { "Ask", "(vv)" }, { "Tell", "(s)" },
    { "Ask", "(v)h" }, { "Nope", "(v)" },
  };

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      GVariant *args = NULL;

      if (g_strcmp0 (calls[i].args, "(i)") == 0)
        args = g_variant_new ("(i)", 1);
      else if (g_strcmp0 (calls[i].args, "(vv)") == 0)
        args = g_variant_new ("(vv)", g_variant_new_int32 (1), g_variant_new_int32 (2));
      else if (g_strcmp0 (calls[i].args, "(s)") == 0)
        args = g_variant_new ("(s)", "tell");
      else if (g_strcmp0 (calls[i].args, "(v)h") == 0)
        args = g_variant_new ("(v)", g_variant_new_handle (0));
      else if (calls[i].args != NULL)
        args = g_variant_new ("(v)", g_variant_new_int32 (1));
      reply = g_dbus_connection_call_sync (client, name, "/test/echo", PYKKA_DBUS_INTERFACE,
                                           calls[i].method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
                                           TEST_TIMEOUT_MSEC, NULL, &error);
      g_test_message ("%s %s: %s", calls[i].method, calls[i].args,
                      error != NULL ? error->message : "ok");
      g_assert_null (reply);
      g_assert_nonnull (error);
      g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
      g_clear_error (&error);
    }
  /* Still answering. */
  reply = ask_raw (client, name, g_variant_new_int32 (1), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  stop_echo (ref);
}

/* The asker drops a ref that owns its connection while an ask is
 * pending: the ask fails (ACTOR_DEAD, peer gone) instead of waiting for
 * a reply that can no longer arrive. */
static void
test_ref_dropped_mid_ask (void)
{
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(GDBusServer) server = NULL;
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) first = NULL;
  g_autoptr(PykkaFuture) blocked = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  block_reset ();
  server = pykka_actor_ref_listen (ref, NULL, "/test/echo", &error);
  g_assert_no_error (error);
  remote = connect_direct (server);
  first = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_cmpint (wait_int (first), ==, 2);

  blocked = pykka_remote_ref_ask (remote, test_value_string (&v, "block"));
  g_value_unset (&v);
  test_iterate_until (NULL, block_has_entered ());
  g_clear_object (&remote);

  g_assert_null (pykka_future_get (blocked, TEST_TIMEOUT_MSEC, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  g_assert_nonnull (strstr (error->message, "finalized"));
  g_clear_error (&error);
  block_release ();
  stop_echo (ref);
}

/* A helper that never does its D-Bus handshake (a module whose loading
 * hangs): the start fails after PYKKA_GLIB_HOST_START_TIMEOUT_MSEC with
 * a clear error, and the helper is killed, instead of blocking for ever. */
static void
test_subprocess_hangs_at_start (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pykka-host-XXXXXX", NULL);
  g_autofree char *script = g_build_filename (dir, "hanging-host", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\necho $$ > '%s'\nexec sleep 3600\n", pid_file);
  g_autofree char *saved = g_strdup (g_getenv ("PYKKA_GLIB_HOST"));
  g_autofree char *pid_text = NULL;
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end;

  g_assert_true (g_file_set_contents (script, text, -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  g_setenv ("PYKKA_GLIB_HOST", script, TRUE);
  g_setenv ("PYKKA_GLIB_HOST_START_TIMEOUT_MSEC", "200", TRUE);

  remote = pykka_subprocess_start_actor ("nowhere.so", "Nothing", &error);
  g_setenv ("PYKKA_GLIB_HOST", saved, TRUE);
  g_unsetenv ("PYKKA_GLIB_HOST_START_TIMEOUT_MSEC");

  g_assert_null (remote);
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "did not start"));
  g_assert_nonnull (strstr (error->message, "200"));

  /* The helper was killed (sleep would have run for an hour). */
  g_assert_true (g_file_get_contents (pid_file, &pid_text, NULL, NULL));
  end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;
  while (kill ((pid_t) g_ascii_strtoll (pid_text, NULL, 10), 0) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
    }
  g_unlink (pid_file);
  g_unlink (script);
  g_rmdir (dir);
}

/* A ref by well-known name whose name moves to another owner while an
 * ask is in the old owner's handler: the ref dies (the name's actor is
 * gone), but the old owner is alive and answers: that reply reaches the
 * asker instead of being dropped for ACTOR_DEAD. Later asks fail at once. */
static GVariant *
bus_call (GDBusConnection *connection,
          const char      *method,
          GVariant        *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                                 "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                 method, args, G_VARIANT_TYPE ("(u)"),
                                                 G_DBUS_CALL_FLAGS_NONE, TEST_TIMEOUT_MSEC,
                                                 NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static gboolean
set_flag_cb (gpointer data)
{
  g_atomic_int_set ((gint *) data, TRUE);
  return G_SOURCE_REMOVE;
}

/* Waits until pykka-glib's D-Bus thread has run what was queued for it
 * so far (it runs its idles in order). */
static void
flush_dbus_thread (void)
{
  /* A static that is only ever accessed atomically: on the stack, the
   * D-Bus thread's write would race (for ThreadSanitizer, which cannot
   * see that g_main_context_invoke() orders it, through GLib's futex
   * locks) with whatever the test wrote in that stack slot before. */
  static gint done;

  g_atomic_int_set (&done, FALSE);
  g_main_context_invoke (pykka_dbus_thread_get_context (), set_flag_cb, &done);
  test_iterate_until (NULL, g_atomic_int_get (&done));
}

static void
test_name_owner_changes_mid_ask (void)
{
  g_autoptr(GDBusConnection) first = bus_connect ();
  g_autoptr(GDBusConnection) second = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaActorRef) other = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) blocked = NULL;
  g_autoptr(PykkaFuture) late = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  block_reset ();
  pykka_actor_ref_export_on_dbus (ref, first, "/test/echo", &error);
  g_assert_no_error (error);
  pykka_actor_ref_export_on_dbus (other, second, "/test/echo", &error);
  g_assert_no_error (error);
  /* 0x1: ALLOW_REPLACEMENT; 0x2: REPLACE_EXISTING. */
  g_variant_unref (bus_call (first, "RequestName", g_variant_new ("(su)", "org.pykka.Moving", 0x1)));

  remote = pykka_remote_ref_new (client, "org.pykka.Moving", "/test/echo");
  /* The ref's name watch is set up (its calls sent before the ask below,
   * answered before its reply, and handled) before the name moves. */
  flush_dbus_thread ();
  late = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_cmpint (test_get_int (late), ==, 2);
  g_clear_object (&late);
  flush_dbus_thread ();

  blocked = pykka_remote_ref_ask (remote, test_value_string (&v, "block"));
  g_value_unset (&v);
  test_iterate_until (NULL, block_has_entered ());

  terminated = pykka_remote_ref_get_terminated (remote);
  g_variant_unref (bus_call (second, "RequestName", g_variant_new ("(su)", "org.pykka.Moving", 0x2)));
  g_assert_nonnull (pykka_future_get (terminated, TEST_TIMEOUT_MSEC, &error));
  g_assert_no_error (error);
  g_assert_false (pykka_remote_ref_is_alive (remote));
  g_assert_true (pykka_actor_ref_is_alive (ref));

  /* The old owner answers the ask it took. */
  block_release ();
  /* ("block" replies no value.) */
  pykka_future_get (blocked, TEST_TIMEOUT_MSEC, &error);
  g_assert_no_error (error);

  late = pykka_remote_ref_ask (remote, test_value_int (&v, 1));
  g_value_unset (&v);
  g_assert_true (pykka_future_is_done (late));
  g_assert_null (pykka_future_get (late, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);
  stop_echo (ref);
  stop_echo (other);
}

/* Two threads ask one remote ref at once: every reply reaches its own
 * asker, exactly once. */
typedef struct
{
  PykkaRemoteRef *remote;
  guint           n;
} AskMany;

static gpointer
ask_many_thread (gpointer data)
{
  AskMany *a = data;
  /* Distinct values per thread: a reply that reached the wrong asker
   * would show. */
  gint base = g_random_int_range (0, 1 << 20) * 1000;
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < a->n; i++)
    {
      GValue v = G_VALUE_INIT;

      g_ptr_array_add (futures, pykka_remote_ref_ask (a->remote, test_value_int (&v, base + (gint) i)));
      g_value_unset (&v);
      if (futures->len == 50 || i == a->n - 1)
        {
          guint first = i + 1 - futures->len;

          for (guint j = 0; j < futures->len; j++)
            {
              const GValue *value = pykka_future_get (g_ptr_array_index (futures, j),
                                                      TEST_TIMEOUT_MSEC, &error);

              g_assert_no_error (error);
              g_assert_cmpint (g_value_get_int (value), ==, base + (gint) (first + j) + 1);
            }
          g_ptr_array_set_size (futures, 0);
        }
    }
  return NULL;
}

static void
test_two_threads_ask_one_ref (void)
{
  g_autoptr(GDBusConnection) server = bus_connect ();
  g_autoptr(GDBusConnection) client = bus_connect ();
  g_autoptr(PykkaActorRef) ref = start_echo (TRUE);
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(GError) error = NULL;
  AskMany a;
  GThread *threads[2];

  pykka_actor_ref_export_on_dbus (ref, server, "/test/echo", &error);
  g_assert_no_error (error);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (server), "/test/echo");
  a.remote = remote;
  a.n = MAX (100, (guint) (2000 * test_scale ()));
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("asker", ask_many_thread, &a);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  {
    PykkaDBusConn *conn = pykka_dbus_conn_get (client);

    g_mutex_lock (&conn->mutex);
    g_assert_cmpuint (g_hash_table_size (conn->pending), ==, 0);
    g_mutex_unlock (&conn->mutex);
  }
  stop_echo (ref);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("PYKKA_GLIB_HOST", TEST_DBUS_HOST, TRUE);

  g_test_add_func ("/Pykka/DBus/values", test_values);
  g_test_add_func ("/Pykka/DBus/values-that-cannot-cross", test_values_that_cannot_cross);
  g_test_add_func ("/Pykka/DBus/generic-export", test_generic_export);
  g_test_add_func ("/Pykka/DBus/typed-export", test_typed_export);
  g_test_add_func ("/Pykka/DBus/remote-ref", test_remote_ref);
  g_test_add_func ("/Pykka/DBus/many-asks", test_many_asks);
  g_test_add_func ("/Pykka/DBus/peer-to-peer", test_peer_to_peer);
  g_test_add_func ("/Pykka/DBus/peer-vanishes-mid-ask", test_peer_vanishes_mid_ask);
  g_test_add_func ("/Pykka/DBus/name-vanishes", test_name_vanishes);
  g_test_add_func ("/Pykka/DBus/host", test_subprocess);
  g_test_add_func ("/Pykka/DBus/processes-ask-each-other", test_processes_ask_each_other);
  g_test_add_func ("/Pykka/DBus/host-segv", test_subprocess_segv);
  g_test_add_func ("/Pykka/DBus/host-abort", test_subprocess_abort);
  g_test_add_func ("/Pykka/DBus/host-killed-mid-ask", test_subprocess_killed_mid_ask);
  g_test_add_func ("/Pykka/DBus/host-bad-module", test_subprocess_bad_module);
  g_test_add_func ("/Pykka/DBus/watch-remote", test_watch_remote);
  g_test_add_func ("/Pykka/DBus/watch-remote-killed", test_watch_remote_killed);
  g_test_add_func ("/Pykka/DBus/unwatch-remote", test_unwatch_remote);
  g_test_add_func ("/Pykka/DBus/watcher-dies-first", test_watcher_dies_first);
  g_test_add_func ("/Pykka/DBus/supervised-process", test_supervised_process);
  g_test_add_func ("/Pykka/DBus/process-actor-crash", test_process_actor_crash);
  g_test_add_func ("/Pykka/DBus/python-actor", test_python_actor);
  g_test_add_func ("/Pykka/DBus/values-null-strv", test_values_null_strv);
  g_test_add_func ("/Pykka/DBus/deep-variants", test_deep_variants);
  g_test_add_func ("/Pykka/DBus/hostile-calls", test_hostile_calls);
  g_test_add_func ("/Pykka/DBus/ref-dropped-mid-ask", test_ref_dropped_mid_ask);
  g_test_add_func ("/Pykka/DBus/host-hangs-at-start", test_subprocess_hangs_at_start);
  g_test_add_func ("/Pykka/DBus/name-owner-changes-mid-ask", test_name_owner_changes_mid_ask);
  g_test_add_func ("/Pykka/DBus/two-threads-ask-one-ref", test_two_threads_ask_one_ref);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  status = g_test_run ();
  g_test_dbus_down (bus);
  g_clear_object (&bus);
  return status;
}
