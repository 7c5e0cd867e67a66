/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "pykka-remote-ref.h"

#include "pykka-dbus-private.h"
#include "pykka-error.h"
#include "pykka-private.h"

/*
 * Remote refs (issue 17.2): a ref to an actor exported on D-Bus by
 * another process.
 *
 * An ask is a plain method call sent with g_dbus_connection_send_message();
 * its serial goes into the connection's table of pending asks in the same
 * locked step (pykka-dbus.c), and the connection's filter, in GDBus's
 * worker thread, completes the future from the reply. Neither side needs
 * a main context to run, and a blocked asker is woken by GDBus's thread.
 *
 * The death of the remote actor is watched with one call per ref,
 * `Terminated()`, which the exporter answers when the actor dies. It is
 * made from pykka-glib's D-Bus thread, so that GDBus fails it there as
 * soon as the connection closes (or the bus says that the peer is gone):
 * the ref is then dead and its pending asks fail with
 * PYKKA_ERROR_ACTOR_DEAD at once. A ref of a subprocess also waits for
 * the helper's exit, whose status gives the reason ("process crashed").
 */

typedef struct
{
  gatomicrefcount  ref_count;
  GDBusConnection *connection;
  char            *bus_name;
  char            *object_path;
  gint             dead;          /* atomic; set under the connection's mutex */
  GError          *reason;        /* set once, before ->dead */
  PykkaFuture     *terminated;
  GCancellable    *cancellable;   /* of the watch */
  guint            name_watch;    /* D-Bus thread only */
  GSubprocess     *process;       /* (nullable) */
  gboolean         exited;        /* D-Bus thread only */
  GError          *gone;          /* D-Bus thread only: closed before the exit */
  GSource         *kill_source;   /* D-Bus thread only */
} Target;

struct _PykkaRemoteRef
{
  GObject     parent_instance;
  Target     *target;
  gboolean    owns_connection;
  GHashTable *watches;   /* (nullable) under watch_lock: watcher cell → RemoteWatch */
};

G_DEFINE_FINAL_TYPE (PykkaRemoteRef, pykka_remote_ref, G_TYPE_OBJECT)

typedef struct
{
  PykkaFuture *future;
  Target      *target;
  gboolean     is_stop;
} Pending;

static Target *
target_ref (Target *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
target_unref (gpointer data)
{
  Target *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_assert (self->name_watch == 0);
  g_assert (self->kill_source == NULL);
  g_object_unref (self->connection);
  g_free (self->bus_name);
  g_free (self->object_path);
  g_clear_error (&self->reason);
  g_clear_error (&self->gone);
  g_object_unref (self->terminated);
  g_object_unref (self->cancellable);
  g_clear_object (&self->process);
  g_free (self);
}

static GError *
peer_gone_error (const GError *cause)
{
  if (cause != NULL)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                        P_("The remote actor is dead: peer gone (%s)"), cause->message);
  return g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                              P_("The remote actor is dead: peer gone"));
}

/* The error of an ask to a dead target. */
static GError *
target_dead_error (Target *self)
{
  if (self->reason != NULL && self->reason->domain == PYKKA_ERROR
      && self->reason->code == PYKKA_ERROR_ACTOR_DEAD)
    return g_error_copy (self->reason);
  if (self->reason != NULL)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                        P_("The remote actor is dead: %s"), self->reason->message);
  return g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                              P_("The remote actor is dead"));
}

static void
fail_future (PykkaFuture *future,
             GError      *error)
{
  pykka_future_set_error (future, error, NULL);
  g_error_free (error);
}

static gboolean
unwatch_name_cb (gpointer data)
{
  Target *self = data;

  if (self->name_watch != 0)
    {
      g_bus_unwatch_name (self->name_watch);
      self->name_watch = 0;
    }
  return G_SOURCE_REMOVE;
}

static void target_mark_dead (Target   *self,
                              GError   *reason,
                              gboolean  sweep);

void
pykka_remote_pending_free (gpointer data)
{
  Pending *pending = data;

  if (!pykka_future_is_done (pending->future))
    fail_future (pending->future, peer_gone_error (NULL));
  g_object_unref (pending->future);
  target_unref (pending->target);
  g_free (pending);
}

void
pykka_remote_pending_complete (gpointer      data,
                               GDBusMessage *reply)
{
  Pending *pending = data;

  if (g_dbus_message_get_message_type (reply) == G_DBUS_MESSAGE_TYPE_ERROR)
    {
      GError *error = pykka_dbus_error_from_message (reply);

      if (pykka_dbus_error_is_peer_gone (error))
        {
          GError *gone = peer_gone_error (error);

          g_error_free (error);
          error = gone;
        }
      fail_future (pending->future, error);
    }
  else if (pending->is_stop)
    {
      GValue value = G_VALUE_INIT;

      /* The actor is dead when its Stop returns: the ref says so before
       * the future completes, even if the reply of the watch (which the
       * D-Bus thread handles) comes later. */
      target_mark_dead (pending->target, NULL, FALSE);

      g_value_init (&value, G_TYPE_BOOLEAN);
      g_value_set_boolean (&value, TRUE);
      pykka_future_set_value (pending->future, &value, NULL);
    }
  else
    {
      GVariant *body = g_dbus_message_get_body (reply);
      g_autoptr(GVariant) child = NULL;
      g_auto(GValue) value = G_VALUE_INIT;
      GError *error = NULL;

      if (body == NULL || !g_variant_is_of_type (body, G_VARIANT_TYPE ("(v)")))
        error = g_error_new (PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                             P_("Expected a reply of type (v), got %s"),
                             body != NULL ? g_variant_get_type_string (body) : "()");
      else
        {
          g_variant_get (body, "(v)", &child);
          pykka_dbus_value_from_variant (child, &value, &error);
        }
      if (error != NULL)
        fail_future (pending->future, error);
      else
        pykka_future_set_value (pending->future,
                                G_VALUE_TYPE (&value) != G_TYPE_INVALID ? &value : NULL,
                                NULL);
    }
  pykka_remote_pending_free (pending);
}

/* Marks @self dead with @reason (taken; NULL for a normal stop), once;
 * with @sweep, its pending asks fail at once. */
/* Takes the asks of @self still waiting for a reply out of the
 * connection's table, under its mutex. */
static GPtrArray *
target_steal_pending (Target        *self,
                      PykkaDBusConn *conn)
{
  GPtrArray *swept = g_ptr_array_new_with_free_func (pykka_remote_pending_free);
  GHashTableIter iter;
  Pending *pending;

  g_hash_table_iter_init (&iter, conn->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending))
    if (pending->target == self)
      {
        g_hash_table_iter_steal (&iter);
        g_ptr_array_add (swept, pending);
      }
  return swept;
}

static void
target_mark_dead (Target   *self,
                  GError   *reason,
                  gboolean  sweep)
{
  PykkaDBusConn *conn = pykka_dbus_conn_get (self->connection);
  g_autoptr(GPtrArray) swept = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  Pending *pending;
  gboolean already;

  g_mutex_lock (&conn->mutex);
  already = g_atomic_int_get (&self->dead);
  if (!already)
    {
      self->reason = g_steal_pointer (&reason);
      g_atomic_int_set (&self->dead, TRUE);
    }
  g_clear_error (&reason);
  /* Also after a normal death: the peer is gone now, and a reply still
   * pending never comes. */
  swept = sweep ? target_steal_pending (self, conn)
                : g_ptr_array_new_with_free_func (pykka_remote_pending_free);
  g_mutex_unlock (&conn->mutex);

  for (guint i = 0; i < swept->len; i++)
    {
      pending = g_ptr_array_index (swept, i);
      fail_future (pending->future, target_dead_error (self));
    }
  if (already)
    return;

  g_value_init (&value, G_TYPE_ERROR);
  g_value_set_boxed (&value, self->reason);
  pykka_future_set_value (self->terminated, &value, NULL);

  /* The name watch belongs to the D-Bus thread (this may be GDBus's). */
  g_main_context_invoke_full (pykka_dbus_thread_get_context (), G_PRIORITY_DEFAULT,
                              unwatch_name_cb, target_ref (self), target_unref);
}

/* ---- the D-Bus thread ---- */

static gpointer
dbus_thread_main (gpointer data)
{
  GMainContext *context = data;

  g_main_context_push_thread_default (context);
  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

GMainContext *
pykka_dbus_thread_get_context (void)
{
  static GMainContext *context;

  if (g_once_init_enter (&context))
    {
      GMainContext *c = g_main_context_new ();

      g_thread_unref (g_thread_new ("pykka-dbus", dbus_thread_main, c));
      g_once_init_leave (&context, c);
    }
  return context;
}

static void
target_gone (Target       *self,
             const GError *cause);

static gboolean
kill_timeout_cb (gpointer data)
{
  Target *self = data;

  g_clear_pointer (&self->kill_source, g_source_unref);
  g_subprocess_force_exit (self->process);
  return G_SOURCE_REMOVE;
}

static void
target_gone (Target       *self,
             const GError *cause)
{
  if (self->process != NULL)
    {
      /* The exit status says why (process_exited_cb() marks the death);
       * it follows the closed socket at once, unless the helper hangs:
       * then it is killed. */
      if (self->gone == NULL)
        self->gone = g_error_copy (cause);
      if (!self->exited && self->kill_source == NULL)
        {
          self->kill_source = g_timeout_source_new (5000);
          g_source_set_callback (self->kill_source, kill_timeout_cb, self, NULL);
          g_source_attach (self->kill_source, pykka_dbus_thread_get_context ());
        }
      return;
    }
  target_mark_dead (self, peer_gone_error (cause), TRUE);
}

static void
watch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Target *self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    {
      gboolean failed;
      const char *name, *message;
      GError *reason = NULL;

      g_variant_get (reply, "(b&s&s)", &failed, &name, &message);
      if (failed)
        {
          pykka_dbus_ensure_errors ();
          reason = g_dbus_error_new_for_dbus_error (name, message);
          g_dbus_error_strip_remote_error (reason);
        }
      target_mark_dead (self, reason, FALSE);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_dbus_error_strip_remote_error (error);
      target_gone (self, error);
    }
  target_unref (self);
}

static void
name_vanished_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Target *self = user_data;
  g_autoptr(GError) cause = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                         P_("The name %s has no owner"), name);

  /* The ref dies, but the asks it sent stay pending: the old owner may
   * live on (it released the name, or another took it over) and answer
   * them, and if it is gone, the bus answers each with an error. */
  target_mark_dead (self, peer_gone_error (cause), FALSE);
}

typedef struct
{
  Target *target;
  GError *reason;
  gint64  deadline;
} Drain;

/* Polls until GDBus's thread has read the helper's stream to its end (it
 * then marks the connection closed): only then do the asks left pending
 * fail. A call to the dead helper would not do: its failed write may
 * close the connection before what the helper sent is read. */
static gboolean
exit_drain_cb (gpointer user_data)
{
  Drain *drain = user_data;

  if (!g_dbus_connection_is_closed (drain->target->connection)
      && g_get_monotonic_time () < drain->deadline)
    return G_SOURCE_CONTINUE;

  target_mark_dead (drain->target, drain->reason, TRUE);
  g_dbus_connection_close (drain->target->connection, NULL, NULL, NULL);
  target_unref (drain->target);
  g_free (drain);
  return G_SOURCE_REMOVE;
}

static void
process_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Target *self = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  Drain *drain = g_new0 (Drain, 1);
  GError *reason;

  g_subprocess_wait_finish (process, result, NULL);
  self->exited = TRUE;
  if (self->kill_source != NULL)
    {
      g_source_destroy (self->kill_source);
      g_clear_pointer (&self->kill_source, g_source_unref);
    }

  if (g_subprocess_get_if_signaled (process))
    {
      int sig = g_subprocess_get_term_sig (process);

      reason = g_error_new (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                            P_("The actor's process crashed (signal %d, %s)"),
                            sig, g_strsignal (sig));
    }
  else if (g_subprocess_get_exit_status (process) != 0)
    reason = g_error_new (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                          P_("The actor's process crashed (exit status %d)"),
                          g_subprocess_get_exit_status (process));
  else
    reason = peer_gone_error (self->gone);
  drain->target = self;   /* the reference of this callback */
  drain->reason = reason;

  drain->deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  {
    GSource *poll = g_timeout_source_new (5);

    g_source_set_callback (poll, exit_drain_cb, drain, NULL);
    g_source_attach (poll, pykka_dbus_thread_get_context ());
    g_source_unref (poll);
  }
}

/* The hand-over of a new target to the D-Bus thread goes through GLib's
 * context lock, which ThreadSanitizer does not see: this lock, taken on
 * both sides, makes the order visible. */
static GMutex handover;

static gboolean
start_watch_cb (gpointer data)
{
  Target *self = data;

  g_mutex_lock (&handover);
  g_mutex_unlock (&handover);

  g_dbus_connection_call (self->connection, self->bus_name, self->object_path,
                          PYKKA_DBUS_INTERFACE, "Terminated", NULL,
                          G_VARIANT_TYPE ("(bss)"), G_DBUS_CALL_FLAGS_NONE,
                          G_MAXINT, self->cancellable, watch_done_cb, target_ref (self));
  if (self->bus_name != NULL && !g_dbus_is_unique_name (self->bus_name)
      && !g_atomic_int_get (&self->dead))
    self->name_watch = g_bus_watch_name_on_connection (self->connection, self->bus_name,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                       NULL, name_vanished_cb,
                                                       target_ref (self), target_unref);
  if (self->process != NULL)
    g_subprocess_wait_async (self->process, NULL, process_exited_cb, target_ref (self));
  return G_SOURCE_REMOVE;
}

static gboolean
stop_watch_cb (gpointer data)
{
  Target *self = data;

  g_cancellable_cancel (self->cancellable);
  if (self->name_watch != 0)
    {
      g_bus_unwatch_name (self->name_watch);
      self->name_watch = 0;
    }
  return G_SOURCE_REMOVE;
}

/* ---- the object ---- */

static void
pykka_remote_ref_finalize (GObject *object)
{
  PykkaRemoteRef *self = PYKKA_REMOTE_REF (object);
  Target *target = self->target;

  if (self->owns_connection && target->process == NULL)
    {
      /* About to be closed by us: no reply can arrive for the asks still
       * pending, and nothing else would answer them (a helper's exit
       * does). Taken before the close, whose end (on GDBus's thread)
       * would otherwise fail them first, saying less. */
      PykkaDBusConn *conn = pykka_dbus_conn_get (target->connection);
      g_autoptr(GPtrArray) swept = NULL;

      g_mutex_lock (&conn->mutex);
      swept = target_steal_pending (target, conn);
      g_mutex_unlock (&conn->mutex);
      for (guint i = 0; i < swept->len; i++)
        fail_future (((Pending *) g_ptr_array_index (swept, i))->future,
                     g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                                          P_("No reply can arrive: the remote ref was finalized, which closed its connection")));
    }
  if (self->owns_connection || target->process != NULL)
    g_dbus_connection_close (target->connection, NULL, NULL, NULL);
  if (target->process == NULL)
    g_main_context_invoke_full (pykka_dbus_thread_get_context (), G_PRIORITY_DEFAULT,
                                stop_watch_cb, target, target_unref);
  else
    target_unref (target);

  g_clear_pointer (&self->watches, g_hash_table_unref);

  G_OBJECT_CLASS (pykka_remote_ref_parent_class)->finalize (object);
}

static void
pykka_remote_ref_class_init (PykkaRemoteRefClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pykka_remote_ref_finalize;
}

static void
pykka_remote_ref_init (PykkaRemoteRef *self)
{
}

static PykkaRemoteRef *
remote_ref_new (GDBusConnection *connection,
                const char      *bus_name,
                const char      *object_path,
                GSubprocess     *process)
{
  PykkaRemoteRef *self = g_object_new (PYKKA_TYPE_REMOTE_REF, NULL);
  Target *target = g_new0 (Target, 1);

  pykka_dbus_ensure_errors ();
  pykka_dbus_conn_get (connection);
  g_atomic_ref_count_init (&target->ref_count);
  target->connection = g_object_ref (connection);
  target->bus_name = g_strdup (bus_name);
  target->object_path = g_strdup (object_path);
  target->terminated = pykka_future_new ();
  target->cancellable = g_cancellable_new ();
  target->process = process != NULL ? g_object_ref (process) : NULL;
  self->target = target;

  g_mutex_lock (&handover);
  g_mutex_unlock (&handover);
  g_main_context_invoke_full (pykka_dbus_thread_get_context (), G_PRIORITY_DEFAULT,
                              start_watch_cb, target_ref (target), target_unref);
  return self;
}

/**
 * PykkaRemoteRef:
 *
 * A ref to an actor in another process, exported on D-Bus with
 * [method@Pykka.ActorRef.export_on_dbus] (or by any program that
 * implements the `org.pykka.Actor1` interface). It offers what a
 * [class@Pykka.ActorRef] does for plain code: tell, ask (a
 * [class@Pykka.Future]), stop, is_alive and a death watch
 * ([method@Pykka.RemoteRef.get_terminated]).
 *
 * Messages and replies cross as [func@Pykka.dbus_value_to_variant]
 * converts them: a message that cannot cross (an object, a pointer)
 * fails the tell or ask at once with %PYKKA_ERROR_INVALID_ARGUMENT. An
 * error of the remote handler arrives with its domain and code for
 * %PYKKA_ERROR and %G_IO_ERROR (other domains keep them when the
 * receiving process knows the domain, else they are %G_IO_ERROR_DBUS_ERROR).
 *
 * The ref is dead when the remote actor dies, when the connection closes
 * and, for a ref by well-known bus name, when the name loses its owner:
 * pending asks then fail with %PYKKA_ERROR_ACTOR_DEAD ("peer gone") at
 * once (those to a name's old owner that lives on get its replies), and
 * later ones fail without being sent. Replies are taken in
 * GDBus's own thread, so that a thread may block on
 * [method@Pykka.Future.get] of an ask without running any main context.
 *
 * It may be used from any thread.
 */

/**
 * pykka_remote_ref_new:
 * @connection: a #GDBusConnection
 * @bus_name: (nullable): the bus name of the exporting process (a
 *   well-known or unique name), or %NULL on a peer-to-peer connection
 * @object_path: the object path the actor is exported at
 *
 * Makes a ref to the actor that another process exported on @connection.
 * Nothing is sent yet but the death watch; a ref to a name that has no
 * owner, or to a path where no actor is exported, is dead as soon as the
 * watch hears so.
 *
 * Returns: (transfer full): a new [class@Pykka.RemoteRef]
 */
PykkaRemoteRef *
pykka_remote_ref_new (GDBusConnection *connection,
                      const char      *bus_name,
                      const char      *object_path)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (bus_name == NULL || g_dbus_is_name (bus_name), NULL);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), NULL);

  return remote_ref_new (connection, bus_name, object_path, NULL);
}

/**
 * pykka_remote_ref_new_for_address:
 * @address: the D-Bus address of a peer-to-peer server, as from
 *   g_dbus_server_get_client_address() of [method@Pykka.ActorRef.listen]
 * @object_path: the object path the actor is exported at
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Connects to a peer-to-peer server (authenticating as this user) and
 * makes a ref to the actor it exports at @object_path. The ref owns the
 * connection and closes it when it is finalized.
 *
 * Returns: (transfer full): a new [class@Pykka.RemoteRef], or %NULL with
 *   @error set when the connection failed
 */
PykkaRemoteRef *
pykka_remote_ref_new_for_address (const char    *address,
                                  const char    *object_path,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autoptr(GDBusConnection) connection = NULL;
  PykkaRemoteRef *self;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                       NULL, cancellable, error);
  if (connection == NULL)
    return NULL;
  self = remote_ref_new (connection, NULL, object_path, NULL);
  self->owns_connection = TRUE;
  return self;
}

PykkaRemoteRef *
pykka_remote_ref_new_for_process (GDBusConnection *connection,
                                  GSubprocess     *process)
{
  PykkaRemoteRef *self = remote_ref_new (connection, NULL, PYKKA_DBUS_HOST_PATH, process);

  self->owns_connection = TRUE;
  return self;
}

/* Why a message could not be sent: the connection is closed, or the
 * message is not valid D-Bus. */
static GError *
send_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return peer_gone_error (error);
  return g_error_new (PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                      P_("The message cannot be sent: %s"), error->message);
}

static PykkaFuture *
send_ask (PykkaRemoteRef *self,
          const char     *member,
          GVariant       *body,
          gboolean        is_stop)
{
  Target *target = self->target;
  PykkaDBusConn *conn = pykka_dbus_conn_get (target->connection);
  PykkaFuture *future = pykka_future_new ();
  g_autoptr(GDBusMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  guint32 serial = 0;
  Pending *pending;

  message = g_dbus_message_new_method_call (target->bus_name, target->object_path,
                                            PYKKA_DBUS_INTERFACE, member);
  if (body != NULL)
    g_dbus_message_set_body (message, body);

  g_mutex_lock (&conn->mutex);
  if (g_atomic_int_get (&target->dead))
    {
      g_mutex_unlock (&conn->mutex);
      fail_future (future, target_dead_error (target));
      return future;
    }
  if (!g_dbus_connection_send_message (target->connection, message,
                                       G_DBUS_SEND_MESSAGE_FLAGS_NONE, &serial, &error))
    {
      g_mutex_unlock (&conn->mutex);
      fail_future (future, send_error (error));
      return future;
    }
  pending = g_new0 (Pending, 1);
  pending->future = g_object_ref (future);
  pending->target = target_ref (target);
  pending->is_stop = is_stop;
  g_hash_table_insert (conn->pending, GUINT_TO_POINTER (serial), pending);
  g_mutex_unlock (&conn->mutex);
  return future;
}

/**
 * pykka_remote_ref_tell:
 * @self: a [class@Pykka.RemoteRef]
 * @message: the message
 * @error: return location for an error
 *
 * Sends @message to the remote actor without waiting for it to be
 * handled. Tells and asks from one thread reach the actor in the order
 * they were sent.
 *
 * Returns: %TRUE if the message was sent; %FALSE with
 *   %PYKKA_ERROR_INVALID_ARGUMENT for a message that cannot cross a
 *   process, or %PYKKA_ERROR_ACTOR_DEAD when the ref is dead
 */
gboolean
pykka_remote_ref_tell (PykkaRemoteRef  *self,
                       const GValue    *message,
                       GError         **error)
{
  Target *target;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GDBusMessage) dbus_message = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  target = self->target;
  variant = pykka_dbus_value_to_variant (message, error);
  if (variant == NULL)
    return FALSE;
  if (g_atomic_int_get (&target->dead))
    {
      g_propagate_error (error, target_dead_error (target));
      return FALSE;
    }
  dbus_message = g_dbus_message_new_method_call (target->bus_name, target->object_path,
                                                 PYKKA_DBUS_INTERFACE, "Tell");
  g_dbus_message_set_body (dbus_message, g_variant_new ("(v)", variant));
  g_dbus_message_set_flags (dbus_message, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
  if (!g_dbus_connection_send_message (target->connection, dbus_message,
                                       G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &local_error))
    {
      g_propagate_error (error, send_error (local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * pykka_remote_ref_ask:
 * @self: a [class@Pykka.RemoteRef]
 * @message: the message
 *
 * Asks the remote actor. The future completes with the actor's reply,
 * or fails with its error, %PYKKA_ERROR_INVALID_ARGUMENT for a message
 * or reply that cannot cross a process, or %PYKKA_ERROR_ACTOR_DEAD when
 * the actor is dead or the peer gone. It is completed from GDBus's
 * thread: waiting for it needs no main context.
 *
 * Returns: (transfer full): a [class@Pykka.Future] of the reply
 */
PykkaFuture *
pykka_remote_ref_ask (PykkaRemoteRef *self,
                      const GValue   *message)
{
  g_autoptr(GVariant) variant = NULL;
  GError *error = NULL;

  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  variant = pykka_dbus_value_to_variant (message, &error);
  if (variant == NULL)
    {
      PykkaFuture *future = pykka_future_new_for_error (error);

      g_error_free (error);
      return future;
    }
  return send_ask (self, "Ask", g_variant_new ("(v)", variant), FALSE);
}

/**
 * pykka_remote_ref_stop:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Stops the remote actor after the messages sent before.
 *
 * Returns: (transfer full): a [class@Pykka.Future] that completes with
 *   %TRUE once the actor is dead, or fails with %PYKKA_ERROR_ACTOR_DEAD
 *   when the peer is gone
 */
PykkaFuture *
pykka_remote_ref_stop (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return send_ask (self, "Stop", NULL, TRUE);
}

/**
 * pykka_remote_ref_is_alive:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Whether the remote actor is alive, as far as this process knows: it
 * turns %FALSE when the death watch hears of the death, the connection
 * closes or the peer's name vanishes.
 *
 * Returns: %FALSE once the ref is dead
 */
gboolean
pykka_remote_ref_is_alive (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), FALSE);

  return !g_atomic_int_get (&self->target->dead);
}

/**
 * pykka_remote_ref_get_terminated:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Death watch of the remote actor: a future that completes when the ref
 * dies, with the reason as a boxed #GError value (%G_TYPE_ERROR, %NULL
 * for a normal stop): the remote actor's own death reason, "process
 * crashed" for a subprocess that crashed, or %PYKKA_ERROR_ACTOR_DEAD
 * "peer gone". It never fails.
 *
 * Returns: (transfer full): a [class@Pykka.Future]
 */
PykkaFuture *
pykka_remote_ref_get_terminated (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return g_object_ref (self->target->terminated);
}

/**
 * pykka_remote_ref_dup_death_reason:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Why the remote actor is dead (see [method@Pykka.RemoteRef.get_terminated]).
 *
 * Returns: (transfer full) (nullable): a copy of the reason, or %NULL
 *   while alive or after a normal stop
 */
GError *
pykka_remote_ref_dup_death_reason (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  if (!g_atomic_int_get (&self->target->dead) || self->target->reason == NULL)
    return NULL;
  return g_error_copy (self->target->reason);
}

/**
 * pykka_remote_ref_get_connection:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Gets the connection the ref talks over.
 *
 * Returns: (transfer none): the #GDBusConnection
 */
GDBusConnection *
pykka_remote_ref_get_connection (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return self->target->connection;
}

/**
 * pykka_remote_ref_get_bus_name:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Gets the bus name of the exporting process.
 *
 * Returns: (nullable): the bus name, %NULL on a peer-to-peer connection
 */
const char *
pykka_remote_ref_get_bus_name (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return self->target->bus_name;
}

/**
 * pykka_remote_ref_get_object_path:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Gets the object path of the remote actor.
 *
 * Returns: the object path
 */
const char *
pykka_remote_ref_get_object_path (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return self->target->object_path;
}

/**
 * pykka_remote_ref_get_subprocess:
 * @self: a [class@Pykka.RemoteRef]
 *
 * Gets the helper process of an actor started with
 * [func@Pykka.subprocess_start_actor] or
 * [func@Pykka.subprocess_start_python_actor].
 *
 * Returns: (transfer none) (nullable): the #GSubprocess, or %NULL
 */
GSubprocess *
pykka_remote_ref_get_subprocess (PykkaRemoteRef *self)
{
  g_return_val_if_fail (PYKKA_IS_REMOTE_REF (self), NULL);

  return self->target->process;
}

/* ---- death watch by local actors ---- */

/*
 * A watch of a remote actor by a local one (pykka_actor_watch_remote())
 * is a RemoteWatch in the remote ref's ->watches (which holds a
 * reference), keyed by the watcher's cell, under watch_lock (a leaf
 * lock). It holds the watcher's cell, the remote ref and the future of
 * the watcher's own termination, and hangs a hook on both deaths:
 *
 * - the remote actor's (the target's terminated future): the news, a
 *   PykkaTerminated with the remote ref and no actor ref, goes into the
 *   watcher's control lane as a TERMINATED message, like a local watch's,
 *   and is remembered in ->queued; the watcher's cell delivers it only if
 *   the watch still holds that news (pykka_remote_watch_take()), which
 *   ends the watch;
 * - the watcher's: the watch ends, nothing is sent.
 *
 * A watch that ends leaves the table and takes its hooks off both
 * futures, so that nothing is kept alive after it (the remote ref is
 * kept by a watch only while it lasts).
 */

typedef struct
{
  gatomicrefcount  ref_count;
  PykkaCell       *watcher;             /* (owned) */
  PykkaRemoteRef  *remote;              /* (owned) */
  PykkaFuture     *watcher_terminated;  /* (owned) */
  PykkaTerminated *queued;              /* (owned) (nullable) under watch_lock */
} RemoteWatch;

static GMutex watch_lock;

static RemoteWatch *
remote_watch_ref (RemoteWatch *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
remote_watch_unref (gpointer data)
{
  RemoteWatch *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  pykka_cell_unref (self->watcher);
  g_object_unref (self->remote);
  g_object_unref (self->watcher_terminated);
  g_clear_pointer (&self->queued, pykka_terminated_unref);
  g_free (self);
}

static void remote_died_hook  (PykkaPromise *promise,
                               gpointer      user_data);
static void watcher_died_hook (PykkaPromise *promise,
                               gpointer      user_data);

/* Under watch_lock: takes @watch out of its remote's table, if it is
 * still there; TRUE if it was (the caller then owns the table's
 * reference). */
static gboolean
remote_watch_steal_locked (RemoteWatch *watch)
{
  GHashTable *watches = watch->remote->watches;

  if (watches == NULL || g_hash_table_lookup (watches, watch->watcher) != watch)
    return FALSE;
  g_hash_table_steal (watches, watch->watcher);
  return TRUE;
}

/* Ends @watch, once it is out of the table: its hooks come off. Takes the
 * table's reference. */
static void
remote_watch_end (RemoteWatch *watch)
{
  pykka_promise_remove_hook (pykka_future_get_promise (watch->remote->target->terminated),
                             remote_died_hook, watch);
  pykka_promise_remove_hook (pykka_future_get_promise (watch->watcher_terminated),
                             watcher_died_hook, watch);
  remote_watch_unref (watch);
}

static void
remote_died_hook (PykkaPromise *promise,
                  gpointer      user_data)
{
  RemoteWatch *watch = user_data;
  PykkaTerminated *news;
  gboolean pushed;

  g_mutex_lock (&watch_lock);
  if (watch->queued != NULL || watch->remote->watches == NULL
      || g_hash_table_lookup (watch->remote->watches, watch->watcher) != watch)
    {
      g_mutex_unlock (&watch_lock);
      return;
    }
  /* (->reason is set before the terminated future completes.) */
  news = pykka_terminated_new_remote (watch->remote, watch->remote->target->reason);
  watch->queued = pykka_terminated_ref (news);
  g_mutex_unlock (&watch_lock);

  pushed = pykka_cell_push_terminated (watch->watcher, news);
  pykka_terminated_unref (news);
  if (!pushed)
    {
      /* The watcher is dead or stopping: nobody to tell. */
      g_mutex_lock (&watch_lock);
      pushed = !remote_watch_steal_locked (watch);
      g_mutex_unlock (&watch_lock);
      if (!pushed)
        remote_watch_end (watch);
    }
}

static void
watcher_died_hook (PykkaPromise *promise,
                   gpointer      user_data)
{
  RemoteWatch *watch = user_data;
  gboolean stolen;

  g_mutex_lock (&watch_lock);
  stolen = remote_watch_steal_locked (watch);
  g_mutex_unlock (&watch_lock);
  if (stolen)
    remote_watch_end (watch);
}

gboolean
pykka_remote_watch_take (PykkaCell       *watcher,
                         PykkaTerminated *terminated)
{
  PykkaRemoteRef *remote = pykka_terminated_get_remote_ref (terminated);
  RemoteWatch *watch = NULL;

  if (remote == NULL)
    return FALSE;
  g_mutex_lock (&watch_lock);
  if (remote->watches != NULL)
    watch = g_hash_table_lookup (remote->watches, watcher);
  if (watch != NULL && watch->queued == terminated)
    g_hash_table_steal (remote->watches, watcher);
  else
    watch = NULL;
  g_mutex_unlock (&watch_lock);

  if (watch == NULL)
    return FALSE;
  remote_watch_end (watch);
  return TRUE;
}

/**
 * pykka_actor_watch_remote:
 * @self: the watching [class@Pykka.Actor], started
 * @remote: the [class@Pykka.RemoteRef] of the actor to watch
 *
 * Death watch of an actor in another process, as
 * [method@Pykka.Actor.watch] is for an actor of this one: once the
 * remote ref is dead, @self receives, exactly once, a message holding a
 * [struct@Pykka.Terminated], through the same lane and handled by its
 * [vfunc@Pykka.Actor.on_receive] like a told message. Its
 * [method@Pykka.Terminated.get_actor_ref] is %NULL and
 * [method@Pykka.Terminated.get_remote_ref] is @remote; its reason is
 * that of [method@Pykka.RemoteRef.get_terminated]: %NULL for a normal
 * stop, the remote actor's failure, "process crashed" for a helper
 * process that crashed, or %PYKKA_ERROR_ACTOR_DEAD "peer gone" when the
 * connection closed or the peer's name vanished. If the ref is dead
 * already, the message is sent at once. Watching the same remote ref
 * again changes nothing.
 *
 * The watch keeps @remote alive until the news is handled or
 * [method@Pykka.Actor.unwatch_remote] is called; a watcher that dies
 * first drops its watches. A watcher that is not running watches
 * nothing. Call it from any thread.
 */
void
pykka_actor_watch_remote (PykkaActor     *self,
                          PykkaRemoteRef *remote)
{
  PykkaActorRef *ref;
  PykkaCell *cell;
  RemoteWatch *watch;
  gboolean current;

  g_return_if_fail (PYKKA_IS_ACTOR (self));
  g_return_if_fail (PYKKA_IS_REMOTE_REF (remote));

  ref = pykka_actor_get_actor_ref (self);
  if (ref == NULL)
    return;
  cell = pykka_actor_ref_get_cell (ref);
  if (!pykka_cell_is_alive (cell))
    return;

  watch = g_new0 (RemoteWatch, 1);
  g_atomic_ref_count_init (&watch->ref_count);
  watch->watcher = pykka_cell_ref (cell);
  watch->remote = g_object_ref (remote);
  watch->watcher_terminated = pykka_cell_dup_terminated (cell, ref);

  g_mutex_lock (&watch_lock);
  if (remote->watches == NULL)
    remote->watches = g_hash_table_new (NULL, NULL);
  if (g_hash_table_contains (remote->watches, cell))
    {
      g_mutex_unlock (&watch_lock);
      remote_watch_unref (watch);
      return;
    }
  /* The table's reference; the one from g_new0() is ours until the end. */
  g_hash_table_insert (remote->watches, cell, remote_watch_ref (watch));
  g_mutex_unlock (&watch_lock);

  /* Each hook runs at once if its death came already. */
  pykka_promise_add_hook (pykka_future_get_promise (watch->watcher_terminated),
                          watcher_died_hook, remote_watch_ref (watch), remote_watch_unref);
  pykka_promise_add_hook (pykka_future_get_promise (remote->target->terminated),
                          remote_died_hook, remote_watch_ref (watch), remote_watch_unref);

  /* A watch that ended while its hooks were being hung leaves none. */
  g_mutex_lock (&watch_lock);
  current = remote->watches != NULL && g_hash_table_lookup (remote->watches, cell) == watch;
  g_mutex_unlock (&watch_lock);
  if (!current)
    {
      pykka_promise_remove_hook (pykka_future_get_promise (remote->target->terminated),
                                 remote_died_hook, watch);
      pykka_promise_remove_hook (pykka_future_get_promise (watch->watcher_terminated),
                                 watcher_died_hook, watch);
    }
  remote_watch_unref (watch);
}

/**
 * pykka_actor_unwatch_remote:
 * @self: the watching [class@Pykka.Actor]
 * @remote: the watched [class@Pykka.RemoteRef]
 *
 * Ends a watch of [method@Pykka.Actor.watch_remote]: @self is not told
 * of the remote actor's death, even if the news was already queued in
 * its mailbox, and the watch no longer keeps @remote alive. Unwatching a
 * remote ref that is not watched does nothing.
 */
void
pykka_actor_unwatch_remote (PykkaActor     *self,
                            PykkaRemoteRef *remote)
{
  PykkaActorRef *ref;
  RemoteWatch *watch = NULL;

  g_return_if_fail (PYKKA_IS_ACTOR (self));
  g_return_if_fail (PYKKA_IS_REMOTE_REF (remote));

  ref = pykka_actor_get_actor_ref (self);
  if (ref == NULL)
    return;
  g_mutex_lock (&watch_lock);
  if (remote->watches != NULL)
    {
      PykkaCell *cell = pykka_actor_ref_get_cell (ref);

      watch = g_hash_table_lookup (remote->watches, cell);
      if (watch != NULL)
        g_hash_table_steal (remote->watches, cell);
    }
  g_mutex_unlock (&watch_lock);
  if (watch != NULL)
    remote_watch_end (watch);
}
