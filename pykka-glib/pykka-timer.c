/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-private.h"

/*
 * Timers owned by actors (issue 16.1) and the virtual clock of a context
 * (issue 16.6).
 *
 * A timer is a GSource of its own type on the actor's context that tells
 * the actor its message when its deadline passes, once or every
 * interval. The cell keeps its timers (pykka_cell_add_timer()) and
 * destroys them when it dies. Deadlines are read on the context's clock:
 * the monotonic clock, or a virtual one that a test advances by hand
 * (pykka_context_use_virtual_clock()), on which a timer never fires by
 * itself.
 */

typedef struct
{
  gint64 now;   /* µs */
} VirtualClock;

G_LOCK_DEFINE_STATIC (clocks);
static GHashTable *clocks;  /* GMainContext* (referenced) -> VirtualClock*; under clocks */

/* The time of @context's clock, in µs; *@is_virtual if it is virtual. */
static gint64
context_now (GMainContext *context,
             gboolean     *is_virtual)
{
  VirtualClock *clock = NULL;
  gint64 now = 0;

  if (G_LIKELY (g_atomic_pointer_get (&clocks) == NULL))
    {
      *is_virtual = FALSE;
      return g_get_monotonic_time ();
    }
  G_LOCK (clocks);
  clock = g_hash_table_lookup (clocks, context);
  if (clock != NULL)
    now = clock->now;
  G_UNLOCK (clocks);
  *is_virtual = clock != NULL;
  return clock != NULL ? now : g_get_monotonic_time ();
}

/* The time of @context's clock (virtual or monotonic), in µs: for the
 * timeouts of handlers' waits. */
gint64
pykka_context_now (GMainContext *context)
{
  gboolean is_virtual;

  return context_now (context, &is_virtual);
}

/* The prepare of a source due at @deadline on its context's clock (@now,
 * virtual or not): ready, or the poll timeout until then (none on a
 * virtual clock, which only an advance moves). */
static gboolean
deadline_prepare (gint64    now,
                  gboolean  is_virtual,
                  gint64    deadline,
                  gint     *timeout)
{
  if (now >= deadline)
    {
      *timeout = 0;
      return TRUE;
    }
  *timeout = is_virtual ? -1 : (gint) MIN ((deadline - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

/* A timeout source on the clock of the context it is attached to: what
 * the waits of handlers use, so that a virtual clock drives them too. */
typedef struct
{
  GSource source;
  gint64  deadline;   /* µs on the context's clock; set at attach */
  gint64  delay;      /* µs */
  gboolean armed;
} ClockTimeout;

static gboolean
clock_timeout_prepare (GSource *source,
                       gint    *timeout)
{
  ClockTimeout *t = (ClockTimeout *) source;
  gboolean is_virtual;
  gint64 now = context_now (g_source_get_context (source), &is_virtual);

  if (!t->armed)
    {
      t->deadline = now + t->delay;
      t->armed = TRUE;
    }
  return deadline_prepare (now, is_virtual, t->deadline, timeout);
}

static gboolean
clock_timeout_check (GSource *source)
{
  ClockTimeout *t = (ClockTimeout *) source;
  gboolean is_virtual;

  return t->armed && context_now (g_source_get_context (source), &is_virtual) >= t->deadline;
}

static gboolean
clock_timeout_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  return callback != NULL ? callback (user_data) : G_SOURCE_REMOVE;
}

static GSourceFuncs clock_timeout_funcs = {
  clock_timeout_prepare,
  clock_timeout_check,
  clock_timeout_dispatch,
  NULL,
  NULL,
  NULL,
};

/* Fires once, @msec after @context's clock reads now (set its callback,
 * attach it to @context). */
GSource *
pykka_clock_timeout_source_new (GMainContext *context,
                                guint         msec)
{
  GSource *source = g_source_new (&clock_timeout_funcs, sizeof (ClockTimeout));
  ClockTimeout *t = (ClockTimeout *) source;

  t->deadline = pykka_context_now (context) + (gint64) msec * 1000;
  t->delay = (gint64) msec * 1000;
  t->armed = TRUE;
  return source;
}

typedef struct
{
  GSource    source;
  PykkaCell *cell;        /* (owned) */
  guint      id;
  gint64     deadline;    /* on the context's clock, µs */
  gint64     interval;    /* µs; 0: once */
  GValue     message;
} TimerSource;

static gboolean
timer_prepare (GSource *source,
               gint    *timeout)
{
  TimerSource *t = (TimerSource *) source;
  gboolean is_virtual;
  gint64 now = context_now (g_source_get_context (source), &is_virtual);

  return deadline_prepare (now, is_virtual, t->deadline, timeout);
}

static gboolean
timer_check (GSource *source)
{
  TimerSource *t = (TimerSource *) source;
  gboolean is_virtual;

  return context_now (g_source_get_context (source), &is_virtual) >= t->deadline;
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  TimerSource *t = (TimerSource *) source;

  pykka_cell_timer_fired (t->cell, t->id, &t->message, t->interval == 0);
  if (t->interval == 0)
    return G_SOURCE_REMOVE;
  t->deadline += t->interval;
  return G_SOURCE_CONTINUE;
}

static void
timer_finalize (GSource *source)
{
  TimerSource *t = (TimerSource *) source;

  pykka_cell_unref (t->cell);
  g_value_unset (&t->message);
}

static GSourceFuncs timer_funcs = {
  timer_prepare,
  timer_check,
  timer_dispatch,
  timer_finalize,
  NULL,
  NULL,
};

/* A timer of @cell, not attached: see pykka_cell_add_timer(). */
GSource *
pykka_timer_source_new (PykkaCell    *cell,
                        GMainContext *context,
                        guint         delay_msec,
                        guint         interval_msec,
                        const GValue *message)
{
  GSource *source = g_source_new (&timer_funcs, sizeof (TimerSource));
  TimerSource *t = (TimerSource *) source;
  gboolean is_virtual;

  t->cell = pykka_cell_ref (cell);
  t->deadline = context_now (context, &is_virtual) + (gint64) delay_msec * 1000;
  t->interval = (gint64) interval_msec * 1000;
  g_value_init (&t->message, G_VALUE_TYPE (message));
  g_value_copy (message, &t->message);
  g_source_set_static_name (source, "[pykka] actor timer");
  return source;
}

void
pykka_timer_source_set_id (GSource *source,
                           guint    id)
{
  ((TimerSource *) source)->id = id;
}

/**
 * pykka_context_use_virtual_clock:
 * @context: (nullable): a #GMainContext, %NULL for the global default one
 *
 * For tests: the timers of the actors of @context
 * ([method@Pykka.Actor.start_timer]) and the timeouts of their handlers'
 * waits (a stackful handler's [method@Pykka.Future.get], a binding's
 * suspended wait, such as a Python handler's `get(timeout)`) read a
 * virtual clock from now on, which starts at the current monotonic time
 * and moves only when [func@Pykka.context_advance_clock] moves it. A test
 * of a ten-minute retry policy then runs in milliseconds, and
 * deterministically. Blocking waits of plain code, outside handlers, and
 * GLib's own sources still read the monotonic clock. Calling it again
 * changes nothing; the context keeps its virtual clock for its life.
 */
void
pykka_context_use_virtual_clock (GMainContext *context)
{
  if (context == NULL)
    context = g_main_context_default ();

  G_LOCK (clocks);
  if (clocks == NULL)
    g_atomic_pointer_set (&clocks, g_hash_table_new_full (NULL, NULL, (GDestroyNotify) g_main_context_unref, g_free));
  if (!g_hash_table_contains (clocks, context))
    {
      VirtualClock *clock = g_new0 (VirtualClock, 1);

      clock->now = g_get_monotonic_time ();
      g_hash_table_insert (clocks, g_main_context_ref (context), clock);
    }
  G_UNLOCK (clocks);
}

/**
 * pykka_context_advance_clock:
 * @context: (nullable): a #GMainContext with a virtual clock, %NULL for
 *   the global default one
 * @msec: how far to move it, in milliseconds
 *
 * Moves the virtual clock of @context forward and wakes the context: the
 * timers now due fire in its next iterations (a periodic timer once per
 * iteration while it is behind). Iterate the context to run them, for
 * example until `g_main_context_iteration (context, FALSE)` returns
 * %FALSE.
 *
 * Returns: %FALSE if @context has no virtual clock
 */
gboolean
pykka_context_advance_clock (GMainContext *context,
                             guint         msec)
{
  VirtualClock *clock;

  if (context == NULL)
    context = g_main_context_default ();

  G_LOCK (clocks);
  clock = clocks != NULL ? g_hash_table_lookup (clocks, context) : NULL;
  if (clock != NULL)
    clock->now += (gint64) msec * 1000;
  G_UNLOCK (clocks);
  if (clock != NULL)
    g_main_context_wakeup (context);
  return clock != NULL;
}
