/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-future.h"

#include "pykka-promise-private.h"

/**
 * PykkaFuture:
 *
 * A value, or an error, that arrives once.
 *
 * Asking an actor ([method@Pykka.ActorRef.ask]) gives a future of its
 * reply. You can also make futures yourself with [ctor@Pykka.Future.new]
 * and complete them from any thread with [method@Pykka.Future.set_value]
 * or [method@Pykka.Future.set_error]. A future completes exactly once: a
 * second completion fails with %PYKKA_ERROR_ALREADY_SET and changes
 * nothing.
 *
 * ```c
 *   g_autoptr(PykkaFuture) future = pykka_future_new ();
 *   g_thread_unref (g_thread_new ("compute", compute_in_thread, g_object_ref (future)));
 *   const GValue *value = pykka_future_get (future, 5000, &error);
 *   if (value == NULL)
 *     g_error ("%s", error->message);
 * ```
 *
 * There are three ways to wait for the outcome:
 *
 * - [method@Pykka.Future.get] blocks, up to a timeout. What blocking means
 *   depends on where you call it: inside the handler of a stackful actor
 *   (see [method@Pykka.ActorClass.set_stackful]) only that actor
 *   suspends; on a thread that runs the context the answer comes from, the
 *   context is iterated until the value arrives, so a plain program
 *   without a main loop can ask an actor on the default context; on any
 *   other thread the caller sleeps.
 * - [method@Pykka.Future.get_async] calls back in the thread-default main
 *   context of the caller, as GIO does. It suits GTK applications, Vala's
 *   `yield` and JavaScript's `await`.
 * - A handler may reply with the future itself: the actor takes no other
 *   message until the future completes, and the ask is answered with its
 *   outcome.
 *
 * ```c
 * static void
 * print_and_quit (GObject *source, GAsyncResult *result, gpointer user_data)
 * {
 *   GMainLoop *loop = user_data;
 *   g_autoptr(GError) error = NULL;
 *   const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);
 *
 *   if (value == NULL)
 *     g_error ("%s", error->message);
 *   g_print ("%d\n", g_value_get_int (value));
 *   g_main_loop_quit (loop);
 * }
 * ```
 *
 * [method@Pykka.Future.map], [method@Pykka.Future.filter],
 * [method@Pykka.Future.reduce] and [func@Pykka.Future.join] make new
 * futures from old ones, and [func@Pykka.Future.get_all] waits for several,
 * as in Pykka. A list value is a #GPtrArray of `GValue *` held in a
 * %G_TYPE_PTR_ARRAY value.
 *
 * ## Thread safety
 *
 * Every method may be called from any thread. The value returned by
 * [method@Pykka.Future.get] is owned by the future and never changes once
 * set, so it stays valid as long as you hold the future.
 *
 * ## Traps
 *
 * - A timed-out get leaves the future as it was: a later get may still
 *   succeed.
 * - A handler that blocks on a reply from an actor further down its own
 *   call stack gets %PYKKA_ERROR_DEADLOCK instead of hanging; a stackful
 *   handler that waits for its own actor's reply waits until its timeout.
 * - The functions of [method@Pykka.Future.map],
 *   [method@Pykka.Future.filter] and [method@Pykka.Future.reduce] run in
 *   the thread-default main context of the thread that called them: that
 *   context must be iterated for the derived future to complete.
 * - An unset value is a valid outcome: a handler that sets no reply
 *   answers with a #GValue for which G_IS_VALUE() is %FALSE.
 */

struct _PykkaFuture
{
  GObject       parent_instance;
  PykkaPromise  promise;
};

G_DEFINE_FINAL_TYPE (PykkaFuture, pykka_future, G_TYPE_OBJECT)

static void
set_already_set_error (GError **error)
{
  g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET,
                       P_("The future is already completed"));
}

static void
pykka_future_finalize (GObject *object)
{
  PykkaFuture *self = PYKKA_FUTURE (object);

  pykka_promise_clear (&self->promise);

  G_OBJECT_CLASS (pykka_future_parent_class)->finalize (object);
}

static void
pykka_future_class_init (PykkaFutureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pykka_future_finalize;
}

static void
pykka_future_init (PykkaFuture *self)
{
  pykka_promise_init (&self->promise, self);
}

/* Internal API */

PykkaPromise *
pykka_future_get_promise (PykkaFuture *self)
{
  return &self->promise;
}

/* Public API */

/**
 * pykka_future_new:
 *
 * Creates a future that is not completed yet. Complete it with
 * [method@Pykka.Future.set_value] or [method@Pykka.Future.set_error].
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_new (void)
{
  return g_object_new (PYKKA_TYPE_FUTURE, NULL);
}

/**
 * pykka_future_new_for_value:
 * @value: (nullable): the value, copied; %NULL for an unset value
 *
 * Creates a future that is already completed with @value.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_new_for_value (const GValue *value)
{
  PykkaFuture *self = pykka_future_new ();

  pykka_future_set_value (self, value, NULL);
  return self;
}

/**
 * pykka_future_new_for_error:
 * @error: the error, copied
 *
 * Creates a future that has already failed with @error.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_new_for_error (const GError *error)
{
  PykkaFuture *self;

  g_return_val_if_fail (error != NULL, NULL);

  self = pykka_future_new ();
  pykka_promise_complete (&self->promise, NULL, g_error_copy (error));
  return self;
}

/**
 * pykka_future_set_value:
 * @self: a [class@Pykka.Future]
 * @value: (nullable): the value, copied; %NULL for an unset value
 * @error: return location for an error
 *
 * Completes the future with @value and wakes everyone waiting on it.
 *
 * Returns: %TRUE, or %FALSE with %PYKKA_ERROR_ALREADY_SET if the future
 *   was completed before (its outcome does not change)
 */
gboolean
pykka_future_set_value (PykkaFuture   *self,
                        const GValue  *value,
                        GError       **error)
{
  GValue copy = G_VALUE_INIT;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), FALSE);
  g_return_val_if_fail (value == NULL || G_IS_VALUE (value), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_atomic_int_get (&self->promise.done))
    {
      set_already_set_error (error);
      return FALSE;
    }

  if (value != NULL)
    {
      pykka_value_init_copy (&copy, value);
    }

  if (!pykka_promise_complete (&self->promise, &copy, NULL))
    {
      set_already_set_error (error);
      return FALSE;
    }
  return TRUE;
}

/**
 * pykka_future_set_error:
 * @self: a [class@Pykka.Future]
 * @failure: the error to complete the future with, copied
 * @error: return location for an error
 *
 * Completes the future with an error: every get of it fails with a copy
 * of @failure.
 *
 * Returns: %TRUE, or %FALSE with %PYKKA_ERROR_ALREADY_SET if the future
 *   was completed before (its outcome does not change)
 */
gboolean
pykka_future_set_error (PykkaFuture   *self,
                        const GError  *failure,
                        GError       **error)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), FALSE);
  g_return_val_if_fail (failure != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!pykka_promise_complete (&self->promise, NULL, g_error_copy (failure)))
    {
      set_already_set_error (error);
      return FALSE;
    }
  return TRUE;
}

/**
 * pykka_future_peek_error: (skip)
 * @self: a [class@Pykka.Future]
 *
 * For language bindings: the error of a future that failed, without a
 * copy and without waiting. A completed future's outcome never changes,
 * so the error stays valid as long as @self. Python's garbage collector
 * uses it to see the exception a failed future holds, which the
 * exception's traceback may lead back to the future (a cycle through C
 * that it could not collect otherwise).
 *
 * Returns: (transfer none) (nullable): the error, or %NULL if @self is
 *   not completed or has a value
 */
const GError *
pykka_future_peek_error (PykkaFuture *self)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);

  if (!pykka_promise_is_done (&self->promise))
    return NULL;
  return pykka_promise_peek_error (&self->promise);
}

/**
 * pykka_future_peek_value: (skip)
 * @self: a [class@Pykka.Future]
 *
 * For language bindings: the value of a completed future, without a copy
 * and without waiting; valid as long as @self (see
 * pykka_future_peek_error()).
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if @self is not
 *   completed or failed
 */
const GValue *
pykka_future_peek_value (PykkaFuture *self)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);

  if (!pykka_promise_is_done (&self->promise) || pykka_promise_peek_error (&self->promise) != NULL)
    return NULL;
  return pykka_promise_peek_value (&self->promise);
}

/**
 * pykka_future_is_done:
 * @self: a [class@Pykka.Future]
 *
 * Whether the future has a value or an error. Never blocks.
 *
 * Returns: %TRUE if the future is completed
 */
gboolean
pykka_future_is_done (PykkaFuture *self)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), FALSE);

  return g_atomic_int_get (&self->promise.done);
}

/**
 * pykka_future_get:
 * @self: a [class@Pykka.Future]
 * @timeout_msec: how long to wait in milliseconds: -1 waits forever, 0
 *   only looks
 * @error: return location for an error
 *
 * Waits for the future's outcome, at most @timeout_msec milliseconds.
 *
 * Inside a handler of a stackful actor only that actor waits. On the
 * thread that runs the context the answer comes from, that context is
 * iterated while waiting, so other actors and sources keep running.
 * (Outside any dispatch, the waiting thread runs the ready actors
 * directly and iterates the whole context only every 64th time, which
 * saves a poll() per wait; other sources may then run a few waits
 * later.) Elsewhere the thread sleeps.
 *
 * The value can be fetched any number of times. A timeout changes nothing:
 * a later call may succeed.
 *
 * Returns: (transfer none) (nullable): the value, owned by the future and
 *   valid as long as the future is, or %NULL with the future's error,
 *   %PYKKA_ERROR_TIMEOUT or %PYKKA_ERROR_DEADLOCK set
 */
const GValue *
pykka_future_get (PykkaFuture  *self,
                  gint          timeout_msec,
                  GError      **error)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return pykka_promise_get (&self->promise, timeout_msec, error);
}

/**
 * pykka_future_dup_value:
 * @self: a [class@Pykka.Future]
 * @timeout_msec: how long to wait in milliseconds: -1 waits forever, 0
 *   only looks
 * @error: return location for an error
 *
 * Waits as [method@Pykka.Future.get] does and returns a copy of the value
 * that the caller owns, for code that lets go of the future before it is
 * done with the value. The Vala binding uses it as `get()`, so that
 * `actor_ref.ask (message).get (timeout)` is safe there; from C, Python
 * and JavaScript prefer [method@Pykka.Future.get], which copies nothing.
 *
 * Returns: (transfer full) (nullable): a newly allocated copy of the value
 *   (unset if the future holds no value), or %NULL with the future's error,
 *   %PYKKA_ERROR_TIMEOUT or %PYKKA_ERROR_DEADLOCK set
 */
GValue *
pykka_future_dup_value (PykkaFuture  *self,
                        gint          timeout_msec,
                        GError      **error)
{
  const GValue *value;
  GValue *copy;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  value = pykka_future_get (self, timeout_msec, error);
  if (value == NULL)
    return NULL;

  copy = g_new0 (GValue, 1);
  if (G_IS_VALUE (value))
    {
      pykka_value_init_copy (copy, value);
    }
  return copy;
}

/* One get_async (or event wait_async). It is referenced by the hook on
 * the promise and by the handler on the cancellable; whichever of the two
 * fires first ("returned") answers the task and takes the other one away,
 * so that a cancelled wait keeps nothing alive: not the task, not the
 * future or event it holds, not the cancellable (issue 12, F10). */
typedef struct
{
  gatomicrefcount ref_count;
  GTask        *task;       /* (owned) (nullable) until returned */
  PykkaFuture  *future;     /* (owned) (nullable) until returned */
  gint          returned;   /* atomic: the task got its outcome */
} AsyncGet;

/* A plain gatomicrefcount rather than an atomic rc box: the ThreadSanitizer
 * build interposes g_atomic_ref_count_*() (tests/reliability/
 * tsan-glib-shim.c), not libglib's internal calls. */
static AsyncGet *
async_get_ref (AsyncGet *ag)
{
  g_atomic_ref_count_inc (&ag->ref_count);
  return ag;
}

static void
async_get_unref (gpointer data)
{
  AsyncGet *ag = data;

  if (!g_atomic_ref_count_dec (&ag->ref_count))
    return;
  /* Neither completed nor cancelled: the future went away first. */
  if (ag->task != NULL && !g_atomic_int_get (&ag->returned))
    pykka_debug_note_async (g_task_get_context (ag->task), -1, 0);
  g_clear_object (&ag->task);
  g_clear_object (&ag->future);
  g_free (ag);
}

static gboolean
async_get_return_cb (gpointer data)
{
  g_task_return_boolean (G_TASK (data), TRUE);
  return G_SOURCE_REMOVE;
}

/* The idle that returns the task is gone: dispatched, or destroyed with
 * its context. */
static void
async_get_release_task (gpointer data)
{
  pykka_debug_note_async (g_task_get_context (G_TASK (data)), 0, -1);
  g_object_unref (data);
}

static void async_get_cancelled_cb (GCancellable *cancellable,
                                    gpointer      data);

/* Disconnects the cancellable handler of @ag, if there is one. Unlike
 * g_cancellable_disconnect(), this never waits for a running handler, so
 * it may run inside one (of this or any other wait). */
static void
async_get_disconnect (AsyncGet     *ag,
                      GCancellable *cancellable)
{
  if (cancellable != NULL)
    g_signal_handlers_disconnect_matched (cancellable,
                                          G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                                          0, 0, NULL,
                                          async_get_cancelled_cb, ag);
}

static void
async_get_done_hook (PykkaPromise *promise,
                     gpointer      data)
{
  AsyncGet *ag = data;
  GTask *task;

  if (!g_atomic_int_compare_and_exchange (&ag->returned, FALSE, TRUE))
    return;

  /* Only the winner touches the fields from here on. */
  task = g_steal_pointer (&ag->task);
  async_get_disconnect (ag, g_task_get_cancellable (task));

  /* Return from an idle of the task's context, never from inside the
   * completer: GTask would otherwise call back right here, in the middle
   * of the turn of the actor that answered, when that actor shares the
   * caller's context. */
  {
    GSource *idle = g_idle_source_new ();

    g_source_set_static_name (idle, "[pykka-future-get-async]");
    g_source_set_priority (idle, g_task_get_priority (task));
    pykka_debug_note_async (g_task_get_context (task), -1, 1);
    g_source_set_callback (idle, async_get_return_cb, task, async_get_release_task);
    g_source_attach (idle, g_task_get_context (task));
    g_source_unref (idle);
  }
  /* The completer holds the future while its hooks run. */
  g_clear_object (&ag->future);
}

static void
async_get_cancelled_cb (GCancellable *cancellable,
                        gpointer      data)
{
  AsyncGet *ag = data;
  GTask *task;

  if (!g_atomic_int_compare_and_exchange (&ag->returned, FALSE, TRUE))
    return;

  task = g_steal_pointer (&ag->task);
  pykka_debug_note_async (g_task_get_context (task), -1, 0);
  async_get_disconnect (ag, cancellable);
  /* GTask returns a cancelled task from an idle, never from here. */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "%s", P_("The wait was cancelled"));
  g_object_unref (task);
  /* The hook may not be added yet: then pykka_future_watch_async()
   * removes it. */
  pykka_promise_remove_hook (&ag->future->promise, async_get_done_hook, ag);
  g_clear_object (&ag->future);
}

/* Shared by futures and events: a GTask of @source_object that returns
 * TRUE once @self completes. */
void
pykka_future_watch_async (PykkaFuture         *self,
                           gpointer             source_object,
                           gpointer             source_tag,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  AsyncGet *ag = g_new0 (AsyncGet, 1);

  g_atomic_ref_count_init (&ag->ref_count);
  ag->task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (ag->task, source_tag);
  g_task_set_name (ag->task, "[pykka-future-get]");
  ag->future = g_object_ref (self);
  pykka_debug_note_async (g_task_get_context (ag->task), 1, 0);
  if (cancellable != NULL)
    {
      /* Calls back at once when already cancelled. */
      g_cancellable_connect (cancellable, G_CALLBACK (async_get_cancelled_cb),
                             async_get_ref (ag), async_get_unref);
    }

  pykka_promise_add_hook_inline (&self->promise, async_get_done_hook,
                                 async_get_ref (ag), async_get_unref);
  /* Cancelled meanwhile (maybe from another thread, before the hook was
   * there to remove): remove it here. Harmless if it ran or is gone. */
  if (g_atomic_int_get (&ag->returned))
    pykka_promise_remove_hook (&self->promise, async_get_done_hook, ag);
  async_get_unref (ag);
}

/**
 * pykka_future_get_async:
 * @self: a [class@Pykka.Future]
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @callback: (scope async): called when the future completes
 * @user_data: (closure): data for @callback
 *
 * Waits for the future without blocking. @callback runs in the
 * thread-default main context of the calling thread once the future is
 * completed (never before this function returns); call
 * [method@Pykka.Future.get_finish] there.
 *
 * The callback runs only when something iterates that context: on a
 * thread whose thread-default context no main loop runs (a context
 * pushed and then left alone, or a thread that blocks or ends), it never
 * runs, and nothing fails. [func@Pykka.debug_dump_actors] lists such
 * callbacks per context (`ready`).
 *
 * Cancelling stops the wait, not the future.
 */
void
pykka_future_get_async (PykkaFuture         *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (PYKKA_IS_FUTURE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* A handler that awaits this and then replies with a future of its
   * own (JavaScript's async handlers) waits for its source. */
  pykka_cell_note_async_wait (&self->promise);
  pykka_future_watch_async (self, self, pykka_future_get_async,
                             cancellable, callback, user_data);
}

/**
 * pykka_future_get_finish:
 * @self: a [class@Pykka.Future]
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Pykka.Future.get_async].
 *
 * Returns: (transfer none) (nullable): the value, owned by the future, or
 *   %NULL with the future's error (or %G_IO_ERROR_CANCELLED) set
 */
const GValue *
pykka_future_get_finish (PykkaFuture   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  return pykka_future_get (self, 0, error);
}
