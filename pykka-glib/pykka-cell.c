/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-private.h"
#include "pykka-dbus-private.h"

/*
 * PykkaCell: the mailbox and life of one actor.
 *
 * Any thread pushes messages; the thread that runs the actor's context
 * pops them in turns (pykka_cell_run_turn(), called by the scheduler).
 * A cell is on its scheduler's run queue exactly when ->scheduled is set
 * and ->running is not, so it is never queued twice and never runs on two
 * threads. A suspended cell (a coroutine or a reply future pending) is not
 * scheduled until something wakes it.
 */

/* The cancellation of an ask: a cancellable that fires while the message
 * is queued answers it with G_IO_ERROR_CANCELLED at once, and the turn
 * drops it; once the handler runs, only the handler sees it. */
struct _PykkaMessageCancel
{
  GCancellable *cancellable;  /* (owned) */
  gulong        handler_id;
  PykkaPromise *reply;        /* (owned) */
  gint          state;        /* atomic: MESSAGE_QUEUED, _HANDLED, _CANCELLED */
};

enum
{
  MESSAGE_QUEUED,
  MESSAGE_HANDLED,
  MESSAGE_CANCELLED,
};

/* The promise @m's asker waits on, NULL for a tell or once handed over. */
static inline PykkaPromise *
message_reply (const PykkaMessage *m)
{
  if (G_LIKELY (m->flags == 0))
    return m->kind != PYKKA_MESSAGE_LATEST ? m->extra : NULL;
  if (m->flags & PYKKA_MESSAGE_REPLY_TAKEN)
    return NULL;
  return ((PykkaMessageCancel *) m->extra)->reply;
}

/* (nullable) */
static inline PykkaMessageCancel *
message_cancel (const PykkaMessage *m)
{
  return (m->flags & PYKKA_MESSAGE_HAS_CANCEL) ? m->extra : NULL;
}

/* A LATEST message's key. */
static inline const char *
message_key (const PykkaMessage *m)
{
  g_assert (m->kind == PYKKA_MESSAGE_LATEST);
  return m->extra;
}

/* Hands @m's reply over to the caller (a new reference, or NULL for a
 * tell): @m answers nobody any more. */
static PykkaPromise *
message_steal_reply (PykkaMessage *m)
{
  PykkaPromise *reply = message_reply (m);

  if (reply == NULL)
    return NULL;
  if (m->flags & PYKKA_MESSAGE_HAS_CANCEL)
    {
      m->flags |= PYKKA_MESSAGE_REPLY_TAKEN;
      return pykka_promise_ref (reply);
    }
  m->extra = NULL;
  return reply;
}

/* What a cell keeps while a handler is suspended, made on its first
 * suspension (most actors never suspend, and pay a pointer), and the
 * rarer parts of its life: the cancellable ask being handled, why it
 * died, its start outcome. Only the
 * thread that runs the actor touches it, except ->resumes (under the
 * cell's mutex); ->susp is set under the cell's mutex. */
typedef struct
{
  GSList          *resumes;        /* (owned) Resume*, see pykka_actor_suspend_until() */
  PykkaFuture     *suspended_on;   /* (owned) (nullable) reply future awaited */
  PykkaPromise    *suspended_reply;/* (owned) (nullable) ask answered by it */
  PykkaCoroutine  *co;             /* (nullable) coroutine in progress */
  PykkaMessage    *co_message;     /* (owned) message the coroutine handles */
  const char      *waiting_for;    /* (nullable) what a suspended coroutine waits on, for debugging */
  gpointer         co_wait;        /* (nullable) the heap state of that wait (pykka-wait.c), while suspended */
  const char      *type_name;      /* (nullable) of the actor's type, kept for the descriptions of its coroutines */
  PykkaCell       *async_wait;     /* (owned) (nullable) source of the first future a running handler awaits asynchronously */
  PykkaMessage    *current;        /* (nullable) a cancellable ask whose handler runs (or is suspended) */
  PykkaMessage    *kill;           /* (owned) (nullable) the KILL of pykka_cell_kill(), handled before the mailbox; set under the cell's mutex */
  GCancellable    *suspended_cancellable; /* (owned) (nullable) the cancellable of the ask ->suspended_reply answers */
  gboolean         resuming;       /* in a binding's resume: ->suspended_cancellable is the current one */
  /* Set once, under the cell's mutex */
  GError          *death;          /* (owned) (nullable) why a failed actor died */
  PykkaFuture     *started;        /* (owned) (nullable) the start outcome, made when asked for */
  /* Death watch, under the cell's mutex */
  GHashTable      *watchers;       /* (owned) (nullable) set of cells (referenced) told of this actor's death */
  GHashTable      *watching;       /* (owned) (nullable) set of cells (referenced) whose death this actor is told of */
  PykkaFuture     *terminated;     /* (owned) (nullable) a future of the PykkaTerminated, made when asked for */
  /* Supervision, set once before the start */
  PykkaCell       *supervisor;     /* (owned) (nullable) told of a failure instead of the actor dying */
  PykkaActorFactory factory;       /* makes the new instance of a restart */
  gpointer         factory_data;
  GDestroyNotify   factory_destroy;
  /* Under the cell's mutex */
  PykkaMessage    *restart;        /* (owned) (nullable) the supervisor's decision, handled before the mailbox */
  PykkaMessage    *system_head;    /* (owned) (nullable) the control lane: death-watch news and failures of children, before the mailbox */
  PykkaMessage    *system_tail;
  gint             control;        /* atomic: ->kill or ->restart is set */
  gboolean         awaiting;       /* failed: takes nothing until the supervisor decides */
  GError          *failure;        /* (owned) (nullable) why, while awaiting */
  PykkaActorRef   *kept_ref;       /* (owned) (nullable) the ref, while no instance holds it */
  GMainLoop       *own_loop;       /* (owned) (nullable) own-thread actors; set before the start */
  PykkaFuture     *deferred;       /* (owned) (nullable) the handle of pykka_cell_defer_reply() while on_receive runs */
  gboolean         deferred_tell;  /* ->deferred is the handle of a told message */
  /* Bounded mailbox, set before the start; room under the mutex */
  guint            capacity;       /* 0: unbounded */
  PykkaOverflowPolicy policy;
  guint            overflow_timeout_msec;
  gboolean         overflow_timeout_set;
  GCond            room;           /* signalled when the mailbox empties or the cell dies */
  /* Timers, under the mutex */
  GHashTable      *timers;         /* (owned) (nullable) id -> TimerEntry */
  guint            last_timer_id;
  GPtrArray       *children;       /* (owned) (nullable) refs of the children started by pykka_actor_start_child(), start order; under the mutex */
} PykkaSuspension;

/* The runtime half of an actor, shared by the actor and its refs so that a
 * ref can fail fast on a dead actor without keeping it alive. */
struct _PykkaCell
{
  PykkaRunLink     link;           /* first: see pykka_cell_run_link() */
  gatomicrefcount  ref_count;
  PykkaCellState   state;          /* under ->mutex; also read atomically by is_alive */
  GMutex           mutex;

  /* Protected by ->mutex (fields in the order that packs them) */
  PykkaMessage    *head;           /* mailbox, oldest first */
  PykkaMessage    *tail;
  guint            length;
  guint            scheduled : 1;  /* on the run queue or in a turn */
  guint            running : 1;    /* in a turn right now */
  guint            wake_pending : 1; /* woken while running: turn again */
  guint            parked : 1;     /* off the run queue while a handler is suspended: waits for a wake, not for mail */
  guint            started_ok : 1; /* on_start returned successfully */
  guint            went_stopping : 1; /* went through STOPPING: unregistered and "alive" told there */
  PykkaActor      *actor;          /* (owned) from start until death */
  PykkaSuspension *susp;           /* (owned) (nullable) made on the first suspension */

  /* Immutable once started */
  guint64          urn_id;         /* urn = base uuid + urn_id */
  guint64          start_order;    /* for LIFO stop_all */
  GType            type;
  guint            own_thread : 1;
  guint            log_debug : 1;  /* debug messages shown, decided at start */
  char            *urn;            /* (owned) (atomic) (nullable) made when first asked for */
  PykkaRegLink     reg;            /* under the registry's lock (pykka-registry.c) */

  /* Only touched by the thread running the actor's context */
  PykkaMessage    *handling;       /* (nullable) the message whose handler runs, while on_receive runs (pykka_cell_defer_reply()) */

  GMainContext    *ref_context;    /* (owned) (nullable) where the ref's notify::alive goes; NULL: the global default; set before the start */

  /* Protected by the wait-for graph's lock (below) */
  PykkaCell       *waits_for;      /* (unowned) (nullable) whose reply a handler of this actor waits for */

  /* The START message: every actor has exactly one, so it lives here
   * rather than in an allocation of its own (pykka_message_free() leaves
   * it alone). In the mailbox from the start until its turn. */
  PykkaMessage     start;
};

/* cell_susp() under the cell's mutex. */
static PykkaSuspension *
cell_susp_locked (PykkaCell *self)
{
  if (G_UNLIKELY (self->susp == NULL))
    g_atomic_pointer_set (&self->susp, g_new0 (PykkaSuspension, 1));
  return self->susp;
}

/* Out of line, so that the callers' fast path needs no stack frame. */
G_GNUC_NO_INLINE static PykkaSuspension *
cell_susp_make (PykkaCell *self)
{
  PykkaSuspension *susp;

  g_mutex_lock (&self->mutex);
  susp = cell_susp_locked (self);
  g_mutex_unlock (&self->mutex);
  return susp;
}

/* The cell's suspension state if it was made, or %NULL: read without the
 * mutex (another thread may make it meanwhile, for a child, a timer or a
 * watch), so with the atomic load that pairs with its publication. */
static inline PykkaSuspension *
cell_peek_susp (PykkaCell *self)
{
  return g_atomic_pointer_get (&self->susp);
}

/* The cell's suspension state, made on first use. Any thread may make it
 * (under the mutex); once made it stays until the cell is freed. */
static inline PykkaSuspension *
cell_susp (PykkaCell *self)
{
  PykkaSuspension *susp = g_atomic_pointer_get (&self->susp);

  if (G_UNLIKELY (susp == NULL))
    susp = cell_susp_make (self);
  return susp;
}

PykkaCell *
pykka_cell_new (GType type)
{
  PykkaCell *self = g_new0 (PykkaCell, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  self->urn_id = pykka_registry_next_serial ();
  self->type = type;
  return self;
}

/* In the actor's init the instance still looks like a PykkaActor: its
 * constructed() gives the subclass. */
void
pykka_cell_set_type (PykkaCell *self,
                     GType      type)
{
  self->type = type;
}

GType
pykka_cell_get_gtype (PykkaCell *self)
{
  return self->type;
}

/* The registry's key: immutable. */
const guint64 *
pykka_cell_get_id_key (PykkaCell *self)
{
  return &self->urn_id;
}

/* The cell's place in the registry: only pykka-registry.c, under its
 * lock. */
PykkaRegLink *
pykka_cell_reg_link (PykkaCell *self)
{
  return &self->reg;
}

/* The urn if it was made already, else NULL (making it costs a string). */
const char *
pykka_cell_peek_urn (PykkaCell *self)
{
  return g_atomic_pointer_get (&self->urn);
}

/* Start order, for stopping in reverse. */
guint64
pykka_cell_get_start_order (PykkaCell *self)
{
  return self->start_order;
}


/* The actor, from its start until its death, else NULL. */
PykkaActor *
pykka_cell_dup_actor (PykkaCell *self)
{
  PykkaActor *actor;

  g_mutex_lock (&self->mutex);
  actor = self->actor != NULL ? g_object_ref (self->actor) : NULL;
  g_mutex_unlock (&self->mutex);
  return actor;
}

void
pykka_cell_snapshot (PykkaCell         *self,
                     PykkaCellSnapshot *snapshot)
{
  g_mutex_lock (&self->mutex);
  snapshot->type = self->type;
  snapshot->length = self->length;
  if (self->state == PYKKA_CELL_STOPPING || self->state == PYKKA_CELL_KILLING)
    snapshot->state = "stopping";
  else if (self->running)
    snapshot->state = "running";
  else if (self->parked)
    snapshot->state = cell_peek_susp (self) == NULL ? "suspended" :
                      self->susp->suspended_on != NULL ? "suspended on a reply future" :
                      self->susp->waiting_for == NULL ? "suspended" :
                      g_str_equal (self->susp->waiting_for, "event") ? "suspended on an event" :
                      "suspended on a future";
  else if (self->scheduled)
    snapshot->state = "scheduled";
  else
    snapshot->state = "idle";
  snapshot->own_thread = self->own_thread;
  snapshot->stackful = self->link.stackful;
  snapshot->context = self->link.scheduler != NULL ? pykka_scheduler_get_context (self->link.scheduler) : NULL;
  g_mutex_unlock (&self->mutex);
}

/* The cancellable of the ask whose handler runs now (or is suspended on
 * a coroutine); only the actor's thread asks. */
GCancellable *
pykka_cell_get_current_cancellable (PykkaCell *self)
{
  PykkaMessage *m = cell_peek_susp (self) != NULL ? self->susp->current : NULL;

  if (m != NULL && message_cancel (m) != NULL)
    return message_cancel (m)->cancellable;
  /* A handler that replied with a future and goes on in a binding's
   * resume (Python's greenlets): the ask that future answers. */
  return cell_peek_susp (self) != NULL && self->susp->resuming ? self->susp->suspended_cancellable : NULL;
}

/* The thread-default context of the thread that made the actor's ref
 * (NULL: the global default): where its notify::alive is emitted. Set
 * once, before the actor starts. */
void
pykka_cell_set_ref_context (PykkaCell    *self,
                            GMainContext *context)
{
  if (context != NULL && context != g_main_context_default ())
    self->ref_context = g_main_context_ref (context);
}

GMainContext *
pykka_cell_get_ref_context (PykkaCell *self)
{
  return self->ref_context != NULL ? self->ref_context : g_main_context_default ();
}

/* For tests: the memory a suspended coroutine of the cell keeps (0 when
 * its handler is not suspended on a coroutine). */
gsize
pykka_cell_get_suspended_size (PykkaCell *self)
{
  gsize size = 0;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL && self->susp->co != NULL && self->parked)
    size = pykka_coroutine_get_memory_size (self->susp->co);
  g_mutex_unlock (&self->mutex);
  return size;
}

/* The heap state of the wait a coroutine of the cell is suspended in
 * (NULL once it runs again), for pykka_cell_kill_orphaned(), and what it
 * waits on ("future", "event"), for the debug dump. Only the actor's
 * thread sets them. */
void
pykka_cell_set_co_wait (PykkaCell  *self,
                        gpointer    co_wait,
                        const char *what)
{
  PykkaSuspension *susp = cell_susp (self);

  susp->co_wait = co_wait;
  susp->waiting_for = what;
}

PykkaCell *
pykka_cell_ref (PykkaCell *self)
{
  /* Inline atomics: GLib's g_atomic_ref_count_*() are calls, and a hop
   * between actors takes and drops several references. */
  g_atomic_int_inc ((gint *) &self->ref_count);
  return self;
}

void
pykka_cell_unref (PykkaCell *self)
{
  GMainLoop *own_loop = NULL;

  if (!g_atomic_int_dec_and_test ((gint *) &self->ref_count))
    return;

  g_assert (self->actor == NULL);
  g_assert (self->reg.where == PYKKA_REG_NONE);
  g_clear_pointer (&self->ref_context, g_main_context_unref);
  if (cell_peek_susp (self) != NULL)
    {
      g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
      g_clear_object (&self->susp->suspended_cancellable);
      g_clear_error (&self->susp->death);
      g_clear_object (&self->susp->started);
      g_clear_pointer (&self->susp->kill, pykka_message_free);
      g_clear_pointer (&self->susp->restart, pykka_message_free);
      while (self->susp->system_head != NULL)
        {
          PykkaMessage *m = self->susp->system_head;

          self->susp->system_head = m->next;
          pykka_message_free (m);
        }
      g_clear_pointer (&self->susp->supervisor, pykka_cell_unref);
      if (self->susp->factory_destroy != NULL)
        self->susp->factory_destroy (self->susp->factory_data);
      g_clear_error (&self->susp->failure);
      g_clear_object (&self->susp->kept_ref);
      g_clear_pointer (&self->susp->watchers, g_hash_table_unref);
      g_clear_pointer (&self->susp->watching, g_hash_table_unref);
      g_clear_object (&self->susp->terminated);
      g_clear_pointer (&self->susp->children, g_ptr_array_unref);
      /* (Its context outlives the scheduler source, below.) */
      own_loop = g_steal_pointer (&self->susp->own_loop);
      g_clear_pointer (&self->susp->timers, g_hash_table_unref);
      g_free (self->susp);
    }
  while (self->head != NULL)
    {
      PykkaMessage *m = self->head;
      self->head = m->next;
      pykka_message_free (m);
    }
  g_clear_pointer (&self->link.scheduler, pykka_scheduler_unref);
  g_clear_pointer (&own_loop, g_main_loop_unref);
  g_free (self->urn);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

PykkaMessage *
pykka_message_new (PykkaMessageKind  kind,
                   const GValue     *value,
                   PykkaPromise     *reply)
{
  PykkaThread *me = pykka_thread_current;
  PykkaMessage *m;

  /* (The START message is the cell's own.) */
  g_assert (kind != PYKKA_MESSAGE_START);
  /* A spare is zeroed already (see pykka_message_free()). */
  if (me == NULL || (m = pykka_spares_take (&me->spare_messages)) == NULL)
    m = g_slice_new0 (PykkaMessage);
  m->kind = kind;
  m->extra = reply != NULL ? pykka_promise_ref (reply) : NULL;
  if (value != NULL && G_VALUE_TYPE (value) != G_TYPE_INVALID)
    pykka_value_init_copy (&m->value, value);
  return m;
}

static void
message_cancelled_cb (GCancellable *cancellable,
                      gpointer      data)
{
  PykkaMessageCancel *c = data;

  if (g_atomic_int_compare_and_exchange (&c->state, MESSAGE_QUEUED, MESSAGE_CANCELLED))
    pykka_promise_take_error (c->reply, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                             /* Translators: the error of an ask cancelled before its actor handled it. */
                                                             P_("The ask was cancelled before the actor handled it")));
}

/* Before the message is pushed. */
void
pykka_message_set_cancellable (PykkaMessage *m,
                               GCancellable *cancellable)
{
  PykkaMessageCancel *c = g_new0 (PykkaMessageCancel, 1);

  g_assert (m->flags == 0 && m->kind != PYKKA_MESSAGE_LATEST && m->extra != NULL);
  c->cancellable = g_object_ref (cancellable);
  c->reply = m->extra;  /* the message's reference */
  m->extra = c;
  m->flags = PYKKA_MESSAGE_HAS_CANCEL;
  /* Runs at once if it is cancelled already. */
  c->handler_id = g_cancellable_connect (cancellable, G_CALLBACK (message_cancelled_cb), c, NULL);
}

/* Whether the turn may handle @m: FALSE when it was cancelled while
 * queued (and answered then). */
static gboolean
message_begin (PykkaMessage *m)
{
  PykkaMessageCancel *c = message_cancel (m);

  return c == NULL ||
         g_atomic_int_compare_and_exchange (&c->state, MESSAGE_QUEUED, MESSAGE_HANDLED);
}

void
pykka_message_free (PykkaMessage *m)
{
  PykkaMessageCancel *c;

  /* A START message is its cell's ->start: nothing to free. */
  if (m->kind == PYKKA_MESSAGE_START)
    {
      m->next = NULL;
      return;
    }
  c = message_cancel (m);

  if (c != NULL)
    {
      /* After this no callback runs (one running on another thread is
       * waited for). */
      g_cancellable_disconnect (c->cancellable, c->handler_id);
      g_object_unref (c->cancellable);
      pykka_promise_unref (c->reply);
      g_free (c);
    }
  else if (m->kind == PYKKA_MESSAGE_LATEST)
    g_free (m->extra);
  else if (m->extra != NULL)
    pykka_promise_unref (m->extra);
  pykka_value_clear (&m->value);
  {
    PykkaThread *me = pykka_thread_current;

    /* Kept for this thread's next message: the actor's thread frees what
     * its handlers' asks send, and a sender's thread often is one. */
    if (me != NULL && pykka_spares_keep (&me->spare_messages, m))
      memset (m, 0, sizeof *m);
    else
      g_slice_free (PykkaMessage, m);
  }
}

const char *
pykka_cell_get_urn (PykkaCell *self)
{
  char *urn = g_atomic_pointer_get (&self->urn);

  if (urn == NULL)
    {
      urn = pykka_registry_make_urn (self->urn_id);
      if (!g_atomic_pointer_compare_and_exchange (&self->urn, NULL, urn))
        {
          g_free (urn);
          urn = g_atomic_pointer_get (&self->urn);
        }
      else
        {
          /* Handed out from now on: a registered actor can be looked up
           * by it. */
          pykka_registry_urn_made (self);
        }
    }
  return urn;
}

char *
pykka_cell_describe (PykkaCell *self)
{
  return g_strdup_printf ("%s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));
}

/* The ACTOR_DEAD error of an actor that was not started (yet). */
GError *
pykka_cell_unstarted_error (PykkaCell *self)
{
  g_autofree char *who = pykka_cell_describe (self);

  return g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                      /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                      P_("Actor %s was never started: it takes no message until pykka_actor_start() (start() in Python, JavaScript and Vala) has started it"),
                      who);
}

GError *
pykka_cell_dead_error (PykkaCell *self)
{
  g_autofree char *who = NULL;
  g_autoptr(GError) death = NULL;
  PykkaCellState state = pykka_cell_get_state (self);

  /* Callers found the actor not alive. A state that is alive now was NEW
   * then (states only move on, and none after NEW is alive again): a
   * start began on another thread in between, the actor was never
   * started when the caller looked, and is not dead. */
  if (state == PYKKA_CELL_NEW || state == PYKKA_CELL_STARTING || state == PYKKA_CELL_RUNNING)
    return pykka_cell_unstarted_error (self);
  who = pykka_cell_describe (self);
  death = pykka_cell_dup_death (self);
  if (death != NULL)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                        /* Translators: the first %s is an actor, such as "MyCounter (urn:uuid:…)", the second why it died. */
                        P_("Actor %s is dead: %s"), who, death->message);
  return g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                      /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                      P_("Actor %s is dead"), who);
}

/* (transfer full) (nullable): why the actor died, when it failed (on_start
 * or the handler of a tell failed, or its context was orphaned). */
GError *
pykka_cell_dup_death (PykkaCell *self)
{
  GError *death = NULL;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL && self->susp->death != NULL)
    death = g_error_copy (self->susp->death);
  g_mutex_unlock (&self->mutex);
  return death;
}

static void cell_settle_started (PykkaCell    *self,
                                 const GError *error);

/* (transfer full): a future of the start outcome: TRUE once on_start
 * succeeded, its error if it failed, ACTOR_DEAD if the actor died first. */
PykkaFuture *
pykka_cell_dup_started (PykkaCell *self)
{
  PykkaFuture *started = NULL;
  gboolean made = FALSE;
  gboolean started_ok = FALSE;
  gboolean dead = FALSE;

  g_mutex_lock (&self->mutex);
  if (cell_susp_locked (self)->started == NULL)
    {
      self->susp->started = pykka_future_new ();
      made = TRUE;
      started_ok = self->started_ok;
      dead = self->state == PYKKA_CELL_STOPPED;
    }
  started = g_object_ref (self->susp->started);
  g_mutex_unlock (&self->mutex);

  /* Asked only after the outcome was known: settle it now. (A start that
   * succeeds or fails from now on settles it itself; a second completion
   * changes nothing.) */
  if (made && started_ok)
    cell_settle_started (self, NULL);
  else if (made && dead)
    {
      /* Why the actor died (on_start's error, with its domain and code,
       * or an orphaned context), or plain ACTOR_DEAD. */
      GError *death = pykka_cell_dup_death (self);

      pykka_promise_take_error (pykka_future_get_promise (started),
                                death != NULL ? death : pykka_cell_dead_error (self));
    }
  return started;
}

/*
 * Death watch.
 *
 * A watched cell keeps its watchers (->watchers), a watcher the cells it
 * watches (->watching), each under its own cell's mutex, never both held.
 * The death of the watched cell (it is STOPPED under its mutex, and takes
 * its watchers in the same locked step) and a watch (which looks at the
 * state under the same mutex) cannot miss each other: a watcher is told
 * exactly once, by a TERMINATED message. The watcher delivers it only if
 * it still watches that cell (an unwatch after the message was queued
 * drops it), and forgets the cell then.
 */

static gboolean
cell_set_remove (GHashTable *set,
                 PykkaCell  *cell)
{
  return set != NULL && g_hash_table_remove (set, cell);
}

/* Adds @cell (referenced) to *@set, made on first use; FALSE if it was
 * there already. */
static gboolean
cell_set_add (GHashTable **set,
              PykkaCell   *cell)
{
  if (*set == NULL)
    *set = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) pykka_cell_unref, NULL);
  else if (g_hash_table_contains (*set, cell))
    return FALSE;
  g_hash_table_add (*set, pykka_cell_ref (cell));
  return TRUE;
}

static gboolean
cell_stops_watching (PykkaCell *watcher,
                     PykkaCell *watched)
{
  gboolean found;

  g_mutex_lock (&watcher->mutex);
  found = watcher->susp != NULL && cell_set_remove (watcher->susp->watching, watched);
  g_mutex_unlock (&watcher->mutex);
  return found;
}

static gboolean cell_push_system (PykkaCell    *self,
                                  PykkaMessage *m);

/* Queues the news of a death (a local or, for pykka-remote-ref.c, a
 * remote actor's) to @watcher; FALSE if it takes no mail (dead or
 * stopping). */
gboolean
pykka_cell_push_terminated (PykkaCell       *watcher,
                            PykkaTerminated *terminated)
{
  GValue value = G_VALUE_INIT;
  PykkaMessage *m;

  g_value_init (&value, PYKKA_TYPE_TERMINATED);
  g_value_set_boxed (&value, terminated);
  m = pykka_message_new (PYKKA_MESSAGE_TERMINATED, &value, NULL);
  g_value_unset (&value);
  if (cell_push_system (watcher, m))
    return TRUE;
  pykka_message_free (m);
  return FALSE;
}

/* Queues the news of @ref's death to @watcher. */
static void
cell_send_terminated (PykkaCell       *watcher,
                      PykkaTerminated *terminated)
{
  /* The watcher is dead or stopping: nobody to tell. */
  if (!pykka_cell_push_terminated (watcher, terminated))
    cell_stops_watching (watcher, pykka_actor_ref_get_cell (pykka_terminated_get_actor_ref (terminated)));
}

/* The cell is STOPPED: tells its watchers and the future of its
 * termination, and forgets the cells it watched. */
static void
cell_tell_watchers (PykkaCell     *self,
                    PykkaActorRef *ref)
{
  g_autoptr(GHashTable) watchers = NULL;
  g_autoptr(GHashTable) watching = NULL;
  g_autoptr(PykkaFuture) terminated_future = NULL;
  g_autoptr(PykkaTerminated) terminated = NULL;
  GError *death = NULL;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL)
    {
      watchers = g_steal_pointer (&self->susp->watchers);
      watching = g_steal_pointer (&self->susp->watching);
      terminated_future = g_steal_pointer (&self->susp->terminated);
      if (self->susp->death != NULL)
        death = g_error_copy (self->susp->death);
    }
  g_mutex_unlock (&self->mutex);

  if (watchers == NULL && terminated_future == NULL && watching == NULL)
    {
      g_clear_error (&death);
      return;
    }
  if (ref != NULL && (watchers != NULL || terminated_future != NULL))
    terminated = pykka_terminated_new (ref, death);
  g_clear_error (&death);

  if (watchers != NULL && terminated != NULL)
    {
      GHashTableIter iter;
      gpointer watcher;

      g_hash_table_iter_init (&iter, watchers);
      while (g_hash_table_iter_next (&iter, &watcher, NULL))
        cell_send_terminated (watcher, terminated);
    }
  if (terminated_future != NULL && terminated != NULL)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, PYKKA_TYPE_TERMINATED);
      g_value_set_boxed (&value, terminated);
      pykka_promise_take_value (pykka_future_get_promise (terminated_future), &value);
    }
  /* A dead watcher leaves no entry behind in the cells it watched. */
  if (watching != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, watching);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          PykkaCell *watched = key;

          g_mutex_lock (&watched->mutex);
          if (watched->susp != NULL)
            cell_set_remove (watched->susp->watchers, self);
          g_mutex_unlock (&watched->mutex);
        }
    }
}

/*
 * pykka_cell_watch:
 *
 * @watcher is told of @watched's death by a TERMINATED message: at once if
 * it is dead already. Watching twice tells once. A watcher that is not
 * alive watches nothing.
 */
void
pykka_cell_watch (PykkaCell     *watcher,
                  PykkaActorRef *watched_ref)
{
  PykkaCell *watched = pykka_actor_ref_get_cell (watched_ref);
  gboolean dead;

  g_mutex_lock (&watcher->mutex);
  if (!pykka_cell_is_alive (watcher) || !cell_set_add (&cell_susp_locked (watcher)->watching, watched))
    {
      g_mutex_unlock (&watcher->mutex);
      return;
    }
  g_mutex_unlock (&watcher->mutex);

  g_mutex_lock (&watched->mutex);
  dead = watched->state == PYKKA_CELL_STOPPED;
  if (!dead)
    cell_set_add (&cell_susp_locked (watched)->watchers, watcher);
  g_mutex_unlock (&watched->mutex);

  if (dead)
    {
      g_autoptr(GError) death = pykka_cell_dup_death (watched);
      g_autoptr(PykkaTerminated) terminated = pykka_terminated_new (watched_ref, death);

      cell_send_terminated (watcher, terminated);
    }
}

/* @watcher is no longer told of @watched's death, even if the news is
 * queued already. */
void
pykka_cell_unwatch (PykkaCell *watcher,
                    PykkaCell *watched)
{
  if (!cell_stops_watching (watcher, watched))
    return;
  g_mutex_lock (&watched->mutex);
  if (watched->susp != NULL)
    cell_set_remove (watched->susp->watchers, watcher);
  g_mutex_unlock (&watched->mutex);
}

/* (transfer full): a future of the PykkaTerminated of the cell's death,
 * done at once if it is dead. */
PykkaFuture *
pykka_cell_dup_terminated (PykkaCell     *self,
                           PykkaActorRef *ref)
{
  PykkaFuture *future;
  gboolean dead;

  g_mutex_lock (&self->mutex);
  dead = self->state == PYKKA_CELL_STOPPED;
  if (!dead && cell_susp_locked (self)->terminated != NULL)
    {
      future = g_object_ref (self->susp->terminated);
      g_mutex_unlock (&self->mutex);
      return future;
    }
  future = pykka_future_new ();
  if (!dead)
    self->susp->terminated = g_object_ref (future);
  g_mutex_unlock (&self->mutex);

  if (dead)
    {
      g_autoptr(GError) death = pykka_cell_dup_death (self);
      g_autoptr(PykkaTerminated) terminated = pykka_terminated_new (ref, death);
      GValue value = G_VALUE_INIT;

      g_value_init (&value, PYKKA_TYPE_TERMINATED);
      g_value_set_boxed (&value, terminated);
      pykka_promise_take_value (pykka_future_get_promise (future), &value);
    }
  return future;
}

/*
 * Parent and child: a child started by pykka_actor_start_child() is in
 * its parent's list, and the parent watches it. When the parent stops,
 * is killed or fails, its children are stopped first, newest first, and
 * waited for, on the parent's thread, before its last hook.
 */
gboolean
pykka_cell_add_child (PykkaCell     *self,
                      PykkaActorRef *child)
{
  gboolean running;

  g_mutex_lock (&self->mutex);
  running = self->state == PYKKA_CELL_RUNNING;
  if (running)
    {
      if (cell_susp_locked (self)->children == NULL)
        self->susp->children = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->susp->children, g_object_ref (child));
    }
  g_mutex_unlock (&self->mutex);
  if (running)
    pykka_cell_watch (self, child);
  return running;
}

static void
cell_stop_children_full (PykkaCell *self,
                         gboolean   wait)
{
  g_autoptr(GPtrArray) children = NULL;

  /* Children are kept in the suspension: an actor that has none has no
   * child (one added by this thread, or under the mutex before the stop
   * began, made it visible here). */
  if (g_atomic_pointer_get (&self->susp) == NULL)
    return;
  g_mutex_lock (&self->mutex);
  children = g_steal_pointer (&self->susp->children);
  g_mutex_unlock (&self->mutex);
  for (guint i = children != NULL ? children->len : 0; i > 0; i--)
    pykka_cell_stop_child (children->pdata[i - 1], wait);
}

/* Stops @child: a failed one that awaits its supervisor's decision dies
 * of its failure. With @wait, waits for its death, unless that wait
 * could never end (pykka_wait_is_nested(): this turn runs nested in a
 * wait of the child's plain handler); the child then dies once its
 * handler returns. */
void
pykka_cell_stop_child (PykkaActorRef *child,
                       gboolean       wait)
{
  PykkaCell *cell = pykka_actor_ref_get_cell (child);
  g_autoptr(PykkaFuture) dead = pykka_cell_dup_terminated (cell, child);

  if (!pykka_cell_awaits_restart (cell) || !pykka_cell_restart (cell, FALSE))
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (child);
    }
  if (wait && !pykka_wait_is_nested (cell))
    pykka_future_get (dead, -1, NULL);
}

static void
cell_stop_children (PykkaCell *self)
{
  cell_stop_children_full (self, TRUE);
}

/*
 * Deferred replies: the handler that runs takes its ask's reply as a
 * handle (a future) that answers the asker when it is completed, from
 * anywhere, while the actor goes on with other messages.
 */
typedef struct
{
  PykkaPromise *reply;     /* (owned) (nullable) NULL for a tell */
  gboolean      answered;
} Deferred;

static void
deferred_hook (PykkaPromise *promise,
               gpointer      data)
{
  Deferred *d = data;

  if (d->reply != NULL)
    pykka_promise_copy_outcome (d->reply, promise);
  d->answered = TRUE;
}

static void
deferred_free (gpointer data)
{
  Deferred *d = data;

  /* The handle was dropped unanswered: the asker must not wait for ever. */
  if (!d->answered && d->reply != NULL)
    pykka_promise_take_error (d->reply, g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                                                             /* Translators: the error of an ask whose actor took its reply as a handle and dropped it. */
                                                             P_("The actor deferred its reply and dropped the handle without answering")));
  g_clear_pointer (&d->reply, pykka_promise_unref);
  g_free (d);
}

/* In a handler of the cell: whether the message it handles is an ask. */
gboolean
pykka_cell_handling_is_ask (PykkaCell *self)
{
  return self->handling != NULL && message_reply (self->handling) != NULL;
}

/* How many messages wait in the mailbox. */
guint
pykka_cell_get_length (PykkaCell *self)
{
  guint length;

  g_mutex_lock (&self->mutex);
  length = self->length;
  g_mutex_unlock (&self->mutex);
  return length;
}

PykkaFuture *
pykka_cell_defer_reply (PykkaCell  *self,
                        GError    **error)
{
  PykkaMessage *m = self->handling;
  PykkaFuture *handle;
  Deferred *d;

  if (m == NULL || pykka_thread_self ()->current_cell != self)
    {
      g_autofree char *who = pykka_cell_describe (self);

      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                   P_("Only a handler of actor %s, while it runs, can defer its reply"), who);
      return NULL;
    }
  if (cell_peek_susp (self) != NULL && self->susp->deferred != NULL)
    return g_object_ref (self->susp->deferred);

  handle = pykka_future_new ();
  d = g_new0 (Deferred, 1);
  d->reply = message_steal_reply (m);
  pykka_promise_add_hook (pykka_future_get_promise (handle), deferred_hook, d, deferred_free);
  cell_susp (self)->deferred = g_object_ref (handle);
  self->susp->deferred_tell = d->reply == NULL;
  return handle;
}

/*
 * Timers (pykka-timer.c has their source). The cell keeps each of its
 * timers until it fired for the last time, is cancelled or the cell
 * dies; a key names at most one timer.
 */
typedef struct
{
  GSource *source;   /* (owned) attached */
  char    *key;      /* (owned) (nullable) */
} TimerEntry;

static void
timer_entry_free (gpointer data)
{
  TimerEntry *e = data;

  g_source_destroy (e->source);
  g_source_unref (e->source);
  g_free (e->key);
  g_free (e);
}

/* Under ->mutex: the timer named @key, or 0. */
static guint
cell_timer_of_key_locked (PykkaCell  *self,
                          const char *key)
{
  GHashTableIter iter;
  gpointer id, entry;

  if (cell_peek_susp (self) == NULL || self->susp->timers == NULL || key == NULL)
    return 0;
  g_hash_table_iter_init (&iter, self->susp->timers);
  while (g_hash_table_iter_next (&iter, &id, &entry))
    if (g_strcmp0 (((TimerEntry *) entry)->key, key) == 0)
      return GPOINTER_TO_UINT (id);
  return 0;
}

guint
pykka_cell_start_timer (PykkaCell    *self,
                        const char   *key,
                        guint         delay_msec,
                        guint         interval_msec,
                        const GValue *message)
{
  GMainContext *context;
  TimerEntry *entry;
  guint replaced, id;

  g_mutex_lock (&self->mutex);
  if (self->state != PYKKA_CELL_RUNNING)
    {
      g_mutex_unlock (&self->mutex);
      return 0;
    }
  context = pykka_scheduler_get_context (self->link.scheduler);
  if (cell_susp_locked (self)->timers == NULL)
    self->susp->timers = g_hash_table_new_full (NULL, NULL, NULL, timer_entry_free);
  /* Re-arming a key replaces its timer. */
  replaced = cell_timer_of_key_locked (self, key);
  if (replaced != 0)
    g_hash_table_remove (self->susp->timers, GUINT_TO_POINTER (replaced));
  id = ++self->susp->last_timer_id;
  if (id == 0)
    id = ++self->susp->last_timer_id;
  entry = g_new0 (TimerEntry, 1);
  entry->key = g_strdup (key);
  entry->source = pykka_timer_source_new (self, context, delay_msec, interval_msec, message);
  pykka_timer_source_set_id (entry->source, id);
  /* (GLib calls prepare and check without the context's lock: attaching
   * under the cell's mutex takes no lock in a new order.) */
  g_source_attach (entry->source, context);
  g_hash_table_insert (self->susp->timers, GUINT_TO_POINTER (id), entry);
  g_mutex_unlock (&self->mutex);
  return id;
}

gboolean
pykka_cell_cancel_timer (PykkaCell  *self,
                         guint       id,
                         const char *key)
{
  gboolean found;

  g_mutex_lock (&self->mutex);
  if (key != NULL)
    id = cell_timer_of_key_locked (self, key);
  found = id != 0 && cell_peek_susp (self) != NULL && self->susp->timers != NULL &&
          g_hash_table_remove (self->susp->timers, GUINT_TO_POINTER (id));
  g_mutex_unlock (&self->mutex);
  return found;
}

/* On the actor's context: timer @id is due. */
void
pykka_cell_timer_fired (PykkaCell    *self,
                        guint         id,
                        const GValue *message,
                        gboolean      last)
{
  g_autoptr(GError) error = NULL;
  PykkaMessage *m;
  gboolean live;

  /* A timer of an actor that is no longer running tells nothing: a
   * stopping or killed actor's timers are as good as gone (they were
   * counted as dead letters while on_stop ran a nested wait), and so is
   * one cancelled from another thread as it came due. */
  g_mutex_lock (&self->mutex);
  live = self->state == PYKKA_CELL_RUNNING && cell_peek_susp (self) != NULL && self->susp->timers != NULL &&
         g_hash_table_contains (self->susp->timers, GUINT_TO_POINTER (id));
  /* A one-shot timer is done once it fired. */
  if (live && last)
    g_hash_table_remove (self->susp->timers, GUINT_TO_POINTER (id));
  g_mutex_unlock (&self->mutex);
  if (!live)
    return;

  m = pykka_message_new (PYKKA_MESSAGE_USER, message, NULL);
  if (!pykka_cell_push_full (self, m, &error))
    {
      /* Refused by a full mailbox, the tick is lost with nobody told (a
       * refusal of a dead actor counted it already): a dead letter. */
      if (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL))
        pykka_debug_note_dead_letter (self, &m->value);
      pykka_message_free (m);
    }
}

/* The cell is dead: its timers go. */
static void
cell_cancel_timers (PykkaCell *self)
{
  g_autoptr(GHashTable) timers = NULL;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL)
    timers = g_steal_pointer (&self->susp->timers);
  g_mutex_unlock (&self->mutex);
}

/* The never started cell of an instance that a restart made (it took
 * another cell): NEW -> STOPPED, quietly unless somebody asked about it. */
void
pykka_cell_discard (PykkaCell *self)
{
  gboolean asked;

  g_mutex_lock (&self->mutex);
  asked = cell_peek_susp (self) != NULL;
  if (!asked && self->state == PYKKA_CELL_NEW)
    g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_STOPPED);
  g_mutex_unlock (&self->mutex);
  if (asked)
    pykka_cell_abandon (self, NULL);
}

/* The actor was finalized without ever being started: NEW -> STOPPED, and
 * a start outcome somebody waits for fails. */
void
pykka_cell_abandon (PykkaCell     *self,
                    PykkaActorRef *ref)
{
  gboolean was_new;

  g_mutex_lock (&self->mutex);
  was_new = self->state == PYKKA_CELL_NEW;
  if (was_new)
    {
      g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_STOPPED);
      if (cell_susp_locked (self)->death == NULL)
        self->susp->death = g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                                                 /* Translators: why an actor died. */
                                                 P_("it was never started"));
    }
  g_mutex_unlock (&self->mutex);
  if (was_new)
    {
      g_autoptr(GError) dead = pykka_cell_dead_error (self);

      cell_settle_started (self, dead);
      cell_tell_watchers (self, ref);
    }
}

/* Completes the start outcome, if somebody asked for it (a second
 * completion changes nothing). */
static void
cell_settle_started (PykkaCell    *self,
                     const GError *error)
{
  PykkaFuture *started;

  g_mutex_lock (&self->mutex);
  started = cell_peek_susp (self) != NULL && self->susp->started != NULL ? g_object_ref (self->susp->started) : NULL;
  g_mutex_unlock (&self->mutex);
  if (started == NULL)
    return;
  if (error != NULL)
    pykka_promise_take_error (pykka_future_get_promise (started), g_error_copy (error));
  else
    {
      GValue yes = G_VALUE_INIT;

      g_value_init (&yes, G_TYPE_BOOLEAN);
      g_value_set_boolean (&yes, TRUE);
      pykka_promise_take_value (pykka_future_get_promise (started), &yes);
    }
  g_object_unref (started);
}

/* The actor died: whoever watches its ref's "alive" hears it (unless
 * that was told when it began stopping), and an unsettled start outcome
 * fails. */
static void
cell_announce_death (PykkaCell  *self,
                     PykkaActor *actor)
{
  gboolean unsettled;
  gboolean told;
  gboolean plain;

  g_autoptr(PykkaActorRef) kept = NULL;

  g_mutex_lock (&self->mutex);
  unsettled = cell_peek_susp (self) != NULL && self->susp->started != NULL && !pykka_future_is_done (self->susp->started);
  told = self->went_stopping;
  /* Timers, watchers, watched cells and a terminated future are kept in
   * the suspension, made only before the death (STOPPED, set already,
   * refuses them): a cell without one has none to end. */
  plain = cell_peek_susp (self) == NULL;
  if (!plain)
    kept = g_steal_pointer (&self->susp->kept_ref);
  g_mutex_unlock (&self->mutex);
  if (actor != NULL && !told)
    pykka_actor_ref_notify_dead (pykka_actor_peek_ref (actor));
  else if (kept != NULL && !told)
    pykka_actor_ref_notify_dead (kept);
  if (plain)
    return;
  cell_cancel_timers (self);
  cell_tell_watchers (self, actor != NULL ? pykka_actor_peek_ref (actor) : kept);
  if (unsettled)
    {
      g_autoptr(GError) dead = pykka_cell_dead_error (self);

      cell_settle_started (self, dead);
    }
}

static inline gboolean
state_takes_mail (PykkaCellState state)
{
  return state >= PYKKA_CELL_STARTING && state <= PYKKA_CELL_STOPPING;
}

/* RUNNING -> STOPPING: on_stop or on_failure is about to run. As in
 * Pykka, the actor is dead to the world from here: it leaves the registry
 * (it stays on the registry's list of stopping cells, so that stop_all and
 * an attached application wait for its hook), its ref reports it not
 * alive and "alive" is notified, and new mail is refused, except stops,
 * which are answered when it is dead. Mail queued before is answered as
 * dead after the hook. */
static void
cell_begin_stopping (PykkaCell  *self,
                     PykkaActor *actor)
{
  gboolean stopping = FALSE;

  g_mutex_lock (&self->mutex);
  /* (An orphaned cell goes from STOPPING back to KILLING to unwind its
   * handler: it stopped once already.) */
  if ((self->state == PYKKA_CELL_RUNNING || self->state == PYKKA_CELL_KILLING) && !self->went_stopping)
    {
      g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_STOPPING);
      self->went_stopping = stopping = TRUE;
      /* Blocked senders are refused from here on (see pykka_cell_kill()). */
      if (cell_peek_susp (self) != NULL && self->susp->capacity != 0)
        g_cond_broadcast (&self->susp->room);
    }
  g_mutex_unlock (&self->mutex);

  if (!stopping)
    return;
  pykka_registry_unregister_stopping (self);
  if (self->log_debug)
    g_debug ("Unregistered actor %s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));
  pykka_actor_ref_notify_dead (pykka_actor_peek_ref (actor));
}

/* Another thread is inside pykka_actor_start(). */
gboolean
pykka_cell_is_starting (PykkaCell *self)
{
  return pykka_cell_get_state (self) == PYKKA_CELL_STARTING;
}

/* Started and not stopping: what PykkaActorRef:alive reports. */
gboolean
pykka_cell_is_alive (PykkaCell *self)
{
  PykkaCellState state = pykka_cell_get_state (self);

  return state == PYKKA_CELL_STARTING || state == PYKKA_CELL_RUNNING;
}

static void
cell_append_locked (PykkaCell    *self,
                    PykkaMessage *m)
{
  if (self->tail != NULL)
    self->tail->next = m;
  else
    self->head = m;
  self->tail = m;
  self->length++;
}

/*
 * pykka_cell_begin_start:
 *
 * NEW -> STARTING, for exactly one caller: the others get an error. The
 * START message is the first in the mailbox, so that anything sent from
 * now on comes after on_start; nothing runs before
 * pykka_cell_finish_start().
 */
static gboolean
pykka_cell_begin_start (PykkaCell   *self,
                        PykkaActor  *actor,
                        GError     **error)
{
  g_mutex_lock (&self->mutex);
  if (self->state != PYKKA_CELL_NEW)
    {
      g_autofree char *who = NULL;

      g_mutex_unlock (&self->mutex);
      who = pykka_cell_describe (self);
      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                   /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                   P_("Actor %s was already started; an actor cannot be restarted"), who);
      return FALSE;
    }
  g_assert (self->head == NULL);
  self->start.kind = PYKKA_MESSAGE_START;
  cell_append_locked (self, &self->start);
  self->actor = g_object_ref (actor);
  g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_STARTING);
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

/* STARTING -> RUNNING: the scheduler is set; the cell gets its first turn. */
static void
pykka_cell_finish_start (PykkaCell *self)
{
  gboolean schedule;

  g_assert (self->link.scheduler != NULL);

  g_mutex_lock (&self->mutex);
  g_assert (self->state == PYKKA_CELL_STARTING);
  if (cell_peek_susp (self) != NULL && self->susp->kill != NULL)
    {
      /* Killed while pykka_actor_start() ran (see pykka_cell_kill()):
       * KILLING from the first turn on, the kill before the START. */
      g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_KILLING);
      g_atomic_int_set (&self->susp->control, 1);
      if (self->susp->capacity != 0)
        g_cond_broadcast (&self->susp->room);
    }
  else
    g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_RUNNING);
  schedule = self->scheduled = TRUE;
  g_mutex_unlock (&self->mutex);

  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
}

static PykkaMessage *cell_die_locked (PykkaCell     *self,
                                      const GError  *cause,
                                      PykkaActor   **actor);
static void cell_answer_all_dead (PykkaCell    *self,
                                  PykkaMessage *m,
                                  const GError *reason);
static void cell_announce_death (PykkaCell  *self,
                                 PykkaActor *actor);

/* STARTING -> STOPPED: the start failed (@why: no thread). What was sent
 * meanwhile is answered as for a dead actor; a name registration waiting
 * for the start's end fails saying why. */
static void
pykka_cell_abort_start (PykkaCell    *self,
                        const GError *why)
{
  g_autoptr(GError) cause = NULL;
  PykkaMessage *m;
  PykkaActor *actor;

  /* Translators: why an actor died; %s is the error of its start, such as "Actor X cannot have a thread of its own: …". */
  cause = g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD, P_("its start failed: %s"), why->message);
  g_mutex_lock (&self->mutex);
  m = cell_die_locked (self, cause, &actor);
  g_mutex_unlock (&self->mutex);

  pykka_registry_start_failed (self);
  cell_answer_all_dead (self, m, NULL);
  cell_announce_death (self, actor);
  g_clear_object (&actor);
}

typedef struct
{
  GMainLoop   *loop;   /* (owned) */
  PykkaThread *state;  /* (owned) the thread's, made before it runs */
  PykkaScheduler *spin; /* (unowned) (nullable) the scheduler of a context made here */
} OwnThread;

static gpointer
own_thread_main (gpointer data)
{
  OwnThread *own = data;
  GMainLoop *loop = own->loop;
  GMainContext *context = g_main_loop_get_context (loop);

  pykka_thread_adopt (own->state);
  if (own->spin != NULL)
    pykka_scheduler_spin_before_poll (own->spin);
  g_free (own);

  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);
  pykka_thread_self ()->spinning = NULL;
  g_main_context_pop_thread_default (context);
  g_main_loop_unref (loop);

  /* When the thread ends, whatever else lives on its context is
   * orphaned (pykka-thread.c). */
  return NULL;
}

/* Makes the context, loop and thread of an own-thread actor; the thread
 * owns the context from before it runs. */
static gboolean
start_own_thread (PykkaCell     *cell,
                  GMainContext  *given,
                  GError       **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GThread) thread = NULL;
  OwnThread *own;

  context = given != NULL ? g_main_context_ref (given) : g_main_context_new ();
  own = g_new0 (OwnThread, 1);
  own->state = pykka_thread_new ("pykka-actor");
  own->loop = g_main_loop_new (context, FALSE);
  cell->link.scheduler = pykka_scheduler_ref_for_context (context);
  if (!pykka_scheduler_claim (cell->link.scheduler, own->state))
    {
      g_autofree char *who = pykka_cell_describe (cell);
      g_autofree char *owner = pykka_scheduler_describe_owner (cell->link.scheduler);

      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                   /* Translators: the first %s is an actor, the second a thread, such as "the main thread". */
                   P_("Actor %s cannot have a thread of its own: its context belongs to %s"),
                   who, owner);
      goto fail;
    }
  cell->own_thread = TRUE;
  if (given == NULL)
    own->spin = cell->link.scheduler;
  cell_susp (cell)->own_loop = g_main_loop_ref (own->loop);
  thread = g_thread_try_new ("pykka-actor", own_thread_main, own, error);
  if (thread == NULL)
    {
      /* The thread state never ran: its end releases the context. */
      g_clear_pointer (&cell->susp->own_loop, g_main_loop_unref);
      pykka_scheduler_orphan (cell->link.scheduler);
      goto fail;
    }
  return TRUE;

fail:
  g_main_loop_unref (own->loop);
  pykka_thread_unref (own->state);
  g_free (own);
  g_clear_pointer (&cell->link.scheduler, pykka_scheduler_unref);
  return FALSE;
}

void (*pykka_cell_starting_hook) (PykkaCell *cell);

/*
 * pykka_cell_start:
 *
 * Starts the actor: NEW -> STARTING for exactly one caller, then chooses
 * its context (@context, or a new one run by a thread of its own with
 * @own_thread, or the caller's thread-default context), records who owns
 * the context, registers it and makes it RUNNING.
 */
gboolean
pykka_cell_start (PykkaCell     *self,
                  PykkaActor    *actor,
                  GMainContext  *context,
                  gboolean       own_thread,
                  GError       **error)
{
  /* From here on this thread alone starts the actor; messages sent
   * meanwhile queue behind on_start. */
  if (!pykka_cell_begin_start (self, actor, error))
    return FALSE;

  self->link.stackful = PYKKA_ACTOR_GET_CLASS (actor)->stackful;

  if (G_UNLIKELY (pykka_cell_starting_hook != NULL))
    pykka_cell_starting_hook (self);

  if (own_thread)
    {
      GError *failed = NULL;

      if (!start_own_thread (self, context, &failed))
        {
          pykka_cell_abort_start (self, failed);
          g_propagate_error (error, failed);
          return FALSE;
        }
    }
  else
    {
      GMainContext *pushed = g_main_context_get_thread_default ();
      GMainContext *chosen;
      PykkaThread *me = pykka_thread_self ();

      /* (No reference: the caller's, or the thread's pushed one, lives
       * through the call; the scheduler keeps its context.) */
      chosen = context != NULL ? context : pushed != NULL ? pushed : g_main_context_default ();
      self->link.scheduler = pykka_scheduler_ref_for_context (chosen);
      /* The thread that pushed the context owns it; the main thread owns
       * the global default context. Other contexts belong to the first
       * thread that iterates them. */
      if (chosen == pushed || (chosen == g_main_context_default () && me->is_main))
        pykka_scheduler_claim (self->link.scheduler, me);
    }

  self->start_order = pykka_registry_next_serial ();
  pykka_scheduler_add_cell (self->link.scheduler);
  pykka_registry_add (self);
  /* Decided once per actor, for its start and stop, without a getenv(). */
  self->log_debug = pykka_scheduler_logs_debug (self->link.scheduler);
  if (self->log_debug)
    g_debug ("Registered actor %s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));

  pykka_cell_finish_start (self);
  /* A context orphaned before the actor was running kills it now. */
  if (pykka_scheduler_is_orphaned (self->link.scheduler))
    pykka_cell_kill_orphaned (self);
  return TRUE;
}

static GError *
cell_full_error (PykkaCell  *self,
                 const char *why)
{
  g_autofree char *who = pykka_cell_describe (self);

  return g_error_new (PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL,
                      /* Translators: the first %s is an actor, such as "MyCounter (urn:uuid:…)"; the second says more, such as "(waited 1000 ms)". */
                      P_("The mailbox of actor %s is full%s"), who, why);
}

/* A message a full mailbox refused (taken): an ask fails, a tell is a
 * dead letter. */
static void
cell_drop_for_room (PykkaCell    *self,
                    PykkaMessage *m)
{
  if (message_reply (m) != NULL)
    pykka_promise_take_error (message_reply (m), cell_full_error (self, ""));
  else
    pykka_debug_note_dead_letter (self, &m->value);
  pykka_message_free (m);
}

/* Under ->mutex: takes the oldest ordinary message out of the mailbox. */
static PykkaMessage *
cell_take_oldest_locked (PykkaCell *self)
{
  PykkaMessage *prev = NULL;

  for (PykkaMessage *m = self->head; m != NULL; prev = m, m = m->next)
    if (m->kind == PYKKA_MESSAGE_USER || m->kind == PYKKA_MESSAGE_LATEST)
      {
        if (prev != NULL)
          prev->next = m->next;
        else
          self->head = m->next;
        if (self->tail == m)
          self->tail = prev;
        self->length--;
        m->next = NULL;
        return m;
      }
  return NULL;
}

void
pykka_cell_set_mailbox (PykkaCell *self,
                        guint      what,
                        guint      value)
{
  g_mutex_lock (&self->mutex);
  if (value != 0 || cell_peek_susp (self) != NULL || what == 2)
    {
      PykkaSuspension *susp = cell_susp_locked (self);

      if (what == 0)
        susp->capacity = value;
      else if (what == 1)
        susp->policy = value;
      else
        {
          susp->overflow_timeout_msec = value;
          susp->overflow_timeout_set = TRUE;
        }
    }
  g_mutex_unlock (&self->mutex);
}

/* Whether nobody started the actor yet (its settings may still change). */
/* One atomic read of the state: callers that decide on two facts of it
 * (new? starting?) read it once, not once per fact. */
PykkaCellState
pykka_cell_get_state (PykkaCell *self)
{
  return g_atomic_int_get ((gint *) &self->state);
}

gboolean
pykka_cell_is_new (PykkaCell *self)
{
  return pykka_cell_get_state (self) == PYKKA_CELL_NEW;
}

void
pykka_cell_get_mailbox (PykkaCell           *self,
                        guint               *capacity,
                        PykkaOverflowPolicy *policy,
                        guint               *timeout_msec)
{
  g_mutex_lock (&self->mutex);
  *capacity = cell_peek_susp (self) != NULL ? self->susp->capacity : 0;
  *policy = cell_peek_susp (self) != NULL ? self->susp->policy : PYKKA_OVERFLOW_FAIL;
  *timeout_msec = cell_peek_susp (self) != NULL && self->susp->overflow_timeout_set ? self->susp->overflow_timeout_msec : 1000;
  g_mutex_unlock (&self->mutex);
}

/* Under ->mutex: the bounded mailbox is full (an unhandled START does
 * not count). */
static inline gboolean
cell_is_full_locked (PykkaCell *self)
{
  guint length = self->length;

  if (self->head != NULL && self->head->kind == PYKKA_MESSAGE_START)
    length--;
  return length >= self->susp->capacity;
}

static inline gboolean
cell_refuses_locked (PykkaCell    *self,
                     PykkaMessage *m)
{
  /* A stopping actor is dead to senders; a stop waits for its death. */
  return !state_takes_mail (self->state) ||
         (self->state >= PYKKA_CELL_KILLING && m->kind != PYKKA_MESSAGE_STOP);
}

/* Takes @m into the mailbox, or fails with @error set (then @m is left to
 * the caller): the actor is not alive (ACTOR_DEAD), or its bounded
 * mailbox is full and its policy refuses (MAILBOX_FULL). A message that a
 * full mailbox drops (DROP_NEWEST) is answered or counted here: TRUE. */
gboolean
pykka_cell_push_full (PykkaCell     *self,
                      PykkaMessage  *m,
                      GError       **error)
{
  PykkaMessage *dropped = NULL;
  gboolean schedule = FALSE;

  if (G_UNLIKELY (pykka_debug_checks_threads ()) &&
      (m->kind == PYKKA_MESSAGE_USER || m->kind == PYKKA_MESSAGE_LATEST))
    pykka_debug_check_crossing (self, &m->value);

  g_mutex_lock (&self->mutex);
  if (cell_refuses_locked (self, m))
    {
      g_mutex_unlock (&self->mutex);
      if ((m->kind == PYKKA_MESSAGE_USER || m->kind == PYKKA_MESSAGE_LATEST) && message_reply (m) == NULL)
        pykka_debug_note_dead_letter (self, &m->value);
      if (error != NULL)
        *error = pykka_cell_dead_error (self);
      return FALSE;
    }
  if (G_UNLIKELY (cell_peek_susp (self) != NULL && self->susp->capacity != 0) &&
      (m->kind == PYKKA_MESSAGE_USER || m->kind == PYKKA_MESSAGE_LATEST) && cell_is_full_locked (self))
    {
      switch (self->susp->policy)
        {
        case PYKKA_OVERFLOW_DROP_NEWEST:
          g_mutex_unlock (&self->mutex);
          cell_drop_for_room (self, m);
          return TRUE;

        case PYKKA_OVERFLOW_DROP_OLDEST:
          dropped = cell_take_oldest_locked (self);
          break;

        case PYKKA_OVERFLOW_BLOCK:
          if (pykka_scheduler_may_run (self->link.scheduler) != PYKKA_RUN_NO)
            {
              /* This thread runs the actor: waiting for room would never end. */
              g_mutex_unlock (&self->mutex);
              if (error != NULL)
                *error = cell_full_error (self, P_(", and this thread runs its context: it cannot wait for room"));
              return FALSE;
            }
          else
            {
              guint timeout_msec = self->susp->overflow_timeout_set ? self->susp->overflow_timeout_msec : 1000;
              gint64 end = g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;

              while (cell_is_full_locked (self) && !cell_refuses_locked (self, m))
                if (!g_cond_wait_until (&self->susp->room, &self->mutex, end))
                  break;
              if (cell_refuses_locked (self, m))
                {
                  g_mutex_unlock (&self->mutex);
                  if (error != NULL)
                    *error = pykka_cell_dead_error (self);
                  return FALSE;
                }
              if (cell_is_full_locked (self))
                {
                  g_autofree char *waited = g_strdup_printf (P_(" (waited %u ms for room)"), timeout_msec);

                  g_mutex_unlock (&self->mutex);
                  if (error != NULL)
                    *error = cell_full_error (self, waited);
                  return FALSE;
                }
            }
          break;

        case PYKKA_OVERFLOW_FAIL:
        default:
          g_mutex_unlock (&self->mutex);
          if (error != NULL)
            *error = cell_full_error (self, "");
          return FALSE;
        }
    }
  cell_append_locked (self, m);
  /* While STARTING, pykka_cell_finish_start() schedules. */
  if (!self->scheduled && !self->parked && self->state != PYKKA_CELL_STARTING)
    schedule = self->scheduled = TRUE;
  g_mutex_unlock (&self->mutex);

  if (dropped != NULL)
    cell_drop_for_room (self, dropped);
  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
  return TRUE;
}

/* A LATEST tell: replaces the value of the queued message with the same
 * key, if one waits in the mailbox, else is pushed as any tell. */
gboolean
pykka_cell_push_latest (PykkaCell     *self,
                        const char    *key,
                        const GValue  *message,
                        GError       **error)
{
  PykkaMessage *m;
  GValue old = G_VALUE_INIT;
  gboolean replaced = FALSE;

  /* A replaced value never reaches pykka_cell_push_full(). */
  if (G_UNLIKELY (pykka_debug_checks_threads ()))
    pykka_debug_check_crossing (self, message);

  g_mutex_lock (&self->mutex);
  if (!cell_refuses_locked (self, &(PykkaMessage) { .kind = PYKKA_MESSAGE_LATEST }))
    for (m = self->head; m != NULL; m = m->next)
      if (m->kind == PYKKA_MESSAGE_LATEST && strcmp (message_key (m), key) == 0)
        {
          old = m->value;
          m->value = (GValue) G_VALUE_INIT;
          pykka_value_init_copy (&m->value, message);
          replaced = TRUE;
          break;
        }
  g_mutex_unlock (&self->mutex);
  if (replaced)
    {
      pykka_value_clear (&old);
      return TRUE;
    }

  m = pykka_message_new (PYKKA_MESSAGE_LATEST, message, NULL);
  m->extra = g_strdup (key);
  if (!pykka_cell_push_full (self, m, error))
    {
      pykka_message_free (m);
      return FALSE;
    }
  return TRUE;
}

/* Takes @m: on failure (the actor is not alive, or its full mailbox
 * refuses) @m is left to the caller. */
gboolean
pykka_cell_push (PykkaCell    *self,
                 PykkaMessage *m)
{
  return pykka_cell_push_full (self, m, NULL);
}

/* Under ->mutex: a control message waits (in the PykkaSuspension); the
 * turn must look, even if the cell is parked on a suspended handler.
 * Returns whether the caller must put the cell on the run queue. */
static gboolean
cell_flag_control_locked (PykkaCell *self)
{
  g_atomic_int_set (&self->susp->control, 1);
  if (self->running)
    {
      self->wake_pending = TRUE;
      return FALSE;
    }
  if (self->scheduled)
    return FALSE;
  self->scheduled = TRUE;
  return TRUE;
}

/*
 * pykka_cell_kill:
 *
 * A stop that jumps the queue (Pykka's reaction to a BaseException in a
 * handler): RUNNING -> KILLING, and a KILL message that the turn handles
 * before any other, even one it has already taken from the mailbox; so
 * the actor stops once the handler it runs, if any, returns (a suspended
 * handler finishes its wait first). Then on_stop runs and every message
 * still queued is answered as dead, with @reason as the death reason. A
 * handler that fails while the actor is KILLING fails nothing further:
 * its asker gets ACTOR_DEAD, and no on_failure runs. Only stops are
 * taken from now on.
 *
 * Returns: FALSE if the actor was not running (not started yet, already
 *   killed, stopping or dead)
 */
gboolean
pykka_cell_kill (PykkaCell    *self,
                 const GError *reason)
{
  PykkaMessage *m = pykka_message_new (PYKKA_MESSAGE_KILL, NULL, NULL);
  gboolean schedule = FALSE;
  gboolean starting;

  g_mutex_lock (&self->mutex);
  /* While another thread is in pykka_actor_start() (STARTING), the kill
   * waits in the cell: pykka_cell_finish_start() makes the actor KILLING
   * instead of RUNNING and schedules it. A second kill is refused. */
  starting = self->state == PYKKA_CELL_STARTING;
  if ((self->state != PYKKA_CELL_RUNNING && !starting) ||
      (starting && cell_peek_susp (self) != NULL && self->susp->kill != NULL))
    {
      g_mutex_unlock (&self->mutex);
      pykka_message_free (m);
      return FALSE;
    }
  if (!starting)
    g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_KILLING);
  if (cell_susp_locked (self)->death == NULL)
    self->susp->death = reason != NULL ? g_error_copy (reason)
                                       : g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                                                              /* Translators: why an actor died. */
                                                              P_("killed"));
  self->susp->kill = m;
  /* Senders blocked on a full mailbox fail now (the cell refuses their
   * mail from here on), not when the actor, maybe busy, gets to die. */
  if (self->susp->capacity != 0)
    g_cond_broadcast (&self->susp->room);
  /* A suspended handler is woken too: its waits end (see
   * pykka_cell_run_turn()). */
  if (!starting)
    schedule = cell_flag_control_locked (self);
  g_mutex_unlock (&self->mutex);

  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
  return TRUE;
}

static inline gboolean
cell_is_killing (PykkaCell *self)
{
  return G_UNLIKELY (g_atomic_int_get ((gint *) &self->state) == PYKKA_CELL_KILLING);
}

/* For pykka-wait.c: a handler's wait in a coroutine ends when its actor
 * is being killed. */
gboolean
pykka_cell_is_killing (PykkaCell *self)
{
  return cell_is_killing (self);
}

static inline gboolean
cell_has_control (PykkaCell *self)
{
  PykkaSuspension *susp = cell_peek_susp (self);

  return G_UNLIKELY (susp != NULL && g_atomic_int_get (&susp->control));
}

/* The control lane, before the mailbox: a KILL, then a RESTART, then the
 * system messages in order (not while the cell awaits its supervisor),
 * once each. */
static PykkaMessage *
cell_take_control (PykkaCell *self)
{
  PykkaMessage *m = NULL;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL)
    {
      m = g_steal_pointer (&self->susp->kill);
      if (m == NULL)
        m = g_steal_pointer (&self->susp->restart);
      if (m == NULL && !self->susp->awaiting && self->susp->system_head != NULL)
        {
          m = self->susp->system_head;
          self->susp->system_head = m->next;
          if (self->susp->system_head == NULL)
            self->susp->system_tail = NULL;
          m->next = NULL;
        }
      g_atomic_int_set (&self->susp->control,
                        self->susp->restart != NULL || self->susp->system_head != NULL);
    }
  g_mutex_unlock (&self->mutex);
  return m;
}

/* Takes @m into the control lane: handled before the mailbox, in order.
 * FALSE (and @m is the caller's) if the cell takes no mail. */
static gboolean
cell_push_system (PykkaCell    *self,
                  PykkaMessage *m)
{
  gboolean schedule = FALSE;

  g_mutex_lock (&self->mutex);
  if (self->state != PYKKA_CELL_RUNNING && self->state != PYKKA_CELL_STARTING)
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  if (cell_susp_locked (self)->system_tail != NULL)
    self->susp->system_tail->next = m;
  else
    self->susp->system_head = m;
  self->susp->system_tail = m;
  g_atomic_int_set (&self->susp->control, 1);
  if (self->running)
    self->wake_pending = TRUE;
  else if (!self->scheduled && !self->parked && self->state != PYKKA_CELL_STARTING)
    schedule = self->scheduled = TRUE;
  g_mutex_unlock (&self->mutex);

  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
  return TRUE;
}

/*
 * Supervision.
 *
 * A supervised cell (pykka_cell_set_supervision(), before its start)
 * whose told message fails does not die: on_failure runs, the instance is
 * dropped (the cell keeps the ref), the cell takes nothing more
 * (->awaiting) and its supervisor is told with a PykkaTerminated (the ref
 * and the error) as a message. The supervisor decides with
 * pykka_cell_restart(): a RESTART message, handled before the mailbox,
 * either makes a new instance with the factory (running on_stop of the
 * old one first if it had not failed), which takes the same cell and ref
 * and runs on_start, then the queued mail; or makes the cell die of the
 * failure. Nothing sent meanwhile is lost: it waits in the mailbox.
 */
void
pykka_cell_set_supervision (PykkaCell         *self,
                            PykkaCell         *supervisor,
                            PykkaActorFactory  factory,
                            gpointer           data,
                            GDestroyNotify     destroy)
{
  g_mutex_lock (&self->mutex);
  cell_susp_locked (self)->supervisor = pykka_cell_ref (supervisor);
  self->susp->factory = factory;
  self->susp->factory_data = data;
  self->susp->factory_destroy = destroy;
  g_mutex_unlock (&self->mutex);
}

gboolean
pykka_cell_awaits_restart (PykkaCell *self)
{
  gboolean awaiting;

  g_mutex_lock (&self->mutex);
  awaiting = cell_peek_susp (self) != NULL && self->susp->awaiting;
  g_mutex_unlock (&self->mutex);
  return awaiting;
}

/* The supervisor's decision for this cell: a new instance (@restart), or
 * death (of its failure, or a kill if it had not failed). */
gboolean
pykka_cell_restart (PykkaCell *self,
                    gboolean   restart)
{
  gboolean schedule = FALSE;
  GValue value = G_VALUE_INIT;
  PykkaMessage *m;

  g_value_init (&value, G_TYPE_BOOLEAN);
  g_value_set_boolean (&value, restart);
  m = pykka_message_new (PYKKA_MESSAGE_RESTART, &value, NULL);

  g_mutex_lock (&self->mutex);
  if (self->state != PYKKA_CELL_RUNNING || cell_peek_susp (self) == NULL || self->susp->restart != NULL)
    {
      g_mutex_unlock (&self->mutex);
      pykka_message_free (m);
      return FALSE;
    }
  self->susp->restart = m;
  schedule = cell_flag_control_locked (self);
  g_mutex_unlock (&self->mutex);

  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
  return TRUE;
}

/* Something a suspended cell waits for happened: give it a turn. */
void
pykka_cell_wake (PykkaCell *self)
{
  gboolean schedule = FALSE;

  g_mutex_lock (&self->mutex);
  /* A dead cell is never queued again: its context may be gone. */
  if (self->state == PYKKA_CELL_STOPPED || self->state == PYKKA_CELL_NEW)
    ;
  else if (self->running)
    self->wake_pending = TRUE;
  else if (!self->scheduled && self->state != PYKKA_CELL_STARTING)
    schedule = self->scheduled = TRUE;
  g_mutex_unlock (&self->mutex);

  if (schedule)
    pykka_scheduler_enqueue (self->link.scheduler, self);
}

/* A resume asked for by a binding, see pykka_actor_suspend_until(). */
typedef struct
{
  PykkaCell            *cell;    /* (unowned) the cell whose list holds it */
  PykkaCell            *target;  /* (unowned) (nullable) in the wait-for graph while it waits */
  PykkaFuture          *future;  /* (owned) */
  gpointer              waker;   /* (unowned) data of its hook on ->future, owned by the hook */
  GSource              *timer;   /* (owned) (nullable) wakes the cell at ->deadline */
  gint64                deadline; /* on the clock of the cell's context (pykka_context_now()); G_MAXINT64 for none */
  PykkaActorResumeFunc  func;
  gpointer              data;
  GDestroyNotify        destroy;
} Resume;

/* (transfer full) (nullable): what keeps the cell from taking mail, for
 * a timeout's error: "is busy on a reply future, which …" (or, for a
 * binding's suspended handler, the future it waits for), or NULL when it
 * is not suspended on a future. Any thread. */
char *
pykka_cell_describe_busy (PykkaCell *self)
{
  g_autoptr(PykkaFuture) future = NULL;
  gboolean awaited = FALSE;
  const char *what;
  PykkaCell *source;
  g_autofree char *state = NULL;

  g_mutex_lock (&self->mutex);
  if (cell_peek_susp (self) != NULL && self->susp->resumes != NULL)
    {
      future = g_object_ref (((Resume *) self->susp->resumes->data)->future);
      awaited = TRUE;
    }
  else if (cell_peek_susp (self) != NULL && self->susp->suspended_on != NULL)
    future = g_object_ref (self->susp->suspended_on);
  g_mutex_unlock (&self->mutex);
  if (future == NULL)
    return NULL;

  what = awaited ? /* Translators: part of a timeout's error, after "actor X (urn:…) ": a Python handler waits in future.get(). */
                   P_("is busy: its handler waits for a future")
                 : /* Translators: part of a timeout's error, after "actor X (urn:…) ". */
                   P_("is busy on a reply future");
  if (pykka_future_is_done (future))
    /* Translators: %s is "is busy on a reply future" or "is busy: its handler waits for a future". */
    return g_strdup_printf (P_("%s, which is complete: the actor takes its outcome when its context runs next"), what);
  source = pykka_promise_get_source (pykka_future_get_promise (future));
  if (source != NULL)
    {
      g_autofree char *by = pykka_cell_describe (source);

      /* Translators: the state of a future; %s is an actor, such as "MyCounter (urn:uuid:…)". */
      state = g_strdup_printf (P_("which is still pending until actor %s answers"), by);
    }
  else
    /* Translators: the state of a future. */
    state = g_strdup (P_("which is still pending and has no actor behind it (whoever holds it must complete it)"));
  /* Translators: the first %s is "is busy on a reply future" or "is busy: its handler waits for a future", the second the future's state, such as "which is still pending until actor X (urn:…) answers". */
  return g_strdup_printf (P_("%s, %s; it takes no other message, a stop neither, until then. Stop it at once with pykka_actor_ref_kill() (kill() in Python, JavaScript and Vala), which abandons the future"),
                          what, state);
}


static void waker_hook (PykkaPromise *promise,
                        gpointer      data);

static void
resume_free (gpointer data)
{
  Resume *r = data;

  pykka_wait_graph_remove (r->cell, r->target, NULL);
  /* A wait that ended otherwise (a timeout, the suspension's end) leaves
   * nothing on a future that may never complete. */
  if (r->waker != NULL)
    pykka_promise_remove_hook (pykka_future_get_promise (r->future), waker_hook, r->waker);
  if (r->timer != NULL)
    {
      g_source_destroy (r->timer);
      g_source_unref (r->timer);
    }
  if (r->destroy != NULL)
    r->destroy (r->data);
  g_object_unref (r->future);
  g_free (r);
}

/* A promise hook that wakes the cell given as data. */
static void
cell_wake_hook (PykkaPromise *promise,
                gpointer      data)
{
  pykka_cell_wake (data);
}

/* The same with data of its own (a reference to the cell), so that the
 * hook of one resume can be found and removed. */
typedef struct
{
  PykkaCell *cell;  /* (owned) */
} Waker;

static void
waker_free (gpointer data)
{
  Waker *waker = data;

  pykka_cell_unref (waker->cell);
  g_free (waker);
}

static void
waker_hook (PykkaPromise *promise,
            gpointer      data)
{
  pykka_cell_wake (((Waker *) data)->cell);
}

static gboolean
resume_timer_cb (gpointer data)
{
  pykka_cell_wake (data);
  return G_SOURCE_REMOVE;
}

/* Due when the future is done, at the deadline, or at once when the
 * actor is being killed (the binding then ends its handler's wait as a
 * timed-out one, and sees its actor is not alive). */
static gboolean
resume_is_due (Resume *r)
{
  return pykka_future_is_done (r->future) ||
         (r->deadline != G_MAXINT64 &&
          pykka_context_now (pykka_scheduler_get_context (r->cell->link.scheduler)) >= r->deadline) ||
         cell_is_killing (r->cell);
}

gboolean
pykka_cell_add_resume (PykkaCell            *self,
                       PykkaFuture          *future,
                       gint                  timeout_msec,
                       PykkaActorResumeFunc  func,
                       gpointer              user_data,
                       GDestroyNotify        destroy,
                       GError              **error)
{
  PykkaCell *target = pykka_promise_get_source (pykka_future_get_promise (future));
  PykkaCell *previous;
  Resume *r;

  if (!pykka_future_is_done (future) &&
      !pykka_wait_graph_add (self, target, &previous, error))
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  r = g_new0 (Resume, 1);
  r->cell = self;
  r->target = pykka_future_is_done (future) ? NULL : target;
  r->future = g_object_ref (future);
  r->deadline = timeout_msec < 0 ? G_MAXINT64
                                 : pykka_context_now (pykka_scheduler_get_context (self->link.scheduler)) +
                                   (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  r->func = func;
  r->data = user_data;
  r->destroy = destroy;

  g_mutex_lock (&self->mutex);
  if (!state_takes_mail (self->state))
    {
      g_mutex_unlock (&self->mutex);
      resume_free (r);
      return TRUE;
    }
  {
    PykkaSuspension *susp = cell_susp_locked (self);

    susp->resumes = g_slist_append (susp->resumes, r);
  }
  g_mutex_unlock (&self->mutex);

  if (timeout_msec >= 0)
    {
      /* Only the thread that runs the actor gets here (a handler asks for
       * it), so the list is not touched meanwhile; a dead cell ignores
       * the wake. */
      r->timer = pykka_clock_timeout_source_new (pykka_scheduler_get_context (self->link.scheduler), timeout_msec);
      g_source_set_static_name (r->timer, "[pykka-resume-timeout]");
      g_source_set_callback (r->timer, resume_timer_cb, pykka_cell_ref (self),
                             (GDestroyNotify) pykka_cell_unref);
      g_source_attach (r->timer, pykka_scheduler_get_context (self->link.scheduler));
    }

  /* The wake comes as a turn: never inside the completer. */
  {
    Waker *waker = g_new (Waker, 1);

    waker->cell = pykka_cell_ref (self);
    if (pykka_promise_add_hook (pykka_future_get_promise (future), waker_hook, waker, waker_free))
      r->waker = waker;
  }
  return TRUE;
}

/* Runs the resumes whose futures completed (or whose time is up), in the
 * order they were asked for, including those that the resumed code asks
 * for meanwhile. */
static void
cell_run_resumes (PykkaCell  *self,
                  PykkaActor *actor)
{
  for (;;)
    {
      Resume *ready = NULL;

      g_mutex_lock (&self->mutex);
      for (GSList *l = cell_peek_susp (self) != NULL ? self->susp->resumes : NULL; l != NULL; l = l->next)
        {
          Resume *r = l->data;

          if (resume_is_due (r))
            {
              ready = r;
              self->susp->resumes = g_slist_delete_link (self->susp->resumes, l);
              break;
            }
        }
      g_mutex_unlock (&self->mutex);
      if (ready == NULL)
        return;
      /* Out of the graph before the binding's code goes on. */
      pykka_wait_graph_remove (self, g_steal_pointer (&ready->target), NULL);
      /* (->susp exists: the resume was in it.) */
      self->susp->resuming = TRUE;
      ready->func (actor, ready->future, ready->data);
      self->susp->resuming = FALSE;
      resume_free (ready);
    }
}

/* Drops the resumes that did not run. */
void
pykka_cell_drop_resumes (PykkaCell *self)
{
  GSList *resumes;

  g_mutex_lock (&self->mutex);
  resumes = cell_peek_susp (self) != NULL ? g_steal_pointer (&self->susp->resumes) : NULL;
  g_mutex_unlock (&self->mutex);
  g_slist_free_full (resumes, resume_free);
}

/* The mail a turn took from the mailbox and has not handled yet. Only the
 * thread running the turn touches it. */
typedef struct
{
  PykkaMessage *head;
  PykkaMessage *tail;
  guint         length;
} Batch;

/* Takes the whole mailbox into @batch: one lock for many messages. Called
 * under ->mutex. */
static void
cell_take_all_locked (PykkaCell *self,
                      Batch     *batch)
{
  batch->head = g_steal_pointer (&self->head);
  batch->tail = g_steal_pointer (&self->tail);
  batch->length = self->length;
  self->length = 0;
  if (G_UNLIKELY (cell_peek_susp (self) != NULL && self->susp->capacity != 0))
    g_cond_broadcast (&self->susp->room);
}

static PykkaMessage *
batch_pop (Batch *batch)
{
  PykkaMessage *m = batch->head;

  batch->head = m->next;
  if (batch->head == NULL)
    batch->tail = NULL;
  batch->length--;
  m->next = NULL;
  return m;
}

/* Puts what is left of @batch back in front of the mailbox, in order.
 * Called under ->mutex. */
static void
cell_put_back_locked (PykkaCell *self,
                      Batch     *batch)
{
  if (batch->head == NULL)
    return;
  batch->tail->next = self->head;
  if (self->head == NULL)
    self->tail = batch->tail;
  self->head = batch->head;
  self->length += batch->length;
  memset (batch, 0, sizeof *batch);
}

/* Normalises the outcome of a handler written in any language: TRUE with
 * an error is a failure, FALSE without one a generic failure. */
static gboolean
normalize_outcome (PykkaCell   *self,
                   gboolean     ok,
                   GError     **error,
                   const char  *hook)
{
  if (ok && *error == NULL)
    return TRUE;

  if (*error == NULL)
    {
      g_autofree char *who = pykka_cell_describe (self);

      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                   /* Translators: the first %s is a handler, such as on_receive; the second an actor, such as "MyCounter (urn:uuid:…)". */
                   P_("%s of actor %s failed without giving a reason"),
                   hook, who);
    }
  return FALSE;
}

/* Answers (and frees) a message that reached a dead actor: a stop did not
 * stop it, an ask fails with @reason, or ACTOR_DEAD when NULL. */
static void
cell_answer_dead_with (PykkaCell    *self,
                       PykkaMessage *m,
                       const GError *reason)
{
  if (message_reply (m) != NULL)
    {
      if (m->kind == PYKKA_MESSAGE_STOP || m->kind == PYKKA_MESSAGE_KILL)
        {
          GValue no = G_VALUE_INIT;

          g_value_init (&no, G_TYPE_BOOLEAN);
          pykka_promise_take_value (message_reply (m), &no);
        }
      else
        pykka_promise_take_error (message_reply (m), reason != NULL ? g_error_copy (reason)
                                                           : pykka_cell_dead_error (self));
    }
  else if (m->kind == PYKKA_MESSAGE_USER || m->kind == PYKKA_MESSAGE_TERMINATED ||
           m->kind == PYKKA_MESSAGE_LATEST)
    pykka_debug_note_dead_letter (self, &m->value);
  pykka_message_free (m);
}

static void
cell_answer_dead (PykkaCell    *self,
                  PykkaMessage *m)
{
  cell_answer_dead_with (self, m, NULL);
}

/* Answers (and frees) the mail a dead cell had queued, its asks with
 * @reason, or with ACTOR_DEAD saying why the actor died, made once. */
static void
cell_answer_all_dead (PykkaCell    *self,
                      PykkaMessage *m,
                      const GError *reason)
{
  g_autoptr(GError) dead = NULL;

  while (m != NULL)
    {
      PykkaMessage *next = m->next;

      if (reason == NULL && message_reply (m) != NULL &&
          m->kind != PYKKA_MESSAGE_STOP && m->kind != PYKKA_MESSAGE_KILL)
        reason = dead = pykka_cell_dead_error (self);
      cell_answer_dead_with (self, m, reason);
      m = next;
    }
}

/* Under ->mutex: the actor is dead from here on (STOPPED), failed because
 * of @cause when not NULL; takes its mailbox (returned) and *@actor. */
static PykkaMessage *
cell_die_locked (PykkaCell     *self,
                 const GError  *cause,
                 PykkaActor   **actor)
{
  PykkaMessage *m;

  if (cause != NULL && cell_susp_locked (self)->death == NULL)
    self->susp->death = g_error_copy (cause);
  g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_STOPPED);
  m = g_steal_pointer (&self->head);
  self->tail = NULL;
  self->length = 0;
  if (cell_peek_susp (self) != NULL && self->susp->capacity != 0)
    g_cond_broadcast (&self->susp->room);
  if (cell_peek_susp (self) != NULL && self->susp->kill != NULL)
    {
      /* Killed, then dead otherwise (orphaned) before the kill ran. */
      self->susp->kill->next = m;
      m = g_steal_pointer (&self->susp->kill);
    }
  /* A supervisor's decision that did not run yet comes too late: a
   * restart of a dead cell would make an instance with no ref. */
  if (cell_peek_susp (self) != NULL && self->susp->restart != NULL)
    g_clear_pointer (&self->susp->restart, pykka_message_free);
  if (cell_peek_susp (self) != NULL && self->susp->system_head != NULL)
    {
      /* What the control lane still held goes first. */
      self->susp->system_tail->next = m;
      m = g_steal_pointer (&self->susp->system_head);
      self->susp->system_tail = NULL;
    }
  *actor = g_steal_pointer (&self->actor);
  return m;
}

static void wait_graph_clear (PykkaCell *self);
static gboolean cell_resume_coroutine (PykkaCell *self);

/* The stackful handler of an orphaned cell is resumed once, here, as a
 * turn would resume it: the cell is KILLING, so its wait (and any later
 * one) fails at once with ACTOR_DEAD, and the handler returns through
 * its own code, which releases what its frame holds and ends its wait
 * (off the future, out of the wait-for graph). Returns whether it
 * returned; a handler that suspends again is left to be dropped. */
static gboolean
cell_unwind_orphaned (PykkaCell *self)
{
  PykkaThread *me = pykka_thread_self ();
  gboolean done;

  self->link.running_outer = me->current_cell;
  me->current_cell = self;
  done = cell_resume_coroutine (self);
  me->current_cell = self->link.running_outer;
  self->link.running_outer = NULL;
  return done;
}

/*
 * pykka_cell_kill_orphaned:
 *
 * The thread that owned the actor's context has ended (this runs on it,
 * as it ends): no thread may run the actor again, so it dies at once,
 * without hooks, and every ask it had to answer fails with ACTOR_DEAD
 * saying why. A stackful handler suspended in a wait is resumed once,
 * here, its wait failing with that ACTOR_DEAD (cell_unwind_orphaned()),
 * so that it returns through its own code.
 */
void
pykka_cell_kill_orphaned (PykkaCell *self)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GError) reason = NULL;
  g_autofree char *owner = pykka_scheduler_describe_owner (self->link.scheduler);
  PykkaMessage *m;
  PykkaActor *actor;
  gboolean unwind = FALSE;

  cause = g_error_new (PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                       /* Translators: why an actor died; %s is a thread, such as "thread “worker”". */
                       P_("its context was orphaned when %s, which ran it, ended"), owner);

  g_mutex_lock (&self->mutex);
  if (!state_takes_mail (self->state) || self->state == PYKKA_CELL_STARTING)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  if (cell_peek_susp (self) != NULL && self->susp->co != NULL && !self->running && pykka_coroutine_self () == NULL &&
      pykka_scheduler_is_owner (self->link.scheduler))
    {
      /* (Also from STOPPING: a handler suspended in on_stop or
       * on_failure; cell_begin_stopping() does not run twice. Only on
       * the owner, the one thread that resumes the context's
       * coroutines: an own-thread actor whose thread could not be
       * made orphans a context that helpers may be running.) */
      if (self->susp->death == NULL)
        self->susp->death = g_error_copy (cause);
      g_atomic_int_set ((gint *) &self->state, PYKKA_CELL_KILLING);
      unwind = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  if (unwind)
    {
      cell_unwind_orphaned (self);
      wait_graph_clear (self);
    }

  g_mutex_lock (&self->mutex);
  if (self->state == PYKKA_CELL_STOPPED)
    {
      /* The resumed handler was on_stop's: its actor died on return. */
      g_mutex_unlock (&self->mutex);
      return;
    }
  m = cell_die_locked (self, cause, &actor);
  g_mutex_unlock (&self->mutex);

  /* "Actor … is dead: its context was orphaned when …" */
  reason = pykka_cell_dead_error (self);
  g_message ("%s", reason->message);

  pykka_registry_remove (self);
  pykka_cell_drop_resumes (self);

  /* A handler that suspended again (see cell_unwind_orphaned()): its
   * stack is dropped unwound. */
  if (cell_peek_susp (self) != NULL && self->susp->co != NULL)
    {
      /* The wait it is suspended in ends, off the future it waits on. */
      if (self->susp->co_wait != NULL)
        pykka_wait_abandon_coroutine (g_steal_pointer (&self->susp->co_wait));
      g_clear_pointer (&self->susp->co, pykka_coroutine_free);
      self->susp->current = NULL;  /* the message below, if it was a cancellable ask */
      if (self->susp->co_message != NULL)
        cell_answer_dead_with (self, g_steal_pointer (&self->susp->co_message), reason);
      if (self->susp->deferred != NULL)
        {
          /* The handler had deferred its reply: the handle was the
           * cell's and the dropped stack's, so nobody would ever complete
           * or free it, and its asker waited for ever. */
          g_autoptr(PykkaFuture) handle = g_steal_pointer (&self->susp->deferred);

          pykka_promise_take_error (pykka_future_get_promise (handle), g_error_copy (reason));
        }
    }
  if (cell_peek_susp (self) != NULL && self->susp->suspended_reply != NULL)
    {
      pykka_promise_take_error (self->susp->suspended_reply, g_error_copy (reason));
      g_clear_pointer (&self->susp->suspended_reply, pykka_promise_unref);
    }
  if (cell_peek_susp (self) != NULL)
    g_clear_object (&self->susp->suspended_cancellable);
  if (cell_peek_susp (self) != NULL)
    g_clear_object (&self->susp->suspended_on);
  /* Whatever it waited for (a dropped stack, a reply future), it waits
   * no more: a stale edge made later walks through it see a cycle that
   * is not there (or read a freed cell). */
  wait_graph_clear (self);

  cell_answer_all_dead (self, m, reason);
  pykka_scheduler_remove_cell (self->link.scheduler);
  cell_announce_death (self, actor);
  g_clear_object (&actor);
}

/* The actor is dead from here on: no hook runs again, every message
 * still queued is answered. Runs on the actor's thread. */
static void
cell_die (PykkaCell    *self,
          const GError *cause)
{
  PykkaMessage *m;
  PykkaActor *actor;

  /* Children still linked (a stop, a kill and an unsupervised failure
   * stopped them already) go first: those of an actor whose on_start
   * failed, or that died in a supervisor's hands (not restarted, its
   * factory failed, its supervisor gone) were left running. In a
   * coroutine with no instance left (a stackful sibling whose restart's
   * factory failed), waiting would yield with ->actor NULL, which the
   * turn takes for a dead cell: they are told to stop, not waited for. */
  cell_stop_children_full (self, self->actor != NULL || pykka_coroutine_self () == NULL);

  g_mutex_lock (&self->mutex);
  m = cell_die_locked (self, cause, &actor);
  g_mutex_unlock (&self->mutex);

  pykka_registry_remove (self);
  pykka_scheduler_remove_cell (self->link.scheduler);
  /* (Resumes are kept in the suspension, and none is added once dead.) */
  if (g_atomic_pointer_get (&self->susp) != NULL)
    pykka_cell_drop_resumes (self);
  cell_answer_all_dead (self, m, NULL);

  if (self->own_thread && cell_peek_susp (self) != NULL && self->susp->own_loop != NULL)
    g_main_loop_quit (self->susp->own_loop);

  if (self->log_debug)
    g_debug ("Stopped actor %s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));

  cell_announce_death (self, actor);
  g_clear_object (&actor);
}

/* Records why the actor dies, unless a reason is known already. */
static void
cell_set_death (PykkaCell    *self,
                const GError *cause)
{
  g_mutex_lock (&self->mutex);
  if (cell_susp_locked (self)->death == NULL)
    self->susp->death = g_error_copy (cause);
  g_mutex_unlock (&self->mutex);
}

/* A supervised actor failed (@cause): its instance goes, the cell waits
 * for its supervisor's decision. Returns FALSE (and does nothing) if the
 * actor is not supervised, or its supervisor is not alive. */
static gboolean
cell_hand_to_supervisor (PykkaCell    *self,
                         PykkaActor   *actor,
                         const GError *cause)
{
  g_autoptr(PykkaTerminated) news = NULL;
  PykkaActorRef *ref = pykka_actor_get_actor_ref (actor);
  PykkaMessage *m;
  GValue value = G_VALUE_INIT;

  if (cell_peek_susp (self) == NULL || self->susp->supervisor == NULL || cell_is_killing (self) ||
      !pykka_cell_is_alive (self->susp->supervisor))
    return FALSE;

  news = pykka_terminated_new (ref, cause);
  g_value_init (&value, PYKKA_TYPE_TERMINATED);
  g_value_set_boxed (&value, news);
  m = pykka_message_new (PYKKA_MESSAGE_USER, &value, NULL);
  g_value_unset (&value);

  g_mutex_lock (&self->mutex);
  self->susp->awaiting = TRUE;
  g_clear_error (&self->susp->failure);
  self->susp->failure = g_error_copy (cause);
  g_clear_object (&self->susp->kept_ref);
  self->susp->kept_ref = g_object_ref (ref);
  self->actor = NULL;
  g_mutex_unlock (&self->mutex);
  g_object_unref (actor);
  /* The timers were the failed instance's (as in Akka): left running, they
   * filled the mailbox while the cell awaited the decision and ticked on
   * in every new instance besides the ones it starts itself. */
  cell_cancel_timers (self);

  if (!cell_push_system (self->susp->supervisor, m))
    {
      /* The supervisor died meanwhile: the failure kills the actor. */
      pykka_message_free (m);
      g_mutex_lock (&self->mutex);
      self->susp->awaiting = FALSE;
      g_mutex_unlock (&self->mutex);
      cell_die (self, cause);
    }
  return TRUE;
}

/* The supervisor's decision (a RESTART message), on the actor's thread. */
static void
cell_handle_restart (PykkaCell *self,
                     gboolean   restart)
{
  PykkaActor *old = self->actor;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  PykkaActor *fresh;

  if (old != NULL)
    {
      /* Not the failed one: its instance stops first. */
      if (!restart)
        {
          cell_begin_stopping (self, old);
          if (!PYKKA_ACTOR_GET_CLASS (old)->on_stop (old, &error))
            g_clear_error (&error);
          cell_die (self, NULL);
          return;
        }
      if (!normalize_outcome (self, PYKKA_ACTOR_GET_CLASS (old)->on_stop (old, &error), &error, "on_stop"))
        g_clear_error (&error);
      ref = g_object_ref (pykka_actor_get_actor_ref (old));
      g_mutex_lock (&self->mutex);
      self->actor = NULL;
      g_mutex_unlock (&self->mutex);
      g_object_unref (old);
    }
  else
    {
      g_autoptr(GError) failure = NULL;

      g_mutex_lock (&self->mutex);
      ref = g_steal_pointer (&self->susp->kept_ref);
      failure = g_steal_pointer (&self->susp->failure);
      self->susp->awaiting = FALSE;
      g_mutex_unlock (&self->mutex);
      if (!restart)
        {
          g_mutex_lock (&self->mutex);
          self->susp->kept_ref = g_steal_pointer (&ref);
          g_mutex_unlock (&self->mutex);
          cell_die (self, failure);
          return;
        }
    }

  /* The old instance's timers (those its on_stop started too) go with it. */
  cell_cancel_timers (self);
  fresh = self->susp->factory != NULL ? self->susp->factory (self->susp->factory_data) : NULL;
  if (fresh != NULL && PYKKA_IS_ACTOR (fresh))
    {
      PykkaCell *own = pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (fresh));

      /* An actor started already (another running actor, or the failed
       * instance itself, which a factory `lambda: actor` returns) is not
       * a new instance: adopting it made two cells run one instance, or
       * restarted nothing. */
      if (own == self || g_atomic_int_get ((gint *) &own->state) != PYKKA_CELL_NEW)
        g_clear_object (&fresh);
    }
  if (fresh == NULL || !PYKKA_IS_ACTOR (fresh))
    {
      g_autoptr(GError) cause = g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_FAILED,
                                                      /* Translators: why an actor died. */
                                                      P_("its supervisor could not make a new instance"));

      g_clear_object (&fresh);
      g_mutex_lock (&self->mutex);
      self->susp->kept_ref = g_steal_pointer (&ref);
      g_mutex_unlock (&self->mutex);
      cell_die (self, cause);
      return;
    }
  pykka_actor_adopt_cell (fresh, self, ref);
  g_mutex_lock (&self->mutex);
  self->actor = fresh;
  g_mutex_unlock (&self->mutex);
  if (self->log_debug)
    g_debug ("Restarted actor %s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));

  if (!normalize_outcome (self, PYKKA_ACTOR_GET_CLASS (fresh)->on_start (fresh, &error), &error, "on_start"))
    {
      g_autoptr(GError) cause = g_error_new (error->domain, error->code,
                                             /* Translators: why an actor died; %s is the error of its on_start. */
                                             P_("on_start failed: %s"), error->message);

      if (!cell_hand_to_supervisor (self, fresh, cause))
        cell_die (self, cause);
    }
}

static void
cell_fail (PykkaCell  *self,
           PykkaActor *actor,
           GError     *error)
{
  g_autofree char *who = pykka_cell_describe (self);

  g_autoptr(GError) cause = NULL;

  if (cell_peek_susp (self) != NULL && self->susp->supervisor != NULL)
    {
      /* Translators: why an actor died; %s is the error of its handler. */
      cause = g_error_new (error->domain, error->code, P_("a told message failed: %s"), error->message);
      g_message ("Unhandled error in supervised actor %s: %s", who, error->message);
      PYKKA_ACTOR_GET_CLASS (actor)->on_failure (actor, error);
      if (cell_hand_to_supervisor (self, actor, cause))
        {
          g_error_free (error);
          return;
        }
      cell_set_death (self, cause);
      cell_begin_stopping (self, actor);
      g_error_free (error);
      cell_die (self, cause);
      return;
    }

  g_message ("Unhandled error in actor %s; stopping it: %s", who, error->message);
  /* Translators: why an actor died; %s is the error of its handler. */
  cause = g_error_new (error->domain, error->code, P_("a told message failed: %s"), error->message);
  /* The reason is known before the actor stops being alive. */
  cell_set_death (self, cause);
  cell_begin_stopping (self, actor);
  cell_stop_children (self);
  PYKKA_ACTOR_GET_CLASS (actor)->on_failure (actor, error);
  g_error_free (error);
  cell_die (self, cause);
}

/*
 * pykka_cell_note_async_wait:
 *
 * A handler running on this thread starts an asynchronous wait for
 * @promise (get_async): should it then reply with a future of its own,
 * as JavaScript's async handlers do, its actor waits for the actor that
 * answers @promise, and the wait-for graph must know.
 */
void
pykka_cell_note_async_wait (PykkaPromise *promise)
{
  PykkaCell *cell = pykka_thread_self ()->current_cell;
  PykkaCell *source;

  if (cell == NULL || pykka_promise_is_done (promise) ||
      (cell->susp != NULL && cell->susp->async_wait != NULL))
    return;
  source = pykka_promise_get_source (promise);
  if (source != NULL)
    cell_susp (cell)->async_wait = pykka_cell_ref (source);
}

/* A handler replied with @future: the actor takes nothing else until it
 * completes, and the wait-for graph knows whose reply it waits for: the
 * actor that answers @future, or else the one whose answer the handler
 * awaited asynchronously. */
static gboolean
cell_suspend_on (PykkaCell     *self,
                 PykkaFuture   *future,
                 PykkaMessage  *m,
                 GError       **error)
{
  PykkaCell *target = pykka_promise_get_source (pykka_future_get_promise (future));
  PykkaCell *previous;

  if (target == NULL && cell_peek_susp (self) != NULL)
    target = self->susp->async_wait;

  if (!pykka_future_is_done (future) &&
      !pykka_wait_graph_add (self, target, &previous, error))
    return FALSE;
  cell_susp (self)->suspended_on = g_object_ref (future);
  self->susp->suspended_reply = message_steal_reply (m);
  pykka_promise_add_hook (pykka_future_get_promise (future), cell_wake_hook,
                          pykka_cell_ref (self), (GDestroyNotify) pykka_cell_unref);
  return TRUE;
}

static void
cell_finish_suspension (PykkaCell  *self,
                        PykkaActor *actor)
{
  g_autoptr(PykkaFuture) future = g_steal_pointer (&self->susp->suspended_on);
  PykkaPromise *reply = g_steal_pointer (&self->susp->suspended_reply);
  PykkaPromise *promise = pykka_future_get_promise (future);
  const GError *error = pykka_promise_peek_error (promise);

  pykka_wait_graph_remove (self, pykka_promise_get_source (promise) != NULL ? pykka_promise_get_source (promise)
                                                                           : self->susp->async_wait, NULL);
  g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
  g_clear_object (&self->susp->suspended_cancellable);
  /* What the binding still waited for belongs to the suspension. */
  pykka_cell_drop_resumes (self);

  if (error != NULL && cell_is_killing (self))
    {
      /* Failed as the actor is being killed: see cell_answer_error(). */
      if (reply != NULL)
        {
          pykka_promise_take_error (reply, pykka_cell_dead_error (self));
          pykka_promise_unref (reply);
        }
    }
  else if (reply != NULL)
    {
      if (error != NULL)
        PYKKA_INFO ("Error returned to the asker of %s: %s", g_type_name (self->type), error->message);
      pykka_promise_copy_outcome (reply, promise);
      pykka_promise_unref (reply);
    }
  else if (error != NULL && actor != NULL)
    cell_fail (self, actor, g_error_copy (error));
}

/* The actor is being killed while it waits for its reply future: stop
 * waiting, answer the ask as dead. */
static void
cell_abandon_reply_suspension (PykkaCell *self)
{
  g_autoptr(PykkaFuture) future = g_steal_pointer (&self->susp->suspended_on);
  PykkaPromise *reply = g_steal_pointer (&self->susp->suspended_reply);
  PykkaPromise *promise = pykka_future_get_promise (future);

  pykka_wait_graph_remove (self, pykka_promise_get_source (promise) != NULL ? pykka_promise_get_source (promise)
                                                                           : self->susp->async_wait, NULL);
  g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
  pykka_cell_drop_resumes (self);
  if (reply != NULL)
    {
      pykka_promise_take_error (reply, pykka_cell_dead_error (self));
      pykka_promise_unref (reply);
    }
}

/* A handler failed (takes @error): its asker gets the error; the error
 * of a tell fails the actor. Once the actor is being killed, the asker
 * gets ACTOR_DEAD and a tell fails nothing further. */
static void
cell_answer_error (PykkaCell    *self,
                   PykkaActor   *actor,
                   PykkaMessage *m,
                   GError       *error)
{
  if (cell_is_killing (self))
    {
      g_error_free (error);
      if (message_reply (m) != NULL)
        pykka_promise_take_error (message_reply (m), pykka_cell_dead_error (self));
    }
  else if (message_reply (m) != NULL)
    {
      PYKKA_INFO ("Error returned to the asker of %s: %s", g_type_name (self->type), error->message);
      pykka_promise_take_error (message_reply (m), error);
    }
  else
    cell_fail (self, actor, error);
}

static void
handle_user_message (PykkaCell    *self,
                     PykkaActor   *actor,
                     PykkaMessage *m)
{
  GValue reply = G_VALUE_INIT;
  GError *error = NULL;
  gboolean ok;

  /* Cancelled while queued: answered already, dropped here. */
  if (!message_begin (m))
    return;
  if (message_cancel (m) != NULL)
    cell_susp (self)->current = m;
  self->handling = m;
  ok = PYKKA_ACTOR_GET_CLASS (actor)->on_receive (actor, &m->value, &reply, &error);
  self->handling = NULL;
  if (G_UNLIKELY (cell_peek_susp (self) != NULL && self->susp->deferred != NULL))
    {
      /* The handler took its reply as a handle: its own outcome answers
       * nobody, but an error completes the handle if nothing did yet. */
      g_autoptr(PykkaFuture) handle = g_steal_pointer (&self->susp->deferred);

      if (message_cancel (m) != NULL)
        self->susp->current = NULL;
      g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
      pykka_value_clear (&reply);
      if (!normalize_outcome (self, ok, &error, "on_receive"))
        {
          if (!pykka_future_is_done (handle))
            pykka_promise_take_error (pykka_future_get_promise (handle), g_error_copy (error));
          /* A told message's failure fails the actor, deferred or not
           * (it used to vanish: no on_failure, no log, no death). */
          if (self->susp->deferred_tell)
            cell_answer_error (self, actor, m, error);
          else
            g_error_free (error);
        }
      return;
    }
  if (message_cancel (m) != NULL)
    self->susp->current = NULL;
  /* What the handler awaited asynchronously matters only if it suspends
   * on a reply future (then cell_finish_suspension() drops it). */
  if (cell_peek_susp (self) != NULL && self->susp->async_wait != NULL &&
      !(ok && error == NULL && G_VALUE_TYPE (&reply) == PYKKA_TYPE_FUTURE && g_value_get_object (&reply) != NULL))
    g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
  if (!normalize_outcome (self, ok, &error, "on_receive"))
    {
      pykka_value_clear (&reply);
      cell_answer_error (self, actor, m, error);
      return;
    }

  /* (Not G_VALUE_HOLDS: on an unset value it takes the type lock.) */
  if (G_VALUE_TYPE (&reply) != G_TYPE_INVALID &&
      G_VALUE_TYPE (&reply) == PYKKA_TYPE_FUTURE && g_value_get_object (&reply) != NULL)
    {
      if (!cell_suspend_on (self, g_value_get_object (&reply), m, &error))
        {
          /* Replying with the future of an ask that waits for this very
           * actor (itself, or a cycle): it could never complete. */
          if (cell_peek_susp (self) != NULL)
            g_clear_pointer (&self->susp->async_wait, pykka_cell_unref);
          g_value_unset (&reply);
          cell_answer_error (self, actor, m, error);
          return;
        }
      /* (m's reply is now ->suspended_reply) */
      if (message_cancel (m) != NULL)
        g_set_object (&self->susp->suspended_cancellable, message_cancel (m)->cancellable);
      g_value_unset (&reply);
      if (pykka_future_is_done (self->susp->suspended_on))
        cell_finish_suspension (self, actor);
      return;
    }

  if (message_reply (m) != NULL)
    pykka_promise_take_value (message_reply (m), &reply);
  else
    pykka_value_clear (&reply);
}

/* Handles @m (and frees it). May suspend, on a coroutine stack. */
static void
handle_message (PykkaCell    *self,
                PykkaMessage *m)
{
  /* No lock, no reference: only this thread changes ->actor after the
   * start, and only in cell_die(), after the hooks that use it. */
  PykkaActor *actor = self->actor;
  GError *error = NULL;
  gboolean ok;

  if (m->kind == PYKKA_MESSAGE_RESTART)
    {
      cell_handle_restart (self, g_value_get_boolean (&m->value));
      pykka_message_free (m);
      return;
    }
  if (actor == NULL)
    {
      if (m->kind == PYKKA_MESSAGE_KILL && cell_peek_susp (self) != NULL && self->susp->awaiting)
        {
          /* Killed while its failed instance awaits the supervisor's
           * decision: there is no instance to stop, the cell dies now
           * (the kill's reason is its death reason already). Leaving it
           * awaiting left it KILLING for ever, and a later stop of its
           * supervisor waited for its death for ever. */
          g_mutex_lock (&self->mutex);
          self->susp->awaiting = FALSE;
          g_mutex_unlock (&self->mutex);
          cell_die (self, NULL);
          pykka_message_free (m);
          return;
        }
      /* Died earlier in this turn. */
      cell_answer_dead (self, m);
      return;
    }

  switch (m->kind)
    {
    case PYKKA_MESSAGE_START:
      if (self->log_debug)
        g_debug ("Starting actor %s (%s)", g_type_name (self->type), pykka_cell_get_urn (self));
      ok = PYKKA_ACTOR_GET_CLASS (actor)->on_start (actor, &error);
      if (!normalize_outcome (self, ok, &error, "on_start"))
        {
          g_autofree char *who = pykka_cell_describe (self);

          g_autoptr(GError) cause = NULL;

          g_message ("Actor %s failed to start; stopping it: %s", who, error->message);
          cell_settle_started (self, error);
          /* Translators: why an actor died; %s is the error of its on_start. */
          cause = g_error_new (error->domain, error->code, P_("on_start failed: %s"), error->message);
          g_error_free (error);
          cell_die (self, cause);
        }
      else
        {
          gboolean asked;

          g_mutex_lock (&self->mutex);
          self->started_ok = TRUE;
          asked = cell_peek_susp (self) != NULL;
          g_mutex_unlock (&self->mutex);
          /* (A start outcome asked for later sees started_ok.) */
          if (asked)
            cell_settle_started (self, NULL);
        }
      break;

    case PYKKA_MESSAGE_STOP:
    case PYKKA_MESSAGE_KILL:
      cell_begin_stopping (self, actor);
      cell_stop_children (self);
      ok = PYKKA_ACTOR_GET_CLASS (actor)->on_stop (actor, &error);
      if (!normalize_outcome (self, ok, &error, "on_stop"))
        {
          g_autofree char *who = pykka_cell_describe (self);

          g_message ("on_stop of actor %s failed: %s", who, error->message);
          g_error_free (error);
        }
      /* (A kill's reason is the death reason already.) */
      cell_die (self, NULL);
      if (message_reply (m) != NULL)
        {
          GValue yes = G_VALUE_INIT;

          g_value_init (&yes, G_TYPE_BOOLEAN);
          g_value_set_boolean (&yes, TRUE);
          pykka_promise_take_value (message_reply (m), &yes);
        }
      break;

    case PYKKA_MESSAGE_TERMINATED:
      /* Delivered unless unwatched since it was queued (a remote actor's
       * watch is kept by pykka-remote-ref.c). */
      {
        PykkaTerminated *news = g_value_get_boxed (&m->value);
        PykkaActorRef *dead = pykka_terminated_get_actor_ref (news);

        if (dead != NULL ? cell_stops_watching (self, pykka_actor_ref_get_cell (dead))
                         : pykka_remote_watch_take (self, news))
          handle_user_message (self, actor, m);
      }
      break;

    case PYKKA_MESSAGE_LATEST:
      /* From here on an ordinary tell. */
      g_clear_pointer (&m->extra, g_free);
      m->kind = PYKKA_MESSAGE_USER;
      handle_user_message (self, actor, m);
      break;

    case PYKKA_MESSAGE_USER:
    default:
      handle_user_message (self, actor, m);
      break;
    }

  pykka_message_free (m);
}

static void
coroutine_main (gpointer data)
{
  PykkaCell *self = data;

  /* ->co_message stays set while the handler runs, so that an actor
   * killed while suspended (pykka_cell_kill_orphaned()) answers it. */
  handle_message (self, self->susp->co_message);
  self->susp->co_message = NULL;
}

/* Returns TRUE when the coroutine finished. */
static gboolean
cell_resume_coroutine (PykkaCell *self)
{
  if (!pykka_coroutine_resume (self->susp->co))
    return FALSE;

  g_clear_pointer (&self->susp->co, pykka_coroutine_recycle);
  return TRUE;
}

static gboolean
cell_has_suspended_handler (PykkaCell *self)
{
  PykkaSuspension *susp = cell_peek_susp (self);

  return susp != NULL && (susp->co != NULL || susp->suspended_on != NULL);
}

/* Ends a turn: decides whether the cell goes back on the run queue.
 * Called under ->mutex. */
static gboolean
cell_end_turn_locked (PykkaCell *self)
{
  gboolean requeue;

  self->running = FALSE;
  if (cell_has_suspended_handler (self) && !self->wake_pending)
    {
      self->parked = TRUE;
      requeue = FALSE;
    }
  else
    requeue = self->wake_pending ||
              (self->head != NULL && state_takes_mail (self->state) && (cell_peek_susp (self) == NULL || !self->susp->awaiting)) ||
              (cell_peek_susp (self) != NULL && (self->susp->kill != NULL || self->susp->restart != NULL ||
                                      (self->susp->system_head != NULL && !self->susp->awaiting)));
  self->wake_pending = FALSE;
  self->scheduled = requeue;
  return requeue;
}

/*
 * pykka_cell_run_turn:
 *
 * Handles at most @budget messages of the cell, resuming first whatever it
 * was suspended on, and starts none after @deadline (monotonic time; 0:
 * none), the end of a wait this turn nests in. Runs on the thread that
 * owns the cell's context. Returns how many messages were handled.
 */
guint
pykka_cell_run_turn (PykkaCell *self,
                     guint      budget,
                     gint64     deadline)
{
  Batch batch = { NULL, NULL, 0 };
  guint used = 0;
  gboolean requeue;
  gboolean resumes;

  /* One lock starts the turn and takes the mail. */
  g_mutex_lock (&self->mutex);
  self->running = TRUE;
  self->parked = FALSE;
  self->wake_pending = FALSE;
  if (!cell_has_suspended_handler (self))
    cell_take_all_locked (self, &batch);
  resumes = cell_peek_susp (self) != NULL && self->susp->resumes != NULL;
  g_mutex_unlock (&self->mutex);

  if (cell_peek_susp (self) != NULL && self->susp->co != NULL && !cell_resume_coroutine (self))
    goto out;

  if (resumes && self->actor != NULL)
    cell_run_resumes (self, self->actor);

  if (cell_peek_susp (self) != NULL && self->susp->suspended_on != NULL)
    {
      if (!pykka_future_is_done (self->susp->suspended_on))
        {
          if (!cell_is_killing (self) || self->susp->co != NULL)
            goto out;
          /* Killed while it waits for its reply future: the ask gets
           * ACTOR_DEAD, the future is left to whoever completes it. */
          cell_abandon_reply_suspension (self);
        }
      else
        cell_finish_suspension (self, self->actor);
    }

  for (;;)
    {
      /* A dead cell answers what is left at once, whatever the budget. */
      while ((batch.head != NULL || cell_has_control (self)) &&
             ((used < budget && !cell_has_suspended_handler (self)) || self->actor == NULL))
        {
          PykkaMessage *m = NULL;

          if (G_UNLIKELY (deadline != 0) && used > 0 && self->actor != NULL &&
              g_get_monotonic_time () >= deadline)
            {
              budget = used;  /* the rest waits for the next turn */
              break;
            }
          /* A kill or a restart goes before what this turn took already;
           * a failed instance awaiting its supervisor takes nothing. */
          if (cell_has_control (self))
            m = cell_take_control (self);
          if (m == NULL)
            {
              if (batch.head == NULL || (cell_peek_susp (self) != NULL && self->susp->awaiting))
                break;
              m = batch_pop (&batch);
            }
          used++;
          if (self->link.stackful && self->actor != NULL)
            {
              cell_susp (self)->co_message = m;
              self->susp->co = pykka_coroutine_new (pykka_scheduler_get_stack_pool (self->link.scheduler),
                                              coroutine_main, self);
              /* Named for the report of a stack overflow: the urn only if
               * somebody made it already (making it costs a string per
               * actor). */
              if (G_UNLIKELY (self->susp->type_name == NULL))
                self->susp->type_name = g_type_name (self->type);
              pykka_coroutine_set_description (self->susp->co, self->susp->type_name,
                                               g_atomic_pointer_get (&self->urn));
              cell_resume_coroutine (self);
            }
          else
            handle_message (self, m);
        }
      if (batch.head != NULL || used >= budget || cell_has_suspended_handler (self))
        break;

      /* Take the mail that arrived meanwhile; with none, the same lock
       * ends the turn. */
      g_mutex_lock (&self->mutex);
      cell_take_all_locked (self, &batch);
      if (batch.head == NULL)
        {
          requeue = cell_end_turn_locked (self);
          g_mutex_unlock (&self->mutex);
          goto done;
        }
      g_mutex_unlock (&self->mutex);
    }

out:
  g_mutex_lock (&self->mutex);
  cell_put_back_locked (self, &batch);
  requeue = cell_end_turn_locked (self);
  g_mutex_unlock (&self->mutex);

done:
  if (requeue)
    pykka_scheduler_enqueue (self->link.scheduler, self);

  return MAX (used, 1);
}

/*
 * The wait-for graph.
 *
 * Every wait of a handler records "this actor waits for that actor's
 * reply" in the waiting cell (->waits_for), for as long as it waits: a
 * blocking get (nested, in a coroutine, or on a condition variable), a
 * reply with a future, a binding's suspension (pykka_actor_resume_when()).
 * A wait whose target already waits, directly or through others, for the
 * waiter would close a cycle and could never end: it fails at once with
 * PYKKA_ERROR_DEADLOCK naming the cycle. One lock guards the graph; only
 * handlers that wait take it, never a tell or an ask.
 *
 * A cell's edge is written only by the thread that runs its context (its
 * handlers wait, its turns end the waits), with atomics, so that a walk
 * under the lock may meet an edge written without it (release stores: a
 * seq_cst store is an xchg on x86, a full barrier, for nothing here). The fast path, no
 * lock: a handler that waits for an actor of its own context, when
 * neither of the two waits already (the usual ask of a coroutine). Such
 * an edge ends at a cell with no edge, so it closes no cycle, and every
 * later step of the chain from there is written by the same thread:
 * either with the fast path too (then it closes no cycle either), or
 * under the lock, whose release publishes the fast edges written before
 * to every later walk, and whose walk sees all of them. A fast edge is
 * also removed without the lock (a walk that still sees it sees the
 * graph of a moment before its removal: nothing written by this thread
 * after it is published yet); any other edge is removed under the lock,
 * so that no walk combines its stale copy with newer edges of other
 * threads.
 */
G_LOCK_DEFINE_STATIC (graph);

static inline PykkaCell *
cell_waits_for (PykkaCell *self)
{
  return g_atomic_pointer_get (&self->waits_for);
}

/* Walks of longer chains give up (no cycle is reported). */
#define PYKKA_MAX_WAIT_CHAIN 4096

G_GNUC_NO_INLINE static GError *
cycle_error (PykkaCell *waiter,
             PykkaCell *target)
{
  g_autofree char *first = pykka_cell_describe (waiter);
  GString *text;
  guint n = 0;

  if (target == waiter)
    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_DEADLOCK,
                        /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                        P_("Deadlock: %s waits for a reply from itself"), first);

  text = g_string_new (first);
  for (PykkaCell *c = target; c != NULL && n < 64; c = cell_waits_for (c), n++)
    {
      g_autofree char *who = pykka_cell_describe (c);

      if (n == 0)
        /* Translators: continues a cycle of waits, "A (urn:…) waits for B (urn:…)". */
        g_string_append_printf (text, P_(" waits for %s"), who);
      else
        /* Translators: continues a cycle of waits, "…, which waits for C (urn:…)". */
        g_string_append_printf (text, P_(", which waits for %s"), who);
      if (c == waiter)
        break;
    }
  {
    g_autofree char *cycle = g_string_free (text, FALSE);

    return g_error_new (PYKKA_ERROR, PYKKA_ERROR_DEADLOCK,
                        /* Translators: %s is a cycle of waits, such as "A (urn:…) waits for B (urn:…), which waits for A (urn:…)". */
                        P_("Deadlock: %s"), cycle);
  }
}

/* The locked part of pykka_wait_graph_add(). */
G_GNUC_NO_INLINE static gboolean
wait_graph_add_locked (PykkaCell  *waiter,
                       PykkaCell  *target,
                       PykkaCell **previous,
                       GError    **error)
{
  guint n = 0;

  G_LOCK (graph);
  for (PykkaCell *c = target; c != NULL && n < PYKKA_MAX_WAIT_CHAIN; c = cell_waits_for (c), n++)
    {
      if (c == waiter)
        {
          GError *cycle = cycle_error (waiter, target);

          G_UNLOCK (graph);
          g_propagate_error (error, cycle);
          return FALSE;
        }
    }
  *previous = cell_waits_for (waiter);
  g_atomic_pointer_set (&waiter->waits_for, target);
  G_UNLOCK (graph);
  return TRUE;
}

/*
 * pykka_wait_graph_add:
 *
 * Records that @waiter waits for @target, unless that closes a cycle:
 * then returns FALSE with PYKKA_ERROR_DEADLOCK. @previous gets what
 * @waiter waited for before (give it to pykka_wait_graph_remove()).
 */
gboolean
pykka_wait_graph_add (PykkaCell  *waiter,
                      PykkaCell  *target,
                      PykkaCell **previous,
                      GError    **error)
{
  *previous = NULL;
  if (waiter == NULL || target == NULL)
    return TRUE;

  /* The fast path (see above): @waiter's handler runs here, so this
   * thread runs the context of @target too, and writes both edges. */
  if (target != waiter &&
      waiter == pykka_thread_self ()->current_cell &&
      waiter->link.scheduler == target->link.scheduler &&
      cell_waits_for (waiter) == NULL && cell_waits_for (target) == NULL)
    {
      __atomic_store_n (&waiter->waits_for, target, __ATOMIC_RELEASE);
      *previous = waiter;  /* for pykka_wait_graph_remove(): a fast edge */
      return TRUE;
    }

  return wait_graph_add_locked (waiter, target, previous, error);
}

G_GNUC_NO_INLINE static void
wait_graph_remove_locked (PykkaCell *waiter,
                          PykkaCell *target,
                          PykkaCell *previous)
{
  G_LOCK (graph);
  if (cell_waits_for (waiter) == target)
    g_atomic_pointer_set (&waiter->waits_for, previous);
  G_UNLOCK (graph);
}

/* @self, orphaned, waits for nothing any more (on the thread that ran
 * its context, as it ends). */
static void
wait_graph_clear (PykkaCell *self)
{
  if (cell_waits_for (self) == NULL)
    return;
  G_LOCK (graph);
  g_atomic_pointer_set (&self->waits_for, NULL);
  G_UNLOCK (graph);
}

/* Ends the wait that pykka_wait_graph_add() recorded: @previous is what
 * it gave, or NULL. On the thread that runs @waiter's context. */
void
pykka_wait_graph_remove (PykkaCell *waiter,
                         PykkaCell *target,
                         PykkaCell *previous)
{
  if (waiter == NULL || target == NULL)
    return;

  if (previous == waiter)
    {
      /* A fast edge: nothing else was recorded over it (that would have
       * needed the lock, and its own remove came first). */
      if (cell_waits_for (waiter) == target)
        __atomic_store_n (&waiter->waits_for, NULL, __ATOMIC_RELEASE);
      return;
    }

  wait_graph_remove_locked (waiter, target, previous);
}
