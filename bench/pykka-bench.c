/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pykka-bench: the benchmark suite of pykka-glib.
 *
 * Runs each workload on pykka-glib and, where one exists, on a bare-GLib
 * "floor" in the same process: one run-queue GSource per context, a
 * mutex-protected message queue per actor and a GAsyncQueue for
 * cross-thread replies. Every pykka-glib figure is printed with its ratio to
 * the floor measured in the same run (ratio = cost relative to the floor:
 * 1.0 is as fast, 2.0 twice as slow, for times and rates alike).
 *
 *   pykka-bench [--tiny] [--repeat R] [--json FILE] [WORKLOAD[=N]...]
 *
 * With no workload named, all run at their default size.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <pykka-glib/pykka.h>

#include "bench-clock.h"

/* ---- measuring ---------------------------------------------------------- */

static gint64
cpu_ns (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ((gint64) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((gint64) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Resident set size in bytes, from /proc/self/status. */
static gint64
rss_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10) * 1024;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* ---- results ------------------------------------------------------------ */

typedef struct
{
  char   *workload;
  char   *system;
  gint64  n;
  double  value;
  char   *unit;
  double  ratio;   /* 0: none */
  char   *note;    /* (nullable) what the ratio is against */
} Record;

static GPtrArray *records;
static guint      repeat = 3;
static gboolean   tiny;

static void
record_free (gpointer data)
{
  Record *r = data;

  g_free (r->workload);
  g_free (r->system);
  g_free (r->unit);
  g_free (r->note);
  g_free (r);
}

static Record *
add_record (const char *workload,
            const char *system,
            gint64      n,
            double      value,
            const char *unit)
{
  Record *r = g_new0 (Record, 1);

  r->workload = g_strdup (workload);
  r->system = g_strdup (system);
  r->n = n;
  r->value = value;
  r->unit = g_strdup (unit);
  g_ptr_array_add (records, r);
  fprintf (stderr, "  %-22s %-12s n=%-9" G_GINT64_FORMAT " %12.3f %s\n",
           workload, system, n, value, unit);
  return r;
}

/* Ratio of @r to @base as a cost: > 1 means @r is slower. @rate: the unit
 * is a rate (higher is better). */
static void
set_ratio (Record     *r,
           double      base,
           gboolean    rate,
           const char *note)
{
  if (base <= 0 || r->value <= 0)
    return;
  r->ratio = rate ? base / r->value : r->value / base;
  r->note = g_strdup (note);
}

static void
print_table (void)
{
  printf ("\n%-22s %-12s %10s %14s %-16s %8s  %s\n",
          "workload", "system", "n", "value", "unit", "ratio", "ratio to");
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = records->pdata[i];
      char ratio[32] = "";

      if (r->ratio > 0)
        g_snprintf (ratio, sizeof ratio, "%.2fx", r->ratio);
      printf ("%-22s %-12s %10" G_GINT64_FORMAT " %14.3f %-16s %8s  %s\n",
              r->workload, r->system, r->n, r->value, r->unit, ratio,
              r->note != NULL ? r->note : "");
    }
}

static gboolean
write_json (const char  *path,
            GError     **error)
{
  GString *s = g_string_new ("[\n");
  gboolean ok;

  for (guint i = 0; i < records->len; i++)
    {
      Record *r = records->pdata[i];
      char value[G_ASCII_DTOSTR_BUF_SIZE];
      char ratio[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (s, "  {\"workload\": \"%s\", \"system\": \"%s\", "
                              "\"n\": %" G_GINT64_FORMAT ", \"value\": %s, \"unit\": \"%s\"",
                              r->workload, r->system, r->n,
                              g_ascii_dtostr (value, sizeof value, r->value), r->unit);
      if (r->ratio > 0)
        g_string_append_printf (s, ", \"ratio\": %s, \"ratio_to\": \"%s\"",
                                g_ascii_dtostr (ratio, sizeof ratio, r->ratio),
                                r->note != NULL ? r->note : "");
      g_string_append_printf (s, "}%s\n", i + 1 < records->len ? "," : "");
    }
  g_string_append (s, "]\n");
  ok = g_file_set_contents (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

/* ---- the bare-GLib floor ------------------------------------------------ */

/* The simplest actor runtime on GLib worth the name: one run-queue GSource
 * per context, a mutex-protected queue of malloc'ed messages per actor,
 * turns of up to 64 messages, a context wake-up only when the context may
 * be asleep. */

typedef struct _FloorMsg   FloorMsg;
typedef struct _FloorActor FloorActor;
typedef struct _FloorSched FloorSched;

struct _FloorMsg
{
  FloorMsg *next;
  gint      value;
};

struct _FloorActor
{
  GMutex       mutex;
  FloorMsg    *head;
  FloorMsg    *tail;
  gboolean     scheduled;
  FloorActor  *run_next;
  FloorSched  *sched;
  void       (*handle) (FloorActor *self, gint value);
  FloorActor  *peer;
  GAsyncQueue *replies;
};

struct _FloorSched
{
  GSource     source;
  GMutex      mutex;
  FloorActor *head;
  FloorActor *tail;
  gint        sleeping;
};

static void
floor_enqueue (FloorSched *s,
               FloorActor *a)
{
  gboolean was_empty;

  g_mutex_lock (&s->mutex);
  was_empty = s->head == NULL;
  if (was_empty)
    g_atomic_pointer_set (&s->head, a);
  else
    s->tail->run_next = a;
  s->tail = a;
  g_mutex_unlock (&s->mutex);

  if (was_empty && g_atomic_int_compare_and_exchange (&s->sleeping, TRUE, FALSE))
    g_main_context_wakeup (g_source_get_context (&s->source));
}

static void
floor_send (FloorActor *a,
            gint        value)
{
  FloorMsg *m = g_new (FloorMsg, 1);
  gboolean schedule = FALSE;

  m->next = NULL;
  m->value = value;
  g_mutex_lock (&a->mutex);
  if (a->tail != NULL)
    a->tail->next = m;
  else
    a->head = m;
  a->tail = m;
  if (!a->scheduled)
    schedule = a->scheduled = TRUE;
  g_mutex_unlock (&a->mutex);

  if (schedule)
    floor_enqueue (a->sched, a);
}

static gboolean
floor_prepare (GSource *source,
               gint    *timeout)
{
  FloorSched *s = (FloorSched *) source;

  *timeout = -1;
  g_atomic_int_set (&s->sleeping, TRUE);
  if (g_atomic_pointer_get (&s->head) != NULL)
    {
      g_atomic_int_set (&s->sleeping, FALSE);
      return TRUE;
    }
  return FALSE;
}

static gboolean
floor_check (GSource *source)
{
  FloorSched *s = (FloorSched *) source;

  if (g_atomic_pointer_get (&s->head) == NULL)
    return FALSE;
  g_atomic_int_set (&s->sleeping, FALSE);
  return TRUE;
}

static gboolean
floor_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  FloorSched *s = (FloorSched *) source;
  guint budget = 1024;

  g_atomic_int_set (&s->sleeping, FALSE);
  while (budget > 0 && g_atomic_pointer_get (&s->head) != NULL)
    {
      FloorActor *a;
      gboolean more;

      g_mutex_lock (&s->mutex);
      a = s->head;
      g_atomic_pointer_set (&s->head, a->run_next);
      if (s->head == NULL)
        s->tail = NULL;
      a->run_next = NULL;
      g_mutex_unlock (&s->mutex);

      for (guint i = 0; i < 64 && budget > 0; i++, budget--)
        {
          FloorMsg *m;

          g_mutex_lock (&a->mutex);
          m = a->head;
          if (m != NULL && (a->head = m->next) == NULL)
            a->tail = NULL;
          g_mutex_unlock (&a->mutex);
          if (m == NULL)
            break;
          a->handle (a, m->value);
          g_free (m);
        }

      g_mutex_lock (&a->mutex);
      more = a->head != NULL;
      a->scheduled = more;
      g_mutex_unlock (&a->mutex);
      if (more)
        floor_enqueue (s, a);
    }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs floor_funcs = {
  floor_prepare, floor_check, floor_dispatch, NULL, NULL, NULL,
};

static FloorSched *
floor_sched_new (GMainContext *context)
{
  FloorSched *s = (FloorSched *) g_source_new (&floor_funcs, sizeof (FloorSched));

  g_mutex_init (&s->mutex);
  g_source_attach (&s->source, context);
  return s;
}

static void
floor_sched_free (FloorSched *s)
{
  g_source_destroy (&s->source);
  g_mutex_clear (&s->mutex);
  g_source_unref (&s->source);
}

static FloorActor *
floor_actor_new (FloorSched  *sched,
                 void       (*handle) (FloorActor *self, gint value))
{
  FloorActor *a = g_new0 (FloorActor, 1);

  g_mutex_init (&a->mutex);
  a->sched = sched;
  a->handle = handle;
  return a;
}

static void
floor_actor_free (FloorActor *a)
{
  g_mutex_clear (&a->mutex);
  g_free (a);
}

static gboolean floor_done;

static void
floor_bounce (FloorActor *self,
              gint        value)
{
  if (value == 0)
    floor_done = TRUE;
  else
    floor_send (self->peer, value - 1);
}

static void
floor_reply (FloorActor *self,
             gint        value)
{
  g_async_queue_push (self->replies, GINT_TO_POINTER (value + 1));
}

/* Passes a counter around a ring of @n_actors: ns per hop. */
static double
floor_ring (guint  n_actors,
            gint   hops)
{
  GMainContext *context = g_main_context_new ();
  FloorSched *sched = floor_sched_new (context);
  FloorActor **ring = g_new (FloorActor *, n_actors);
  gint64 start, end;

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < n_actors; i++)
    ring[i] = floor_actor_new (sched, floor_bounce);
  for (guint i = 0; i < n_actors; i++)
    ring[i]->peer = ring[(i + 1) % n_actors];

  floor_done = FALSE;
  start = now_ns ();
  floor_send (ring[0], hops);
  while (!floor_done)
    g_main_context_iteration (context, TRUE);
  end = now_ns ();

  for (guint i = 0; i < n_actors; i++)
    floor_actor_free (ring[i]);
  g_free (ring);
  floor_sched_free (sched);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return (double) (end - start) / (hops + 1);
}

typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
} FloorThread;

static gpointer
floor_thread_main (gpointer data)
{
  FloorThread *t = data;

  g_main_context_push_thread_default (t->context);
  g_main_loop_run (t->loop);
  g_main_context_pop_thread_default (t->context);
  return NULL;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* A caller asks an actor on another thread @n times; the actor replies
 * through a GAsyncQueue. Returns µs per ask, and the CPU µs per ask. */
static double
floor_ask_thread (gint    n,
                  double *cpu_us)
{
  FloorThread t;
  FloorSched *sched;
  FloorActor *actor;
  GThread *thread;
  gint64 start, end, cpu_start;

  t.context = g_main_context_new ();
  t.loop = g_main_loop_new (t.context, FALSE);
  sched = floor_sched_new (t.context);
  actor = floor_actor_new (sched, floor_reply);
  actor->replies = g_async_queue_new ();
  thread = g_thread_new ("floor-actor", floor_thread_main, &t);

  /* Warm up: the thread runs its loop. */
  floor_send (actor, 0);
  g_async_queue_pop (actor->replies);

  start = now_ns ();
  cpu_start = cpu_ns ();
  for (gint i = 0; i < n; i++)
    {
      floor_send (actor, i);
      if (GPOINTER_TO_INT (g_async_queue_pop (actor->replies)) != i + 1)
        g_error ("floor: wrong reply");
    }
  end = now_ns ();
  *cpu_us = (double) (cpu_ns () - cpu_start) / n / 1000;

  {
    GSource *q = g_idle_source_new ();
    g_source_set_callback (q, quit_cb, t.loop, NULL);
    g_source_attach (q, t.context);
    g_source_unref (q);
  }
  g_thread_join (thread);
  g_async_queue_unref (actor->replies);
  floor_actor_free (actor);
  floor_sched_free (sched);
  g_main_loop_unref (t.loop);
  g_main_context_unref (t.context);

  return (double) (end - start) / n / 1000;
}

/* ---- pykka-glib actors -------------------------------------------------- */

typedef enum
{
  BENCH_BOUNCE,  /* int n: tell peer n - 1, or set done at 0 */
  BENCH_COUNT,   /* int: count; anything else: reply the count */
  BENCH_ECHO,    /* reply the message */
  BENCH_SINK,    /* count the message globally, reply nothing */
  BENCH_CHAIN,   /* ask peer (if any), get, reply the answer + 1 */
  BENCH_HOLD,    /* reply with the held future (end of a deep chain) */
  BENCH_FAN,     /* ask every worker, join, get, reply the count */
  BENCH_SPIN,    /* 10 µs of work, count the message globally */
  BENCH_CRASHY,  /* a negative int fails the handler; else reply the message */
  BENCH_SLEEP,   /* int ms: sleep that long, reply it */
  BENCH_BUSY,    /* int µs: compute that long, reply it */
  BENCH_ROUTE,   /* int: ask the next worker (round-robin), reply with its future */
  BENCH_ROUTE_DEFER, /* the same, answering through a deferred reply */
} BenchMode;

#define BENCH_TYPE_ACTOR (bench_actor_get_type ())
G_DECLARE_DERIVABLE_TYPE (BenchActor, bench_actor, BENCH, ACTOR, PykkaActor)

struct _BenchActorClass
{
  PykkaActorClass parent_class;
};

typedef struct
{
  BenchMode      mode;
  PykkaActorRef *peer;     /* (owned) (nullable) */
  gint64         count;
  PykkaActorRef **workers; /* (unowned) fan-out */
  guint          n_workers;
} BenchActorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (BenchActor, bench_actor, PYKKA_TYPE_ACTOR)

#define BENCH_TYPE_CO_ACTOR (bench_co_actor_get_type ())
G_DECLARE_FINAL_TYPE (BenchCoActor, bench_co_actor, BENCH, CO_ACTOR, BenchActor)

struct _BenchCoActor
{
  BenchActor parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchCoActor, bench_co_actor, BENCH_TYPE_ACTOR)

static gboolean     bench_done;
static gint         bench_received;   /* atomic */
static gint         bench_stopped;    /* atomic */
static gint         bench_suspended;  /* coroutines inside get */
static PykkaFuture *bench_hold;

static gboolean
bench_actor_on_stop (PykkaActor  *actor,
                     GError     **error)
{
  g_atomic_int_inc (&bench_stopped);
  return TRUE;
}

static void
bench_route_answered (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  g_autoptr(PykkaFuture) handle = data;
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  if (value != NULL)
    pykka_future_set_value (handle, value, NULL);
  else
    pykka_future_set_error (handle, error, NULL);
}

static gboolean
bench_actor_on_receive (PykkaActor    *actor,
                        const GValue  *message,
                        GValue        *reply,
                        GError       **error)
{
  BenchActorPrivate *priv = bench_actor_get_instance_private (BENCH_ACTOR (actor));

  switch (priv->mode)
    {
    case BENCH_BOUNCE:
      {
        gint n = g_value_get_int (message);

        if (n == 0)
          bench_done = TRUE;
        else
          {
            GValue next = G_VALUE_INIT;

            g_value_init (&next, G_TYPE_INT);
            g_value_set_int (&next, n - 1);
            pykka_actor_ref_tell (priv->peer, &next, NULL);
          }
        return TRUE;
      }

    case BENCH_COUNT:
      if (G_VALUE_HOLDS_INT (message))
        priv->count++;
      else
        {
          g_value_init (reply, G_TYPE_INT64);
          g_value_set_int64 (reply, priv->count);
        }
      return TRUE;

    case BENCH_BUSY:
      {
        gint64 until = g_get_monotonic_time () + g_value_get_int (message);
        volatile guint64 x = 0;

        while (g_get_monotonic_time () < until)
          for (guint i = 0; i < 1000; i++)
            x += i;
        g_value_init (reply, G_TYPE_INT);
        g_value_set_int (reply, g_value_get_int (message));
        return TRUE;
      }

    case BENCH_SLEEP:
      g_usleep ((gulong) g_value_get_int (message) * 1000);
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, g_value_get_int (message));
      return TRUE;

    case BENCH_ROUTE:
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_take_object (reply, pykka_actor_ref_ask (priv->workers[priv->count++ % priv->n_workers], message));
      return TRUE;

    case BENCH_ROUTE_DEFER:
      {
        PykkaFuture *handle = pykka_actor_defer_reply (actor, error);

        if (handle == NULL)
          return FALSE;
        g_autoptr(PykkaFuture) answer = pykka_actor_ref_ask (priv->workers[priv->count++ % priv->n_workers], message);
        pykka_future_get_async (answer, NULL, bench_route_answered, handle);
        return TRUE;
      }

    case BENCH_CRASHY:
      if (G_VALUE_HOLDS_INT (message) && g_value_get_int (message) < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "crash");
          return FALSE;
        }
      G_GNUC_FALLTHROUGH;
    case BENCH_ECHO:
      g_value_init (reply, G_VALUE_TYPE (message));
      g_value_copy (message, reply);
      return TRUE;

    case BENCH_SINK:
      g_atomic_int_inc (&bench_received);
      return TRUE;

    case BENCH_SPIN:
      {
        gint64 until = g_get_monotonic_time () + 10;

        while (g_get_monotonic_time () < until)
          ;
        g_atomic_int_inc (&bench_received);
        return TRUE;
      }

    case BENCH_CHAIN:
      {
        gint n = g_value_get_int (message);

        if (priv->peer != NULL)
          {
            GValue answer = G_VALUE_INIT;
            gboolean ok;

            bench_suspended++;
            ok = pykka_actor_ref_ask_sync (priv->peer, message, -1, &answer, error);
            bench_suspended--;
            if (!ok)
              return FALSE;
            n = g_value_get_int (&answer);
          }
        g_value_init (reply, G_TYPE_INT);
        g_value_set_int (reply, n + 1);
        return TRUE;
      }

    case BENCH_HOLD:
      bench_done = TRUE;
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_set_object (reply, bench_hold);
      return TRUE;

    case BENCH_FAN:
      {
        g_autofree PykkaFuture **futures = g_new (PykkaFuture *, priv->n_workers);
        g_autoptr(PykkaFuture) joined = NULL;
        const GValue *all;
        guint n;

        for (guint i = 0; i < priv->n_workers; i++)
          futures[i] = pykka_actor_ref_ask (priv->workers[i], message);
        joined = pykka_future_join (futures, priv->n_workers);
        for (guint i = 0; i < priv->n_workers; i++)
          g_object_unref (futures[i]);
        all = pykka_future_get (joined, -1, error);
        if (all == NULL)
          return FALSE;
        n = ((GPtrArray *) g_value_get_boxed (all))->len;
        g_value_init (reply, G_TYPE_UINT);
        g_value_set_uint (reply, n);
        return TRUE;
      }
    }
  g_assert_not_reached ();
}

static void
bench_actor_finalize (GObject *object)
{
  BenchActorPrivate *priv = bench_actor_get_instance_private (BENCH_ACTOR (object));

  g_clear_object (&priv->peer);
  G_OBJECT_CLASS (bench_actor_parent_class)->finalize (object);
}

static void
bench_actor_class_init (BenchActorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bench_actor_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = bench_actor_on_receive;
  PYKKA_ACTOR_CLASS (klass)->on_stop = bench_actor_on_stop;
}

static void
bench_actor_init (BenchActor *self)
{
}

static void
bench_co_actor_class_init (BenchCoActorClass *klass)
{
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
bench_co_actor_init (BenchCoActor *self)
{
}

static BenchActorPrivate *
bench_priv (PykkaActor *actor)
{
  return bench_actor_get_instance_private (BENCH_ACTOR (actor));
}

/* Creates an actor of @type in @mode; @context NULL: the thread-default
 * one; @own_thread: a thread of its own. Returns the unstarted actor. */
static PykkaActor *
bench_actor_new (GType      type,
                 BenchMode  mode,
                 gboolean   own_thread)
{
  PykkaActor *actor = own_thread ? g_object_new (type, "use-own-thread", TRUE, NULL)
                                 : g_object_new (type, NULL);

  bench_priv (actor)->mode = mode;
  return actor;
}

static PykkaActorRef *
bench_start (PykkaActor *actor)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  if (ref == NULL)
    g_error ("Could not start an actor: %s", error->message);
  return ref;
}

static GValue *
value_int (GValue *value,
           gint    v)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, v);
  return value;
}

static void
stop_refs (PykkaActorRef **refs,
           guint           n)
{
  g_autofree PykkaFuture **futures = g_new (PykkaFuture *, n);

  for (guint i = 0; i < n; i++)
    futures[i] = pykka_actor_ref_stop (refs[i]);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      if (pykka_future_get (futures[i], 60000, &error) == NULL)
        g_error ("Could not stop an actor: %s", error->message);
      g_object_unref (futures[i]);
    }
}

/* A workload on a fresh thread-default context, torn down afterwards. */
static GMainContext *
context_enter (void)
{
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  return context;
}

static void
context_leave (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* Starts @n_idle idle actors on the current context, then passes a counter
 * @hops times around a ring of @n_actors: ns per hop. */
static double
pykka_ring (guint n_actors,
            gint  hops,
            guint n_idle)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **ring = g_new (PykkaActorRef *, n_actors);
  g_autofree PykkaActorRef **idle = g_new (PykkaActorRef *, MAX (n_idle, 1));
  GValue msg = G_VALUE_INIT;
  gint64 start, end;

  for (guint i = 0; i < n_idle; i++)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);
      idle[i] = bench_start (actor);
    }

  for (guint i = 0; i < n_actors; i++)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_BOUNCE, FALSE);
      ring[i] = bench_start (actor);
    }
  for (guint i = 0; i < n_actors; i++)
    {
      PykkaActor *actor = pykka_actor_ref_dup_actor (ring[i]);

      bench_priv (actor)->peer = g_object_ref (ring[(i + 1) % n_actors]);
      g_object_unref (actor);
    }
  /* Everyone has run on_start. */
  while (g_main_context_iteration (context, FALSE))
    ;

  bench_done = FALSE;
  start = now_ns ();
  pykka_actor_ref_tell (ring[0], value_int (&msg, hops), NULL);
  while (!bench_done)
    g_main_context_iteration (context, TRUE);
  end = now_ns ();

  for (guint i = 0; i < n_actors; i++)
    {
      PykkaActor *actor = pykka_actor_ref_dup_actor (ring[i]);

      g_clear_object (&bench_priv (actor)->peer);
      g_object_unref (actor);
    }
  stop_refs (ring, n_actors);
  stop_refs (idle, n_idle);
  for (guint i = 0; i < n_actors; i++)
    g_object_unref (ring[i]);
  for (guint i = 0; i < n_idle; i++)
    g_object_unref (idle[i]);
  context_leave (context);

  return (double) (end - start) / (hops + 1);
}

/* Another thread tells an actor @n messages, then asks for the count:
 * messages per second. */
static double
pykka_counting (gint n)
{
  g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_COUNT, TRUE);
  g_autoptr(PykkaActorRef) ref = bench_start (actor);
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT, ask = G_VALUE_INIT, count = G_VALUE_INIT;
  gint64 start, end;

  value_int (&msg, 1);
  g_value_init (&ask, G_TYPE_BOOLEAN);
  /* Warm up: the thread runs. */
  if (!pykka_actor_ref_ask_sync (ref, &ask, -1, NULL, &error))
    g_error ("%s", error->message);
  bench_priv (actor)->count = 0;

  start = now_ns ();
  for (gint i = 0; i < n; i++)
    pykka_actor_ref_tell (ref, &msg, NULL);
  if (!pykka_actor_ref_ask_sync (ref, &ask, -1, &count, &error))
    g_error ("%s", error->message);
  end = now_ns ();

  if (g_value_get_int64 (&count) != n)
    g_error ("counting: the actor counted %" G_GINT64_FORMAT " of %d messages",
             g_value_get_int64 (&count), n);
  pykka_actor_ref_stop_sync (ref, -1, NULL);

  return n / ((double) (end - start) / 1e9);
}

/* A non-actor caller asks an echo actor @n times: µs per ask. */
static double
pykka_ask (gint      n,
           gboolean  own_thread,
           double   *cpu_us)
{
  GMainContext *context = context_enter ();
  PykkaActorRef *ref;
  GValue msg = G_VALUE_INIT;
  gint64 start, end, cpu_start;

  {
    g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_ECHO, own_thread);
    ref = bench_start (actor);
  }
  value_int (&msg, 7);
  /* Warm up. */
  {
    g_autoptr(PykkaFuture) future = pykka_actor_ref_ask (ref, &msg);
    pykka_future_get (future, -1, NULL);
  }

  start = now_ns ();
  cpu_start = cpu_ns ();
  for (gint i = 0; i < n; i++)
    {
      GValue reply = G_VALUE_INIT;

      if (!pykka_actor_ref_ask_sync (ref, &msg, -1, &reply, NULL) ||
          g_value_get_int (&reply) != 7)
        g_error ("ask: wrong reply");
    }
  end = now_ns ();
  if (cpu_us != NULL)
    *cpu_us = (double) (cpu_ns () - cpu_start) / n / 1000;

  pykka_actor_ref_stop_sync (ref, -1, NULL);
  g_object_unref (ref);
  context_leave (context);

  return (double) (end - start) / n / 1000;
}

/* Creates @k actors, sends each one message, stops all: µs per actor.
 * With @rss_per_actor, also the resident memory per live actor. */
static double
pykka_spawn (gint    k,
             double *rss_per_actor)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **refs = g_new (PykkaActorRef *, k);
  GValue msg = G_VALUE_INIT;
  gint64 start, end, rss_start = 0;

  value_int (&msg, 1);
  g_atomic_int_set (&bench_received, 0);
  g_atomic_int_set (&bench_stopped, 0);

  if (rss_per_actor != NULL)
    rss_start = rss_bytes ();
  start = now_ns ();
  for (gint i = 0; i < k; i++)
    {
      PykkaActor *actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);

      refs[i] = bench_start (actor);
      g_object_unref (actor);
      pykka_actor_ref_tell (refs[i], &msg, NULL);
    }
  while (g_atomic_int_get (&bench_received) < k)
    g_main_context_iteration (context, TRUE);
  if (rss_per_actor != NULL)
    *rss_per_actor = (double) (rss_bytes () - rss_start) / k;

  {
    g_autofree PykkaFuture **futures = g_new (PykkaFuture *, k);

    for (gint i = 0; i < k; i++)
      futures[i] = pykka_actor_ref_stop (refs[i]);
    while (g_atomic_int_get (&bench_stopped) < k)
      g_main_context_iteration (context, TRUE);
    for (gint i = 0; i < k; i++)
      {
        g_object_unref (futures[i]);
        g_object_unref (refs[i]);
      }
  }
  end = now_ns ();
  context_leave (context);

  return (double) (end - start) / k / 1000;
}

/* Stackful actors in a chain of @length, each asking the next and
 * suspending in get: ns per hop (one suspend + resume each), @rounds
 * times. */
G_GNUC_NO_INLINE static double
pykka_coroutine_chain (guint length,
                       gint  rounds)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **chain = g_new (PykkaActorRef *, length);
  GValue msg = G_VALUE_INIT;
  gint64 start, end;

  for (guint i = length; i-- > 0;)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_CO_ACTOR, BENCH_CHAIN, FALSE);

      if (i + 1 < length)
        bench_priv (actor)->peer = g_object_ref (chain[i + 1]);
      chain[i] = bench_start (actor);
    }
  value_int (&msg, 0);
  {
    g_autoptr(PykkaFuture) future = pykka_actor_ref_ask (chain[0], &msg);
    pykka_future_get (future, -1, NULL);
  }

  start = now_ns ();
  for (gint r = 0; r < rounds; r++)
    {
      GValue reply = G_VALUE_INIT;

      if (!pykka_actor_ref_ask_sync (chain[0], &msg, -1, &reply, NULL) ||
          g_value_get_int (&reply) != (gint) length)
        g_error ("coroutines: wrong reply");
    }
  end = now_ns ();

  stop_refs (chain, length);
  for (guint i = 0; i < length; i++)
    g_object_unref (chain[i]);
  context_leave (context);

  /* Every actor but the last suspends once per round. */
  return (double) (end - start) / rounds / (length - 1);
}

/* A chain of @depth stackful actors, all suspended at once: bytes of
 * resident memory per suspended coroutine. */
static double
pykka_coroutine_depth (guint  depth,
                       guint *reached)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **chain = g_new (PykkaActorRef *, depth + 1);
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue msg = G_VALUE_INIT, done = G_VALUE_INIT;
  const GValue *reply;
  gint64 rss_idle, rss_suspended;

  for (guint i = depth + 1; i-- > 0;)
    {
      g_autoptr(PykkaActor) actor =
        bench_actor_new (i == depth ? BENCH_TYPE_ACTOR : BENCH_TYPE_CO_ACTOR,
                         i == depth ? BENCH_HOLD : BENCH_CHAIN, FALSE);

      if (i < depth)
        bench_priv (actor)->peer = g_object_ref (chain[i + 1]);
      chain[i] = bench_start (actor);
    }
  while (g_main_context_iteration (context, FALSE))
    ;
  rss_idle = rss_bytes ();

  bench_hold = pykka_future_new ();
  bench_done = FALSE;
  bench_suspended = 0;
  future = pykka_actor_ref_ask (chain[0], value_int (&msg, 0));
  while (!bench_done)
    g_main_context_iteration (context, TRUE);
  rss_suspended = rss_bytes ();
  *reached = bench_suspended;

  pykka_future_set_value (bench_hold, value_int (&done, 0), NULL);
  reply = pykka_future_get (future, -1, &error);
  if (reply == NULL)
    g_error ("coroutines: %s", error->message);
  if (g_value_get_int (reply) != (gint) depth)
    g_error ("coroutines: wrong depth %d", g_value_get_int (reply));
  g_clear_object (&bench_hold);

  stop_refs (chain, depth + 1);
  for (guint i = 0; i <= depth; i++)
    g_object_unref (chain[i]);
  context_leave (context);

  return (double) (rss_suspended - rss_idle) / depth;
}

/* A stackful actor asks @n_workers workers and joins the futures, @rounds
 * times: µs per round. */
static double
pykka_fan_out (guint n_workers,
               gint  rounds)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **workers = g_new (PykkaActorRef *, n_workers);
  g_autoptr(PykkaActorRef) boss = NULL;
  GValue msg = G_VALUE_INIT;
  gint64 start, end;

  for (guint i = 0; i < n_workers; i++)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_ECHO, FALSE);
      workers[i] = bench_start (actor);
    }
  {
    g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_CO_ACTOR, BENCH_FAN, FALSE);

    bench_priv (actor)->workers = workers;
    bench_priv (actor)->n_workers = n_workers;
    boss = bench_start (actor);
  }
  value_int (&msg, 1);

  start = now_ns ();
  for (gint r = 0; r < rounds; r++)
    {
      g_autoptr(PykkaFuture) future = pykka_actor_ref_ask (boss, &msg);
      const GValue *reply = pykka_future_get (future, -1, NULL);

      if (reply == NULL || g_value_get_uint (reply) != n_workers)
        g_error ("fan-out: wrong reply");
    }
  end = now_ns ();

  stop_refs (&boss, 1);
  stop_refs (workers, n_workers);
  for (guint i = 0; i < n_workers; i++)
    g_object_unref (workers[i]);
  context_leave (context);

  return (double) (end - start) / rounds / 1000;
}

/* A router over 3 own-thread workers: 6 jobs of @job_ms each, asked at
 * once; ms until every answer is in. With @defer the router answers
 * through deferred replies, else by replying with its worker's future
 * (which pauses its mailbox). */
static double
pykka_router (gint     job_ms,
              gboolean defer)
{
  GMainContext *context = context_enter ();
  PykkaActorRef *workers[3];
  PykkaFuture *jobs[6];
  PykkaActorRef *router;
  gint64 start, end;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PykkaActor) worker = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SLEEP, TRUE);
      workers[i] = bench_start (worker);
    }
  {
    g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, defer ? BENCH_ROUTE_DEFER : BENCH_ROUTE, FALSE);

    bench_priv (actor)->workers = workers;
    bench_priv (actor)->n_workers = 3;
    router = bench_start (actor);
  }
  start = now_ns ();
  for (guint i = 0; i < 6; i++)
    {
      GValue msg = G_VALUE_INIT;

      jobs[i] = pykka_actor_ref_ask (router, value_int (&msg, job_ms));
    }
  for (guint i = 0; i < 6; i++)
    {
      if (pykka_future_get (jobs[i], -1, NULL) == NULL)
        g_error ("router: no answer");
      g_object_unref (jobs[i]);
    }
  end = now_ns ();
  pykka_actor_ref_stop_sync (router, -1, NULL);
  g_object_unref (router);
  for (guint i = 0; i < 3; i++)
    {
      pykka_actor_ref_stop_sync (workers[i], -1, NULL);
      g_object_unref (workers[i]);
    }
  context_leave (context);
  return (double) (end - start) / 1e6;
}

/* A pool of @workers own-thread workers answers @n jobs of 1 ms of
 * computing each, asked at once: ms for all. */
static PykkaActor *
make_busy_worker (gpointer data)
{
  return bench_actor_new (BENCH_TYPE_ACTOR, BENCH_BUSY, TRUE);
}

static double
pykka_pool (gint n,
            guint workers)
{
  GMainContext *context = context_enter ();
  g_autoptr(GError) error = NULL;
  g_autofree PykkaFuture **jobs = g_new (PykkaFuture *, n);
  PykkaActorRef *pool = pykka_router_start_pool (PYKKA_ROUTER_ROUND_ROBIN, workers, make_busy_worker, NULL, NULL, &error);
  gint64 start, end;

  if (pool == NULL)
    g_error ("pool: %s", error->message);
  start = now_ns ();
  for (gint i = 0; i < n; i++)
    {
      GValue msg = G_VALUE_INIT;

      jobs[i] = pykka_actor_ref_ask (pool, value_int (&msg, 1000));
    }
  for (gint i = 0; i < n; i++)
    {
      if (pykka_future_get (jobs[i], -1, NULL) == NULL)
        g_error ("pool: no answer");
      g_object_unref (jobs[i]);
    }
  end = now_ns ();
  pykka_actor_ref_stop_sync (pool, -1, NULL);
  g_object_unref (pool);
  context_leave (context);
  return (double) (end - start) / 1e6;
}

/* Supervision (issue 15): a supervised actor fails and is restarted, @n
 * times, each timed from the failing tell to the answer of an ask the
 * new instance handles; or, with @by_hand, what a program without
 * supervision does: stop the actor, make and start another, ask it. µs
 * per restart. */
static PykkaActor *
make_crashy (gpointer data)
{
  return bench_actor_new (BENCH_TYPE_ACTOR, BENCH_CRASHY, FALSE);
}

static void
drop_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
}

static double
pykka_restart (gint     n,
               gboolean by_hand)
{
  GMainContext *context = context_enter ();
  g_autoptr(PykkaSupervisor) supervisor = pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, G_MAXUINT, 1000);
  g_autoptr(PykkaActorRef) supervisor_ref = bench_start (PYKKA_ACTOR (supervisor));
  PykkaActorRef *ref;
  GValue crash = G_VALUE_INIT, msg = G_VALUE_INIT;
  guint handler;
  gint64 start, end;

  /* Each failure logs a message: not this benchmark's output. */
  handler = g_log_set_handler ("Pykka", G_LOG_LEVEL_MESSAGE, drop_log, NULL);
  value_int (&crash, -1);
  value_int (&msg, 7);
  if (by_hand)
    {
      g_autoptr(PykkaActor) actor = make_crashy (NULL);
      ref = bench_start (actor);
    }
  else
    ref = pykka_supervisor_start_child (supervisor, make_crashy, NULL, NULL, NULL);

  start = now_ns ();
  for (gint i = 0; i < n; i++)
    {
      GValue reply = G_VALUE_INIT;

      if (by_hand)
        {
          g_autoptr(PykkaActor) actor = make_crashy (NULL);

          pykka_actor_ref_stop_sync (ref, -1, NULL);
          g_object_unref (ref);
          ref = bench_start (actor);
        }
      else
        pykka_actor_ref_tell (ref, &crash, NULL);
      if (!pykka_actor_ref_ask_sync (ref, &msg, -1, &reply, NULL) || g_value_get_int (&reply) != 7)
        g_error ("restart: wrong reply");
    }
  end = now_ns ();
  if (!by_hand && pykka_supervisor_get_restarts (supervisor) != (guint) n)
    g_error ("restart: %u restarts for %d failures", pykka_supervisor_get_restarts (supervisor), n);

  pykka_actor_ref_stop_sync (ref, -1, NULL);
  g_object_unref (ref);
  pykka_actor_ref_stop_sync (supervisor_ref, -1, NULL);
  g_log_remove_handler ("Pykka", handler);
  context_leave (context);
  return (double) (end - start) / n / 1000;
}

/* Death watch: @n watch + unwatch pairs of one actor on another (ns per
 * pair), and @k actors stopped with (or without) a watcher told of each
 * death (µs per actor). */
static double
pykka_watch_pairs (gint n)
{
  GMainContext *context = context_enter ();
  g_autoptr(PykkaActor) watcher = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);
  g_autoptr(PykkaActor) watched = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);
  g_autoptr(PykkaActorRef) watcher_ref = bench_start (watcher);
  g_autoptr(PykkaActorRef) watched_ref = bench_start (watched);
  gint64 start, end;

  start = now_ns ();
  for (gint i = 0; i < n; i++)
    {
      pykka_actor_watch (watcher, watched_ref);
      pykka_actor_unwatch (watcher, watched_ref);
    }
  end = now_ns ();
  pykka_actor_ref_stop_sync (watched_ref, -1, NULL);
  pykka_actor_ref_stop_sync (watcher_ref, -1, NULL);
  context_leave (context);
  return (double) (end - start) / n;
}

static double
pykka_watched_deaths (gint     k,
                      gboolean watched)
{
  GMainContext *context = context_enter ();
  g_autofree PykkaActorRef **refs = g_new (PykkaActorRef *, k);
  g_autoptr(PykkaActor) watcher = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);
  g_autoptr(PykkaActorRef) watcher_ref = bench_start (watcher);
  gint64 start, end;

  for (gint i = 0; i < k; i++)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);

      refs[i] = bench_start (actor);
    }
  g_atomic_int_set (&bench_received, 0);
  start = now_ns ();
  for (gint i = 0; i < k && watched; i++)
    pykka_actor_watch (watcher, refs[i]);
  stop_refs (refs, k);
  if (watched)
    {
      /* The watcher is told of every death: a message each. */
      g_autoptr(PykkaFuture) last = NULL;
      GValue msg = G_VALUE_INIT;

      value_int (&msg, 0);
      last = pykka_actor_ref_ask (watcher_ref, &msg);
      pykka_future_get (last, -1, NULL);
      if (g_atomic_int_get (&bench_received) != k + 1)
        g_error ("watch: %d deaths told for %d", g_atomic_int_get (&bench_received) - 1, k);
    }
  end = now_ns ();
  for (gint i = 0; i < k; i++)
    g_object_unref (refs[i]);
  pykka_actor_ref_stop_sync (watcher_ref, -1, NULL);
  context_leave (context);
  return (double) (end - start) / k / 1000;
}

/* ---- the workloads ------------------------------------------------------ */

typedef struct
{
  const char *name;
  gint64      size;       /* default size */
  gint64      tiny_size;
  void      (*run) (gint64 n);
  const char *help;
} Workload;

/* pykka_context_get_time_budget() of a new context. */
#define PYKKA_BENCH_DEFAULT_BUDGET 8000

#define REPEAT(var, expr)                                  \
  double var;                                              \
  G_STMT_START {                                           \
    double *_v = g_newa (double, repeat);                  \
    for (guint _i = 0; _i < repeat; _i++)                  \
      _v[_i] = (expr);                                     \
    var = median (_v, repeat);                             \
  } G_STMT_END


static void
run_pingpong (gint64 n)
{
  REPEAT (floor, floor_ring (2, n));
  REPEAT (pykka, pykka_ring (2, n, 0));

  add_record ("pingpong", "glib-floor", n, floor, "ns/hop");
  set_ratio (add_record ("pingpong", "pykka-glib", n, pykka, "ns/hop"),
             floor, FALSE, "glib-floor");
}

static void
run_threadring (gint64 n)
{
  REPEAT (floor, 1e9 / floor_ring (100, n));
  REPEAT (pykka, 1e9 / pykka_ring (100, n, 0));

  add_record ("threadring", "glib-floor", n, floor, "hops/s");
  set_ratio (add_record ("threadring", "pykka-glib", n, pykka, "hops/s"),
             floor, TRUE, "glib-floor");
}

static void
run_counting (gint64 n)
{
  REPEAT (pykka, pykka_counting (n));

  add_record ("counting", "pykka-glib", n, pykka, "msgs/s");
}

static void
run_ask (gint64 n)
{
  REPEAT (pykka, pykka_ask (n, FALSE, NULL));

  add_record ("ask-same-context", "pykka-glib", n, pykka, "us/ask");
}

static void
run_ask_thread (gint64 n)
{
  double *floor_us = g_newa (double, repeat), *floor_cpu = g_newa (double, repeat);
  double *pykka_us = g_newa (double, repeat), *pykka_cpu = g_newa (double, repeat);
  double floor;
  Record *r;

  /* Interleaved, so that both see the same machine. */
  for (guint i = 0; i < repeat; i++)
    {
      floor_us[i] = floor_ask_thread (n, &floor_cpu[i]);
      pykka_us[i] = pykka_ask (n, TRUE, &pykka_cpu[i]);
    }

  floor = median (floor_us, repeat);
  add_record ("ask-thread", "glib-floor", n, floor, "us/ask");
  r = add_record ("ask-thread", "pykka-glib", n, median (pykka_us, repeat), "us/ask");
  set_ratio (r, floor, FALSE, "glib-floor");
  floor = median (floor_cpu, repeat);
  add_record ("ask-thread-cpu", "glib-floor", n, floor, "us-cpu/ask");
  r = add_record ("ask-thread-cpu", "pykka-glib", n, median (pykka_cpu, repeat), "us-cpu/ask");
  set_ratio (r, floor, FALSE, "glib-floor");
}

/* 100 own-thread actors, each asked once, then left idle for @msec: the
 * CPU time the process used meanwhile (ms). Their threads spin a little
 * before they sleep in poll (issue 18.2), and must cost nothing once idle. */
static double
pykka_idle_threads (gint msec)
{
  PykkaActorRef *refs[100];
  GValue msg = G_VALUE_INIT;
  gint64 cpu_start;
  double cpu_ms;

  value_int (&msg, 7);
  for (guint i = 0; i < G_N_ELEMENTS (refs); i++)
    {
      g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_ECHO, TRUE);
      GValue reply = G_VALUE_INIT;

      refs[i] = bench_start (actor);
      if (!pykka_actor_ref_ask_sync (refs[i], &msg, -1, &reply, NULL))
        g_error ("idle-threads: no reply");
    }
  /* The spins that follow the last answers end within microseconds. */
  g_usleep (10000);
  cpu_start = cpu_ns ();
  g_usleep ((gulong) msec * 1000);
  cpu_ms = (double) (cpu_ns () - cpu_start) / 1e6;
  for (guint i = 0; i < G_N_ELEMENTS (refs); i++)
    {
      pykka_actor_ref_stop_sync (refs[i], -1, NULL);
      g_object_unref (refs[i]);
    }
  return cpu_ms;
}

static void
run_idle_threads (gint64 n)
{
  /* Once: idle time is the same every time. */
  double cpu = pykka_idle_threads ((gint) n);

  add_record ("idle-threads-cpu", "pykka-glib", n, cpu, "ms-cpu");
}

/* Memory is measured in a fresh process: the heap of this one is full of
 * memory freed by earlier workloads, which new actors would reuse. */
static double
measure_in_child (const char *what,
                  gint64      n,
                  double     *second)
{
  g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, n);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/proc/self/exe", "--child", what, size, NULL };
  char *end;
  double value;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                     NULL, NULL, &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("Measuring %s in a child process: %s", what, error->message);
  value = g_ascii_strtod (out, &end);
  if (second != NULL)
    *second = g_ascii_strtod (end, NULL);
  return value;
}

/* Resident bytes per queued message: @n ints told to an actor whose
 * context nobody runs (they all wait in its mailbox). */
static double
pykka_queued_bytes (gint64 n)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActor) actor = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  GValue msg = G_VALUE_INIT;
  gint64 before;

  g_main_context_push_thread_default (context);
  actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SINK, FALSE);
  ref = bench_start (actor);
  value_int (&msg, 1);
  before = rss_bytes ();
  for (gint64 i = 0; i < n; i++)
    pykka_actor_ref_tell (ref, &msg, NULL);
  return (double) (rss_bytes () - before) / n;
}

static void
run_queued (gint64 n)
{
  double bytes = measure_in_child ("queued", n, NULL);

  add_record ("queued-memory", "pykka-glib", n, bytes, "bytes/message");
}

/* The GObject floor of spawn: an actor's life takes three GObjects (the
 * actor, its ref and the future of its stop). Creates and frees @k times
 * three plain GObjects, held together as an actor holds them: µs per
 * triple. */
#define BENCH_TYPE_PLAIN (bench_plain_get_type ())
G_DECLARE_FINAL_TYPE (BenchPlain, bench_plain, BENCH, PLAIN, GObject)

struct _BenchPlain
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchPlain, bench_plain, G_TYPE_OBJECT)

static void
bench_plain_class_init (BenchPlainClass *klass)
{
}

static void
bench_plain_init (BenchPlain *self)
{
}

static double
gobject_spawn (gint k)
{
  g_autofree GObject **objects = g_new (GObject *, 3 * (gsize) k);
  gint64 start = now_ns ();

  for (gint i = 0; i < 3 * k; i++)
    objects[i] = g_object_new (BENCH_TYPE_PLAIN, NULL);
  for (gint i = 0; i < 3 * k; i++)
    g_object_unref (objects[i]);

  return (double) (now_ns () - start) / k / 1000;
}

static void
run_spawn (gint64 n)
{
  double *floor_us = g_newa (double, repeat);
  double *pykka_us = g_newa (double, repeat);
  double floor, pykka;

  /* Alternately, so that both see the same state of a shared machine. */
  for (guint i = 0; i < repeat; i++)
    {
      floor_us[i] = gobject_spawn (n);
      pykka_us[i] = pykka_spawn (n, NULL);
    }
  floor = median (floor_us, repeat);
  pykka = median (pykka_us, repeat);
  double rss = measure_in_child ("spawn", n, NULL);

  add_record ("spawn", "gobject-floor", n, floor, "us/3-gobjects");
  set_ratio (add_record ("spawn", "pykka-glib", n, pykka, "us/actor"),
             floor, FALSE, "gobject-floor (3 GObjects per actor life)");
  add_record ("spawn-memory", "pykka-glib", n, rss, "bytes/actor");
}

static void
run_idle (gint64 n)
{
  guint n_idle = tiny ? 1000 : 100000;
  double *plain = g_newa (double, repeat);
  double *idle = g_newa (double, repeat);
  double reference;

  /* Interleaved with plain pingpong in the same state of the heap: earlier
   * workloads leave it fragmented, which alone costs some percent. */
  for (guint i = 0; i < repeat; i++)
    {
      plain[i] = pykka_ring (2, n, 0);
      idle[i] = pykka_ring (2, n, n_idle);
    }
  reference = median (plain, repeat);
  set_ratio (add_record ("idle", "pykka-glib", n, median (idle, repeat), "ns/hop"),
             reference, FALSE, "pingpong, no idle actors, same point of the run");
}

static void
run_coroutines (gint64 n)
{
  guint depth = tiny ? 1000 : 100000;
  double bytes, reached;
  REPEAT (pykka, pykka_coroutine_chain (10, n));

  add_record ("coroutines", "pykka-glib", n * 9, pykka, "ns/hop");
  {
    g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *dir = g_path_get_dirname (self != NULL ? self : ".");
    g_autofree char *exe = g_build_filename (dir, "pykka-bench-coroutine", NULL);
    g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, n * 10);
    g_autofree char *out = NULL;
    const char *argv[] = { exe, size, NULL };
    char *end;
    double shared, copied;

    if (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                      &out, NULL, NULL, NULL) && out != NULL)
      {
        shared = g_ascii_strtod (out, &end);
        copied = g_ascii_strtod (end, NULL);
        add_record ("coroutine-switch", "pykka-glib", n * 10, shared, "ns/suspend+resume");
        add_record ("coroutine-switch-copy", "pykka-glib", n * 10, copied, "ns/suspend+resume");
      }
    else
      fprintf (stderr, "  (%s not found: no bare switch figures)\n", exe);
  }
  bytes = measure_in_child ("coroutines", depth, &reached);
  add_record ("coroutines-suspended", "pykka-glib", depth, reached, "coroutines");
  add_record ("coroutine-memory", "pykka-glib", depth, bytes, "bytes/suspended");
}

/* ---- frame gap: a flood on the main context and GTK's redraw idle ------- */

typedef struct
{
  gint64 last;     /* last call, or the flood's start */
  gint64 longest;  /* longest gap so far */
} GapProbe;

static gboolean
gap_probe_cb (gpointer data)
{
  GapProbe *probe = data;
  gint64 now = g_get_monotonic_time ();

  probe->longest = MAX (probe->longest, now - probe->last);
  probe->last = now;
  return G_SOURCE_CONTINUE;
}

/* @n messages of 10 µs to an actor on the main context while an idle at
 * GTK's redraw priority (G_PRIORITY_HIGH_IDLE + 20) runs: returns the
 * longest gap between two runs of the idle (from the flood's start), in
 * ms, and the flood's throughput in messages per second. */
static double
pykka_frame_gap (gint64  n,
                 guint   budget_usec,
                 double *throughput)
{
  g_autoptr(PykkaActor) actor = bench_actor_new (BENCH_TYPE_ACTOR, BENCH_SPIN, FALSE);
  g_autoptr(PykkaActorRef) ref = NULL;
  GapProbe probe = { 0, 0 };
  GSource *idle;
  GValue one = G_VALUE_INIT;
  guint saved = pykka_context_get_time_budget (NULL);
  gint64 start, end;

  pykka_context_set_time_budget (NULL, budget_usec);
  ref = bench_start (actor);
  g_atomic_int_set (&bench_received, 0);
  value_int (&one, 1);
  for (gint64 i = 0; i < n; i++)
    pykka_actor_ref_tell (ref, &one, NULL);

  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_HIGH_IDLE + 20);
  g_source_set_callback (idle, gap_probe_cb, &probe, NULL);
  start = probe.last = g_get_monotonic_time ();
  g_source_attach (idle, NULL);
  while (g_atomic_int_get (&bench_received) < n)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time ();
  /* The gap still open when the flood ends counts too. */
  probe.longest = MAX (probe.longest, end - probe.last);
  g_source_destroy (idle);
  g_source_unref (idle);

  pykka_actor_ref_stop_sync (ref, -1, NULL);
  pykka_context_set_time_budget (NULL, saved);
  *throughput = n / ((end - start) / 1e6);
  return probe.longest / 1000.0;
}

static void
run_frame_gap (gint64 n)
{
  double yielded_rate, unyielded_rate;
  Record *r;

  REPEAT (yielded, pykka_frame_gap (n, PYKKA_BENCH_DEFAULT_BUDGET, &yielded_rate));
  REPEAT (unyielded, pykka_frame_gap (n, 0, &unyielded_rate));

  add_record ("frame-gap", "unyielded", n, unyielded, "ms longest gap");
  r = add_record ("frame-gap", "pykka-glib", n, yielded, "ms longest gap");
  set_ratio (r, unyielded, FALSE, "unyielded (time budget 0)");
  add_record ("flood-throughput", "unyielded", n, unyielded_rate, "msgs/s");
  r = add_record ("flood-throughput", "pykka-glib", n, yielded_rate, "msgs/s");
  set_ratio (r, unyielded_rate, TRUE, "unyielded (time budget 0), last repetition");
}

static void
run_fan_out (gint64 n)
{
  REPEAT (pykka, pykka_fan_out (tiny ? 100 : 1000, n));

  add_record ("fan-out", "pykka-glib", n, pykka, "us/round");
}

static void
run_router (gint64 n)
{
  REPEAT (paused, pykka_router ((gint) n, FALSE));
  REPEAT (deferred, pykka_router ((gint) n, TRUE));

  add_record ("router", "reply with future", n, paused, "ms for 6 jobs");
  set_ratio (add_record ("router", "deferred replies", n, deferred, "ms for 6 jobs"),
             paused, FALSE, "reply with future");
}

static void
run_pool (gint64 n)
{
  REPEAT (one, pykka_pool ((gint) n, 1));
  REPEAT (two, pykka_pool ((gint) n, 2));
  Record *r;

  add_record ("pool", "1 worker", n, one, "ms");
  r = add_record ("pool", "2 workers", n, two, "ms");
  set_ratio (r, one, FALSE, "1 worker");
  add_record ("pool-speedup", "2 workers", n, one / two, "x");
}

static void
run_restart (gint64 n)
{
  REPEAT (by_hand, pykka_restart (n, TRUE));
  REPEAT (pykka, pykka_restart (n, FALSE));

  add_record ("restart", "stop+start by hand", n, by_hand, "us/restart");
  set_ratio (add_record ("restart", "pykka-glib", n, pykka, "us/restart"),
             by_hand, FALSE, "stop+start by hand");
}

static void
run_watch (gint64 n)
{
  gint k = tiny ? 100 : 10000;
  REPEAT (pairs, pykka_watch_pairs (n));
  REPEAT (unwatched, pykka_watched_deaths (k, FALSE));
  REPEAT (watched, pykka_watched_deaths (k, TRUE));

  add_record ("watch", "pykka-glib", n, pairs, "ns/watch+unwatch");
  add_record ("watched-death", "unwatched", k, unwatched, "us/actor");
  set_ratio (add_record ("watched-death", "pykka-glib", k, watched, "us/actor"),
             unwatched, FALSE, "unwatched");
}

static const Workload workloads[] = {
  { "pingpong",   2000000, 2000, run_pingpong,   "two actors on one context bounce a counter (ns/hop)" },
  { "threadring", 2000000, 2000, run_threadring, "100 actors in a ring pass a token (hops/s)" },
  { "counting",   2000000, 2000, run_counting,   "another thread tells one actor N messages, then asks the count (msgs/s)" },
  { "ask",        200000,  200,  run_ask,        "N blocking asks to an actor on the caller's context (us/ask)" },
  { "ask-thread", 20000,   100,  run_ask_thread, "N blocking asks to an actor on its own thread (us/ask)" },
  { "idle-threads", 10000, 100,  run_idle_threads, "100 own-thread actors, asked once each, then idle for N ms: CPU time of the process meanwhile (ms)" },
  { "spawn",      100000,  200,  run_spawn,      "create N actors, one message each, stop all (us/actor, bytes/actor)" },
  { "idle",       2000000, 2000, run_idle,       "pingpong with 100 000 idle actors on the context (ns/hop)" },
  { "coroutines", 100000,  20,   run_coroutines, "stackful chain of 10 asking each other, N rounds (ns/hop: ask + suspend + resume); bare suspend + resume; 100 000 suspended at once" },
  { "fan-out",    200,     5,    run_fan_out,    "one actor asks 1000 workers and joins, N rounds (us/round)" },
  { "router",     300,     5,    run_router,     "a router over 3 own-thread workers answers 6 jobs of N ms each, with deferred replies or by replying with its worker's future (ms for the 6)" },
  { "queued",     1000000, 1000, run_queued,     "resident bytes per message of N ints told to an actor that does not run (in a fresh process)" },
  { "pool",       1000,    20,   run_pool,       "a pool of 1, then 2 own-thread workers answers N jobs of 1 ms of computing each (ms; speedup of 2 over 1)" },
  { "restart",    20000,   100,  run_restart,    "a supervised actor fails and is restarted N times: from the failing tell to the new instance's answer, against stopping and starting a new actor by hand (us/restart)" },
  { "watch",      1000000, 1000, run_watch,      "N watch + unwatch pairs (ns); 10 000 actors stopped with a watcher told of each death, against unwatched (us/actor)" },
  { "frame-gap",  100000,  2000, run_frame_gap,  "N 10 us messages flood the main context: longest gap of an idle at GTK's redraw priority (ms), and the flood's throughput, with the default time budget and without" },
};

static void
usage (void)
{
  fprintf (stderr,
           "Usage: pykka-bench [--tiny] [--repeat R] [--json FILE] [WORKLOAD[=N]...]\n\n"
           "Workloads (default size in brackets):\n");
  for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
    fprintf (stderr, "  %-11s [%" G_GINT64_FORMAT "] %s\n",
             workloads[i].name, workloads[i].size, workloads[i].help);
}

int
main (int   argc,
      char *argv[])
{
  const char *json = NULL;
  gint64 sizes[G_N_ELEMENTS (workloads)];
  gboolean any = FALSE;

  memset (sizes, 0, sizeof sizes);
  if (argc == 4 && strcmp (argv[1], "--child") == 0)
    {
      gint64 n = g_ascii_strtoll (argv[3], NULL, 10);
      double value;
      guint reached = 0;

      if (strcmp (argv[2], "spawn") == 0)
        pykka_spawn (n, &value);
      else if (strcmp (argv[2], "queued") == 0)
        value = pykka_queued_bytes (n);
      else
        value = pykka_coroutine_depth (n, &reached);
      printf ("%.1f %u\n", value, reached);
      return 0;
    }
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--tiny") == 0)
        tiny = TRUE;
      else if (strcmp (arg, "--json") == 0 && i + 1 < argc)
        json = argv[++i];
      else if (strcmp (arg, "--repeat") == 0 && i + 1 < argc)
        {
          repeat = atoi (argv[++i]);
          repeat = MAX (repeat, 1);
        }
      else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          usage ();
          return 0;
        }
      else
        {
          const char *eq = strchr (arg, '=');
          gsize len = eq != NULL ? (gsize) (eq - arg) : strlen (arg);
          guint w;

          for (w = 0; w < G_N_ELEMENTS (workloads); w++)
            if (strlen (workloads[w].name) == len && strncmp (workloads[w].name, arg, len) == 0)
              break;
          if (w == G_N_ELEMENTS (workloads) || (eq != NULL && atoll (eq + 1) <= 0))
            {
              usage ();
              return 2;
            }
          sizes[w] = eq != NULL ? atoll (eq + 1) : -1;
          any = TRUE;
        }
    }
  if (tiny && repeat == 3)
    repeat = 1;

  records = g_ptr_array_new_with_free_func (record_free);

  fprintf (stderr, "pykka-bench: %u repetitions per figure (median)\n", repeat);
  for (guint w = 0; w < G_N_ELEMENTS (workloads); w++)
    {
      gint64 n = sizes[w];

      if (any && n == 0)
        continue;
      if (n <= 0)
        n = tiny ? workloads[w].tiny_size : workloads[w].size;
      fprintf (stderr, "%s...\n", workloads[w].name);
      workloads[w].run (n);
    }

  print_table ();

  if (json != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!write_json (json, &error))
        {
          fprintf (stderr, "pykka-bench: %s\n", error->message);
          return 1;
        }
    }

  g_ptr_array_unref (records);
  return 0;
}
