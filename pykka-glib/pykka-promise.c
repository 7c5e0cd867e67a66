/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* PykkaPromise: the state of a future (outcome, hooks, waiters) and its
 * completion. Every PykkaFuture embeds one (pykka-future.c); the blocking
 * asks of C code use a bare one, which costs no GObject. */

#include "config.h"

#include "pykka-promise-private.h"

void
pykka_promise_clear (PykkaPromise *self)
{
  if (self->hooks != NULL)
    g_slist_free_full (self->hooks, pykka_promise_hook_free);
  pykka_value_clear (&self->value);
  g_clear_error (&self->error);
  if (self->lent_source)
    self->source = NULL;
  else
    g_clear_pointer (&self->source, pykka_cell_unref);
  g_clear_pointer (&self->home, g_main_context_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
}

static gboolean
promise_is_ready (gpointer object)
{
  return g_atomic_int_get (&((PykkaPromise *) object)->done);
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
  w->what = self->stop ? "stop" : "future";
}

/* Completes the promise with the stolen @value or @error. */
gboolean
pykka_promise_complete (PykkaPromise *self,
                        GValue       *value,
                        GError       *error)
{
  GSList *hooks;

  g_mutex_lock (&self->mutex);
  if (self->done)
    {
      g_mutex_unlock (&self->mutex);
      if (value != NULL && G_VALUE_TYPE (value) != G_TYPE_INVALID)
        g_value_unset (value);
      g_clear_error (&error);
      return FALSE;
    }

  if (error != NULL)
    self->error = error;
  else if (value != NULL && G_VALUE_TYPE (value) != G_TYPE_INVALID)
    {
      self->value = *value;
      memset (value, 0, sizeof *value);
    }
  /* Release, not seq_cst (an xchg on x86): readers only need the
   * outcome written before it; ->sleepers is read under the mutex. */
  __atomic_store_n (&self->done, TRUE, __ATOMIC_RELEASE);

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
          PykkaPromiseHookEntry *hook = l->data;
          hook->func (self, hook->data);
        }
      g_slist_free_full (hooks, pykka_promise_hook_free);
      pykka_promise_unref (self);
    }

  return TRUE;
}

PykkaPromise *
pykka_promise_new (void)
{
  PykkaThread *me = pykka_thread_current;
  PykkaPromise *self;

  /* A spare is zeroed already (see pykka_promise_unref()), but for its
   * mutex and condition, which pykka_promise_init() makes. */
  if (me == NULL || (self = pykka_spares_take (&me->spare_promises)) == NULL)
    self = g_slice_new0 (PykkaPromise);
  pykka_promise_init (self, NULL);
  return self;
}

/* Frees a spare of pykka_promise_unref(). */
void
pykka_promise_free_spare (PykkaPromise *self)
{
  g_slice_free (PykkaPromise, self);
}

/* A promise embedded in a future lives as long as the future: its
 * references are the future's. */
PykkaPromise *
pykka_promise_ref (PykkaPromise *self)
{
  if (self->owner != NULL)
    g_object_ref (self->owner);
  else
    g_atomic_int_inc ((gint *) &self->ref_count);  /* inline, unlike g_atomic_ref_count_inc() */
  return self;
}

void
pykka_promise_unref (PykkaPromise *self)
{
  if (self->owner != NULL)
    g_object_unref (self->owner);
  else if (g_atomic_int_dec_and_test ((gint *) &self->ref_count))
    {
      PykkaThread *me = pykka_thread_current;

      pykka_promise_clear (self);
      /* Kept for this thread's next bare promise (an ask_sync), zeroed:
       * what pykka_promise_clear() left, field by field (a memset of the
       * struct was a rep stos per ask). Its waiters have left it (a wait
       * takes its waiter off before it returns, a completion empties the
       * list) and its mutex and condition are made again by
       * pykka_promise_init(). */
      if (me != NULL && pykka_spares_keep (&me->spare_promises, self))
        {
          g_assert (self->waiters == NULL && self->sleepers == 0 &&
                    G_VALUE_TYPE (&self->value) == G_TYPE_INVALID);
          self->hooks = NULL;
          self->done = FALSE;
          self->stop = FALSE;
          self->lent_source = FALSE;
        }
      else
        g_slice_free (PykkaPromise, self);
    }
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
  return pykka_promise_add_hook_inline (self, func, data, destroy);
}

/* Removes the hook added with @func and @data, if it has not run yet, and
 * frees it. Returns whether it was there. */
gboolean
pykka_promise_remove_hook (PykkaPromise     *self,
                     PykkaPromiseHook  func,
                     gpointer          data)
{
  PykkaPromiseHookEntry *found = NULL;

  g_mutex_lock (&self->mutex);
  for (GSList *l = self->hooks; l != NULL; l = l->next)
    {
      PykkaPromiseHookEntry *hook = l->data;

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
  pykka_promise_hook_free (found);
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

/* Before the promise is shared: it is the answer of a stop. */
void
pykka_promise_mark_stop (PykkaPromise *self)
{
  self->stop = TRUE;
}

void
pykka_promise_set_source (PykkaPromise *self,
                          PykkaCell    *cell)
{
  g_assert (self->source == NULL);
  self->source = pykka_cell_ref (cell);
}

/* pykka_promise_set_source() without a reference, for a bare promise
 * whose only reader of the source is a wait of a caller that keeps
 * @cell alive meanwhile (send_and_wait()); nothing else reads a bare
 * promise's source. Saves two atomics per blocking ask. */
void
pykka_promise_lend_source (PykkaPromise *self,
                           PykkaCell    *cell)
{
  g_assert (self->source == NULL && self->owner == NULL);
  self->source = cell;
  self->lent_source = TRUE;
}

gboolean
pykka_promise_take_value (PykkaPromise *self,
                          GValue       *value)
{
  return pykka_promise_complete (self, value, NULL);
}

gboolean
pykka_promise_take_error (PykkaPromise *self,
                          GError       *error)
{
  return pykka_promise_complete (self, NULL, error);
}

/* Completes @self with the outcome of the completed @source. */
gboolean
pykka_promise_copy_outcome (PykkaPromise *self,
                            PykkaPromise *source)
{
  GValue copy = G_VALUE_INIT;

  g_assert (source->done);
  if (source->error != NULL)
    return pykka_promise_complete (self, NULL, g_error_copy (source->error));
  if (G_IS_VALUE (&source->value))
    {
      pykka_value_init_copy (&copy, &source->value);
    }
  return pykka_promise_complete (self, &copy, NULL);
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

const GValue *
pykka_promise_peek_value (PykkaPromise *self)
{
  g_assert (g_atomic_int_get (&self->done) && self->error == NULL);
  return &self->value;
}

void
pykka_promise_take_home (PykkaPromise *self,
                         GMainContext *context)
{
  g_assert (self->home == NULL);
  self->home = context;
}
