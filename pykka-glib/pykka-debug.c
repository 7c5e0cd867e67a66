/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <glib-unix.h>

#include "pykka-debug.h"

#include "pykka-private.h"

/**
 * pykka_debug_dump_actors:
 *
 * Describes the state of every running actor, one line each: its type,
 * urn, the main context it runs in (and whether on a thread of its own),
 * how many messages wait in its mailbox, whether it is running, suspended
 * (and on what) or idle. The equivalent, for actors, of Pykka's
 * `log_thread_tracebacks()`; see [func@Pykka.debug_log_actors].
 *
 * Returns: (transfer full): the description, one line per actor
 */
char *
pykka_debug_dump_actors (void)
{
  g_autoptr(GPtrArray) found = pykka_registry_dup_cells (0);
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "%u running actor(s)\n", found->len);
  for (guint i = 0; i < found->len; i++)
    {
      PykkaCell *cell = found->pdata[i];
      const char *state;
      guint length;

      g_mutex_lock (&cell->mutex);
      length = cell->length;
      if (cell->running)
        state = "running";
      else if (cell->suspended)
        state = cell->suspended_on != NULL ? "suspended on a reply future" :
                cell->waiting_for != NULL ? (g_str_equal (cell->waiting_for, "event") ? "suspended on an event"
                                                                                      : "suspended on a future")
                                          : "suspended";
      else if (cell->scheduled)
        state = "scheduled";
      else
        state = "idle";
      g_mutex_unlock (&cell->mutex);

      g_string_append_printf (out, "  %s %s context=%p%s mailbox=%u %s%s\n",
                              g_type_name (cell->type), pykka_cell_get_urn (cell),
                              (gpointer) pykka_scheduler_get_context (cell->scheduler),
                              cell->own_thread ? " (own thread)" : "",
                              length, state, cell->stackful ? " (stackful)" : "");
    }

  return g_string_free (out, FALSE);
}

/**
 * pykka_debug_log_actors:
 *
 * Logs [func@Pykka.debug_dump_actors] as a message in the `Pykka` log
 * domain. Callable from any thread and any language.
 */
void
pykka_debug_log_actors (void)
{
  g_autofree char *dump = pykka_debug_dump_actors ();

  g_message ("%s", dump);
}

static gboolean
signal_cb (gpointer data)
{
  pykka_debug_log_actors ();
  return G_SOURCE_CONTINUE;
}

/**
 * pykka_debug_install_signal_handler:
 * @signum: a signal [func@GLibUnix.signal_add] supports, usually `SIGUSR1`
 *
 * Logs the state of every actor ([func@Pykka.debug_log_actors]) each time
 * the process receives @signum, through a source in the global default
 * main context: `kill -USR1 <pid>` then shows what every actor does. The
 * default main context must be running for the log to appear.
 *
 * Returns: the source ID, for g_source_remove()
 */
guint
pykka_debug_install_signal_handler (int signum)
{
  return g_unix_signal_add (signum, signal_cb, NULL);
}
