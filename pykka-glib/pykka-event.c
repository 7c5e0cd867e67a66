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

/* An event is a flag and the promise of its next raising: set()
 * completes the promise and forgets it, and a wait waits for the promise it
 * found. So a waiter that was blocked when set() happened returns TRUE
 * even if clear() follows at once, as in Python's threading.Event, and a
 * cancelled asynchronous wait takes its hook off that promise (issue 12,
 * F10 and F14). The promise is a future's, made only when someone waits
 * while the flag is lowered. */
struct _PykkaEvent
{
  GObject       parent_instance;

  GMutex        mutex;
  PykkaFuture  *next_set;   /* (owned) (nullable) completed by the next set(), under ->mutex */
  gint          is_set;     /* atomic; changed under ->mutex */
};

G_DEFINE_FINAL_TYPE (PykkaEvent, pykka_event, G_TYPE_OBJECT)

static void
pykka_event_finalize (GObject *object)
{
  PykkaEvent *self = PYKKA_EVENT (object);

  g_clear_object (&self->next_set);
  g_mutex_clear (&self->mutex);

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
}

/* Under ->mutex, with the flag lowered: the promise of the next set(). */
static PykkaFuture *
event_ref_next_set_locked (PykkaEvent *self)
{
  if (self->next_set == NULL)
    self->next_set = pykka_future_new ();
  return g_object_ref (self->next_set);
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
  PykkaFuture *next_set;

  g_return_if_fail (PYKKA_IS_EVENT (self));

  g_mutex_lock (&self->mutex);
  g_atomic_int_set (&self->is_set, TRUE);
  next_set = g_steal_pointer (&self->next_set);
  g_mutex_unlock (&self->mutex);

  if (next_set != NULL)
    {
      GValue yes = G_VALUE_INIT;

      g_value_init (&yes, G_TYPE_BOOLEAN);
      g_value_set_boolean (&yes, TRUE);
      pykka_promise_take_value (pykka_future_get_promise (next_set), &yes);
      g_object_unref (next_set);
    }
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
 * As with Python's `threading.Event`, a wait that was blocked when
 * [method@Pykka.Event.set] raised the flag returns %TRUE, even if
 * [method@Pykka.Event.clear] lowered it again before the waiter woke up.
 *
 * Returns: %TRUE if the flag was raised, %FALSE if the time ran out
 */
gboolean
pykka_event_wait (PykkaEvent *self,
                  gint        timeout_msec)
{
  g_autoptr(PykkaFuture) next_set = NULL;

  g_return_val_if_fail (PYKKA_IS_EVENT (self), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->is_set || timeout_msec == 0)
    {
      gboolean is_set = self->is_set;

      g_mutex_unlock (&self->mutex);
      return is_set;
    }
  next_set = event_ref_next_set_locked (self);
  g_mutex_unlock (&self->mutex);

  /* TRUE once the set() that follows has happened, whatever comes after. */
  return pykka_promise_wait (pykka_future_get_promise (next_set), timeout_msec, "event");
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
 * [method@Pykka.Event.wait_finish] there. A wait that was pending when the
 * flag was raised succeeds even if the flag is lowered again before
 * @callback runs. Cancelling stops the wait and releases everything it
 * held at once.
 */
void
pykka_event_wait_async (PykkaEvent          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(PykkaFuture) raised = NULL;

  g_return_if_fail (PYKKA_IS_EVENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  g_mutex_lock (&self->mutex);
  if (!self->is_set)
    raised = event_ref_next_set_locked (self);
  g_mutex_unlock (&self->mutex);
  /* Decided under the lock: a clear right after must not lose the wait. */
  if (raised == NULL)
    raised = pykka_future_new_for_value (NULL);

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

/**
 * pykka_event_dup_next_set: (skip)
 * @self: a [class@Pykka.Event]
 *
 * For language bindings that suspend handlers themselves (see
 * [method@Pykka.Actor.suspend_until]): a future that the next
 * [method@Pykka.Event.set] completes, or %NULL when the flag is raised
 * now. Waiting for it is waiting for the event: a waiter that was waiting
 * when the flag was raised is woken, even if the flag is cleared at once.
 *
 * Returns: (transfer full) (nullable): the future of the next set(), or
 *   %NULL if the flag is raised
 */
PykkaFuture *
pykka_event_dup_next_set (PykkaEvent *self)
{
  PykkaFuture *next_set = NULL;

  g_return_val_if_fail (PYKKA_IS_EVENT (self), NULL);

  g_mutex_lock (&self->mutex);
  if (!self->is_set)
    next_set = event_ref_next_set_locked (self);
  g_mutex_unlock (&self->mutex);

  return next_set;
}
