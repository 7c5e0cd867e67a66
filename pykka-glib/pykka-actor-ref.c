/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-actor-ref.h"

#include "pykka-private.h"

/**
 * PykkaActorRef:
 *
 * The handle through which other code talks to an actor.
 *
 * A ref is all that other code holds of an actor. It is what
 * [method@Pykka.Actor.start] returns, what the [class@Pykka.Registry]
 * lists, and what you give to whoever should talk to the actor:
 *
 * - [method@Pykka.ActorRef.tell] sends a message and returns at once;
 * - [method@Pykka.ActorRef.ask] sends a message and returns a
 *   [class@Pykka.Future] of the reply, and
 *   [method@Pykka.ActorRef.ask_sync] waits for it;
 * - [method@Pykka.ActorRef.stop] queues a stop behind everything sent
 *   before, and [method@Pykka.ActorRef.stop_sync] waits for it.
 *
 * Messages are #GValues, copied with g_value_copy() when sent, so any
 * binding can send its own values: a Python object arrives as the same
 * object. The copy of a string or a boxed value is a copy; the copy of a
 * #GObject, a #GVariant or a #GBytes is a new reference to the same
 * instance, shared with the sender (see "Sending data between threads" in
 * the guide [Contexts and threads](04-contexts-and-threads.html), and the
 * `PYKKA_DEBUG=threads` check there).
 *
 * ```c
 *   g_value_set_int (g_value_init (&one, G_TYPE_INT), 1);
 *   pykka_actor_ref_tell (ref, &one, NULL);  // returns at once
 *   pykka_actor_ref_tell (ref, &one, NULL);
 *   if (!pykka_actor_ref_ask_sync (ref, &one, 5000, &reply, &error))
 *     g_error ("%s", error->message);
 *   g_print ("count: %d\n", g_value_get_int (&reply));  // count: 3
 * ```
 *
 * A ref outlives its actor: once the actor is dead, the ref still knows its
 * urn and type, [method@Pykka.ActorRef.is_alive] returns %FALSE, and every
 * tell or ask fails at once with %PYKKA_ERROR_ACTOR_DEAD:
 *
 * ```c
 *   // A dead actor refuses everything, at once.
 *   g_autoptr(PykkaFuture) late = pykka_actor_ref_ask (ref, &one);
 *   if (pykka_future_get (late, 0, &error) != NULL ||
 *       !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD))
 *     g_error ("A dead actor answered");
 * ```
 *
 * A ref does not keep its actor alive: the runtime holds a running actor,
 * and lets it go when it dies.
 *
 * ## Thread safety
 *
 * Every method may be called from any thread, and a ref may be shared
 * between threads freely.
 *
 * ## Traps
 *
 * - [method@Pykka.ActorRef.ask_sync] and [method@Pykka.ActorRef.stop_sync]
 *   block like [method@Pykka.Future.get]: in a handler that is not
 *   stackful they iterate the context nested inside the handler. In
 *   handlers and GUI callbacks prefer [method@Pykka.ActorRef.ask] with
 *   [method@Pykka.Future.get_async], or reply with the future.
 * - [method@Pykka.ActorRef.dup_actor] returns the actor itself, but only the
 *   actor's own context may touch its state.
 */

struct _PykkaActorRef
{
  GObject       parent_instance;
  PykkaCell    *cell;     /* (owned) immutable; keeps the context where notify::alive is emitted */
};

enum {
  PROP_0,
  PROP_URN,
  PROP_ACTOR_TYPE,
  PROP_ALIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PykkaActorRef, pykka_actor_ref, G_TYPE_OBJECT)

static void
pykka_actor_ref_finalize (GObject *object)
{
  PykkaActorRef *self = PYKKA_ACTOR_REF (object);

  g_clear_pointer (&self->cell, pykka_cell_unref);

  G_OBJECT_CLASS (pykka_actor_ref_parent_class)->finalize (object);
}

static void
pykka_actor_ref_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PykkaActorRef *self = PYKKA_ACTOR_REF (object);

  switch (prop_id)
    {
    case PROP_URN:
      g_value_set_string (value, pykka_actor_ref_get_urn (self));
      break;
    case PROP_ACTOR_TYPE:
      g_value_set_gtype (value, pykka_actor_ref_get_actor_type (self));
      break;
    case PROP_ALIVE:
      g_value_set_boolean (value, pykka_actor_ref_is_alive (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_actor_ref_class_init (PykkaActorRefClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pykka_actor_ref_finalize;
  object_class->get_property = pykka_actor_ref_get_property;

  /**
   * PykkaActorRef:urn:
   *
   * The `urn:uuid:` identifier of the actor.
   */
  properties[PROP_URN] =
    g_param_spec_string ("urn", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaActorRef:actor-type:
   *
   * The #GType of the actor.
   */
  properties[PROP_ACTOR_TYPE] =
    g_param_spec_gtype ("actor-type", NULL, NULL, PYKKA_TYPE_ACTOR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaActorRef:alive:
   *
   * Whether the actor is alive: %TRUE from [method@Pykka.Actor.start]
   * until it has stopped or failed, as [method@Pykka.ActorRef.is_alive]
   * tells. When the actor dies, #GObject::notify is emitted for it in the
   * thread-default main context of the thread that created the ref (the
   * thread that constructed the actor): a GTK application can bind a
   * widget to it. The notification comes from an idle of that context,
   * never from the actor's thread.
   */
  properties[PROP_ALIVE] =
    g_param_spec_boolean ("alive", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_actor_ref_init (PykkaActorRef *self)
{
}

PykkaActorRef *
pykka_actor_ref_new (PykkaCell *cell)
{
  PykkaActorRef *self = g_object_new (PYKKA_TYPE_ACTOR_REF, NULL);

  self->cell = pykka_cell_ref (cell);
  /* The thread-default context at creation, where notify::alive goes;
   * the global default costs nothing. */
  pykka_cell_set_ref_context (cell, g_main_context_get_thread_default ());
  return self;
}

static gboolean
notify_alive_cb (gpointer data)
{
  g_object_notify_by_pspec (data, properties[PROP_ALIVE]);
  return G_SOURCE_REMOVE;
}

/* The actor died (on its thread): notify::alive in the ref's context, if
 * anybody listens; costs nothing otherwise. */
void
pykka_actor_ref_notify_dead (PykkaActorRef *self)
{
  static gsize looked_up;
  static guint notify_id;
  static GQuark alive_quark;

  /* (Looked up once: each lookup takes GLib's global locks.) */
  if (g_once_init_enter (&looked_up))
    {
      notify_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
      alive_quark = g_quark_from_static_string ("alive");
      g_once_init_leave (&looked_up, 1);
    }
  if (!g_signal_has_handler_pending (self, notify_id, alive_quark, FALSE))
    return;
  g_main_context_invoke_full (pykka_cell_get_ref_context (self->cell), G_PRIORITY_DEFAULT,
                              notify_alive_cb, g_object_ref (self), g_object_unref);
}

PykkaCell *
pykka_actor_ref_get_cell (PykkaActorRef *self)
{
  return self->cell;
}

/**
 * pykka_actor_ref_tell:
 * @self: a [class@Pykka.ActorRef]
 * @message: the message, copied
 * @error: return location for an error
 *
 * Sends @message to the actor without waiting for it to be handled. If
 * the handler fails, the actor logs the error, runs
 * [vfunc@Pykka.Actor.on_failure] and stops.
 *
 * Returns: %TRUE if the message was queued, %FALSE with
 *   %PYKKA_ERROR_ACTOR_DEAD if the actor is dead
 */
gboolean
pykka_actor_ref_tell (PykkaActorRef  *self,
                      const GValue   *message,
                      GError        **error)
{
  PykkaMessage *m;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  m = pykka_message_new (PYKKA_MESSAGE_USER, message, NULL);
  if (!pykka_cell_push_full (self->cell, m, error))
    {
      pykka_message_free (m);
      return FALSE;
    }
  return TRUE;
}

/* send_with_reply() for a promise whose source is set. */
G_ALWAYS_INLINE static inline void
send_with_reply_sourced (PykkaActorRef    *self,
                         PykkaMessageKind  kind,
                         const GValue     *message,
                         PykkaPromise     *promise,
                         GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  PykkaMessage *m;

  if (kind == PYKKA_MESSAGE_STOP)
    pykka_promise_mark_stop (promise);
  m = pykka_message_new (kind, message, promise);
  if (cancellable != NULL)
    pykka_message_set_cancellable (m, cancellable);
  if (!pykka_cell_push_full (self->cell, m, &error))
    {
      pykka_message_free (m);
      if (kind == PYKKA_MESSAGE_STOP)
        {
          GValue no = G_VALUE_INIT;

          g_value_init (&no, G_TYPE_BOOLEAN);
          pykka_promise_take_value (promise, &no);
        }
      else
        pykka_promise_take_error (promise, g_steal_pointer (&error));
    }
}

/* Sends a message of @kind answered through @promise, cancellable with
 * @cancellable (nullable); a dead actor fails it at once with ACTOR_DEAD
 * (or FALSE for a stop). */
static void
send_with_reply (PykkaActorRef    *self,
                 PykkaMessageKind  kind,
                 const GValue     *message,
                 PykkaPromise     *promise,
                 GCancellable     *cancellable)
{
  pykka_promise_set_source (promise, self->cell);
  send_with_reply_sourced (self, kind, message, promise, cancellable);
}

/* Sends a message of @kind and waits for its answer, without a future. */
G_ALWAYS_INLINE static inline gboolean
send_and_wait (PykkaActorRef     *self,
               PykkaMessageKind   kind,
               const GValue      *message,
               gint               timeout_msec,
               GValue            *reply,
               GError           **error)
{
  PykkaPromise *promise = pykka_promise_new ();
  const GValue *value;

  /* The caller holds @self, and so the cell, for as long as this wait
   * reads the promise's source: no reference of the promise's. */
  pykka_promise_lend_source (promise, self->cell);
  send_with_reply_sourced (self, kind, message, promise, NULL);
  value = pykka_promise_get (promise, timeout_msec, error);
  if (value != NULL && G_VALUE_TYPE (value) != G_TYPE_INVALID)
    pykka_value_init_copy (reply, value);
  pykka_promise_unref (promise);
  return value != NULL;
}

/**
 * pykka_actor_ref_ask:
 * @self: a [class@Pykka.ActorRef]
 * @message: the message, copied
 *
 * Sends @message to the actor and returns a future of the reply: the
 * value the handler sets, the handler's error, or
 * %PYKKA_ERROR_ACTOR_DEAD if the actor is dead or stops before handling
 * the message. Never %NULL: asking a dead actor gives a future that has
 * already failed.
 *
 * Returns: (transfer full): a [class@Pykka.Future] of the reply
 */
PykkaFuture *
pykka_actor_ref_ask (PykkaActorRef *self,
                     const GValue  *message)
{
  PykkaFuture *future;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), NULL);

  future = pykka_future_new ();
  send_with_reply (self, PYKKA_MESSAGE_USER, message, pykka_future_get_promise (future), NULL);
  return future;
}

/**
 * pykka_actor_ref_ask_cancellable:
 * @self: a [class@Pykka.ActorRef]
 * @message: the message, copied
 * @cancellable: (nullable): a #GCancellable for the ask
 *
 * Asks the actor as [method@Pykka.ActorRef.ask] does, with a
 * cancellable, as GIO's asynchronous calls take one. Cancelling it while
 * the message is still queued drops the message: the actor never handles
 * it, and the future fails at once with %G_IO_ERROR_CANCELLED. Once the
 * handler runs, cancelling is only visible to the handler, through
 * [method@Pykka.Actor.get_current_cancellable] (it may pass the
 * cancellable on to the GIO calls it makes, or stop and fail with
 * %G_IO_ERROR_CANCELLED itself); the future gets whatever the handler
 * answers.
 *
 * Returns: (transfer full): a [class@Pykka.Future] of the reply
 */
PykkaFuture *
pykka_actor_ref_ask_cancellable (PykkaActorRef *self,
                                 const GValue  *message,
                                 GCancellable  *cancellable)
{
  PykkaFuture *future;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  future = pykka_future_new ();
  send_with_reply (self, PYKKA_MESSAGE_USER, message, pykka_future_get_promise (future), cancellable);
  return future;
}

/**
 * pykka_actor_ref_ask_sync:
 * @self: a [class@Pykka.ActorRef]
 * @message: the message, copied
 * @timeout_msec: how long to wait in milliseconds, -1 for ever
 * @reply: (out caller-allocates) (optional): where to copy the reply
 * @error: return location for an error
 *
 * Asks the actor and waits for the reply, as [method@Pykka.ActorRef.ask]
 * followed by [method@Pykka.Future.get]. A convenience for C; bindings
 * should ask and get, which keeps the reply owned by the future.
 *
 * Returns: %TRUE with @reply set, or %FALSE with @error set
 */
gboolean
pykka_actor_ref_ask_sync (PykkaActorRef  *self,
                          const GValue   *message,
                          gint            timeout_msec,
                          GValue         *reply,
                          GError        **error)
{
  GValue ignored = G_VALUE_INIT;
  gboolean ok;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ok = send_and_wait (self, PYKKA_MESSAGE_USER, message, timeout_msec,
                      reply != NULL ? reply : &ignored, error);
  pykka_value_clear (&ignored);
  return ok;
}

/**
 * pykka_actor_ref_stop:
 * @self: a [class@Pykka.ActorRef]
 *
 * Queues a stop behind the messages already sent. The returned future
 * gets %TRUE once this stop has stopped the actor, or %FALSE if the actor
 * was already dead (or stopped by an earlier request).
 *
 * Returns: (transfer full): a [class@Pykka.Future] of a #gboolean
 */
PykkaFuture *
pykka_actor_ref_stop (PykkaActorRef *self)
{
  PykkaFuture *future;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  future = pykka_future_new ();
  send_with_reply (self, PYKKA_MESSAGE_STOP, NULL, pykka_future_get_promise (future), NULL);
  return future;
}

/**
 * pykka_actor_ref_stop_sync:
 * @self: a [class@Pykka.ActorRef]
 * @timeout_msec: how long to wait in milliseconds, -1 for ever
 * @error: return location for an error
 *
 * Stops the actor and waits until it is dead: every message sent before
 * is handled first, then [vfunc@Pykka.Actor.on_stop] runs.
 *
 * Returns: %TRUE if this call stopped a live actor, %FALSE if it was
 *   already dead, or %FALSE with %PYKKA_ERROR_TIMEOUT set
 */
gboolean
pykka_actor_ref_stop_sync (PykkaActorRef  *self,
                           gint            timeout_msec,
                           GError        **error)
{
  GValue stopped = G_VALUE_INIT;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return send_and_wait (self, PYKKA_MESSAGE_STOP, NULL, timeout_msec, &stopped, error) &&
         g_value_get_boolean (&stopped);
}

/**
 * pykka_actor_ref_tell_latest:
 * @self: a [class@Pykka.ActorRef]
 * @key: names the slot of the message
 * @message: the message, copied
 * @error: return location for an error
 *
 * Tells @message with "latest wins": if a message told with the same
 * @key still waits in the mailbox, its value is replaced by @message, in
 * its place; else @message is queued as [method@Pykka.ActorRef.tell]
 * would. For updates where only the newest matters, such as a progress
 * shown by a UI actor that falls behind.
 *
 * Returns: %TRUE, or %FALSE with @error set as for
 *   [method@Pykka.ActorRef.tell]
 */
gboolean
pykka_actor_ref_tell_latest (PykkaActorRef  *self,
                             const char     *key,
                             const GValue   *message,
                             GError        **error)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return pykka_cell_push_latest (self->cell, key, message, error);
}

/**
 * pykka_actor_ref_kill:
 * @self: a [class@Pykka.ActorRef]
 *
 * Stops the actor at once, without waiting for the messages already
 * queued, as [method@Pykka.Actor.kill] with no reason: they are answered
 * with %PYKKA_ERROR_ACTOR_DEAD ("killed") once the handler running now
 * has returned and [vfunc@Pykka.Actor.on_stop] has run. Wait for the
 * death with [method@Pykka.ActorRef.stop_sync] if needed.
 *
 * Returns: %TRUE if the actor was running (or being started by another
 *   thread) and is now being killed
 */
gboolean
pykka_actor_ref_kill (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);

  return pykka_cell_kill (self->cell, NULL);
}

/**
 * pykka_actor_ref_get_terminated:
 * @self: a [class@Pykka.ActorRef]
 *
 * Death watch for plain code: a future that completes, once the actor is
 * dead, with a [struct@Pykka.Terminated] holding @self and the reason of
 * the death (%NULL for a normal stop). For an actor that is dead already
 * it is done at once. It never fails. Wait on it, or use
 * [method@Pykka.Future.get_async] to be called back in a main context;
 * drop it to stop watching. Actors use [method@Pykka.Actor.watch]
 * instead, which tells them in their mailbox.
 *
 * Returns: (transfer full): a [class@Pykka.Future] of a
 *   [struct@Pykka.Terminated]
 */
PykkaFuture *
pykka_actor_ref_get_terminated (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  return pykka_cell_dup_terminated (self->cell, self);
}

/**
 * pykka_actor_ref_is_alive:
 * @self: a [class@Pykka.ActorRef]
 *
 * Whether the actor is started and not yet dead. The answer may be stale
 * by the time you act on it; [method@Pykka.ActorRef.tell] and
 * [method@Pykka.ActorRef.ask] report a dead actor themselves.
 *
 * Returns: %TRUE if the actor accepts messages
 */
gboolean
pykka_actor_ref_is_alive (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);

  return pykka_cell_is_alive (self->cell);
}

/**
 * pykka_actor_ref_check_alive:
 * @self: a [class@Pykka.ActorRef]
 * @error: return location for an error
 *
 * Fails with the error a message sent to the actor now would get, when
 * the actor is not alive: %PYKKA_ERROR_ACTOR_DEAD saying that it was never
 * started, or that it is dead and why. Bindings use it to word their own
 * errors about a dead actor (a Python proxy) as its ref's. As with
 * [method@Pykka.ActorRef.is_alive], the answer may be stale.
 *
 * Returns: %TRUE if the actor accepts messages, else %FALSE with @error set
 */
gboolean
pykka_actor_ref_check_alive (PykkaActorRef  *self,
                             GError        **error)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (pykka_cell_is_alive (self->cell))
    return TRUE;
  g_propagate_error (error, pykka_cell_dead_error (self->cell));
  return FALSE;
}

/**
 * pykka_actor_ref_get_started:
 * @self: a [class@Pykka.ActorRef]
 *
 * Gets the outcome of the actor's start: a future that completes with
 * %TRUE once [vfunc@Pykka.Actor.on_start] has returned successfully, with
 * the error of [vfunc@Pykka.Actor.on_start] if it failed, or with
 * %PYKKA_ERROR_ACTOR_DEAD if the actor died without starting (it was
 * never started and is gone, its context was orphaned). Before the
 * actor starts, the future waits.
 *
 * Returns: (transfer full): a [class@Pykka.Future] of the start outcome
 */
PykkaFuture *
pykka_actor_ref_get_started (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  return pykka_cell_dup_started (self->cell);
}

/**
 * pykka_actor_ref_dup_death_reason:
 * @self: a [class@Pykka.ActorRef]
 *
 * Tells why the actor died, when it died of a failure: the error of
 * [vfunc@Pykka.Actor.on_start] or of the handler of a told message (with
 * its domain and code, and a message that says which), or
 * %PYKKA_ERROR_ACTOR_DEAD when its context was orphaned. The
 * %PYKKA_ERROR_ACTOR_DEAD errors of later asks and tells include the same
 * text.
 *
 * Returns: (transfer full) (nullable): the cause, or %NULL if the actor
 *   is alive or was stopped normally
 */
GError *
pykka_actor_ref_dup_death_reason (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  return pykka_cell_dup_death (self->cell);
}

/**
 * pykka_actor_ref_get_urn:
 * @self: a [class@Pykka.ActorRef]
 *
 * Gets the actor's identifier, the same as [property@Pykka.Actor:urn].
 *
 * Returns: (transfer none): a `urn:uuid:` string
 */
const char *
pykka_actor_ref_get_urn (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  return pykka_cell_get_urn (self->cell);
}

/**
 * pykka_actor_ref_get_actor_type:
 * @self: a [class@Pykka.ActorRef]
 *
 * Gets the #GType of the actor, a subtype of [class@Pykka.Actor].
 *
 * Returns: the actor's type
 */
GType
pykka_actor_ref_get_actor_type (PykkaActorRef *self)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), G_TYPE_INVALID);

  return pykka_cell_get_gtype (self->cell);
}

/**
 * pykka_actor_ref_dup_actor:
 * @self: a [class@Pykka.ActorRef]
 *
 * Gets the actor itself while it runs. Only code on the actor's own
 * thread may touch its state; this is meant for bindings and debugging.
 *
 * Returns: (transfer full) (nullable): the actor, or %NULL if it is not
 *   started or already dead
 */
PykkaActor *
pykka_actor_ref_dup_actor (PykkaActorRef *self)
{
  PykkaActor *actor;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (self), NULL);

  actor = pykka_cell_dup_actor (self->cell);

  return actor;
}
