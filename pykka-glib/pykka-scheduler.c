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
 * Any thread may enqueue; only the thread that owns the context dequeues
 * and runs the actors. The owner is the thread whose thread-default
 * context it was when its first actor started, the own thread of an
 * own-thread actor, or else the first thread that iterates the context
 * (for the global default context, the main thread unless another thread
 * iterated it first). Another thread that iterates the context runs none
 * of its actors: prepare says there is nothing to do. Before anybody owns
 * it, a thread that waits for one of its actors may run it without
 * becoming the owner (PYKKA_RUN_HELP). When the owner ends, the context is
 * orphaned and its actors die (pykka-thread.c).
 *
 * Inside a stackful handler (a coroutine) that iterates its context
 * again, only actors that are not stackful run: a coroutine cannot start
 * another coroutine. The others wait until it yields or returns.
 * A thread that enqueues into an empty queue wakes the context only when
 * the context may be asleep in poll (->sleeping), so actors on one
 * context talking to each other never pay for a wake-up.
 *
 * The thread of an own-thread actor (whose context the library made)
 * spins for PYKKA_SPIN_USEC in its poll before it sleeps there
 * (scheduler_spin_poll()): meanwhile ->sleeping says SPINNING and a
 * sender skips the wake-up, and mail that comes within the spin is taken
 * without a round through the kernel on either side.
 */

struct _PykkaScheduler
{
  GSource          source;

  GMutex           mutex;
  PykkaCell       *head;       /* (owned refs) run queue; under ->mutex, read atomically */
  PykkaCell       *tail;       /* under ->mutex */
  /* The local run queue: cells that the thread running the context
   * queued from a turn of one of its actors (a reply's wake, an ask to a
   * neighbour), without the lock. Only that thread touches it, and only
   * within scheduler_run(), whose end moves what is left to ->head. */
  PykkaCell       *local_head; /* (owned refs) */
  PykkaCell       *local_tail;
  gint             sleeping;   /* atomic: TRUE once prepare found nothing to do, SPINNING in a spin */
  GThread         *poll_thread; /* atomic: the thread that ran prepare last */
  gint             n_cells;    /* atomic: live actors on this context */
  gint             orphaned;   /* atomic: the owner ended; nobody runs it again */
  PykkaThread     *owner;      /* (owned) (atomic) (nullable) set once */
  GMainContext    *context;    /* (unowned) valid while the source is attached;
                                * owned while ->n_cells > 0 */
  PykkaStackPool  *stack_pool; /* (owned) (nullable) created on first use */
  gint             budget_usec; /* atomic: time a flood may hold the context, see step aside */
  gboolean         log_debug;  /* G_MESSAGES_DEBUG showed our debug messages when it was made */
  /* Only touched by the thread that runs the context */
  gint64           spent;       /* time in dispatches since the last step aside or empty queue, µs */
  gboolean         step_aside;  /* the next iteration runs without us */
  gboolean         aside;       /* this iteration runs without us */
  PykkaSchedulerStats stats;   /* relaxed atomics, see stat_inc() */
};

/* ->sleeping while the owner spins before poll: no wake-up needed. */
#define SPINNING 2

G_LOCK_DEFINE_STATIC (schedulers);
static GHashTable *schedulers;  /* GMainContext* -> PykkaScheduler* (unowned) */

/* Counters for tests. Relaxed atomics: a context may be run by different
 * threads in turn, ordered by GLib's context lock, which ThreadSanitizer
 * cannot see in an uninstrumented GLib. Only the thread that runs the
 * context counts, so a load and a store do: no locked read-modify-write
 * on every turn. */
static inline void
stat_inc (guint64 *counter)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* Whether the calling thread runs a turn of one of the scheduler's
 * actors: then it runs the context, alone, and may use the local run
 * queue. */
static inline gboolean
runs_here (PykkaScheduler *self)
{
  PykkaCell *current = pykka_thread_self ()->current_cell;

  return current != NULL && pykka_cell_get_scheduler (current) == self;
}

/* Only within scheduler_run(): the shared queue first (cells queued by
 * other threads, or before this run), then the local one. */
static PykkaCell *
run_queue_pop (PykkaScheduler *self)
{
  PykkaCell *cell;

  if (g_atomic_pointer_get (&self->head) == NULL)
    {
      cell = self->local_head;
      if (cell != NULL)
        {
          self->local_head = pykka_cell_run_link (cell)->next;
          if (self->local_head == NULL)
            self->local_tail = NULL;
          pykka_cell_run_link (cell)->next = NULL;
        }
      return cell;
    }

  g_mutex_lock (&self->mutex);
  cell = self->head;
  if (cell != NULL)
    {
      g_atomic_pointer_set (&self->head, pykka_cell_run_link (cell)->next);
      if (self->head == NULL)
        self->tail = NULL;
      pykka_cell_run_link (cell)->next = NULL;
    }
  g_mutex_unlock (&self->mutex);

  return cell;
}

/* Whether a cell that is not stackful is queued: what a loop nested in a
 * stackful handler can run. Looks at the whole queue, but only there. */
G_GNUC_NO_INLINE static gboolean
run_queue_has_plain (PykkaScheduler *self)
{
  gboolean found = FALSE;

  g_mutex_lock (&self->mutex);
  for (PykkaCell *c = self->head; c != NULL && !found; c = pykka_cell_run_link (c)->next)
    found = !pykka_cell_run_link (c)->stackful;
  g_mutex_unlock (&self->mutex);
  if (!found && runs_here (self))
    for (PykkaCell *c = self->local_head; c != NULL && !found; c = pykka_cell_run_link (c)->next)
      found = !pykka_cell_run_link (c)->stackful;
  return found;
}

/* Whether the calling thread has something to run: inside a coroutine,
 * only cells that are not stackful count. */
static inline gboolean
run_queue_has_work (PykkaScheduler *self)
{
  /* (A loop nested in a turn may look at the local queue.) */
  if (g_atomic_pointer_get (&self->head) == NULL &&
      !(runs_here (self) && self->local_head != NULL))
    return FALSE;
  return G_LIKELY (pykka_coroutine_self () == NULL) || run_queue_has_plain (self);
}

/* After @self's run queue went from empty to not: wakes the context if
 * its poller may sleep (not when this is the poller). */
static inline void
run_queue_wake (PykkaScheduler *self)
{
  if (g_atomic_int_compare_and_exchange (&self->sleeping, TRUE, FALSE) &&
      g_atomic_pointer_get (&self->poll_thread) != g_thread_self ())
    g_main_context_wakeup (self->context);
}

/* Takes a reference to @cell. */
static void
run_queue_push (PykkaScheduler *self,
                PykkaCell      *cell)
{
  gboolean was_empty;

  pykka_cell_ref (cell);
  /* From a turn of an actor of the same context: the running thread's
   * local queue, no lock, no wake-up (this thread runs the queue). */
  if (runs_here (self))
    {
      if (self->local_tail != NULL)
        pykka_cell_run_link (self->local_tail)->next = cell;
      else
        self->local_head = cell;
      self->local_tail = cell;
      return;
    }
  g_mutex_lock (&self->mutex);
  was_empty = self->head == NULL;
  if (was_empty)
    g_atomic_pointer_set (&self->head, cell);
  else
    pykka_cell_run_link (self->tail)->next = cell;
  self->tail = cell;
  g_mutex_unlock (&self->mutex);

  /* The thread that polls cannot be asleep while it pushes itself. */
  if (was_empty)
    run_queue_wake (self);
}

/* Whether the calling thread may run the actors now, claiming the
 * context when nobody owns it and this is a real iteration (not a wait
 * that helps out). */
static gboolean
may_run_here (PykkaScheduler *self)
{
  PykkaThread *me = pykka_thread_self ();
  PykkaThread *owner = g_atomic_pointer_get (&self->owner);

  if (G_LIKELY (owner == me))
    return TRUE;
  if (owner != NULL || g_atomic_int_get (&self->orphaned))
    return FALSE;
  if (me->helping > 0)
    return TRUE;
  pykka_scheduler_claim (self, me);
  return g_atomic_pointer_get (&self->owner) == me;
}

static gboolean
scheduler_prepare (GSource *source,
                   gint    *timeout)
{
  PykkaScheduler *self = (PykkaScheduler *) source;

  *timeout = -1;
  self->aside = FALSE;
  if (!may_run_here (self))
    return FALSE;
  if (G_UNLIKELY (self->step_aside))
    {
      /* A flood held the context for its time budget: let this iteration
       * dispatch the sources of lower priority (a frame clock), and come
       * back at once. */
      self->step_aside = FALSE;
      self->aside = TRUE;
      stat_inc (&self->stats.steps_aside);
      *timeout = 0;
      return FALSE;
    }
  stat_inc (&self->stats.prepares);
  g_atomic_pointer_set (&self->poll_thread, g_thread_self ());
  g_atomic_int_set (&self->sleeping, TRUE);
  if (run_queue_has_work (self))
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

  if (!self->aside && run_queue_has_work (self) && may_run_here (self))
    {
      g_atomic_int_set (&self->sleeping, FALSE);
      return TRUE;
    }
  return FALSE;
}

/* The poll function of a context that the thread of an own-thread actor
 * runs: before it sleeps, it spins a little while, looking at the run
 * queue, with ->sleeping at SPINNING so that senders do not write to the
 * context's wake-up fd. The spin only begins an idle period: an idle
 * thread sleeps in poll and costs nothing. */
static gint
scheduler_spin_poll (GPollFD *fds,
                     guint    nfds,
                     gint     timeout)
{
  PykkaScheduler *self = pykka_thread_self ()->spinning;

  if (self != NULL && timeout != 0 &&
      g_atomic_int_compare_and_exchange (&self->sleeping, TRUE, SPINNING))
    {
      gint64 end = g_get_monotonic_time () + PYKKA_SPIN_USEC;
      gboolean work;

      do
        {
          pykka_spin_pause ();
          work = g_atomic_pointer_get (&self->head) != NULL;
        }
      while (!work && g_get_monotonic_time () < end);

      /* From here on a sender wakes the context again; what it pushed
       * while it saw SPINNING is seen now (both sides use full barriers:
       * the sender pushes, then reads ->sleeping; here ->sleeping is
       * written, then the queue read). */
      g_atomic_int_set (&self->sleeping, TRUE);
      if (work || g_atomic_pointer_get (&self->head) != NULL)
        timeout = 0;
    }
  return g_poll (fds, nfds, timeout);
}

/*
 * pykka_scheduler_spin_before_poll:
 *
 * On the thread of an own-thread actor, before it runs its loop, for a
 * context the library made: its polls spin first (see
 * scheduler_spin_poll()). @self stays alive while the thread's loop holds
 * its context (the context holds its attached sources).
 */
void
pykka_scheduler_spin_before_poll (PykkaScheduler *self)
{
  pykka_thread_self ()->spinning = self;
  g_main_context_set_poll_func (self->context, scheduler_spin_poll);
}

/* Messages between two looks at the clock for the time budget. */
#define PYKKA_CLOCK_EVERY 32

/* Runs turns of the cells on the run queue, at most a dispatch budget of
 * messages, and, with @time_end (monotonic; 0 for none), none after it.
 * Returns how many turns ran. */
static guint
scheduler_run (PykkaScheduler *self,
               gint64          time_end)
{
  guint budget = PYKKA_DISPATCH_BUDGET;
  guint unclocked = 0;
  GMainContext *thread_default = g_main_context_get_thread_default ();
  PykkaThread *me = pykka_thread_self ();
  gboolean in_coroutine = pykka_coroutine_self () != NULL;
  PykkaCell *deferred = NULL;  /* stackful cells met inside a coroutine */
  gboolean local_left;
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
      PykkaRunLink *link = pykka_cell_run_link (cell);
      guint used;

      if (G_UNLIKELY (in_coroutine && link->stackful))
        {
          /* Keeps the queue's reference until pushed back below. */
          link->next = deferred;
          deferred = cell;
          continue;
        }
      if (G_UNLIKELY (me->deadline != 0) && g_get_monotonic_time () >= me->deadline)
        {
          /* The wait this dispatch nests in has run out of time: start
           * no other turn. */
          link->next = deferred;
          deferred = cell;
          break;
        }

      link->running_outer = me->current_cell;
      me->current_cell = cell;
      used = pykka_cell_run_turn (cell, MIN (budget, PYKKA_TURN_BUDGET), me->deadline);
      stat_inc (&self->stats.turns);
      turns++;
      me->current_cell = link->running_outer;
      link->running_outer = NULL;

      budget -= MIN (used, budget);
      pykka_cell_unref (cell);

      /* The time budget: the clock is read every few messages only. */
      unclocked += used;
      if (G_UNLIKELY (time_end != 0 && unclocked >= PYKKA_CLOCK_EVERY))
        {
          unclocked = 0;
          if (g_get_monotonic_time () >= time_end)
            break;
        }
    }

  /* Back on the queue, at its front, in the order they were met: the
   * list holds the last met first. */
  if (G_UNLIKELY (deferred != NULL))
    {
      g_mutex_lock (&self->mutex);
      while (deferred != NULL)
        {
          PykkaRunLink *link = pykka_cell_run_link (deferred);
          PykkaCell *next = link->next;

          link->next = self->head;
          if (self->head == NULL)
            self->tail = deferred;
          g_atomic_pointer_set (&self->head, deferred);
          deferred = next;
        }
      g_mutex_unlock (&self->mutex);
    }

  if (push)
    g_main_context_pop_thread_default (self->context);

  /* Different threads may run this context in turn (ordered by GLib's
   * context lock). Ending every run under our lock orders what this run
   * wrote before the next run's first pop on another thread, in a way
   * ThreadSanitizer sees too. What is left in the local queue (the
   * budget ran out) joins the shared one in the same step. */
  g_mutex_lock (&self->mutex);
  local_left = self->local_head != NULL && self->head == NULL;
  if (self->local_head != NULL)
    {
      if (self->head == NULL)
        g_atomic_pointer_set (&self->head, self->local_head);
      else
        pykka_cell_run_link (self->tail)->next = self->local_head;
      self->tail = self->local_tail;
      self->local_head = self->local_tail = NULL;
    }
  g_mutex_unlock (&self->mutex);
  if (local_left)
    run_queue_wake (self);

  return turns;
}

static gboolean
scheduler_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  PykkaScheduler *self = (PykkaScheduler *) source;

  gint budget = g_atomic_int_get (&self->budget_usec);

  gint64 start = budget > 0 ? g_get_monotonic_time () : 0;

  g_atomic_int_set (&self->sleeping, FALSE);
  stat_inc (&self->stats.dispatches);
  /* The budget counts the time of dispatches only, not what the loop
   * does between them. */
  scheduler_run (self, budget > 0 ? start + MAX (budget - self->spent, 0) : 0);

  /* Still busy once the time budget is spent: step aside for one
   * iteration. */
  if (g_atomic_pointer_get (&self->head) == NULL)
    self->spent = 0;
  else if (budget > 0)
    {
      self->spent += g_get_monotonic_time () - start;
      if (self->spent >= budget)
        {
          self->step_aside = TRUE;
          self->spent = 0;
        }
    }

  return G_SOURCE_CONTINUE;
}

/* g_source_ref() unless the count already dropped to 0: then the source
 * is being finalized (and leaves the table once scheduler_finalize()
 * gets the table's lock, which the caller holds). */
static gboolean
source_try_ref (GSource *source)
{
  gint count;

  do
    {
      count = g_atomic_int_get ((gint *) &source->ref_count);
      if (count <= 0)
        return FALSE;
    }
  while (!g_atomic_int_compare_and_exchange ((gint *) &source->ref_count, count, count + 1));
  return TRUE;
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

  /* The last reference may go on another thread than the one that last
   * ran this source (the last ref of an own-thread actor dropped by
   * pykka_registry_stop_all()'s thread). GLib's dispatch holds a
   * reference, so that run has ended; taking the lock that every run
   * ends under orders it before the teardown below in a way that
   * ThreadSanitizer sees too (it cannot see GSource's uninstrumented
   * reference count). */
  g_mutex_lock (&self->mutex);
  g_mutex_unlock (&self->mutex);
  while ((cell = run_queue_pop (self)) != NULL)
    pykka_cell_unref (cell);
  if (self->owner != NULL)
    pykka_thread_remove_owned (self->owner, self);
  g_clear_pointer (&self->owner, pykka_thread_unref);
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
  PykkaScheduler *stale = NULL;

  G_LOCK (schedulers);
  if (schedulers == NULL)
    schedulers = g_hash_table_new (NULL, NULL);

  /* Any thread may drop the last reference to a scheduler (a dying
   * cell's), so the table's pointer is weak: take a reference only while
   * one is left. */
  self = g_hash_table_lookup (schedulers, context);
  if (self != NULL && source_try_ref ((GSource *) self))
    {
      if (!g_source_is_destroyed ((GSource *) self))
        {
          G_UNLOCK (schedulers);
          return self;
        }
      /* Its context went and a new one has its address: a new scheduler
       * takes the entry. */
      stale = self;
    }

  self = (PykkaScheduler *) g_source_new (&scheduler_funcs, sizeof (PykkaScheduler));
  g_mutex_init (&self->mutex);
  self->context = context;
  g_source_set_static_name ((GSource *) self, "[pykka-scheduler]");
  g_source_set_priority ((GSource *) self, G_PRIORITY_DEFAULT);
  self->budget_usec = PYKKA_DEFAULT_TIME_BUDGET_USEC;
  /* Asking costs a getenv(): once per context, not per actor. */
  self->log_debug = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
  /* A handler that blocks outside a coroutine iterates the context again,
   * and the actors it waits for must get their turns there. */
  g_source_set_can_recurse ((GSource *) self, TRUE);
  g_source_attach ((GSource *) self, context);
  g_hash_table_replace (schedulers, context, self);
  G_UNLOCK (schedulers);

  /* Finalizing it takes the table's lock. */
  if (stale != NULL)
    g_source_unref ((GSource *) stale);

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
  g_assert (pykka_thread_self ()->current_cell == NULL);

  if (g_atomic_pointer_get (&self->head) == NULL)
    return FALSE;
  stat_inc (&self->stats.direct_runs);
  return scheduler_run (self, 0) > 0;
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

/* pykka_scheduler_may_run() for the scheduler of @context: NO without
 * live actors there. */
PykkaRunRight
pykka_scheduler_may_run_context (GMainContext *context)
{
  PykkaScheduler *self;
  PykkaRunRight right = PYKKA_RUN_NO;

  G_LOCK (schedulers);
  if (schedulers != NULL && (self = g_hash_table_lookup (schedulers, context)) != NULL &&
      g_atomic_int_get (&self->n_cells) > 0)
    right = pykka_scheduler_may_run (self);
  G_UNLOCK (schedulers);

  return right;
}

PykkaCell *
pykka_scheduler_get_current_cell (void)
{
  return pykka_thread_self ()->current_cell;
}

gboolean
pykka_scheduler_is_running_cell (PykkaCell *cell)
{
  for (PykkaCell *c = pykka_thread_self ()->current_cell; c != NULL; c = pykka_cell_run_link (c)->running_outer)
    if (c == cell)
      return TRUE;
  return FALSE;
}

/*
 * pykka_scheduler_claim:
 *
 * Makes @owner the owner of the scheduler's context if it has none yet.
 * Returns whether @owner owns it now.
 */
gboolean
pykka_scheduler_claim (PykkaScheduler *self,
                       PykkaThread    *owner)
{
  if (g_atomic_pointer_get (&self->owner) == owner)
    return TRUE;
  if (pykka_thread_has_ended (owner) ||
      !g_atomic_pointer_compare_and_exchange (&self->owner, NULL, owner))
    return FALSE;

  pykka_thread_ref (owner);
  pykka_thread_add_owned (owner, self);
  /* The owner may have ended between the check and the add: then its
   * end did not see this scheduler. */
  if (pykka_thread_has_ended (owner))
    pykka_scheduler_orphan (self);
  return TRUE;
}

/* Whether the calling thread may run the actors of this scheduler. */
PykkaRunRight
pykka_scheduler_may_run (PykkaScheduler *self)
{
  PykkaThread *me = pykka_thread_self ();
  PykkaThread *owner = g_atomic_pointer_get (&self->owner);

  if (owner == me)
    return g_atomic_int_get (&self->orphaned) ? PYKKA_RUN_NO : PYKKA_RUN_OWNER;
  if (owner != NULL || g_atomic_int_get (&self->orphaned))
    return PYKKA_RUN_NO;
  /* The global default context belongs to the main thread, unless some
   * other thread iterated it first (and then owns it). */
  if (self->context == g_main_context_default () && !me->is_main)
    return PYKKA_RUN_NO;
  return PYKKA_RUN_HELP;
}

/* For the end of the owner: a reference, if actors live here (and the
 * scheduler is not being finalized). */
gboolean
pykka_scheduler_ref_if_busy (PykkaScheduler *self)
{
  return g_atomic_int_get (&self->n_cells) > 0 && source_try_ref ((GSource *) self);
}

gboolean
pykka_scheduler_is_orphaned (PykkaScheduler *self)
{
  return g_atomic_int_get (&self->orphaned);
}

/*
 * pykka_scheduler_orphan:
 *
 * The owner of the context has ended: nobody may run its actors again,
 * so they die now, without hooks, and what they still had to answer
 * fails. Called once, on the owner's thread as it ends.
 */
void
pykka_scheduler_orphan (PykkaScheduler *self)
{
  g_autoptr(GPtrArray) cells = NULL;

  if (!g_atomic_int_compare_and_exchange (&self->orphaned, FALSE, TRUE))
    return;

  /* (With the stopping ones: a stackful on_stop may be suspended.) */
  cells = pykka_registry_dup_cells_all ();
  for (guint i = cells->len; i > 0; i--)
    {
      PykkaCell *cell = cells->pdata[i - 1];

      if (pykka_cell_get_scheduler (cell) == self)
        pykka_cell_kill_orphaned (cell);
    }
}

/* Whether the actors of this context show their debug messages (start,
 * stop): G_MESSAGES_DEBUG as it was when the context was first used for
 * actors, or g_log_set_debug_enabled() now. */
gboolean
pykka_scheduler_logs_debug (PykkaScheduler *self)
{
  return self->log_debug || g_log_get_debug_enabled ();
}

/* How often a thread allowed to run the context prepared it or ran its
 * actors directly: unchanged over a wait means nobody ran it. */
guint64
pykka_scheduler_get_runs (PykkaScheduler *self)
{
  return __atomic_load_n (&self->stats.prepares, __ATOMIC_RELAXED) +
         __atomic_load_n (&self->stats.direct_runs, __ATOMIC_RELAXED);
}

/* Whether the thread that owns the context is another one than the
 * calling thread; FALSE when unknown (a context nobody iterated yet,
 * other than the global default one). */
gboolean
pykka_scheduler_is_other_thread (PykkaScheduler *self)
{
  PykkaThread *owner = g_atomic_pointer_get (&self->owner);
  PykkaThread *me = pykka_thread_self ();

  if (owner == NULL)
    return self->context == g_main_context_default () && !me->is_main;
  return owner != me;
}

/* Whether the calling thread is the context's owner (also while it
 * ends and orphans it). */
gboolean
pykka_scheduler_is_owner (PykkaScheduler *self)
{
  return g_atomic_pointer_get (&self->owner) == pykka_thread_self ();
}

/* "the main thread", "thread “pykka-actor”"… for messages. */
char *
pykka_scheduler_describe_owner (PykkaScheduler *self)
{
  PykkaThread *owner = g_atomic_pointer_get (&self->owner);

  if (owner == NULL)
    {
      if (self->context == g_main_context_default ())
        return g_strdup (P_("the main thread"));
      return g_strdup (P_("no thread (it was never iterated)"));
    }
  if (owner->is_main)
    return g_strdup (P_("the main thread"));
  /* Translators: %s is the name of a thread. */
  return g_strdup_printf (P_("thread “%s”"), pykka_thread_get_name (owner));
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
      stats->steps_aside = __atomic_load_n (&self->stats.steps_aside, __ATOMIC_RELAXED);
    }
  G_UNLOCK (schedulers);

  return self != NULL;
}

/**
 * pykka_context_set_priority:
 * @context: (nullable): a #GMainContext, or %NULL for the global default
 * @priority: the priority of the actors' source, such as %G_PRIORITY_DEFAULT
 *
 * Sets the priority at which the actors of @context run among the other
 * sources of @context (one source runs them all). The default is
 * %G_PRIORITY_DEFAULT, the priority of I/O and timeouts; a GTK
 * application that wants its actors to yield to input and drawing may
 * use %G_PRIORITY_DEFAULT_IDLE. It can be changed at any time, before or
 * after actors start there.
 */
void
pykka_context_set_priority (GMainContext *context,
                            int           priority)
{
  PykkaScheduler *self;

  self = pykka_scheduler_ref_for_context (context != NULL ? context : g_main_context_default ());
  g_source_set_priority ((GSource *) self, priority);
  pykka_scheduler_unref (self);
}

/**
 * pykka_context_get_priority:
 * @context: (nullable): a #GMainContext, or %NULL for the global default
 *
 * Gets the priority set with [func@Pykka.context_set_priority].
 *
 * Returns: the priority of the actors' source of @context
 */
int
pykka_context_get_priority (GMainContext *context)
{
  PykkaScheduler *self;
  int priority;

  self = pykka_scheduler_ref_for_context (context != NULL ? context : g_main_context_default ());
  priority = g_source_get_priority ((GSource *) self);
  pykka_scheduler_unref (self);
  return priority;
}

/**
 * pykka_context_set_time_budget:
 * @context: (nullable): a #GMainContext, or %NULL for the global default
 * @budget_usec: microseconds, or 0 never to step aside
 *
 * Sets how long the actors of @context may keep it busy before they step
 * aside for one iteration of the context, so that its sources of lower
 * priority run too. A flood of messages on the main context of a GTK
 * application then still lets the frame clock (which draws at
 * %G_PRIORITY_HIGH_IDLE + 20) run at least once every @budget_usec,
 * give or take one turn of an actor: the budget is checked between
 * turns (a turn handles at most 64 messages of one actor), so handlers
 * that each take long stretch the gap accordingly. Stepping aside costs
 * one iteration and no sleep. The default,
 * 8 000 µs, keeps a 60 Hz frame clock fed.
 */
void
pykka_context_set_time_budget (GMainContext *context,
                               guint         budget_usec)
{
  PykkaScheduler *self;

  self = pykka_scheduler_ref_for_context (context != NULL ? context : g_main_context_default ());
  g_atomic_int_set (&self->budget_usec, (gint) MIN (budget_usec, (guint) G_MAXINT));
  pykka_scheduler_unref (self);
}

/**
 * pykka_context_get_time_budget:
 * @context: (nullable): a #GMainContext, or %NULL for the global default
 *
 * Gets the time budget set with [func@Pykka.context_set_time_budget].
 *
 * Returns: the budget in microseconds; 0 if the actors never step aside
 */
guint
pykka_context_get_time_budget (GMainContext *context)
{
  PykkaScheduler *self;
  guint budget;

  self = pykka_scheduler_ref_for_context (context != NULL ? context : g_main_context_default ());
  budget = (guint) g_atomic_int_get (&self->budget_usec);
  pykka_scheduler_unref (self);
  return budget;
}
