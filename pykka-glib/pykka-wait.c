/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-private.h"

/* How long a thread that waits on a condition variable first spins,
 * checking the object without sleeping. A reply from an actor on another
 * thread often arrives within a few microseconds, and a sleeping waiter
 * would pay a futex wake-up (about 20 µs on a small VM) on top. */
#define PYKKA_SPIN_USEC 20

/* A thread blocked on an answer from an actor of a context it owns runs
 * the ready actors itself instead of iterating the context, which would
 * poll() once per wait. Every so many such runs it iterates the context
 * all the same, so that its other sources keep their turn. */
#define PYKKA_DIRECT_RUNS 64

static __thread guint direct_runs;

static void
waiter_remove (PykkaWaiter **list,
               PykkaWaiter  *waiter)
{
  for (PykkaWaiter **p = list; *p != NULL; p = &(*p)->next)
    {
      if (*p == waiter)
        {
          *p = waiter->next;
          waiter->next = NULL;
          return;
        }
    }
}

/* Called under the object's mutex. */
void
pykka_waiters_wake_all (PykkaWaiter **waiters)
{
  PykkaWaiter *w = *waiters;

  *waiters = NULL;
  while (w != NULL)
    {
      PykkaWaiter *next = w->next;

      w->next = NULL;
      w->fired = TRUE;
      if (w->cell != NULL)
        pykka_cell_wake (w->cell);
      else if (w->context != NULL && w->thread != g_thread_self ())
        g_main_context_wakeup (w->context);  /* a thread cannot wake itself */
      w = next;
    }
}

GError *
pykka_wait_check_deadlock (const PykkaWaitable *waitable)
{
  PykkaCell *source = waitable->source_cell;

  if (source == NULL)
    return NULL;

  /* A coroutine suspends only its own actor: only a wait for that very
   * actor can never finish. */
  if (pykka_coroutine_self () != NULL ? source == pykka_scheduler_get_current_cell ()
                                      : pykka_scheduler_is_running_cell (source))
    {
      g_autofree char *who = pykka_cell_describe (source);

      return g_error_new (PYKKA_ERROR, PYKKA_ERROR_DEADLOCK,
                          /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                          P_("Waiting for a reply from %s, which is busy running the current handler: this wait could never finish"),
                          who);
    }

  return NULL;
}

static gboolean
timeout_fired_cb (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

typedef struct
{
  PykkaCell *cell;
  gboolean   timed_out;
} CoTimeout;

static gboolean
co_timeout_fired_cb (gpointer data)
{
  CoTimeout *t = data;

  t->timed_out = TRUE;
  pykka_cell_wake (t->cell);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_in_coroutine (const PykkaWaitable *w,
                   gint                 timeout_msec)
{
  PykkaCell *cell = pykka_scheduler_get_current_cell ();
  /* The coroutine's stack may be copied away while it is suspended, so
   * anything another thread touches lives on the heap. */
  PykkaWaiter *waiter = NULL;
  CoTimeout *timeout = NULL;
  GSource *timer = NULL;
  gboolean ready;

  g_assert (cell != NULL);

  for (gboolean registered = FALSE;;)
    {
      g_mutex_lock (w->mutex);
      if (registered && waiter->fired)
        registered = FALSE;  /* woken: no longer in the list */
      ready = w->is_ready (w->object);
      if (ready || (timeout != NULL && timeout->timed_out))
        {
          if (registered)
            waiter_remove (w->waiters, waiter);
          g_mutex_unlock (w->mutex);
          break;
        }
      if (!registered)
        {
          if (waiter == NULL)
            {
              waiter = g_slice_new0 (PykkaWaiter);
              waiter->cell = cell;
            }
          waiter->fired = FALSE;
          waiter->next = *w->waiters;
          *w->waiters = waiter;
          registered = TRUE;
        }
      g_mutex_unlock (w->mutex);

      if (timeout_msec > 0 && timer == NULL)
        {
          timeout = g_slice_new0 (CoTimeout);
          timeout->cell = cell;
          timer = g_timeout_source_new (timeout_msec);
          g_source_set_static_name (timer, "[pykka-coroutine-timeout]");
          g_source_set_callback (timer, co_timeout_fired_cb, timeout, NULL);
          g_source_attach (timer, pykka_scheduler_get_context (cell->scheduler));
        }

      cell->waiting_for = w->what;
      pykka_coroutine_yield ();
      cell->waiting_for = NULL;
    }

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
  if (timeout != NULL)
    g_slice_free (CoTimeout, timeout);
  if (waiter != NULL)
    g_slice_free (PykkaWaiter, waiter);

  return ready;
}

static GMainContext *
choose_context_to_iterate (const PykkaWaitable *w,
                           gboolean            *acquired)
{
  GMainContext *ctx;

  *acquired = FALSE;

  /* The answer comes from a context this thread runs, or may run. */
  ctx = w->source_context;
  if (ctx != NULL)
    {
      if (g_main_context_is_owner (ctx))
        return g_main_context_ref (ctx);
      /* The context of an own-thread actor belongs to that thread, even
       * before its loop has started. */
      if ((w->source_cell == NULL || !w->source_cell->own_thread) &&
          g_main_context_acquire (ctx))
        {
          *acquired = TRUE;
          return g_main_context_ref (ctx);
        }
    }

  /* The answer comes from elsewhere, but actors live on this thread's
   * context: keep them running while we wait, eventlet style. */
  ctx = g_main_context_ref_thread_default ();
  if (ctx != w->source_context && pykka_scheduler_has_actors (ctx))
    {
      if (g_main_context_is_owner (ctx))
        return ctx;
      if (g_main_context_acquire (ctx))
        {
          *acquired = TRUE;
          return ctx;
        }
    }
  g_main_context_unref (ctx);

  return NULL;
}

static gboolean
wait_iterating (const PykkaWaitable *w,
                GMainContext        *ctx,
                gint                 timeout_msec)
{
  PykkaWaiter waiter = { NULL, ctx, g_thread_self (), NULL, FALSE };
  PykkaScheduler *scheduler = NULL;
  GSource *timer = NULL;
  gboolean timed_out = FALSE;
  gboolean ready;

  if (timeout_msec > 0)
    {
      timer = g_timeout_source_new (timeout_msec);
      g_source_set_static_name (timer, "[pykka-wait-timeout]");
      g_source_set_callback (timer, timeout_fired_cb, &timed_out, NULL);
      g_source_attach (timer, ctx);
    }

  g_mutex_lock (w->mutex);
  ready = w->is_ready (w->object);
  if (!ready)
    {
      waiter.next = *w->waiters;
      *w->waiters = &waiter;
    }
  g_mutex_unlock (w->mutex);

  /* Outside any dispatch, and only for the context of the actor that
   * answers: within a dispatch the handlers nest as in any iteration. */
  if (w->source_cell != NULL && w->source_cell->scheduler != NULL &&
      pykka_scheduler_get_context (w->source_cell->scheduler) == ctx &&
      g_main_depth () == 0 && pykka_scheduler_get_current_cell () == NULL)
    scheduler = w->source_cell->scheduler;

  while (!ready && !timed_out)
    {
      if (scheduler != NULL && ++direct_runs < PYKKA_DIRECT_RUNS &&
          pykka_scheduler_run_ready (scheduler))
        ;
      else
        {
          direct_runs = 0;
          g_main_context_iteration (ctx, TRUE);
        }
      g_mutex_lock (w->mutex);
      ready = w->is_ready (w->object);
      g_mutex_unlock (w->mutex);
    }

  g_mutex_lock (w->mutex);
  waiter_remove (w->waiters, &waiter);
  g_mutex_unlock (w->mutex);

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }

  return ready;
}

static gboolean
wait_on_cond (const PykkaWaitable *w,
              gint                 timeout_msec)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = timeout_msec < 0 ? G_MAXINT64 : start + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  gboolean ready;

  /* Spin briefly without the lock first. */
  for (gint64 now = start; now - start < PYKKA_SPIN_USEC && now < end; now = g_get_monotonic_time ())
    {
      for (guint i = 0; i < 64; i++)
        {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause ();
#endif
        }
      g_mutex_lock (w->mutex);
      ready = w->is_ready (w->object);
      g_mutex_unlock (w->mutex);
      if (ready)
        return TRUE;
    }

  g_mutex_lock (w->mutex);
  *w->sleepers += 1;
  while (!(ready = w->is_ready (w->object)))
    {
      if (end == G_MAXINT64)
        g_cond_wait (w->cond, w->mutex);
      else if (!g_cond_wait_until (w->cond, w->mutex, end))
        {
          ready = w->is_ready (w->object);
          break;
        }
    }
  *w->sleepers -= 1;
  g_mutex_unlock (w->mutex);

  return ready;
}

/*
 * pykka_wait:
 *
 * Waits until @waitable is ready or @timeout_msec passes (-1: forever,
 * 0: just look). Returns whether it is ready.
 */
gboolean
pykka_wait (const PykkaWaitable *waitable,
            gint                 timeout_msec)
{
  GMainContext *ctx;
  gboolean acquired;
  gboolean ready;

  /* A coroutine checks first thing, under the same lock that registers it. */
  if (timeout_msec != 0 &&
      pykka_coroutine_self () != NULL && pykka_scheduler_get_current_cell () != NULL)
    return wait_in_coroutine (waitable, timeout_msec);

  g_mutex_lock (waitable->mutex);
  ready = waitable->is_ready (waitable->object);
  g_mutex_unlock (waitable->mutex);
  if (ready || timeout_msec == 0)
    return ready;

  ctx = choose_context_to_iterate (waitable, &acquired);
  if (ctx != NULL)
    {
      ready = wait_iterating (waitable, ctx, timeout_msec);
      if (acquired)
        g_main_context_release (ctx);
      g_main_context_unref (ctx);
      return ready;
    }

  return wait_on_cond (waitable, timeout_msec);
}
