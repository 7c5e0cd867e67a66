/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-private.h"

/*
 * The scheduler: ONE GSource per GMainContext that runs actors.
 *
 * It keeps a run queue of the cells that have work (mail, or a coroutine
 * or reply future to resume). Idle actors are not on the queue and cost an
 * iteration of the context nothing: prepare and check look at one pointer.
 * A dispatch gives each queued actor a turn of at most PYKKA_TURN_BUDGET
 * messages and returns after PYKKA_DISPATCH_BUDGET messages in all, so
 * other sources of the context (a GTK frame clock) are never starved.
 *
 * Any thread may enqueue; only the thread that runs the context dequeues.
 * A thread that enqueues into an empty queue wakes the context only when
 * the context may be asleep in poll (->sleeping), so actors on one
 * context talking to each other never pay for a wake-up.
 */

struct _PykkaScheduler
{
  GSource          source;

  GMutex           mutex;
  PykkaCell       *head;       /* (owned refs) run queue; under ->mutex, read atomically */
  PykkaCell       *tail;       /* under ->mutex */
  gint             sleeping;   /* atomic: prepare found nothing to do */
  GThread         *poll_thread; /* atomic: the thread that ran prepare last */
  gint             n_cells;    /* atomic: live actors on this context */
  GMainContext    *context;    /* (unowned) valid while the source is attached;
                                * owned while ->n_cells > 0 */
  PykkaStackPool  *stack_pool; /* (owned) (nullable) created on first use */
  PykkaSchedulerStats stats;   /* relaxed atomics, see stat_inc() */
};

G_LOCK_DEFINE_STATIC (schedulers);
static GHashTable *schedulers;  /* GMainContext* -> PykkaScheduler* (unowned) */

/* The cell whose turn runs on this thread, innermost first. */
static __thread PykkaCell *current_cell;

/* Counters for tests. Relaxed atomics: a context may be run by different
 * threads in turn, ordered by GLib's context lock, which ThreadSanitizer
 * cannot see in an uninstrumented GLib. */
static inline void
stat_inc (guint64 *counter)
{
  __atomic_fetch_add (counter, 1, __ATOMIC_RELAXED);
}

static PykkaCell *
run_queue_pop (PykkaScheduler *self)
{
  PykkaCell *cell;

  if (g_atomic_pointer_get (&self->head) == NULL)
    return NULL;

  g_mutex_lock (&self->mutex);
  cell = self->head;
  if (cell != NULL)
    {
      g_atomic_pointer_set (&self->head, cell->run_next);
      if (self->head == NULL)
        self->tail = NULL;
      cell->run_next = NULL;
    }
  g_mutex_unlock (&self->mutex);

  return cell;
}

/* Takes a reference to @cell. */
static void
run_queue_push (PykkaScheduler *self,
                PykkaCell      *cell)
{
  gboolean was_empty;

  pykka_cell_ref (cell);
  g_mutex_lock (&self->mutex);
  was_empty = self->head == NULL;
  if (was_empty)
    g_atomic_pointer_set (&self->head, cell);
  else
    self->tail->run_next = cell;
  self->tail = cell;
  g_mutex_unlock (&self->mutex);

  /* The thread that polls cannot be asleep while it pushes itself. */
  if (was_empty && g_atomic_int_compare_and_exchange (&self->sleeping, TRUE, FALSE) &&
      g_atomic_pointer_get (&self->poll_thread) != g_thread_self ())
    g_main_context_wakeup (self->context);
}

static gboolean
scheduler_prepare (GSource *source,
                   gint    *timeout)
{
  PykkaScheduler *self = (PykkaScheduler *) source;

  *timeout = -1;
  stat_inc (&self->stats.prepares);
  g_atomic_pointer_set (&self->poll_thread, g_thread_self ());
  g_atomic_int_set (&self->sleeping, TRUE);
  if (g_atomic_pointer_get (&self->head) != NULL)
    {
      g_atomic_int_set (&self->sleeping, FALSE);
      return TRUE;
    }
  return FALSE;
}

static gboolean
scheduler_check (GSource *source)
{
  PykkaScheduler *self = (PykkaScheduler *) source;

  if (g_atomic_pointer_get (&self->head) != NULL)
    {
      g_atomic_int_set (&self->sleeping, FALSE);
      return TRUE;
    }
  return FALSE;
}

/* Runs turns of the cells on the run queue, at most a dispatch budget of
 * messages. Returns how many turns ran. */
static guint
scheduler_run (PykkaScheduler *self)
{
  guint budget = PYKKA_DISPATCH_BUDGET;
  GMainContext *thread_default = g_main_context_get_thread_default ();
  gboolean push;
  PykkaCell *cell;
  guint turns = 0;

  /* Handlers see their own context as thread-default, so what they start
   * (a GTask, a get_async) calls back into the actor's context. */
  push = (thread_default != NULL ? thread_default : g_main_context_default ()) != self->context;
  if (push)
    g_main_context_push_thread_default (self->context);

  while (budget > 0 && (cell = run_queue_pop (self)) != NULL)
    {
      guint used;

      cell->running_outer = current_cell;
      current_cell = cell;
      used = pykka_cell_run_turn (cell, MIN (budget, PYKKA_TURN_BUDGET));
      stat_inc (&self->stats.turns);
      turns++;
      current_cell = cell->running_outer;
      cell->running_outer = NULL;

      budget -= MIN (used, budget);
      pykka_cell_unref (cell);
    }

  if (push)
    g_main_context_pop_thread_default (self->context);

  /* Different threads may run this context in turn (ordered by GLib's
   * context lock). Ending every run under our lock orders what this run
   * wrote before the next run's first pop on another thread, in a way
   * ThreadSanitizer sees too. */
  g_mutex_lock (&self->mutex);
  g_mutex_unlock (&self->mutex);

  return turns;
}

static gboolean
scheduler_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  PykkaScheduler *self = (PykkaScheduler *) source;

  g_atomic_int_set (&self->sleeping, FALSE);
  stat_inc (&self->stats.dispatches);
  scheduler_run (self);

  return G_SOURCE_CONTINUE;
}

static void
scheduler_finalize (GSource *source)
{
  PykkaScheduler *self = (PykkaScheduler *) source;
  PykkaCell *cell;

  G_LOCK (schedulers);
  if (schedulers != NULL && g_hash_table_lookup (schedulers, self->context) == self)
    g_hash_table_remove (schedulers, self->context);
  G_UNLOCK (schedulers);

  while ((cell = run_queue_pop (self)) != NULL)
    pykka_cell_unref (cell);
  g_clear_pointer (&self->stack_pool, pykka_stack_pool_free);
  g_mutex_clear (&self->mutex);
}

static GSourceFuncs scheduler_funcs = {
  scheduler_prepare,
  scheduler_check,
  scheduler_dispatch,
  scheduler_finalize,
  NULL,
  NULL,
};

/*
 * pykka_scheduler_ref_for_context:
 *
 * Returns a reference to the scheduler of @context, attaching one on
 * first use.
 */
PykkaScheduler *
pykka_scheduler_ref_for_context (GMainContext *context)
{
  PykkaScheduler *self;

  G_LOCK (schedulers);
  if (schedulers == NULL)
    schedulers = g_hash_table_new (NULL, NULL);

  self = g_hash_table_lookup (schedulers, context);
  if (self != NULL && !g_source_is_destroyed ((GSource *) self))
    {
      g_source_ref ((GSource *) self);
      G_UNLOCK (schedulers);
      return self;
    }

  self = (PykkaScheduler *) g_source_new (&scheduler_funcs, sizeof (PykkaScheduler));
  g_mutex_init (&self->mutex);
  self->context = context;
  g_source_set_static_name ((GSource *) self, "[pykka-scheduler]");
  g_source_set_priority ((GSource *) self, G_PRIORITY_DEFAULT);
  /* A handler that blocks outside a coroutine iterates the context again,
   * and the actors it waits for must get their turns there. */
  g_source_set_can_recurse ((GSource *) self, TRUE);
  g_source_attach ((GSource *) self, context);
  g_hash_table_replace (schedulers, context, self);
  G_UNLOCK (schedulers);

  g_debug ("Attached a scheduler to main context %p", context);

  return self;
}

void
pykka_scheduler_unref (PykkaScheduler *self)
{
  g_source_unref ((GSource *) self);
}

GMainContext *
pykka_scheduler_get_context (PykkaScheduler *self)
{
  return self->context;
}

PykkaStackPool *
pykka_scheduler_get_stack_pool (PykkaScheduler *self)
{
  PykkaStackPool *pool = g_atomic_pointer_get (&self->stack_pool);

  /* Created by whichever thread runs the context first. */
  if (pool == NULL)
    {
      pool = pykka_stack_pool_new (PYKKA_N_SHARED_STACKS, PYKKA_STACK_SIZE);
      if (!g_atomic_pointer_compare_and_exchange (&self->stack_pool, NULL, pool))
        {
          pykka_stack_pool_free (pool);
          pool = g_atomic_pointer_get (&self->stack_pool);
        }
    }
  return pool;
}

void
pykka_scheduler_add_cell (PykkaScheduler *self)
{
  /* Live actors keep their context alive: a thread that drops its context
   * (or ends) under them must not leave them a dangling one. */
  if (g_atomic_int_add (&self->n_cells, 1) == 0)
    g_main_context_ref (self->context);
}

void
pykka_scheduler_remove_cell (PykkaScheduler *self)
{
  if (g_atomic_int_dec_and_test (&self->n_cells))
    g_main_context_unref (self->context);
}

/*
 * pykka_scheduler_run_ready:
 *
 * For a thread that owns the scheduler's context and blocks on an answer
 * from one of its actors, outside any dispatch: runs the ready actors
 * right away, as a dispatch would, without a round through poll().
 * Returns whether any turn ran.
 */
gboolean
pykka_scheduler_run_ready (PykkaScheduler *self)
{
  g_assert (current_cell == NULL);

  if (g_atomic_pointer_get (&self->head) == NULL)
    return FALSE;
  stat_inc (&self->stats.direct_runs);
  return scheduler_run (self) > 0;
}

void
pykka_scheduler_enqueue (PykkaScheduler *self,
                         PykkaCell      *cell)
{
  run_queue_push (self, cell);
}

gboolean
pykka_scheduler_has_actors (GMainContext *context)
{
  PykkaScheduler *self;
  gboolean result = FALSE;

  G_LOCK (schedulers);
  if (schedulers != NULL && (self = g_hash_table_lookup (schedulers, context)) != NULL)
    result = g_atomic_int_get (&self->n_cells) > 0;
  G_UNLOCK (schedulers);

  return result;
}

PykkaCell *
pykka_scheduler_get_current_cell (void)
{
  return current_cell;
}

gboolean
pykka_scheduler_is_running_cell (PykkaCell *cell)
{
  for (PykkaCell *c = current_cell; c != NULL; c = c->running_outer)
    if (c == cell)
      return TRUE;
  return FALSE;
}

/* For white-box tests: what the scheduler of @context did so far. */
gboolean
pykka_scheduler_get_stats (GMainContext        *context,
                           PykkaSchedulerStats *stats)
{
  PykkaScheduler *self;

  G_LOCK (schedulers);
  self = schedulers != NULL ? g_hash_table_lookup (schedulers, context) : NULL;
  if (self != NULL)
    {
      stats->prepares = __atomic_load_n (&self->stats.prepares, __ATOMIC_RELAXED);
      stats->dispatches = __atomic_load_n (&self->stats.dispatches, __ATOMIC_RELAXED);
      stats->turns = __atomic_load_n (&self->stats.turns, __ATOMIC_RELAXED);
      stats->direct_runs = __atomic_load_n (&self->stats.direct_runs, __ATOMIC_RELAXED);
    }
  G_UNLOCK (schedulers);

  return self != NULL;
}
