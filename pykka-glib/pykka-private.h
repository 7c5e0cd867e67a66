/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Internals shared by the files of the runtime. Nothing here is API. */

#pragma once

#ifndef PYKKA_COMPILATION
# error "This is a private header of pykka-glib."
#endif

#include <glib/gi18n-lib.h>

#include "pykka.h"
#include "pykka-coroutine-private.h"

G_BEGIN_DECLS

/* i18n: user-facing GError messages go through P_(), which binds the
 * text domain on first use (no library constructor). */
const char *pykka_gettext (const char *msgid) G_GNUC_FORMAT (1);
#undef _
#define P_(String) pykka_gettext (String)

/* g_debug() and g_info() format their message even when nobody shows it,
 * and the runtime logs per actor and per failed ask: ask first. */
#define PYKKA_LOG_IF_SHOWN(level, ...)                                   \
  G_STMT_START {                                                         \
    if (!g_log_writer_default_would_drop ((level), G_LOG_DOMAIN))        \
      g_log (G_LOG_DOMAIN, (level), __VA_ARGS__);                        \
  } G_STMT_END
#define PYKKA_DEBUG(...) PYKKA_LOG_IF_SHOWN (G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define PYKKA_INFO(...)  PYKKA_LOG_IF_SHOWN (G_LOG_LEVEL_INFO, __VA_ARGS__)

typedef struct _PykkaScheduler PykkaScheduler;
typedef struct _PykkaCell      PykkaCell;
typedef struct _PykkaMessage   PykkaMessage;
typedef struct _PykkaPromise   PykkaPromise;
typedef struct _PykkaThread    PykkaThread;

/* Messages a turn handles per actor before the next actor gets its turn. */
#define PYKKA_TURN_BUDGET     64
/* Messages one dispatch of a scheduler handles before it returns to the
 * main context, so that other sources of the same priority run. */
#define PYKKA_DISPATCH_BUDGET 1024
/* How long a thread about to sleep first spins, looking for what would
 * wake it: a waiter on a condition variable for its object, the thread of
 * an own-thread actor (in poll) for new mail. An answer or a message from
 * another thread often comes within a few microseconds, and a sleeping
 * thread would pay a futex or eventfd wake-up (about 20 µs on a small VM)
 * on top. Never on a context that the library did not make (the main
 * thread's, a GTK application's). */
#define PYKKA_SPIN_USEC 20

/* One step of such a spin: a few pause instructions, so that the spinning
 * thread leaves the core's resources to its sibling and to the thread it
 * waits for. */
static inline void
pykka_spin_pause (void)
{
  for (guint i = 0; i < 4; i++)
    {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#endif
    }
}
/* How long a flood keeps a context busy before the actors step aside for
 * one iteration (pykka_context_set_time_budget()): half a 60 Hz frame. */
#define PYKKA_DEFAULT_TIME_BUDGET_USEC 8000

typedef enum
{
  PYKKA_MESSAGE_START,
  PYKKA_MESSAGE_USER,
  PYKKA_MESSAGE_STOP,
  PYKKA_MESSAGE_KILL,   /* a stop that jumped the queue: pykka_cell_kill() */
  PYKKA_MESSAGE_TERMINATED, /* a watched actor died: a PykkaTerminated, delivered as a tell unless unwatched */
  PYKKA_MESSAGE_RESTART,    /* a supervisor's decision: a new instance (value TRUE) or death (FALSE) */
  PYKKA_MESSAGE_LATEST,     /* a tell with a key: a newer one with the same key replaces it while queued */
} PykkaMessageKind;

typedef struct _PykkaMessageCancel PykkaMessageCancel;

/* 48 bytes: the reply, the cancellation of an ask and a LATEST message's
 * key share one pointer (pykka-cell.c reads it through message_reply()
 * and friends, never directly). */
struct _PykkaMessage
{
  PykkaMessage     *next;   /* in the mailbox, protected by the cell's mutex */
  guint16           kind;   /* a PykkaMessageKind */
  guint16           flags;  /* PYKKA_MESSAGE_HAS_CANCEL, PYKKA_MESSAGE_REPLY_TAKEN */
  gpointer          extra;  /* (owned) (nullable): the reply's PykkaPromise (NULL for a tell);
                             * with HAS_CANCEL a PykkaMessageCancel (it holds the reply);
                             * for a LATEST message its key (a string) */
  GValue            value;  /* unset for START and STOP */
};
/* (A START message is never allocated: each cell has its own, embedded.) */

enum
{
  PYKKA_MESSAGE_HAS_CANCEL  = 1 << 0,  /* ->extra is a PykkaMessageCancel */
  PYKKA_MESSAGE_REPLY_TAKEN = 1 << 1,  /* the reply was handed over (the cancellation stays) */
};

/* The life of an actor: NEW -> STARTING -> RUNNING -> STOPPING ->
 * STOPPED, each step under the cell's mutex. STARTING accepts messages
 * (they queue behind the start); KILLING and STOPPING only stops
 * (answered at death): such an actor is not alive, and a stopping one is
 * unregistered, as in Pykka. */
typedef enum
{
  PYKKA_CELL_NEW,       /* constructed, not started */
  PYKKA_CELL_STARTING,  /* pykka_actor_start() runs: START is first in the mailbox */
  PYKKA_CELL_RUNNING,   /* scheduled: takes messages */
  PYKKA_CELL_KILLING,   /* pykka_cell_kill(): the kill comes before any other message; only stops are taken */
  PYKKA_CELL_STOPPING,  /* on_stop or on_failure runs */
  PYKKA_CELL_STOPPED,   /* dead: accepts nothing, ever again */
} PykkaCellState;

/* The part of a cell that the scheduler uses, its first member: the rest
 * of a cell is private to pykka-cell.c. */
typedef struct
{
  PykkaCell      *next;           /* on the run queue, under the scheduler's mutex */
  PykkaCell      *running_outer;  /* the cell whose turn this one's nests in; only the running thread */
  PykkaScheduler *scheduler;      /* (owned) (nullable until started) immutable after */
  guint           stackful : 1;   /* immutable once started */
} PykkaRunLink;

static inline PykkaRunLink *
pykka_cell_run_link (PykkaCell *cell)
{
  return (PykkaRunLink *) cell;
}

/* (nullable) before the start: immutable after. */
static inline PykkaScheduler *
pykka_cell_get_scheduler (PykkaCell *cell)
{
  return pykka_cell_run_link (cell)->scheduler;
}

/* A cell's place in the registry (pykka-registry.c), whose lock guards
 * it: on the list of registered cells or on that of stopping ones, and
 * whether the urn index has it. */
typedef enum
{
  PYKKA_REG_NONE,
  PYKKA_REG_RUNNING,
  PYKKA_REG_STOPPING,
} PykkaRegWhere;

typedef struct
{
  PykkaCell *prev;
  PykkaCell *next;
  guint8     where;    /* PykkaRegWhere */
  guint8     indexed;  /* in the registry's urn index */
} PykkaRegLink;

/* What the debug dump shows of a cell, read under its lock. */
typedef struct
{
  GType         type;
  GMainContext *context;     /* (unowned) (nullable) */
  guint         length;
  const char   *state;       /* static text */
  gboolean      own_thread;
  gboolean      stackful;
} PykkaCellSnapshot;


/* Per-thread spares (see PykkaThread): not in builds with a sanitizer,
 * whose allocator must see every free to find a use after it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
# define PYKKA_SPARES 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#  define PYKKA_SPARES 0
# endif
#endif
#ifndef PYKKA_SPARES
# define PYKKA_SPARES 1
#endif

/* A bounded stack of spare allocations of one kind (all its items have
 * the same size), kept by one thread. */
typedef struct
{
  guint    n;
  gpointer items[16];
} PykkaSpares;

/* A spare to reuse, or NULL (none kept, or spares are off). */
static inline gpointer
pykka_spares_take (PykkaSpares *spares)
{
  return PYKKA_SPARES && spares->n > 0 ? spares->items[--spares->n] : NULL;
}

/* Keeps @item for a later pykka_spares_take(), if there is room (and
 * spares are on); else the caller frees it. */
static inline gboolean
pykka_spares_keep (PykkaSpares *spares,
                   gpointer     item)
{
  if (!PYKKA_SPARES || spares->n >= G_N_ELEMENTS (spares->items))
    return FALSE;
  spares->items[spares->n++] = item;
  return TRUE;
}

/* pykka-thread.c: one per thread that touches the runtime. */
struct _PykkaThread
{
  gatomicrefcount  ref_count;
  gint             ended;          /* atomic: the thread has ended */
  char            *name;           /* (owned) (nullable) for messages */
  guint            is_main : 1;    /* the process's main thread */
  GSList          *owned;          /* (owned) PykkaScheduler* (weak) it owns; under a lock of pykka-thread.c */

  /* Only touched by the thread itself */
  PykkaCell       *current_cell;   /* innermost cell whose turn runs here */
  guint            direct_runs;    /* see pykka-wait.c */
  guint            helping;        /* > 0: iterating an unowned context in a wait */
  gint64           deadline;       /* 0, or monotonic time after which a wait starts no turn */
  PykkaScheduler  *spinning;       /* (unowned) (nullable) an own-thread actor's thread: the
                                    * scheduler its poll spins for (alive while its loop runs) */
  /* Spares of what every ask allocates, left by this thread's frees for
   * its next allocations (no malloc per message): messages, bare
   * promises, the heap state of a coroutine's wait (as many as a chain
   * of actors asking each other has open at once). Freed when the
   * thread ends (pykka_thread_drop_spares()). */
  PykkaSpares      spare_messages;  /* PykkaMessage */
  PykkaSpares      spare_promises;  /* bare PykkaPromise */
  PykkaSpares      spare_co_waits;  /* see pykka-wait.c */
};

/* The calling thread's, in the initial-exec TLS model: one load, no
 * __tls_get_addr() call, on the paths of every message. A single pointer
 * fits the static TLS that glibc keeps for libraries loaded later (GI
 * bindings dlopen this library). */
extern __thread PykkaThread *pykka_thread_current __attribute__ ((tls_model ("initial-exec")));
PykkaThread    *pykka_thread_self_slow   (void);

static inline PykkaThread *
pykka_thread_self (void)
{
  PykkaThread *self = pykka_thread_current;

  return G_LIKELY (self != NULL) ? self : pykka_thread_self_slow ();
}

PykkaThread    *pykka_thread_new         (const char     *name);
void            pykka_thread_adopt       (PykkaThread    *state);
PykkaThread    *pykka_thread_ref         (PykkaThread    *self);
void            pykka_thread_unref       (PykkaThread    *self);
gboolean        pykka_thread_is_main     (void);
gboolean        pykka_thread_has_ended   (PykkaThread    *self);
const char     *pykka_thread_get_name    (PykkaThread    *self);
void            pykka_thread_add_owned   (PykkaThread    *owner,
                                          PykkaScheduler *scheduler);
void            pykka_thread_remove_owned (PykkaThread   *owner,
                                          PykkaScheduler *scheduler);
void            pykka_thread_drop_spares (PykkaThread    *self);

/* pykka-scheduler.c */
typedef enum
{
  PYKKA_RUN_NO,      /* another thread owns the context, or it is orphaned */
  PYKKA_RUN_OWNER,   /* this thread owns the context */
  PYKKA_RUN_HELP,    /* nobody owns it yet: this thread may run it in a wait */
} PykkaRunRight;

typedef struct
{
  guint64 prepares;    /* calls of prepare: once per iteration of the context */
  guint64 dispatches;  /* dispatches of the scheduler source */
  guint64 turns;       /* actor turns run */
  guint64 direct_runs; /* runs of ready actors by a blocking wait, outside a dispatch */
  guint64 steps_aside; /* iterations left to other sources after the time budget */
} PykkaSchedulerStats;

gboolean        pykka_scheduler_get_stats       (GMainContext        *context,
                                                 PykkaSchedulerStats *stats);
PykkaScheduler *pykka_scheduler_ref_for_context (GMainContext   *context);
void            pykka_scheduler_spin_before_poll (PykkaScheduler *self);
void            pykka_scheduler_unref           (PykkaScheduler *self);
GMainContext   *pykka_scheduler_get_context     (PykkaScheduler *self);
PykkaCell      *pykka_scheduler_get_current_cell (void);
gboolean        pykka_scheduler_has_actors      (GMainContext   *context);
PykkaRunRight   pykka_scheduler_may_run_context (GMainContext   *context);
gboolean        pykka_scheduler_is_running_cell (PykkaCell      *cell);
PykkaStackPool *pykka_scheduler_get_stack_pool  (PykkaScheduler *self);
void            pykka_scheduler_add_cell        (PykkaScheduler *self);
void            pykka_scheduler_remove_cell     (PykkaScheduler *self);
gboolean        pykka_scheduler_run_ready       (PykkaScheduler *self);
void            pykka_scheduler_enqueue         (PykkaScheduler *self,
                                                 PykkaCell      *cell);
gboolean        pykka_scheduler_claim           (PykkaScheduler *self,
                                                 PykkaThread    *owner);
PykkaRunRight   pykka_scheduler_may_run         (PykkaScheduler *self);
gboolean        pykka_scheduler_is_orphaned     (PykkaScheduler *self);
gboolean        pykka_scheduler_ref_if_busy     (PykkaScheduler *self);
void            pykka_scheduler_orphan          (PykkaScheduler *self);
guint64         pykka_scheduler_get_runs        (PykkaScheduler *self);
gboolean        pykka_scheduler_logs_debug      (PykkaScheduler *self);
char           *pykka_scheduler_describe_owner  (PykkaScheduler *self);
gboolean        pykka_scheduler_is_other_thread (PykkaScheduler *self);
gboolean        pykka_scheduler_is_owner        (PykkaScheduler *self);

/* Shared stacks per context for stackful actors, and their size. */
#define PYKKA_N_SHARED_STACKS 32
#define PYKKA_STACK_SIZE      (256 * 1024)

/* pykka-cell.c: the mailbox and life of an actor, and the wait-for graph
 * between actors. */
PykkaCell      *pykka_cell_new          (GType           type);
PykkaCell      *pykka_cell_ref          (PykkaCell      *self);
void            pykka_cell_unref        (PykkaCell      *self);
void            pykka_cell_set_type     (PykkaCell      *self,
                                         GType           type);
GType           pykka_cell_get_gtype    (PykkaCell      *self);
const guint64  *pykka_cell_get_id_key   (PykkaCell      *self);
PykkaRegLink   *pykka_cell_reg_link     (PykkaCell      *self);
const char     *pykka_cell_peek_urn     (PykkaCell      *self);
guint64         pykka_cell_get_start_order   (PykkaCell      *self);
PykkaActor     *pykka_cell_dup_actor    (PykkaCell      *self);
void            pykka_cell_snapshot     (PykkaCell      *self,
                                         PykkaCellSnapshot *snapshot);
gsize           pykka_cell_get_suspended_size (PykkaCell *self);
void            pykka_cell_set_co_wait  (PykkaCell      *self,
                                         gpointer        co_wait,
                                         const char     *what);
gboolean        pykka_cell_push         (PykkaCell      *self,
                                         PykkaMessage   *message);
void            pykka_cell_wake         (PykkaCell      *self);
gboolean        pykka_cell_is_alive     (PykkaCell      *self);
gboolean        pykka_cell_is_new       (PykkaCell      *self);
PykkaCellState  pykka_cell_get_state    (PykkaCell      *self);
gboolean        pykka_cell_is_starting  (PykkaCell      *self);
GError         *pykka_cell_unstarted_error (PykkaCell   *self);
/* Tests only: when set, pykka_cell_start() calls it with the cell
 * STARTING, before the cell joins the registry (a deterministic way into
 * that window from another thread). */
extern void (*pykka_cell_starting_hook) (PykkaCell *cell);
char           *pykka_cell_describe_busy (PykkaCell     *self);
gboolean        pykka_cell_kill         (PykkaCell      *self,
                                         const GError   *reason);
gboolean        pykka_cell_is_killing   (PykkaCell      *self);
guint           pykka_cell_start_timer  (PykkaCell      *self,
                                         const char     *key,
                                         guint           delay_msec,
                                         guint           interval_msec,
                                         const GValue   *message);
gboolean        pykka_cell_cancel_timer (PykkaCell      *self,
                                         guint           id,
                                         const char     *key);
void            pykka_cell_timer_fired  (PykkaCell      *self,
                                         guint           id,
                                         const GValue   *message,
                                         gboolean        last);
void            pykka_cell_set_supervision (PykkaCell   *self,
                                            PykkaCell   *supervisor,
                                            PykkaActorFactory factory,
                                            gpointer     data,
                                            GDestroyNotify destroy);
gboolean        pykka_cell_restart      (PykkaCell      *self,
                                         gboolean        restart);
gboolean        pykka_cell_awaits_restart (PykkaCell    *self);
void            pykka_cell_stop_child   (PykkaActorRef  *child,
                                         gboolean        wait);
void            pykka_cell_discard      (PykkaCell      *self);
PykkaFuture    *pykka_cell_defer_reply  (PykkaCell      *self,
                                         GError        **error);
gboolean        pykka_cell_handling_is_ask (PykkaCell   *self);
void            pykka_cell_set_mailbox  (PykkaCell      *self,
                                         guint           what,
                                         guint           value);
void            pykka_cell_get_mailbox  (PykkaCell      *self,
                                         guint          *capacity,
                                         PykkaOverflowPolicy *policy,
                                         guint          *timeout_msec);
gboolean        pykka_cell_push_latest  (PykkaCell      *self,
                                         const char     *key,
                                         const GValue   *message,
                                         GError        **error);
gboolean        pykka_cell_push_full    (PykkaCell      *self,
                                         PykkaMessage   *m,
                                         GError        **error);
guint           pykka_cell_get_length   (PykkaCell      *self);
gboolean        pykka_cell_add_child    (PykkaCell      *self,
                                         PykkaActorRef  *child);
void            pykka_cell_watch        (PykkaCell      *watcher,
                                         PykkaActorRef  *watched);
void            pykka_cell_unwatch      (PykkaCell      *watcher,
                                         PykkaCell      *watched);
PykkaFuture    *pykka_cell_dup_terminated (PykkaCell    *self,
                                           PykkaActorRef *ref);
gboolean        pykka_cell_push_terminated (PykkaCell     *watcher,
                                            PykkaTerminated *terminated);

/* pykka-actor.c */
PykkaActorRef  *pykka_actor_peek_ref    (PykkaActor     *self);
void            pykka_actor_adopt_cell  (PykkaActor     *self,
                                         PykkaCell      *cell,
                                         PykkaActorRef  *ref);

/* pykka-debug.c */
void            pykka_debug_note_dead_letter (PykkaCell    *cell,
                                              const GValue *message);
/* PYKKA_DEBUG (an environment variable, read once): a comma-separated
 * list of checks. PYKKA_DEBUG_UNREAD until the first look. */
enum
{
  PYKKA_DEBUG_THREADS = 1 << 0,   /* "threads": pykka_debug_check_crossing() */
  PYKKA_DEBUG_UNREAD  = 1 << 30,
};
extern gint pykka_debug_flags;  /* atomic */
gint            pykka_debug_read_flags       (void);

/* One atomic load on the path of every message. */
static inline gboolean
pykka_debug_checks_threads (void)
{
  gint flags = g_atomic_int_get (&pykka_debug_flags);

  if (G_LIKELY (flags == 0))
    return FALSE;
  if (G_UNLIKELY (flags & PYKKA_DEBUG_UNREAD))
    flags = pykka_debug_read_flags ();
  return (flags & PYKKA_DEBUG_THREADS) != 0;
}

/* PYKKA_DEBUG=threads: warns (once per type and receiving class) when
 * @message, sent to @cell from another thread than the one that runs it,
 * is shared rather than copied and not marked thread-safe. */
void            pykka_debug_check_crossing   (PykkaCell    *cell,
                                              const GValue *message);

/* The get_async waits of a context (by pointer, never dereferenced):
 * waiting for their future, and completed with a callback queued that the
 * context has not run yet. */
void            pykka_debug_note_async       (GMainContext *context,
                                              gint          waiting,
                                              gint          queued);

/* pykka-timer.c */
GSource        *pykka_timer_source_new  (PykkaCell      *cell,
                                         GMainContext   *context,
                                         guint           delay_msec,
                                         guint           interval_msec,
                                         const GValue   *message);
void            pykka_timer_source_set_id (GSource      *source,
                                           guint         id);
gint64          pykka_context_now       (GMainContext   *context);
GSource        *pykka_clock_timeout_source_new (GMainContext *context,
                                                guint         msec);

/* pykka-terminated.c */
PykkaTerminated *pykka_terminated_new   (PykkaActorRef  *ref,
                                         const GError   *reason);
gboolean        pykka_cell_start        (PykkaCell      *self,
                                         PykkaActor     *actor,
                                         GMainContext   *context,
                                         gboolean        own_thread,
                                         GError        **error);
void            pykka_cell_kill_orphaned (PykkaCell     *self);
void            pykka_cell_note_async_wait (PykkaPromise *promise);
gboolean        pykka_cell_add_resume   (PykkaCell      *self,
                                         PykkaFuture    *future,
                                         gint            timeout_msec,
                                         PykkaActorResumeFunc func,
                                         gpointer        user_data,
                                         GDestroyNotify  destroy,
                                         GError        **error);
void            pykka_cell_drop_resumes (PykkaCell      *self);
guint           pykka_cell_run_turn     (PykkaCell      *self,
                                         guint           budget,
                                         gint64          deadline);
GError         *pykka_cell_dead_error   (PykkaCell      *self);
GError         *pykka_cell_dup_death    (PykkaCell      *self);
PykkaFuture    *pykka_cell_dup_started  (PykkaCell      *self);
void            pykka_cell_abandon      (PykkaCell      *self,
                                         PykkaActorRef  *ref);
void            pykka_cell_set_ref_context (PykkaCell   *self,
                                         GMainContext   *context);
GMainContext   *pykka_cell_get_ref_context (PykkaCell   *self);
const char     *pykka_cell_get_urn      (PykkaCell      *self);
char           *pykka_cell_describe     (PykkaCell      *self);
gboolean        pykka_wait_graph_add    (PykkaCell      *waiter,
                                         PykkaCell      *target,
                                         PykkaCell     **previous,
                                         GError        **error);
void            pykka_wait_graph_remove (PykkaCell      *waiter,
                                         PykkaCell      *target,
                                         PykkaCell      *previous);
PykkaMessage   *pykka_message_new       (PykkaMessageKind kind,
                                         const GValue   *value,
                                         PykkaPromise   *reply);
void            pykka_message_free      (PykkaMessage   *message);
void            pykka_message_set_cancellable (PykkaMessage *message,
                                         GCancellable   *cancellable);
GCancellable   *pykka_cell_get_current_cancellable (PykkaCell *self);

/* GValues of the fundamental number types and of G_TYPE_POINTER are plain
 * data: a struct copy copies them and nothing needs unsetting. These
 * helpers skip the type system (and its locks: G_IS_VALUE on an unset
 * value takes a read lock) for them, which matters per message. */
static inline gboolean
pykka_value_is_plain (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  return (type >= G_TYPE_CHAR && type <= G_TYPE_DOUBLE) || type == G_TYPE_POINTER;
}

/* @dest must be zeroed; @src set. */
static inline void
pykka_value_init_copy (GValue       *dest,
                       const GValue *src)
{
  if (pykka_value_is_plain (src))
    *dest = *src;
  else
    {
      g_value_init (dest, G_VALUE_TYPE (src));
      g_value_copy (src, dest);
    }
}

/* @value must be zeroed or set; it is zeroed after. */
static inline void
pykka_value_clear (GValue *value)
{
  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    return;
  if (pykka_value_is_plain (value))
    memset (value, 0, sizeof *value);
  else
    g_value_unset (value);
}

/* pykka-actor-ref.c */
PykkaActorRef  *pykka_actor_ref_new     (PykkaCell      *cell);
PykkaCell      *pykka_actor_ref_get_cell (PykkaActorRef *self);
void            pykka_actor_ref_notify_dead (PykkaActorRef *self);

/* pykka-registry.c */
void            pykka_registry_add      (PykkaCell      *cell);
void            pykka_registry_unregister_stopping (PykkaCell *cell);
void            pykka_registry_remove   (PykkaCell      *cell);
void            pykka_registry_urn_made (PykkaCell      *cell);
guint64         pykka_registry_next_serial (void);
char           *pykka_registry_make_urn (guint64         id);
GPtrArray      *pykka_registry_dup_cells (GType          type);
GPtrArray      *pykka_registry_dup_cells_all (void);
void            pykka_registry_start_failed (PykkaCell     *cell);
/* Tests only: how many pykka_registry_register_name() calls wait for the
 * end of a start. */
guint           pykka_registry_count_start_waiters (void);

/* pykka-registry.c: observers of registrations, for PykkaRegistryModel
 * (issue 13.4). @func runs on the registering thread right after each
 * add (@added TRUE) or remove of @cell, outside the registry's lock; see
 * pykka-registry.c for what it may do. */
typedef void (*PykkaRegistryObserverFunc) (PykkaCell *cell,
                                           gboolean   added,
                                           gpointer   user_data);

void            pykka_registry_add_observer    (PykkaRegistryObserverFunc func,
                                                gpointer                  user_data);
void            pykka_registry_remove_observer (PykkaRegistryObserverFunc func,
                                                gpointer                  user_data);

/* pykka-registry.c, for pykka-application.c (issue 13.5): no actor is
 * registered or still running its on_stop/on_failure. */
gboolean        pykka_registry_is_quiet (void);

/* pykka-promise.c (its fields: pykka-promise-private.h), except
 * pykka_future_get_promise() and pykka_future_watch_async() (pykka-future.c)
 * and the value lists (pykka-value.c).
 *
 * A promise is the state of a future: outcome, waiters and hooks. Every
 * PykkaFuture embeds one (and refs of it are refs of the future); the
 * blocking asks of C code use a bare one, which costs no GObject. */
typedef void (*PykkaPromiseHook) (PykkaPromise *promise,
                                  gpointer      user_data);

PykkaPromise   *pykka_promise_new        (void);
void            pykka_promise_free_spare (PykkaPromise   *self);
PykkaPromise   *pykka_promise_ref        (PykkaPromise   *self);
void            pykka_promise_unref      (PykkaPromise   *self);
PykkaPromise   *pykka_future_get_promise (PykkaFuture    *self);
PykkaCell      *pykka_promise_get_source (PykkaPromise   *self);
gboolean        pykka_promise_is_done    (PykkaPromise   *self);
gboolean        pykka_promise_add_hook   (PykkaPromise   *self,
                                          PykkaPromiseHook hook,
                                          gpointer        user_data,
                                          GDestroyNotify  destroy);
gboolean        pykka_promise_remove_hook (PykkaPromise  *self,
                                          PykkaPromiseHook hook,
                                          gpointer        user_data);
void            pykka_promise_mark_stop  (PykkaPromise   *self);
void            pykka_promise_set_source (PykkaPromise   *self,
                                          PykkaCell      *cell);
void            pykka_promise_lend_source (PykkaPromise  *self,
                                          PykkaCell      *cell);
gboolean        pykka_promise_take_value (PykkaPromise   *self,
                                          GValue         *value);
gboolean        pykka_promise_take_error (PykkaPromise   *self,
                                          GError         *error);
gboolean        pykka_promise_copy_outcome (PykkaPromise *self,
                                          PykkaPromise   *source);
const GError   *pykka_promise_peek_error (PykkaPromise   *self);
const GValue   *pykka_promise_get        (PykkaPromise   *self,
                                          gint            timeout_msec,
                                          GError        **error);
GPtrArray      *pykka_value_list_new     (guint           reserved);
void            pykka_value_list_add     (GPtrArray      *list,
                                          const GValue   *value);
void            pykka_future_watch_async (PykkaFuture         *self,
                                          gpointer             source_object,
                                          gpointer             source_tag,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* pykka-wait.c: blocking waits shared by futures and events.
 *
 * A waiter is registered with the object under the object's mutex and
 * woken (still under that mutex) when the object becomes ready. How the
 * waiting thread sleeps depends on where it runs: a coroutine yields, a
 * thread that runs the context the answer comes from iterates it, any
 * other thread sleeps on the object's condition variable. */
typedef struct _PykkaWaiter PykkaWaiter;
struct _PykkaWaiter
{
  PykkaWaiter  *next;      /* protected by the object's mutex */
  GMainContext *context;   /* (nullable) iterated by the waiting thread */
  GThread      *thread;    /* the waiting thread, when iterating */
  PykkaCell    *cell;      /* (nullable) whose coroutine waits */
  PykkaThread  *by;        /* (unowned) the thread that woke it, set before ->fired */
  gint          fired;     /* atomic; set under the object's mutex */
};

typedef struct
{
  GMutex       *mutex;
  GCond        *cond;
  PykkaWaiter **waiters;
  guint        *sleepers;      /* threads in g_cond_wait, under ->mutex */
  gboolean    (*is_ready) (gpointer object); /* called under ->mutex */
  gpointer      object;
  GMainContext *source_context; /* (nullable) where the answer comes from */
  PykkaCell    *source_cell;    /* (nullable) who answers */
  const char   *what;           /* "future" or "event", for debugging */
} PykkaWaitable;

gboolean        pykka_wait               (const PykkaWaitable *waitable,
                                          gint                 timeout_msec);
gboolean        pykka_wait_is_nested     (PykkaCell           *source);
gboolean        pykka_wait_full          (const PykkaWaitable *waitable,
                                          gint                 timeout_msec,
                                          GError             **error);
void            pykka_waiters_wake_all   (PykkaWaiter        **waiters);
GError         *pykka_wait_timeout_error (PykkaCell           *source,
                                          gint                 timeout_msec);
void            pykka_wait_abandon_coroutine (gpointer         co_wait);
void            pykka_wait_free_spare        (gpointer         co_wait);


/* Issue 12 (F10, F14), pykka-promise.c: a wait for a promise that reports
 * only whether it completed, shown as @what ("event") in debug dumps.
 * PykkaEvent waits on a promise per set(). */
gboolean        pykka_promise_wait       (PykkaPromise        *self,
                                          gint                 timeout_msec,
                                          const char          *what);

G_END_DECLS
