/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <unistd.h>

#include "pykka-dbus.h"

#include "pykka-dbus-private.h"
#include "pykka-error.h"
#include "pykka-future.h"
#include "pykka-private.h"
#include "pykka-promise-private.h"
#include "pykka-terminated.h"

/*
 * Actors on D-Bus (issue 17.1): an actor exported at an object path of a
 * GDBusConnection, with the generic interface org.pykka.Actor1 or a typed
 * one from introspection XML.
 *
 * The calls are taken by a filter of the connection, in GDBus's worker
 * thread, before GDBus dispatches them: the filter only converts the
 * arguments and tells or asks the actor (which queues the message), and
 * the reply is sent by a hook on the ask's future, on the thread that
 * completes it. No main context has to run for an exported actor to
 * answer, and calls reach the mailbox in the order they arrived. The
 * object is also registered with GDBus, which answers Introspect and the
 * Properties interface (the `Alive` property) in the thread-default main
 * context of the caller of the export.
 */

static const char generic_xml[] =
  "<node>"
  "  <interface name='" PYKKA_DBUS_INTERFACE "'>"
  "    <method name='Tell'><arg type='v' name='message' direction='in'/></method>"
  "    <method name='Ask'>"
  "      <arg type='v' name='message' direction='in'/>"
  "      <arg type='v' name='reply' direction='out'/>"
  "    </method>"
  "    <method name='Stop'/>"
  "    <method name='Terminated'>"
  "      <arg type='b' name='failed' direction='out'/>"
  "      <arg type='s' name='error_name' direction='out'/>"
  "      <arg type='s' name='error_message' direction='out'/>"
  "    </method>"
  "    <property name='Alive' type='b' access='read'/>"
  "  </interface>"
  "</node>";

static GDBusInterfaceInfo *
generic_info (void)
{
  static GDBusInterfaceInfo *info;

  if (g_once_init_enter (&info))
    {
      GDBusNodeInfo *node = g_dbus_node_info_new_for_xml (generic_xml, NULL);
      GDBusInterfaceInfo *iface = g_dbus_interface_info_ref (node->interfaces[0]);

      g_dbus_interface_info_cache_build (iface);
      g_dbus_node_info_unref (node);
      g_once_init_leave (&info, iface);
    }
  return info;
}

/* ---- PykkaDBusCall ---- */

/**
 * PykkaDBusCall:
 *
 * A D-Bus method call to an actor exported with a typed interface
 * ([method@Pykka.ActorRef.export_interface]): the message such an actor
 * receives, as an ask. Its reply is the method's return value: a
 * #GVariant tuple of the method's out arguments, a single value for a
 * method with one out argument (converted as
 * [func@Pykka.dbus_value_to_variant] does), or no value for a method
 * without. A failure of the handler is the D-Bus error of the call.
 *
 * It is immutable and may be used from any thread.
 */
struct _PykkaDBusCall
{
  gatomicrefcount  ref_count;
  char            *method_name;
  char            *interface_name;
  char            *object_path;
  char            *sender;
  GVariant        *parameters;
};

G_DEFINE_BOXED_TYPE (PykkaDBusCall, pykka_dbus_call,
                     pykka_dbus_call_ref, pykka_dbus_call_unref)

static PykkaDBusCall *
dbus_call_new (GDBusMessage *message)
{
  PykkaDBusCall *self = g_new0 (PykkaDBusCall, 1);
  GVariant *body = g_dbus_message_get_body (message);

  g_atomic_ref_count_init (&self->ref_count);
  self->method_name = g_strdup (g_dbus_message_get_member (message));
  self->interface_name = g_strdup (g_dbus_message_get_interface (message));
  self->object_path = g_strdup (g_dbus_message_get_path (message));
  self->sender = g_strdup (g_dbus_message_get_sender (message));
  self->parameters = body != NULL
    ? g_variant_ref (body)
    : g_variant_ref_sink (g_variant_new_tuple (NULL, 0));
  return self;
}

/**
 * pykka_dbus_call_ref:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 */
PykkaDBusCall *
pykka_dbus_call_ref (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * pykka_dbus_call_unref:
 * @self: (transfer full): a [struct@Pykka.DBusCall]
 *
 * Drops a reference.
 */
void
pykka_dbus_call_unref (PykkaDBusCall *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->method_name);
  g_free (self->interface_name);
  g_free (self->object_path);
  g_free (self->sender);
  g_variant_unref (self->parameters);
  g_free (self);
}

/**
 * pykka_dbus_call_get_method_name:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Gets the name of the called method.
 *
 * Returns: the method name
 */
const char *
pykka_dbus_call_get_method_name (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->method_name;
}

/**
 * pykka_dbus_call_get_interface_name:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Gets the name of the interface of the called method.
 *
 * Returns: the interface name
 */
const char *
pykka_dbus_call_get_interface_name (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->interface_name;
}

/**
 * pykka_dbus_call_get_object_path:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Gets the object path the call was sent to.
 *
 * Returns: the object path
 */
const char *
pykka_dbus_call_get_object_path (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->object_path;
}

/**
 * pykka_dbus_call_get_sender:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Gets the unique bus name of the caller, %NULL on a peer-to-peer
 * connection.
 *
 * Returns: (nullable): the sender
 */
const char *
pykka_dbus_call_get_sender (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->sender;
}

/**
 * pykka_dbus_call_get_parameters:
 * @self: a [struct@Pykka.DBusCall]
 *
 * Gets the arguments of the call, a tuple of the method's in arguments
 * (checked against its signature before the actor sees the call).
 *
 * Returns: (transfer none): the arguments
 */
GVariant *
pykka_dbus_call_get_parameters (PykkaDBusCall *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->parameters;
}

/* ---- the connection's state and filter ---- */

typedef struct
{
  gatomicrefcount      ref_count;
  PykkaActorRef       *ref;
  GWeakRef             connection;
  char                *object_path;
  char                *key;
  GDBusInterfaceInfo  *info;          /* NULL: the generic interface */
  guint                registration_id;
  PykkaFuture         *terminated;    /* for PropertiesChanged */
} Export;

static Export *
export_ref (Export *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
export_unref (gpointer data)
{
  Export *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_object_unref (self->ref);
  g_weak_ref_clear (&self->connection);
  g_free (self->object_path);
  g_free (self->key);
  if (self->info != NULL)
    g_dbus_interface_info_unref (self->info);
  g_clear_object (&self->terminated);
  g_free (self);
}

static PykkaDBusConn *
conn_ref (PykkaDBusConn *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
conn_unref (gpointer data)
{
  PykkaDBusConn *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->exports);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

static void send_error_reply (GDBusConnection *connection,
                              GDBusMessage    *call,
                              const GError    *error);
static void handle_call      (Export          *export,
                              GDBusConnection *connection,
                              GDBusMessage    *message);

static GDBusMessage *
conn_filter (GDBusConnection *connection,
             GDBusMessage    *message,
             gboolean         incoming,
             gpointer         user_data)
{
  PykkaDBusConn *conn = user_data;
  GDBusMessageType type;

  if (!incoming)
    return message;

  type = g_dbus_message_get_message_type (message);
  if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN
      || type == G_DBUS_MESSAGE_TYPE_ERROR)
    {
      gpointer pending = NULL;
      guint32 serial = g_dbus_message_get_reply_serial (message);

      g_mutex_lock (&conn->mutex);
      g_hash_table_steal_extended (conn->pending, GUINT_TO_POINTER (serial),
                                   NULL, &pending);
      g_mutex_unlock (&conn->mutex);
      if (pending == NULL)
        return message;
      pykka_remote_pending_complete (pending, message);
      g_object_unref (message);
      return NULL;
    }

  if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      const char *path = g_dbus_message_get_path (message);
      const char *iface = g_dbus_message_get_interface (message);
      g_autofree char *key = NULL;
      Export *export = NULL;

      if (path == NULL || iface == NULL)
        return message;
      key = g_strconcat (path, "\n", iface, NULL);
      g_mutex_lock (&conn->mutex);
      export = g_hash_table_lookup (conn->exports, key);
      if (export != NULL)
        g_atomic_int_inc (&conn->in_filter);
      if (export != NULL)
        export_ref (export);
      g_mutex_unlock (&conn->mutex);
      if (export == NULL)
        return message;
      handle_call (export, connection, message);
      g_atomic_int_dec_and_test (&conn->in_filter);
      export_unref (export);
      g_object_unref (message);
      return NULL;
    }

  return message;
}

/* The state of @connection, made with its filter on first use. Borrowed:
 * valid as long as @connection. */
PykkaDBusConn *
pykka_dbus_conn_get (GDBusConnection *connection)
{
  static GMutex lock;
  PykkaDBusConn *conn;

  g_mutex_lock (&lock);
  conn = g_object_get_data (G_OBJECT (connection), "pykka-dbus-conn");
  if (conn == NULL)
    {
      conn = g_new0 (PykkaDBusConn, 1);
      g_atomic_ref_count_init (&conn->ref_count);
      g_mutex_init (&conn->mutex);
      conn->pending = g_hash_table_new_full (NULL, NULL, NULL, pykka_remote_pending_free);
      conn->exports = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, export_unref);
      g_object_set_data_full (G_OBJECT (connection), "pykka-dbus-conn", conn, conn_unref);
      g_dbus_connection_add_filter (connection, conn_filter, conn_ref (conn), conn_unref);
    }
  g_mutex_unlock (&lock);
  return conn;
}

/* ---- calls and replies ---- */

typedef enum
{
  REPLY_ASK,
  REPLY_STOP,
  REPLY_TERMINATED,
  REPLY_TYPED,
} ReplyKind;

typedef struct
{
  PykkaDBusConn   *conn;       /* (unowned): lives as long as ->connection */
  GDBusConnection *connection;
  GDBusMessage    *call;
  GDBusMethodInfo *method;   /* REPLY_TYPED */
  ReplyKind        kind;
} Reply;

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_atomic_int_dec_and_test (&reply->conn->owed);
  g_object_unref (reply->connection);
  g_object_unref (reply->call);
  if (reply->method != NULL)
    g_dbus_method_info_unref (reply->method);
  g_free (reply);
}

static gboolean
wants_reply (GDBusMessage *call)
{
  return (g_dbus_message_get_flags (call) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) == 0;
}

/* @body: (transfer full) (nullable): a non-floating reference */
static void
send_reply (GDBusConnection *connection,
            GDBusMessage    *call,
            GVariant        *body)
{
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (!wants_reply (call))
    {
      g_clear_pointer (&body, g_variant_unref);
      return;
    }
  reply = g_dbus_message_new_method_reply (call);
  if (body != NULL)
    {
      g_dbus_message_set_body (reply, body);
      g_variant_unref (body);
    }
  if (!g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                       NULL, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      /* Not valid D-Bus: the caller gets an error instead. */
      g_autoptr(GError) invalid = g_error_new (PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                                                P_("The reply cannot be sent: %s"),
                                                error->message);

      send_error_reply (connection, call, invalid);
    }
}

static void
send_error_reply (GDBusConnection *connection,
                  GDBusMessage    *call,
                  const GError    *error)
{
  g_autoptr(GDBusMessage) reply = NULL;
  g_autofree char *name = NULL;

  if (!wants_reply (call))
    return;
  pykka_dbus_ensure_errors ();
  name = g_dbus_error_encode_gerror (error);
  reply = g_dbus_message_new_method_error_literal (call, name, error->message);
  g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                  NULL, NULL);
}

static char *
out_signature (GDBusMethodInfo *method)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; method->out_args != NULL && method->out_args[i] != NULL; i++)
    g_string_append (s, method->out_args[i]->signature);
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

static char *
in_signature (GDBusMethodInfo *method)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; method->in_args != NULL && method->in_args[i] != NULL; i++)
    g_string_append (s, method->in_args[i]->signature);
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

/* The body of the reply of a typed method from the handler's @value. */
static GVariant *
typed_reply_body (GDBusMethodInfo  *method,
                  const GValue     *value,
                  GError          **error)
{
  g_autofree char *signature = out_signature (method);
  const GVariantType *expected = G_VARIANT_TYPE (signature);
  g_autoptr(GVariant) converted = NULL;
  guint n_out = g_variant_type_n_items (expected);

  if (G_VALUE_HOLDS (value, G_TYPE_VARIANT) && g_value_get_variant (value) != NULL
      && g_variant_is_of_type (g_value_get_variant (value), expected))
    return g_variant_ref (g_value_get_variant (value));

  if (n_out == 0 && G_VALUE_TYPE (value) == G_TYPE_INVALID)
    return g_variant_ref_sink (g_variant_new_tuple (NULL, 0));

  if (n_out == 1)
    {
      const GVariantType *item = g_variant_type_first (expected);

      if (G_VALUE_HOLDS (value, G_TYPE_VARIANT) && g_value_get_variant (value) != NULL)
        converted = g_variant_ref (g_value_get_variant (value));
      else
        converted = pykka_dbus_value_to_variant (value, error);
      if (converted == NULL)
        return NULL;
      if (g_variant_is_of_type (converted, item))
        return g_variant_ref_sink (g_variant_new_tuple (&converted, 1));
      /* A `v` out argument takes any value. */
      if (g_variant_type_equal (item, G_VARIANT_TYPE_VARIANT))
        {
          GVariant *boxed = g_variant_new_variant (converted);

          return g_variant_ref_sink (g_variant_new_tuple (&boxed, 1));
        }
    }

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
               P_("The handler of %s replied with a value of type %s instead of %s"),
               method->name,
               converted != NULL ? g_variant_get_type_string (converted) : g_type_name (G_VALUE_TYPE (value)),
               signature);
  return NULL;
}

static void
reply_hook (PykkaPromise *promise,
            gpointer      user_data)
{
  Reply *reply = user_data;
  const GError *failure = pykka_promise_peek_error (promise);
  const GValue *value;
  g_autoptr(GError) error = NULL;
  GVariant *body = NULL;

  if (failure != NULL)
    {
      send_error_reply (reply->connection, reply->call, failure);
      return;
    }

  value = pykka_promise_peek_value (promise);
  switch (reply->kind)
    {
    case REPLY_ASK:
      {
        g_autoptr(GVariant) v = pykka_dbus_value_to_variant (value, &error);

        if (v != NULL)
          body = g_variant_ref_sink (g_variant_new ("(v)", v));
      }
      break;
    case REPLY_STOP:
      break;
    case REPLY_TERMINATED:
      {
        PykkaTerminated *terminated = G_VALUE_HOLDS (value, PYKKA_TYPE_TERMINATED)
          ? g_value_get_boxed (value) : NULL;
        const GError *reason = terminated != NULL ? pykka_terminated_get_reason (terminated) : NULL;
        g_autofree char *name = NULL;

        pykka_dbus_ensure_errors ();
        if (reason != NULL)
          name = g_dbus_error_encode_gerror (reason);
        body = g_variant_ref_sink (g_variant_new ("(bss)", reason != NULL,
                                                  name != NULL ? name : "",
                                                  reason != NULL ? reason->message : ""));
      }
      break;
    case REPLY_TYPED:
      body = typed_reply_body (reply->method, value, &error);
      /* Too deep a reply would make the bus close this connection. */
      if (body != NULL && !pykka_dbus_check_nesting (body, &error))
        g_clear_pointer (&body, g_variant_unref);
      break;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    {
      g_clear_pointer (&body, g_variant_unref);
      send_error_reply (reply->connection, reply->call, error);
    }
  else
    send_reply (reply->connection, reply->call, body);
}

static void
reply_when_done (PykkaFuture     *future,
                 GDBusConnection *connection,
                 GDBusMessage    *call,
                 ReplyKind        kind,
                 GDBusMethodInfo *method)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->conn = pykka_dbus_conn_get (connection);
  g_atomic_int_inc (&reply->conn->owed);
  reply->connection = g_object_ref (connection);
  reply->call = g_object_ref (call);
  reply->kind = kind;
  reply->method = method != NULL ? g_dbus_method_info_ref (method) : NULL;
  pykka_promise_add_hook (pykka_future_get_promise (future), reply_hook, reply, reply_free);
  g_object_unref (future);
}

static gboolean
message_argument (GDBusMessage  *message,
                  GValue        *value,
                  GError       **error)
{
  GVariant *body = g_dbus_message_get_body (message);
  g_autoptr(GVariant) child = NULL;

  if (body == NULL || !g_variant_is_of_type (body, G_VARIANT_TYPE ("(v)")))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   P_("Expected arguments of type (v), got %s"),
                   body != NULL ? g_variant_get_type_string (body) : "()");
      return FALSE;
    }
  g_variant_get (body, "(v)", &child);
  if (!pykka_dbus_value_from_variant (child, value, error))
    return FALSE;
  /* A message of no value: what Python's None is. */
  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    g_value_init (value, G_TYPE_POINTER);
  return TRUE;
}

static void
handle_generic (Export          *export,
                GDBusConnection *connection,
                GDBusMessage    *message)
{
  const char *member = g_dbus_message_get_member (message);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  if (g_strcmp0 (member, "Tell") == 0)
    {
      if (message_argument (message, &value, &error)
          && pykka_actor_ref_tell (export->ref, &value, &error))
        send_reply (connection, message, NULL);
    }
  else if (g_strcmp0 (member, "Ask") == 0)
    {
      if (message_argument (message, &value, &error))
        reply_when_done (pykka_actor_ref_ask (export->ref, &value),
                         connection, message, REPLY_ASK, NULL);
    }
  else if (g_strcmp0 (member, "Stop") == 0)
    reply_when_done (pykka_actor_ref_stop (export->ref), connection, message, REPLY_STOP, NULL);
  else if (g_strcmp0 (member, "Terminated") == 0)
    reply_when_done (pykka_actor_ref_get_terminated (export->ref),
                     connection, message, REPLY_TERMINATED, NULL);
  else
    g_set_error (&error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                 P_("No method %s in interface %s"), member, PYKKA_DBUS_INTERFACE);

  if (error != NULL)
    send_error_reply (connection, message, error);
}

static void
handle_typed (Export          *export,
              GDBusConnection *connection,
              GDBusMessage    *message)
{
  const char *member = g_dbus_message_get_member (message);
  GDBusMethodInfo *method = g_dbus_interface_info_lookup_method (export->info, member);
  GVariant *body = g_dbus_message_get_body (message);
  g_autofree char *signature = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  if (method == NULL)
    {
      g_set_error (&error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                   P_("No method %s in interface %s"), member, export->info->name);
      send_error_reply (connection, message, error);
      return;
    }
  signature = in_signature (method);
  if (!g_str_equal (signature, body != NULL ? g_variant_get_type_string (body) : "()"))
    {
      g_set_error (&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   P_("Expected arguments of type %s, got %s"), signature,
                   body != NULL ? g_variant_get_type_string (body) : "()");
      send_error_reply (connection, message, error);
      return;
    }

  g_value_init (&value, PYKKA_TYPE_DBUS_CALL);
  g_value_take_boxed (&value, dbus_call_new (message));
  reply_when_done (pykka_actor_ref_ask (export->ref, &value),
                   connection, message, REPLY_TYPED, method);
}

static void
handle_call (Export          *export,
             GDBusConnection *connection,
             GDBusMessage    *message)
{
  GVariant *body = g_dbus_message_get_body (message);

  if (body != NULL && g_variant_get_size (body) > PYKKA_DBUS_MAX_VALUE_SIZE)
    {
      g_autoptr(GError) error = NULL;

      g_set_error (&error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                   P_("A value of %lu bytes is larger than the limit of %d bytes for a value that crosses a process"),
                   (unsigned long) g_variant_get_size (body), PYKKA_DBUS_MAX_VALUE_SIZE);
      send_error_reply (connection, message, error);
      return;
    }
  if (export->info == NULL)
    handle_generic (export, connection, message);
  else
    handle_typed (export, connection, message);
}

/* ---- registration ---- */

/* Reached only for a call that the filter did not take (an unexport
 * under way). */
static void
vtable_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
                                         P_("No actor is exported at %s"), object_path);
}

static GVariant *
vtable_get_property (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  Export *export = user_data;

  if (export->info == NULL && g_strcmp0 (property_name, "Alive") == 0)
    return g_variant_new_boolean (pykka_actor_ref_is_alive (export->ref));
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               P_("No property %s"), property_name);
  return NULL;
}

static const GDBusInterfaceVTable export_vtable = {
  vtable_method_call,
  vtable_get_property,
  NULL,
  { 0 },
};

static void
export_died_hook (PykkaPromise *promise,
                  gpointer      user_data)
{
  Export *export = user_data;
  g_autoptr(GDBusConnection) connection = g_weak_ref_get (&export->connection);
  GVariantBuilder changed;

  if (connection == NULL || g_dbus_connection_is_closed (connection))
    return;
  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&changed, "{sv}", "Alive", g_variant_new_boolean (FALSE));
  g_dbus_connection_emit_signal (connection, NULL, export->object_path,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", PYKKA_DBUS_INTERFACE, &changed, NULL),
                                 NULL);
}

static guint
export_common (PykkaActorRef       *self,
               GDBusConnection     *connection,
               const char          *object_path,
               GDBusInterfaceInfo  *info,
               GError             **error)
{
  PykkaDBusConn *conn;
  Export *export;
  guint id;

  pykka_dbus_ensure_errors ();
  conn = pykka_dbus_conn_get (connection);

  export = g_new0 (Export, 1);
  g_atomic_ref_count_init (&export->ref_count);
  export->ref = g_object_ref (self);
  g_weak_ref_init (&export->connection, connection);
  export->object_path = g_strdup (object_path);
  export->info = info != NULL ? g_dbus_interface_info_ref (info) : NULL;
  export->key = g_strconcat (object_path, "\n",
                             info != NULL ? info->name : PYKKA_DBUS_INTERFACE, NULL);
  if (info != NULL)
    g_dbus_interface_info_cache_build (info);

  id = g_dbus_connection_register_object (connection, object_path,
                                          info != NULL ? info : generic_info (),
                                          &export_vtable, export_ref (export),
                                          export_unref, error);
  if (id == 0)
    {
      export_unref (export);
      return 0;
    }
  export->registration_id = id;

  g_mutex_lock (&conn->mutex);
  g_hash_table_replace (conn->exports, export->key, export_ref (export));
  g_mutex_unlock (&conn->mutex);

  if (info == NULL)
    {
      export->terminated = pykka_actor_ref_get_terminated (self);
      pykka_promise_add_hook (pykka_future_get_promise (export->terminated),
                              export_died_hook, export_ref (export), export_unref);
    }
  export_unref (export);
  return id;
}

/**
 * pykka_actor_ref_export_on_dbus:
 * @self: a [class@Pykka.ActorRef]
 * @connection: a #GDBusConnection (a bus or peer-to-peer)
 * @object_path: the object path to export the actor at
 * @error: return location for an error
 *
 * Makes the actor reachable by any D-Bus client at @object_path, with the
 * generic interface %PYKKA_DBUS_INTERFACE (`org.pykka.Actor1`):
 *
 * - `Tell(v message)` tells the actor the message;
 * - `Ask(v message) → (v reply)` asks it, and replies once the actor
 *   answers: with its reply, or with its error as a D-Bus error
 *   (%PYKKA_ERROR and %G_IO_ERROR errors keep their domain and code in a
 *   pykka-glib client);
 * - `Stop()` stops the actor and replies once it is dead;
 * - `Terminated() → (b failed, s error_name, s error_message)` replies
 *   once the actor is dead, with the reason of its death (the death
 *   watch of [class@Pykka.RemoteRef]);
 * - the property `Alive` (b), with `PropertiesChanged` when it dies.
 *
 * Values cross as [func@Pykka.dbus_value_to_variant] converts them (a
 * message of no value arrives as a %NULL %G_TYPE_POINTER, Python's None). The
 * calls are taken in GDBus's worker thread and queued in the actor's
 * mailbox in the order they arrived, like any message: no main context
 * needs to run for them, and the handlers run on the actor's own
 * context. The export holds a reference on @self until
 * [func@Pykka.dbus_unexport]; a dead actor stays exported (its `Alive`
 * is %FALSE and its asks fail with %PYKKA_ERROR_ACTOR_DEAD).
 *
 * On a message bus, any process that may send to the connection's name
 * may call the actor; restrict that with a bus policy (see the guide
 * "Actors across processes").
 *
 * Returns: the export id for [func@Pykka.dbus_unexport], or 0 with @error
 *   set (an object is already exported at @object_path)
 */
guint
pykka_actor_ref_export_on_dbus (PykkaActorRef    *self,
                                GDBusConnection  *connection,
                                const char       *object_path,
                                GError          **error)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), 0);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), 0);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return export_common (self, connection, object_path, NULL, error);
}

/**
 * pykka_actor_ref_export_interface:
 * @self: a [class@Pykka.ActorRef]
 * @connection: a #GDBusConnection (a bus or peer-to-peer)
 * @object_path: the object path to export the actor at
 * @info: the interface, for example from g_dbus_node_info_new_for_xml()
 * @error: return location for an error
 *
 * Implements a plain D-Bus interface with an actor: each call of one of
 * @info's methods is asked to the actor as a [struct@Pykka.DBusCall]
 * (the method's name and arguments), in the order the calls arrived, and
 * the actor's reply is the call's return value (see
 * [struct@Pykka.DBusCall]). Calls with the wrong arguments are refused
 * with `org.freedesktop.DBus.Error.InvalidArgs` before they reach the
 * actor. The interface's properties and signals are not handled.
 *
 * Returns: the export id for [func@Pykka.dbus_unexport], or 0 with @error
 *   set
 */
guint
pykka_actor_ref_export_interface (PykkaActorRef       *self,
                                  GDBusConnection     *connection,
                                  const char          *object_path,
                                  GDBusInterfaceInfo  *info,
                                  GError             **error)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), 0);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), 0);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), 0);
  g_return_val_if_fail (info != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return export_common (self, connection, object_path, info, error);
}

/**
 * pykka_dbus_unexport:
 * @connection: the #GDBusConnection of the export
 * @export_id: an id from [method@Pykka.ActorRef.export_on_dbus] or
 *   [method@Pykka.ActorRef.export_interface]
 *
 * Ends an export: later calls get `org.freedesktop.DBus.Error.UnknownObject`
 * (or UnknownMethod); calls already queued in the actor are still
 * answered.
 *
 * Returns: %TRUE if @export_id was exported on @connection
 */
gboolean
pykka_dbus_unexport (GDBusConnection *connection,
                     guint            export_id)
{
  PykkaDBusConn *conn;
  GHashTableIter iter;
  Export *export;
  Export *found = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);

  conn = pykka_dbus_conn_get (connection);
  g_mutex_lock (&conn->mutex);
  g_hash_table_iter_init (&iter, conn->exports);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &export))
    if (export->registration_id == export_id)
      {
        found = export;
        g_hash_table_iter_steal (&iter);
        break;
      }
  g_mutex_unlock (&conn->mutex);
  if (found == NULL)
    return FALSE;

  if (found->terminated != NULL)
    pykka_promise_remove_hook (pykka_future_get_promise (found->terminated),
                               export_died_hook, found);
  g_dbus_connection_unregister_object (connection, export_id);
  export_unref (found);
  return TRUE;
}

/* ---- peer to peer ---- */

static gboolean
observer_allow_mechanism (GDBusAuthObserver *observer,
                          const char        *mechanism,
                          gpointer           user_data)
{
  return g_strcmp0 (mechanism, "EXTERNAL") == 0;
}

static gboolean
observer_authorize (GDBusAuthObserver *observer,
                    GIOStream         *stream,
                    GCredentials      *credentials,
                    gpointer           user_data)
{
  uid_t uid;

  if (credentials == NULL)
    return FALSE;
  uid = g_credentials_get_unix_user (credentials, NULL);
  return uid != (uid_t) -1 && uid == getuid ();
}

/**
 * pykka_dbus_auth_observer_new_same_user:
 *
 * Makes the #GDBusAuthObserver of pykka-glib's peer-to-peer servers: it
 * allows only the `EXTERNAL` mechanism (the kernel's credentials of the
 * unix socket) and only a peer of the same user id as this process.
 *
 * Returns: (transfer full): a new #GDBusAuthObserver
 */
GDBusAuthObserver *
pykka_dbus_auth_observer_new_same_user (void)
{
  GDBusAuthObserver *observer = g_dbus_auth_observer_new ();

  g_signal_connect (observer, "allow-mechanism", G_CALLBACK (observer_allow_mechanism), NULL);
  g_signal_connect (observer, "authorize-authenticated-peer", G_CALLBACK (observer_authorize), NULL);
  return observer;
}

typedef struct
{
  PykkaActorRef *ref;
  char          *object_path;
  GPtrArray     *connections;
} Listener;

static void
listener_free (gpointer data, GClosure *closure)
{
  Listener *listener = data;

  g_object_unref (listener->ref);
  g_free (listener->object_path);
  g_ptr_array_unref (listener->connections);
  g_free (listener);
}

static void
listener_closed_cb (GDBusConnection *connection,
                    gboolean         remote_peer_vanished,
                    GError          *error,
                    gpointer         user_data)
{
  GPtrArray *connections = user_data;

  g_signal_handlers_disconnect_by_func (connection, listener_closed_cb, user_data);
  g_ptr_array_remove (connections, connection);
}

static gboolean
listener_new_connection_cb (GDBusServer     *server,
                            GDBusConnection *connection,
                            gpointer         user_data)
{
  Listener *listener = user_data;
  g_autoptr(GError) error = NULL;

  if (pykka_actor_ref_export_on_dbus (listener->ref, connection, listener->object_path, &error) == 0)
    {
      g_warning ("Cannot export the actor on a new connection: %s", error->message);
      return FALSE;
    }
  g_ptr_array_add (listener->connections, g_object_ref (connection));
  g_signal_connect (connection, "closed", G_CALLBACK (listener_closed_cb), listener->connections);
  return TRUE;
}

static void
connection_forget (gpointer data)
{
  GDBusConnection *connection = data;

  g_signal_handlers_disconnect_matched (connection, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        listener_closed_cb, NULL);
  g_dbus_connection_close (connection, NULL, NULL, NULL);
  g_object_unref (connection);
}

/**
 * pykka_actor_ref_listen:
 * @self: a [class@Pykka.ActorRef]
 * @address: (nullable): a D-Bus server address such as
 *   `unix:path=/run/user/1000/app.sock`, or %NULL for a fresh socket in
 *   the temporary directory
 * @object_path: the object path to export the actor at on each connection
 * @error: return location for an error
 *
 * Serves the actor peer to peer: a started #GDBusServer that exports
 * @self with [method@Pykka.ActorRef.export_on_dbus] on each connection
 * it accepts. It accepts only clients of the same user, authenticated
 * with `EXTERNAL` ([func@Pykka.dbus_auth_observer_new_same_user]). Give
 * g_dbus_server_get_client_address() to the clients
 * ([ctor@Pykka.RemoteRef.new_for_address]).
 *
 * New connections are accepted in the thread-default main context of the
 * caller, which must run; the calls themselves need no main context.
 * g_dbus_server_stop() stops accepting; dropping the server closes the
 * connections it accepted.
 *
 * Returns: (transfer full): the started server, or %NULL with @error set
 */
GDBusServer *
pykka_actor_ref_listen (PykkaActorRef  *self,
                        const char     *address,
                        const char     *object_path,
                        GError        **error)
{
  g_autoptr(GDBusAuthObserver) observer = NULL;
  g_autofree char *guid = NULL;
  g_autofree char *tmp_address = NULL;
  GDBusServer *server;
  Listener *listener;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (address == NULL)
    address = tmp_address = g_strdup_printf ("unix:tmpdir=%s", g_get_tmp_dir ());
  guid = g_dbus_generate_guid ();
  observer = pykka_dbus_auth_observer_new_same_user ();
  server = g_dbus_server_new_sync (address,
                                   G_DBUS_SERVER_FLAGS_AUTHENTICATION_REQUIRE_SAME_USER,
                                   guid, observer, NULL, error);
  if (server == NULL)
    return NULL;

  listener = g_new0 (Listener, 1);
  listener->ref = g_object_ref (self);
  listener->object_path = g_strdup (object_path);
  listener->connections = g_ptr_array_new_with_free_func (connection_forget);
  g_signal_connect_data (server, "new-connection", G_CALLBACK (listener_new_connection_cb),
                         listener, listener_free, 0);
  g_dbus_server_start (server);
  return server;
}

/**
 * pykka_dbus_flush:
 * @connection: a #GDBusConnection with exported actors
 * @timeout_msec: how long to wait at most, in milliseconds
 *
 * Waits until every call to an actor exported on @connection that has
 * arrived is answered (the calls to an actor that died are answered at
 * its death, or at once with %PYKKA_ERROR_ACTOR_DEAD), then flushes the
 * connection: what a process calls after its exported actors died and
 * before it exits, so that no caller waits for a reply that was never
 * sent. While an exported actor lives, its callers' pending asks (and the
 * `Terminated()` calls of remote refs) make it wait for @timeout_msec.
 *
 * Returns: %TRUE, or %FALSE when @timeout_msec passed first or the flush
 *   failed (the connection is closed)
 */
gboolean
pykka_dbus_flush (GDBusConnection *connection,
                  gint             timeout_msec)
{
  PykkaDBusConn *conn;
  gint64 deadline;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (timeout_msec >= 0, FALSE);

  conn = pykka_dbus_conn_get (connection);
  deadline = g_get_monotonic_time () + (gint64) timeout_msec * 1000;
  while (g_atomic_int_get (&conn->in_filter) > 0 || g_atomic_int_get (&conn->owed) > 0)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (1000);
    }
  return g_dbus_connection_flush_sync (connection, NULL, NULL);
}
