/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-private.h"

/* A thread blocked on an answer from an actor of a context it owns runs
 * the ready actors itself instead of iterating the context, which would
 * poll() once per wait. Every so many such runs it iterates the context
 * all the same, so that its other sources keep their turn. */
#define PYKKA_DIRECT_RUNS 64

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
      PykkaCell *cell = w->cell;
      GMainContext *context = w->context;
      GThread *thread = w->thread;

      w->next = NULL;
      w->by = pykka_thread_current;
      /* The last touch of @w: a coroutine woken by a completion of its own
       * thread reads ->fired without the lock (wait_in_coroutine()). */
      __atomic_store_n (&w->fired, TRUE, __ATOMIC_RELEASE);
      if (cell != NULL)
        pykka_cell_wake (cell);
      else if (context != NULL && thread != g_thread_self ())
        g_main_context_wakeup (context);  /* a thread cannot wake itself */
      w = next;
    }
}

/* Whether a wait on this thread for @source could never end: its turn
 * runs further down this thread's stack (a plain handler's wait runs
 * other handlers nested in it), and cannot go on before the wait
 * returns. A coroutine suspends only its own actor: never from one (the
 * wait-for graph sees that case). */
gboolean
pykka_wait_is_nested (PykkaCell *source)
{
  return source != NULL && pykka_coroutine_self () == NULL && pykka_scheduler_is_running_cell (source);
}

static GError *
check_nested (PykkaCell *source)
{
  if (!pykka_wait_is_nested (source))
    return NULL;

  {
    g_autofree char *who = pykka_cell_describe (source);

    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_DEADLOCK,
                        /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                        P_("Waiting for a reply from %s, which is busy running the current handler: this wait could never finish"),
                        who);
  }
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

/* What a coroutine's wait holds on the heap while it is suspended. The
 * cell keeps it then (pykka_cell_set_co_wait()): an actor orphaned
 * meanwhile resumes the handler once (its wait fails: the cell is
 * KILLING); only one that suspends again is dropped unwound, and
 * pykka_wait_abandon_coroutine() takes the waiter off the waitable and
 * frees the rest (else the waiter, left on the future, woke the freed
 * cell when the future completed later). */
typedef struct
{
  PykkaWaiter   waiter;    /* first: what the waitable's list holds */
  GMutex       *mutex;     /* the waitable's */
  PykkaWaiter **waiters;   /* the waitable's list */
  CoTimeout    *timeout;   /* (nullable) */
  GSource      *timer;     /* (nullable) */
} CoWait;

/* A zeroed CoWait: the thread's spare if it has one. */
static CoWait *
co_wait_new (void)
{
  CoWait *cw = pykka_spares_take (&pykka_thread_self ()->spare_co_waits);

  return cw != NULL ? cw : g_slice_new0 (CoWait);
}

static void
co_wait_free (CoWait *cw)
{
  PykkaThread *me = pykka_thread_current;

  if (me != NULL && pykka_spares_keep (&me->spare_co_waits, cw))
    memset (cw, 0, sizeof *cw);
  else
    g_slice_free (CoWait, cw);
}

/* The coroutine waiting with @co_wait will never run again (its actor
 * was orphaned): its wait ends here. On the actor's thread. */
void
pykka_wait_abandon_coroutine (gpointer co_wait)
{
  CoWait *cw = co_wait;

  g_mutex_lock (cw->mutex);
  waiter_remove (cw->waiters, &cw->waiter);
  g_mutex_unlock (cw->mutex);
  if (cw->timer != NULL)
    {
      g_source_destroy (cw->timer);
      g_source_unref (cw->timer);
    }
  if (cw->timeout != NULL)
    g_slice_free (CoTimeout, cw->timeout);
  co_wait_free (cw);
}

/* Frees the thread's spare (pykka_thread_drop_spares()). */
void
pykka_wait_free_spare (gpointer co_wait)
{
  g_slice_free (CoWait, co_wait);
}

/* The wait of a handler on @cell's coroutine. */
static gboolean
wait_in_coroutine (const PykkaWaitable *w,
                   PykkaCell           *cell,
                   gint                 timeout_msec)
{
  /* The coroutine's stack may be copied away while it is suspended, so
   * anything another thread touches lives on the heap. */
  CoWait *cw = NULL;
  PykkaWaiter *waiter = NULL;
  CoTimeout *timeout = NULL;
  GSource *timer = NULL;
  gboolean ready;

  g_assert (cell != NULL);

  for (gboolean registered = FALSE;;)
    {
      g_mutex_lock (w->mutex);
      if (registered && g_atomic_int_get (&waiter->fired))
        registered = FALSE;  /* woken: no longer in the list */
      ready = w->is_ready (w->object);
      if (ready || (timeout != NULL && timeout->timed_out) || pykka_cell_is_killing (cell))
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
              cw = co_wait_new ();
              cw->mutex = w->mutex;
              cw->waiters = w->waiters;
              waiter = &cw->waiter;
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
          /* On the clock of the actor's context: a virtual one drives it. */
          timer = pykka_clock_timeout_source_new (pykka_scheduler_get_context (pykka_cell_get_scheduler (cell)),
                                                  timeout_msec);
          g_source_set_static_name (timer, "[pykka-coroutine-timeout]");
          g_source_set_callback (timer, co_timeout_fired_cb, timeout, NULL);
          g_source_attach (timer, pykka_scheduler_get_context (pykka_cell_get_scheduler (cell)));
        }

      cw->timeout = timeout;
      cw->timer = timer;
      pykka_cell_set_co_wait (cell, cw, w->what);
      pykka_coroutine_yield ();
      pykka_cell_set_co_wait (cell, NULL, NULL);

      /* Woken by a completion on this thread (an actor of the same
       * context answered, the usual case of a coroutine's ask): that
       * completion has returned, so nobody else touches the waiter or
       * the waitable's lock any more, and the outcome is read without
       * the lock. A completion on another thread may still be in
       * pykka_waiters_wake_all(): the lock below waits for it. */
      if (g_atomic_int_get (&waiter->fired) && waiter->by == pykka_thread_current &&
          w->is_ready (w->object))
        {
          ready = TRUE;
          break;
        }
    }

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
  if (timeout != NULL)
    g_slice_free (CoTimeout, timeout);
  if (cw != NULL)
    co_wait_free (cw);

  return ready;
}

/* How long a waiter that could help run an unowned context, but found
 * another thread running it, sleeps before it tries again: the other
 * thread may stop running it once its own wait is over. */
#define PYKKA_HELP_RETRY_USEC 2000

/*
 * Chooses the context the waiting thread iterates while it waits, if
 * any: the context of the actor that answers, when this thread may run
 * it (it owns it, or nobody does yet: then it helps without owning);
 * else its own thread-default context, when that has actors this thread
 * runs. *retry is set when the thread could help but another thread runs
 * the context just now.
 */
static GMainContext *
choose_context_to_iterate (const PykkaWaitable *w,
                           gboolean            *acquired,
                           gboolean            *helping,
                           gboolean            *retry)
{
  GMainContext *ctx;
  PykkaRunRight right;

  *acquired = FALSE;
  *helping = FALSE;
  *retry = FALSE;

  ctx = w->source_context;
  if (ctx != NULL)
    {
      PykkaScheduler *scheduler = w->source_cell != NULL ? pykka_cell_get_scheduler (w->source_cell) : NULL;

      /* A future without an actor behind it (a derived future) completes
       * in an idle of its home context, which any thread may iterate. */
      right = scheduler != NULL ? pykka_scheduler_may_run (scheduler) : PYKKA_RUN_OWNER;
      if (right != PYKKA_RUN_NO)
        {
          if (g_main_context_is_owner (ctx))
            {
              *helping = right == PYKKA_RUN_HELP;
              return g_main_context_ref (ctx);
            }
          if (g_main_context_acquire (ctx))
            {
              *acquired = TRUE;
              *helping = right == PYKKA_RUN_HELP;
              return g_main_context_ref (ctx);
            }
          *retry = right == PYKKA_RUN_HELP;
        }
    }

  /* The answer comes from elsewhere, but actors of this thread live on
   * its thread-default context: keep them running while we wait,
   * eventlet style. */
  ctx = g_main_context_ref_thread_default ();
  if (ctx != w->source_context && pykka_scheduler_may_run_context (ctx) == PYKKA_RUN_OWNER)
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
                gboolean             helping,
                gint64               end)
{
  PykkaThread *me = pykka_thread_self ();
  PykkaWaiter waiter = { .context = ctx, .thread = g_thread_self () };
  PykkaScheduler *scheduler = NULL;
  GSource *timer = NULL;
  gboolean timed_out = FALSE;
  gint64 outer_deadline = me->deadline;
  gboolean ready;

  /* Dispatches nested in this wait start no turn after the deadline. */
  if (end != G_MAXINT64)
    me->deadline = end;

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
  if (w->source_cell != NULL && pykka_cell_get_scheduler (w->source_cell) != NULL &&
      pykka_scheduler_get_context (pykka_cell_get_scheduler (w->source_cell)) == ctx &&
      g_main_depth () == 0 && me->current_cell == NULL)
    scheduler = pykka_cell_get_scheduler (w->source_cell);

  if (helping)
    me->helping++;
  while (!ready && !timed_out)
    {
      /* A wait starts nothing once its time is up. */
      if (end != G_MAXINT64 && g_get_monotonic_time () >= end)
        break;
      if (scheduler != NULL && ++me->direct_runs < PYKKA_DIRECT_RUNS &&
          pykka_scheduler_run_ready (scheduler))
        ;
      else
        {
          /* The first time the wait may sleep in poll(), a timer wakes
           * it at the deadline (direct runs need none). */
          if (end != G_MAXINT64 && timer == NULL)
            {
              gint64 left = end - g_get_monotonic_time ();

              timer = g_timeout_source_new (MAX (left, 0) / 1000 + 1);
              g_source_set_static_name (timer, "[pykka-wait-timeout]");
              g_source_set_callback (timer, timeout_fired_cb, &timed_out, NULL);
              g_source_attach (timer, ctx);
            }
          me->direct_runs = 0;
          g_main_context_iteration (ctx, TRUE);
        }
      g_mutex_lock (w->mutex);
      ready = w->is_ready (w->object);
      g_mutex_unlock (w->mutex);
    }
  if (helping)
    me->helping--;
  me->deadline = outer_deadline;

  g_mutex_lock (w->mutex);
  waiter_remove (w->waiters, &waiter);
  ready = w->is_ready (w->object);
  g_mutex_unlock (w->mutex);

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }

  return ready;
}

/* Sleeps until @w is ready or the monotonic time @end. */
static gboolean
wait_on_cond (const PykkaWaitable *w,
              gint64               end)
{
  gint64 start = g_get_monotonic_time ();
  gboolean ready;

  /* Spin briefly without the lock first. */
  for (gint64 now = start; now - start < PYKKA_SPIN_USEC && now < end; now = g_get_monotonic_time ())
    {
      pykka_spin_pause ();
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

/* Waits without a handler's bookkeeping: see pykka_wait_full(). */
static gboolean
wait_outside_coroutine (const PykkaWaitable *waitable,
                        gint64               end)
{
  for (;;)
    {
      GMainContext *ctx;
      gboolean acquired, helping, retry;
      gboolean ready;

      ctx = choose_context_to_iterate (waitable, &acquired, &helping, &retry);
      if (ctx != NULL)
        {
          ready = wait_iterating (waitable, ctx, helping, end);
          if (acquired)
            g_main_context_release (ctx);
          g_main_context_unref (ctx);
          return ready;
        }
      if (!retry)
        return wait_on_cond (waitable, end);

      /* Another thread helps run the context now: sleep a little, then
       * try to take over, so that no message is left queued when it
       * stops. */
      ready = wait_on_cond (waitable, MIN (end, g_get_monotonic_time () + PYKKA_HELP_RETRY_USEC));
      if (ready || g_get_monotonic_time () >= end)
        return ready;
    }
}

/*
 * pykka_wait_timeout_error:
 *
 * The TIMEOUT error of a wait of @timeout_msec for the reply of @source
 * (or, when %NULL, for a future that no actor answers).
 */
GError *
pykka_wait_timeout_error (PykkaCell *source,
                          gint       timeout_msec)
{
  g_autofree char *who = NULL;

  if (source == NULL)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                        /* Translators: %d is a number of milliseconds. */
                        P_("Timed out after %d ms waiting for a future"),
                        timeout_msec);
  who = pykka_cell_describe (source);
  return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                      /* Translators: %d is a number of milliseconds, %s an actor. */
                      P_("Timed out after %d ms waiting for a reply from actor %s"),
                      timeout_msec, who);
}

static GError *
timeout_error (const PykkaWaitable *w,
               gint                 timeout_msec,
               guint64              runs_before)
{
  PykkaCell *source = w->source_cell;
  g_autofree char *who = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *busy = NULL;

  if (source == NULL)
    return pykka_wait_timeout_error (NULL, timeout_msec);

  who = pykka_cell_describe (source);
  busy = pykka_cell_describe_busy (source);
  if (busy != NULL && g_strcmp0 (w->what, "stop") == 0)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                        /* Translators: %d is a number of milliseconds, the first %s an actor, the second says why it did not stop, such as "is busy on a reply future, which …". */
                        P_("Timed out after %d ms waiting for actor %s to stop: it %s"),
                        timeout_msec, who, busy);
  if (busy != NULL)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                        /* Translators: %d is a number of milliseconds, the first %s an actor, the second says why it did not answer, such as "is busy on a reply future, which …". */
                        P_("Timed out after %d ms waiting for a reply from actor %s: it %s"),
                        timeout_msec, who, busy);
  if (pykka_cell_get_scheduler (source) != NULL &&
      pykka_scheduler_get_runs (pykka_cell_get_scheduler (source)) == runs_before)
    {
      owner = pykka_scheduler_describe_owner (pykka_cell_get_scheduler (source));
      return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                          /* Translators: %d is a number of milliseconds, the first %s an actor, the second a thread, such as "the main thread". */
                          P_("Timed out after %d ms waiting for a reply from actor %s: its context is not being run (it belongs to %s, which did not iterate it during the wait)"),
                          timeout_msec, who, owner);
    }
  if (g_strcmp0 (w->what, "stop") == 0)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_TIMEOUT,
                        /* Translators: %d is a number of milliseconds, %s an actor. */
                        P_("Timed out after %d ms waiting for actor %s to stop: it was still handling the messages sent before the stop"),
                        timeout_msec, who);
  return pykka_wait_timeout_error (source, timeout_msec);
}

/*
 * pykka_wait_full:
 *
 * Waits until @waitable is ready or @timeout_msec passes (-1: forever,
 * 0: just look). Returns whether it is ready; if not, @error says why:
 * %PYKKA_ERROR_DEADLOCK when the wait could never end (checked first, and
 * recorded in the wait-for graph for as long as a handler waits), else
 * %PYKKA_ERROR_TIMEOUT.
 *
 * The timeout bounds when the wait starts work: once it has passed, the
 * wait starts no other handler, but a handler that this thread runs
 * nested inside the wait (on its own context) is not interrupted; if the
 * value arrived by the time that handler returns, it is returned.
 */
gboolean
pykka_wait_full (const PykkaWaitable *waitable,
                 gint                 timeout_msec,
                 GError             **error)
{
  PykkaThread *me;
  PykkaCell *waiter;
  PykkaCell *previous = NULL;
  GError *deadlock;
  gint64 end;
  guint64 runs_before = 0;
  gboolean in_coroutine;
  gboolean ready;

  me = pykka_thread_self ();
  waiter = me->current_cell;
  in_coroutine = waiter != NULL && pykka_coroutine_self () != NULL;

  /* (A coroutine that may wait looks under the lock that registers it.) */
  if (!in_coroutine || timeout_msec == 0)
    {
      g_mutex_lock (waitable->mutex);
      ready = waitable->is_ready (waitable->object);
      g_mutex_unlock (waitable->mutex);
      if (ready)
        return TRUE;
    }

  /* Only a handler's wait can be part of a cycle. */
  if (waiter != NULL)
    {
      deadlock = check_nested (waitable->source_cell);
      if (deadlock != NULL)
        {
          g_propagate_error (error, deadlock);
          return FALSE;
        }
    }
  if (timeout_msec == 0)
    goto timed_out;

  if (waiter != NULL && waitable->source_cell != NULL &&
      !pykka_wait_graph_add (waiter, waitable->source_cell, &previous, error))
    return FALSE;
  /* For the TIMEOUT error: whether anybody ran the actor meanwhile. */
  if (timeout_msec > 0 && waitable->source_cell != NULL &&
      pykka_cell_get_scheduler (waitable->source_cell) != NULL)
    runs_before = pykka_scheduler_get_runs (pykka_cell_get_scheduler (waitable->source_cell));

  end = timeout_msec < 0 ? G_MAXINT64 : g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  if (in_coroutine)
    ready = wait_in_coroutine (waitable, waiter, timeout_msec);
  else
    ready = wait_outside_coroutine (waitable, end);

  if (waiter != NULL && waitable->source_cell != NULL)
    pykka_wait_graph_remove (waiter, waitable->source_cell, previous);
  if (ready)
    return TRUE;
  if (in_coroutine && pykka_cell_is_killing (waiter))
    {
      /* The wait ended because the actor is being killed. */
      g_propagate_error (error, pykka_cell_dead_error (waiter));
      return FALSE;
    }

timed_out:
  g_propagate_error (error, timeout_error (waitable, timeout_msec, runs_before));
  return FALSE;
}

/* pykka_wait_full() for callers that need no error (events). */
gboolean
pykka_wait (const PykkaWaitable *waitable,
            gint                 timeout_msec)
{
  return pykka_wait_full (waitable, timeout_msec, NULL);
}
