/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-future.h"

#include "pykka-private.h"

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

typedef struct
{
  PykkaPromiseHook func;
  gpointer         data;
  GDestroyNotify   destroy;
} Hook;

/* The state of a future. A PykkaFuture embeds one; blocking asks from C
 * (ask_sync, stop_sync) use a bare one and spare the GObject. */
struct _PykkaPromise
{
  PykkaFuture  *owner;     /* (nullable) (unowned) the future embedding it */
  gatomicrefcount ref_count; /* without an owner */

  GMutex        mutex;
  GCond         cond;      /* broadcast under ->mutex when done, if ->sleepers */
  GValue        value;     /* immutable once ->done, unless ->error */
  GError       *error;     /* (owned) (nullable) immutable once ->done */
  GSList       *hooks;     /* (owned) Hook*, run once when done; under ->mutex */
  PykkaWaiter  *waiters;   /* under ->mutex */
  guint         sleepers;  /* under ->mutex */
  PykkaCell    *source;    /* (owned) (nullable) the actor that answers */
  GMainContext *home;      /* (owned) (nullable) context whose iteration completes a derived future */
  gint          done;      /* atomic; set under ->mutex */
};

struct _PykkaFuture
{
  GObject       parent_instance;
  PykkaPromise  promise;
};

G_DEFINE_FINAL_TYPE (PykkaFuture, pykka_future, G_TYPE_OBJECT)

static void
hook_free (gpointer data)
{
  Hook *hook = data;

  if (hook->destroy != NULL)
    hook->destroy (hook->data);
  g_free (hook);
}

static void
promise_init (PykkaPromise *self,
              PykkaFuture  *owner)
{
  self->owner = owner;
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

static void
promise_clear (PykkaPromise *self)
{
  g_slist_free_full (self->hooks, hook_free);
  pykka_value_clear (&self->value);
  g_clear_error (&self->error);
  g_clear_pointer (&self->source, pykka_cell_unref);
  g_clear_pointer (&self->home, g_main_context_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
}

static gboolean
promise_is_ready (gpointer object)
{
  return ((PykkaPromise *) object)->done;
}

static void
promise_init_waitable (PykkaPromise  *self,
                       PykkaWaitable *w)
{
  w->mutex = &self->mutex;
  w->cond = &self->cond;
  w->waiters = &self->waiters;
  w->sleepers = &self->sleepers;
  w->is_ready = promise_is_ready;
  w->object = self;
  w->source_cell = self->source;
  w->source_context = self->source != NULL && pykka_cell_get_scheduler (self->source) != NULL ?
    pykka_scheduler_get_context (pykka_cell_get_scheduler (self->source)) : self->home;
  w->what = "future";
}

/* Completes the promise with the stolen @value or @error. */
static gboolean
promise_complete (PykkaPromise *self,
                  GValue       *value,
                  GError       *error)
{
  GSList *hooks;

  g_mutex_lock (&self->mutex);
  if (self->done)
    {
      g_mutex_unlock (&self->mutex);
      if (value != NULL && G_IS_VALUE (value))
        g_value_unset (value);
      g_clear_error (&error);
      return FALSE;
    }

  if (error != NULL)
    self->error = error;
  else if (value != NULL && G_IS_VALUE (value))
    {
      self->value = *value;
      memset (value, 0, sizeof *value);
    }
  g_atomic_int_set (&self->done, TRUE);

  hooks = g_steal_pointer (&self->hooks);
  pykka_waiters_wake_all (&self->waiters);
  if (self->sleepers > 0)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (hooks != NULL)
    {
      /* Keep self alive: a hook may drop the last other reference. */
      pykka_promise_ref (self);
      hooks = g_slist_reverse (hooks);
      for (GSList *l = hooks; l != NULL; l = l->next)
        {
          Hook *hook = l->data;
          hook->func (self, hook->data);
        }
      g_slist_free_full (hooks, hook_free);
      pykka_promise_unref (self);
    }

  return TRUE;
}

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

  promise_clear (&self->promise);

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
  promise_init (&self->promise, self);
}

/* Internal API */

PykkaPromise *
pykka_promise_new (void)
{
  PykkaPromise *self = g_slice_new0 (PykkaPromise);

  promise_init (self, NULL);
  return self;
}

/* A promise embedded in a future lives as long as the future: its
 * references are the future's. */
PykkaPromise *
pykka_promise_ref (PykkaPromise *self)
{
  if (self->owner != NULL)
    g_object_ref (self->owner);
  else
    g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pykka_promise_unref (PykkaPromise *self)
{
  if (self->owner != NULL)
    g_object_unref (self->owner);
  else if (g_atomic_ref_count_dec (&self->ref_count))
    {
      promise_clear (self);
      g_slice_free (PykkaPromise, self);
    }
}

PykkaPromise *
pykka_future_get_promise (PykkaFuture *self)
{
  return &self->promise;
}

gboolean
pykka_promise_is_done (PykkaPromise *self)
{
  return g_atomic_int_get (&self->done);
}

/* Runs @func once the promise is done: at once (and returns FALSE) if it
 * is; else later, in the completer (and returns TRUE: the hook can be
 * removed with pykka_promise_remove_hook() until then). */
gboolean
pykka_promise_add_hook (PykkaPromise     *self,
                        PykkaPromiseHook  func,
                        gpointer          data,
                        GDestroyNotify    destroy)
{
  Hook *hook = g_new (Hook, 1);

  hook->func = func;
  hook->data = data;
  hook->destroy = destroy;

  g_mutex_lock (&self->mutex);
  if (!self->done)
    {
      self->hooks = g_slist_prepend (self->hooks, hook);
      g_mutex_unlock (&self->mutex);
      return TRUE;
    }
  g_mutex_unlock (&self->mutex);

  func (self, data);
  hook_free (hook);
  return FALSE;
}

/* Removes the hook added with @func and @data, if it has not run yet, and
 * frees it. Returns whether it was there. */
gboolean
pykka_promise_remove_hook (PykkaPromise     *self,
                     PykkaPromiseHook  func,
                     gpointer          data)
{
  Hook *found = NULL;

  g_mutex_lock (&self->mutex);
  for (GSList *l = self->hooks; l != NULL; l = l->next)
    {
      Hook *hook = l->data;

      if (hook->func == func && hook->data == data)
        {
          found = hook;
          self->hooks = g_slist_delete_link (self->hooks, l);
          break;
        }
    }
  g_mutex_unlock (&self->mutex);

  if (found == NULL)
    return FALSE;
  hook_free (found);
  return TRUE;
}

/* Waits for @self as pykka_promise_get() does, without the errors of a
 * reply: for PykkaEvent, whose waits show as @what in debug dumps. */
gboolean
pykka_promise_wait (PykkaPromise *self,
                    gint          timeout_msec,
                    const char   *what)
{
  PykkaWaitable w;

  if (g_atomic_int_get (&self->done))
    return TRUE;
  promise_init_waitable (self, &w);
  w.what = what;
  return pykka_wait (&w, timeout_msec);
}

void
pykka_promise_set_source (PykkaPromise *self,
                          PykkaCell    *cell)
{
  g_assert (self->source == NULL);
  self->source = pykka_cell_ref (cell);
}

gboolean
pykka_promise_take_value (PykkaPromise *self,
                          GValue       *value)
{
  return promise_complete (self, value, NULL);
}

gboolean
pykka_promise_take_error (PykkaPromise *self,
                          GError       *error)
{
  return promise_complete (self, NULL, error);
}

/* Completes @self with the outcome of the completed @source. */
gboolean
pykka_promise_copy_outcome (PykkaPromise *self,
                            PykkaPromise *source)
{
  GValue copy = G_VALUE_INIT;

  g_assert (source->done);
  if (source->error != NULL)
    return promise_complete (self, NULL, g_error_copy (source->error));
  if (G_IS_VALUE (&source->value))
    {
      pykka_value_init_copy (&copy, &source->value);
    }
  return promise_complete (self, &copy, NULL);
}

/* The actor that answers, if any: immutable once set. */
PykkaCell *
pykka_promise_get_source (PykkaPromise *self)
{
  return self->source;
}

const GError *
pykka_promise_peek_error (PykkaPromise *self)
{
  return self->error;
}

/* Waits for the outcome: pykka_future_get() for futures and bare
 * promises alike. */
const GValue *
pykka_promise_get (PykkaPromise  *self,
                   gint           timeout_msec,
                   GError       **error)
{
  if (!g_atomic_int_get (&self->done))
    {
      PykkaWaitable w;

      promise_init_waitable (self, &w);
      if (!pykka_wait_full (&w, timeout_msec, error))
        return NULL;
    }

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  return &self->value;
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  if (G_IS_VALUE (value))
    g_value_unset (value);
  g_free (value);
}

GPtrArray *
pykka_value_list_new (guint reserved)
{
  return g_ptr_array_new_full (reserved, value_free);
}

void
pykka_value_list_add (GPtrArray    *list,
                      const GValue *value)
{
  GValue *copy = g_new0 (GValue, 1);

  if (value != NULL && G_IS_VALUE (value))
    {
      pykka_value_init_copy (copy, value);
    }
  g_ptr_array_add (list, copy);
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
  pykka_promise_take_error (&self->promise, g_error_copy (error));
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

  if (!promise_complete (&self->promise, &copy, NULL))
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

  if (!promise_complete (&self->promise, NULL, g_error_copy (failure)))
    {
      set_already_set_error (error);
      return FALSE;
    }
  return TRUE;
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
  PykkaPromise *promise;    /* (owned) (nullable) until returned */
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
  g_clear_object (&ag->task);
  g_clear_pointer (&ag->promise, pykka_promise_unref);
  g_free (ag);
}

static gboolean
async_get_return_cb (gpointer data)
{
  g_task_return_boolean (G_TASK (data), TRUE);
  return G_SOURCE_REMOVE;
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
    g_source_set_callback (idle, async_get_return_cb, task, g_object_unref);
    g_source_attach (idle, g_task_get_context (task));
    g_source_unref (idle);
  }
  /* The completer holds the promise while its hooks run. */
  g_clear_pointer (&ag->promise, pykka_promise_unref);
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
  async_get_disconnect (ag, cancellable);
  /* GTask returns a cancelled task from an idle, never from here. */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "%s", P_("The wait was cancelled"));
  g_object_unref (task);
  /* The hook may not be added yet: then pykka_future_watch_async()
   * removes it. */
  pykka_promise_remove_hook (ag->promise, async_get_done_hook, ag);
  g_clear_pointer (&ag->promise, pykka_promise_unref);
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
  ag->promise = pykka_promise_ref (&self->promise);
  if (cancellable != NULL)
    {
      /* Calls back at once when already cancelled. */
      g_cancellable_connect (cancellable, G_CALLBACK (async_get_cancelled_cb),
                             async_get_ref (ag), async_get_unref);
    }

  pykka_promise_add_hook (&self->promise, async_get_done_hook,
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

typedef struct
{
  PykkaFuture           *result;   /* (owned) */
  PykkaFutureMapFunc     map;
  PykkaFutureFilterFunc  filter;
  PykkaFutureReduceFunc  reduce;
  GValue                 initial;  /* unset when reduce has none */
  gpointer               user_data;
  GDestroyNotify         destroy;
} Derived;

static void
derived_free (Derived *d)
{
  if (d->destroy != NULL)
    d->destroy (d->user_data);
  if (G_IS_VALUE (&d->initial))
    g_value_unset (&d->initial);
  g_object_unref (d->result);
  g_free (d);
}

static GPtrArray *
value_as_list (const GValue  *value,
               GError       **error)
{
  if (G_VALUE_HOLDS (value, G_TYPE_PTR_ARRAY) && g_value_get_boxed (value) != NULL)
    return g_value_get_boxed (value);

  g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
               /* Translators: %s is the name of a type, such as gint. */
               P_("Expected a list of values (GPtrArray of GValue), got %s"),
               G_IS_VALUE (value) ? G_VALUE_TYPE_NAME (value) : "nothing");
  return NULL;
}

static gboolean
derived_compute (Derived       *d,
                 const GValue  *value,
                 GValue        *out,
                 GError       **error)
{
  GPtrArray *list;

  if (d->map != NULL)
    return d->map (value, out, d->user_data, error);

  if ((list = value_as_list (value, error)) == NULL)
    return FALSE;

  if (d->filter != NULL)
    {
      GPtrArray *kept = pykka_value_list_new (list->len);

      for (guint i = 0; i < list->len; i++)
        if (d->filter (list->pdata[i], d->user_data))
          pykka_value_list_add (kept, list->pdata[i]);
      g_value_init (out, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (out, kept);
      return TRUE;
    }

  /* reduce */
  {
    GValue acc = G_VALUE_INIT;
    guint i = 0;

    if (G_IS_VALUE (&d->initial))
      {
        pykka_value_init_copy (&acc, &d->initial);
      }
    else if (list->len > 0)
      {
        const GValue *first = list->pdata[0];
        pykka_value_init_copy (&acc, first);
        i = 1;
      }
    else
      {
        g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                             P_("Cannot reduce an empty list without an initial value"));
        return FALSE;
      }

    for (; i < list->len; i++)
      {
        GValue next = G_VALUE_INIT;

        if (!d->reduce (&acc, list->pdata[i], &next, d->user_data, error))
          {
            g_value_unset (&acc);
            if (G_IS_VALUE (&next))
              g_value_unset (&next);
            return FALSE;
          }
        g_value_unset (&acc);
        acc = next;
      }
    *out = acc;
    return TRUE;
  }
}

static void
derived_ready_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Derived *d = data;
  GError *error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);
  GValue out = G_VALUE_INIT;

  if (value == NULL)
    pykka_promise_take_error (&d->result->promise, error);
  else if (derived_compute (d, value, &out, &error))
    pykka_promise_take_value (&d->result->promise, &out);
  else
    {
      if (G_IS_VALUE (&out))
        g_value_unset (&out);
      if (error == NULL)
        error = g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                                     P_("The callback failed without an error"));
      pykka_promise_take_error (&d->result->promise, error);
    }

  derived_free (d);
}

static Derived *
derived_new (gpointer       user_data,
             GDestroyNotify destroy)
{
  Derived *d = g_new0 (Derived, 1);

  d->user_data = user_data;
  d->destroy = destroy;
  return d;
}

/* Starts waiting for @self and returns the future @d completes. */
static PykkaFuture *
derived_start (PykkaFuture *self,
               Derived     *d)
{
  PykkaFuture *result = pykka_future_new ();

  d->result = g_object_ref (result);
  /* A blocking get of the result iterates the context the callback runs
   * in, instead of sleeping through it. */
  result->promise.home = g_main_context_ref_thread_default ();
  pykka_future_get_async (self, NULL, derived_ready_cb, d);
  return result;
}

/**
 * pykka_future_map:
 * @self: a [class@Pykka.Future]
 * @func: (scope notified) (closure user_data) (destroy destroy): computes
 *   the new value
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future whose value is @func applied to the value of @self. An
 * error of @self, or of @func, becomes the error of the new future.
 * @func runs in the thread-default main context of the calling thread.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_map (PykkaFuture        *self,
                  PykkaFutureMapFunc  func,
                  gpointer            user_data,
                  GDestroyNotify      destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  d = derived_new (user_data, destroy);
  d->map = func;
  return derived_start (self, d);
}

/**
 * pykka_future_filter:
 * @self: a [class@Pykka.Future] whose value is a list (a %G_TYPE_PTR_ARRAY
 *   of `GValue *`)
 * @func: (scope notified) (closure user_data) (destroy destroy): decides
 *   which elements to keep
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future of the elements of @self's list for which @func returns
 * %TRUE, in order. A value that is not a list fails the new future with
 * %PYKKA_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_filter (PykkaFuture           *self,
                     PykkaFutureFilterFunc  func,
                     gpointer               user_data,
                     GDestroyNotify         destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  d = derived_new (user_data, destroy);
  d->filter = func;
  return derived_start (self, d);
}

/**
 * pykka_future_reduce:
 * @self: a [class@Pykka.Future] whose value is a list (a %G_TYPE_PTR_ARRAY
 *   of `GValue *`)
 * @func: (scope notified) (closure user_data) (destroy destroy): folds one
 *   element into the accumulated value
 * @initial: (nullable): the first accumulated value, or %NULL to start
 *   with the list's first element
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Makes a future of @self's list folded from the left with @func, like
 * Python's `functools.reduce()`. An empty list without @initial fails
 * with %PYKKA_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_reduce (PykkaFuture           *self,
                     PykkaFutureReduceFunc  func,
                     const GValue          *initial,
                     gpointer               user_data,
                     GDestroyNotify         destroy)
{
  Derived *d;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (initial == NULL || G_IS_VALUE (initial), NULL);

  d = derived_new (user_data, destroy);
  d->reduce = func;
  if (initial != NULL)
    {
      pykka_value_init_copy (&d->initial, initial);
    }
  return derived_start (self, d);
}

/* A join holds no reference to its sources: a source that never
 * completes must not keep the others (and itself, through its hook)
 * alive once every user dropped it. Each value is copied on arrival. */
typedef struct
{
  PykkaFuture  *result;    /* (owned) */
  GValue       *values;    /* (owned) n_sources, in argument order */
  guint         n_sources;
  gint          remaining; /* atomic */
} Join;

typedef struct
{
  Join  *join;   /* (owned) */
  guint  index;
} JoinPart;

static void
join_clear (gpointer data)
{
  Join *j = data;

  for (guint i = 0; i < j->n_sources; i++)
    if (G_IS_VALUE (&j->values[i]))
      g_value_unset (&j->values[i]);
  g_free (j->values);
  g_object_unref (j->result);
}

static void
join_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, join_clear);
}

static void
join_part_free (gpointer data)
{
  JoinPart *part = data;

  join_unref (part->join);
  g_free (part);
}

static void
join_done_hook (PykkaPromise *promise,
                gpointer      data)
{
  JoinPart *part = data;
  Join *j = part->join;

  if (promise->error != NULL)
    {
      /* The first error wins; later ones find the result completed. */
      promise_complete (&j->result->promise, NULL, g_error_copy (promise->error));
      return;
    }

  if (G_IS_VALUE (&promise->value))
    {
      pykka_value_init_copy (&j->values[part->index], &promise->value);
    }

  if (g_atomic_int_dec_and_test (&j->remaining))
    {
      GPtrArray *list = pykka_value_list_new (j->n_sources);
      GValue out = G_VALUE_INIT;

      for (guint i = 0; i < j->n_sources; i++)
        pykka_value_list_add (list, &j->values[i]);
      g_value_init (&out, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (&out, list);
      promise_complete (&j->result->promise, &out, NULL);
    }
}

/**
 * pykka_future_join:
 * @futures: (array length=n_futures): the futures to join
 * @n_futures: how many
 *
 * Makes a future of the values of all @futures, as a list in argument
 * order (a %G_TYPE_PTR_ARRAY of `GValue *`). The first error among them
 * becomes the error of the new future.
 *
 * Returns: (transfer full): a new [class@Pykka.Future]
 */
PykkaFuture *
pykka_future_join (PykkaFuture **futures,
                   guint         n_futures)
{
  Join *j;
  PykkaFuture *result;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);
  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (PYKKA_IS_FUTURE (futures[i]), NULL);

  result = pykka_future_new ();
  if (n_futures == 0)
    {
      GValue out = G_VALUE_INIT;

      g_value_init (&out, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (&out, pykka_value_list_new (0));
      promise_complete (&result->promise, &out, NULL);
      return result;
    }

  j = g_atomic_rc_box_new0 (Join);
  j->result = g_object_ref (result);
  j->n_sources = n_futures;
  j->remaining = n_futures;
  j->values = g_new0 (GValue, n_futures);

  for (guint i = 0; i < n_futures; i++)
    {
      JoinPart *part = g_new (JoinPart, 1);

      part->join = g_atomic_rc_box_acquire (j);
      part->index = i;
      pykka_promise_add_hook (&futures[i]->promise, join_done_hook, part, join_part_free);
    }
  join_unref (j);

  return result;
}

/**
 * pykka_future_get_all:
 * @futures: (array length=n_futures): the futures to wait for
 * @n_futures: how many
 * @timeout_msec: how long to wait for all of them together, in
 *   milliseconds; -1 waits forever
 * @error: return location for an error
 *
 * Waits for every future in turn and collects their values in argument
 * order, as Pykka's `get_all()`.
 *
 * Returns: (transfer full) (element-type GValue) (nullable): the values,
 *   or %NULL with the first error met (or %PYKKA_ERROR_TIMEOUT) set
 */
GPtrArray *
pykka_future_get_all (PykkaFuture **futures,
                      guint         n_futures,
                      gint          timeout_msec,
                      GError      **error)
{
  g_autoptr(GPtrArray) values = NULL;
  gint64 end;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (PYKKA_IS_FUTURE (futures[i]), NULL);

  end = g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  values = pykka_value_list_new (n_futures);
  for (guint i = 0; i < n_futures; i++)
    {
      gint remaining = -1;
      const GValue *value;

      if (timeout_msec >= 0)
        remaining = (gint) CLAMP ((end - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND, 0, G_MAXINT);
      value = pykka_future_get (futures[i], remaining, error);
      if (value == NULL)
        return NULL;
      pykka_value_list_add (values, value);
    }

  return g_steal_pointer (&values);
}
