/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <glib-unix.h>

#include "pykka-debug.h"

#include "pykka-private.h"

/**
 * pykka_debug_dump_actors:
 *
 * Describes every running actor, one line each, for debugging: what
 * Pykka's `log_thread_tracebacks()` is to threads. A line gives the
 * actor's type and urn, the main context it runs in (`default` for the
 * global default context, `own thread` for an actor with
 * [property@Pykka.Actor:use-own-thread]), how many messages wait in its
 * mailbox, and its state:
 *
 * - `running`: a handler of the actor runs right now;
 * - `suspended on a reply future`: a handler replied with a future that
 *   is not complete yet, and the actor takes no message until it is;
 * - `suspended on a future`, `suspended on an event`: a stackful handler
 *   waits in [method@Pykka.Future.get] or [method@Pykka.Event.wait];
 * - `scheduled`: mail is waiting and the actor is on its context's run
 *   queue: if it stays there, nothing iterates that context;
 * - `idle`: nothing to do.
 *
 * Stackful actors are marked `(stackful)`.
 *
 * ```
 * 2 running actor(s)
 *   MyPeer urn:uuid:3ff9be42-…-df context=0x55fd456fbe70 (default) mailbox=0 running
 *   MyLoader urn:uuid:3ff9be42-…-e1 context=0x7f3a38000b70 (own thread) mailbox=3 suspended on a reply future
 * ```
 *
 * The states are read without stopping the actors, so the dump is a
 * snapshot that may be slightly stale. It may be called from any thread,
 * even while every actor is stuck.
 *
 * Returns: (transfer full): the description, one line per actor after a
 *   first line that counts them
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
      PykkaCellSnapshot snap;

      pykka_cell_snapshot (cell, &snap);
      g_string_append_printf (out, "  %s %s context=%p%s mailbox=%u %s%s\n",
                              g_type_name (snap.type), pykka_cell_get_urn (cell),
                              (gpointer) snap.context,
                              snap.own_thread ? " (own thread)" :
                              snap.context == g_main_context_default () ? " (default)" : "",
                              snap.length, snap.state, snap.stackful ? " (stackful)" : "");
    }

  return g_string_free (out, FALSE);
}

/**
 * pykka_debug_log_actors:
 *
 * Logs the description of [func@Pykka.debug_dump_actors] as a message in
 * the `Pykka` log domain. It may be called from any thread and any
 * language: `Pykka.debug_log_actors()` in Python and JavaScript.
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
 * @signum: a signal that g_unix_signal_add() supports, usually `SIGUSR1`
 *
 * Logs the state of every actor ([func@Pykka.debug_log_actors]) each time
 * the process receives @signum, so that `kill -USR1 <pid>` shows what a
 * stuck program's actors are doing.
 *
 * The handler is a source of the global default main context, added with
 * g_unix_signal_add(): the log appears only while something iterates that
 * context. If the main thread itself is stuck, call
 * [func@Pykka.debug_log_actors] from another thread instead, or from a
 * debugger: `call pykka_debug_log_actors ()`.
 *
 * Returns: the ID of the source, for g_source_remove()
 */
guint
pykka_debug_install_signal_handler (int signum)
{
  return g_unix_signal_add (signum, signal_cb, NULL);
}

static guint64 dead_letters;  /* atomic */

/* A told message that no actor will handle: counted, and logged at debug
 * level with its type and the actor. */
void
pykka_debug_note_dead_letter (PykkaCell    *cell,
                              const GValue *message)
{
  g_atomic_pointer_add ((gpointer *) &dead_letters, 1);
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      g_autofree char *who = pykka_cell_describe (cell);

      g_debug ("Dead letter: a message of type %s told to actor %s, which is not alive",
               message != NULL && G_IS_VALUE (message) ? G_VALUE_TYPE_NAME (message) : "(none)", who);
    }
}

/**
 * pykka_debug_get_dead_letters:
 *
 * Counts the dead letters of the process so far: messages told (not
 * asked) to an actor that was no longer alive, and told messages still
 * queued when an actor stopped, was killed or died, which no actor will
 * handle. (An ask is never a dead letter: its asker gets
 * %PYKKA_ERROR_ACTOR_DEAD.) Each one is also logged at debug level in the
 * `Pykka` log domain, with its type and the actor (set
 * `G_MESSAGES_DEBUG=Pykka` to see them).
 *
 * Returns: how many dead letters there were
 */
guint64
pykka_debug_get_dead_letters (void)
{
  return (guint64) g_atomic_pointer_get ((gpointer *) &dead_letters);
}
