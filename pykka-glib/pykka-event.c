/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-event.h"

#include "pykka-private.h"

/**
 * PykkaEvent:
 *
 * A flag that threads and actors wait for: the `threading.Event`
 * interface, made cooperative.
 *
 * [method@Pykka.Event.set] raises the flag and wakes every waiter;
 * [method@Pykka.Event.clear] lowers it again. [method@Pykka.Event.wait]
 * waits until the flag is raised, with the same rules as
 * [method@Pykka.Future.get]: inside a stackful actor only that actor
 * suspends; on a thread whose context has actors, that context keeps
 * running while it waits; elsewhere the thread sleeps.
 * [method@Pykka.Event.wait_async] waits without blocking and calls back
 * in the caller's thread-default main context.
 *
 * Here an actor on a thread of its own raises an event that the main
 * thread waits for. The actor's handler:
 *
 * ```c
 *   PykkaEvent *done = g_value_get_object (message);
 *   ...
 *   pykka_event_set (done);
 * ```
 *
 * and the main thread:
 *
 * ```c
 *   g_autoptr(PykkaEvent) ready = pykka_event_new ();
 *   g_value_set_object (g_value_init (&message, PYKKA_TYPE_EVENT), ready);
 *   pykka_actor_ref_tell (ref, &message, NULL);
 *   if (!pykka_event_wait (ready, 5000))
 *     g_error ("Not ready after 5 s");
 * ```
 *
 * ## Thread safety
 *
 * Every method may be called from any thread.
 *
 * ## Traps
 *
 * An event has no owner: a wait cannot tell who is supposed to set it,
 * so, unlike a reply, it cannot detect a deadlock. Give every wait a
 * timeout, and see [func@Pykka.debug_dump_actors] for the actors that
 * wait on an event.
 */

struct _PykkaEvent
{
  GObject       parent_instance;

  GMutex        mutex;
  GCond         cond;       /* broadcast under ->mutex on set, if ->sleepers */
  PykkaWaiter  *waiters;    /* under ->mutex */
  guint         sleepers;   /* under ->mutex */
  GSList       *pending;    /* (owned) PykkaFuture* of wait_async calls, under ->mutex */
  gint          is_set;     /* atomic; changed under ->mutex */
};

G_DEFINE_FINAL_TYPE (PykkaEvent, pykka_event, G_TYPE_OBJECT)

static gboolean
event_is_ready (gpointer object)
{
  return PYKKA_EVENT (object)->is_set;
}

static void
pykka_event_finalize (GObject *object)
{
  PykkaEvent *self = PYKKA_EVENT (object);

  g_slist_free_full (self->pending, g_object_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (pykka_event_parent_class)->finalize (object);
}

static void
pykka_event_class_init (PykkaEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pykka_event_finalize;
}

static void
pykka_event_init (PykkaEvent *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

/**
 * pykka_event_new:
 *
 * Creates an event whose flag is lowered.
 *
 * Returns: (transfer full): a new [class@Pykka.Event]
 */
PykkaEvent *
pykka_event_new (void)
{
  return g_object_new (PYKKA_TYPE_EVENT, NULL);
}

/**
 * pykka_event_set:
 * @self: a [class@Pykka.Event]
 *
 * Raises the flag and wakes everyone waiting for it.
 */
void
pykka_event_set (PykkaEvent *self)
{
  GSList *pending;

  g_return_if_fail (PYKKA_IS_EVENT (self));

  g_mutex_lock (&self->mutex);
  g_atomic_int_set (&self->is_set, TRUE);
  pending = g_steal_pointer (&self->pending);
  pykka_waiters_wake_all (&self->waiters);
  if (self->sleepers > 0)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  for (GSList *l = pending; l != NULL; l = l->next)
    {
      GValue yes = G_VALUE_INIT;

      g_value_init (&yes, G_TYPE_BOOLEAN);
      g_value_set_boolean (&yes, TRUE);
      pykka_promise_take_value (pykka_future_get_promise (l->data), &yes);
    }
  g_slist_free_full (pending, g_object_unref);
}

/**
 * pykka_event_clear:
 * @self: a [class@Pykka.Event]
 *
 * Lowers the flag. Later waits block until the next
 * [method@Pykka.Event.set].
 */
void
pykka_event_clear (PykkaEvent *self)
{
  g_return_if_fail (PYKKA_IS_EVENT (self));

  g_mutex_lock (&self->mutex);
  g_atomic_int_set (&self->is_set, FALSE);
  g_mutex_unlock (&self->mutex);
}

/**
 * pykka_event_is_set:
 * @self: a [class@Pykka.Event]
 *
 * Whether the flag is raised. Never blocks.
 *
 * Returns: %TRUE if the flag is raised
 */
gboolean
pykka_event_is_set (PykkaEvent *self)
{
  g_return_val_if_fail (PYKKA_IS_EVENT (self), FALSE);

  return g_atomic_int_get (&self->is_set);
}

/**
 * pykka_event_wait:
 * @self: a [class@Pykka.Event]
 * @timeout_msec: how long to wait in milliseconds: -1 waits forever, 0
 *   only looks
 *
 * Waits until the flag is raised, at most @timeout_msec milliseconds.
 * Where the wait suspends, iterates or sleeps is as for
 * [method@Pykka.Future.get].
 *
 * Returns: %TRUE if the flag is raised, %FALSE if the time ran out
 */
gboolean
pykka_event_wait (PykkaEvent *self,
                  gint        timeout_msec)
{
  PykkaWaitable w = { 0, };

  g_return_val_if_fail (PYKKA_IS_EVENT (self), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);

  w.mutex = &self->mutex;
  w.cond = &self->cond;
  w.waiters = &self->waiters;
  w.sleepers = &self->sleepers;
  w.is_ready = event_is_ready;
  w.object = self;
  w.what = "event";

  return pykka_wait (&w, timeout_msec);
}

/**
 * pykka_event_wait_async:
 * @self: a [class@Pykka.Event]
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @callback: (scope async): called once the flag is raised
 * @user_data: (closure): data for @callback
 *
 * Waits for the flag without blocking. @callback runs in the
 * thread-default main context of the calling thread; call
 * [method@Pykka.Event.wait_finish] there.
 */
void
pykka_event_wait_async (PykkaEvent          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(PykkaFuture) raised = NULL;
  gboolean was_set;

  g_return_if_fail (PYKKA_IS_EVENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  raised = pykka_future_new ();
  g_mutex_lock (&self->mutex);
  was_set = self->is_set;
  if (!was_set)
    self->pending = g_slist_prepend (self->pending, g_object_ref (raised));
  g_mutex_unlock (&self->mutex);
  /* Decided under the lock: a clear right after must not lose the wait. */
  if (was_set)
    pykka_future_set_value (raised, NULL, NULL);

  pykka_future_watch_async (raised, self, pykka_event_wait_async,
                            cancellable, callback, user_data);
}

/**
 * pykka_event_wait_finish:
 * @self: a [class@Pykka.Event]
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Pykka.Event.wait_async].
 *
 * Returns: %TRUE once the flag was raised, or %FALSE with
 *   %G_IO_ERROR_CANCELLED set
 */
gboolean
pykka_event_wait_finish (PykkaEvent    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (PYKKA_IS_EVENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
