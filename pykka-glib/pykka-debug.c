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
 * Then, for each main context with get_async waits
 * ([method@Pykka.Future.get_async], [method@Pykka.Event.wait_async], and
 * the awaits of the bindings built on them) whose callbacks have not run,
 * a line with the context, how many wait for their future (`waiting`) and
 * how many are complete with their callback queued on the context
 * (`ready`). Such a callback runs only when something iterates that
 * context: `ready` callbacks that stay mean that no loop runs it, such as
 * a thread-default context pushed on a thread that then blocks or ends.
 *
 * ```
 * 2 running actor(s)
 *   MyPeer urn:uuid:3ff9be42-…-df context=0x55fd456fbe70 (default) mailbox=0 running
 *   MyLoader urn:uuid:3ff9be42-…-e1 context=0x7f3a38000b70 (own thread) mailbox=3 suspended on a reply future
 * 1 context(s) with pending get_async callbacks
 *   context=0x55fd45700a10 waiting=0 ready=1 (ready callbacks run when this context is iterated: if they stay, no loop runs it)
 * ```
 *
 * The states are read without stopping the actors, so the dump is a
 * snapshot that may be slightly stale. It may be called from any thread,
 * even while every actor is stuck.
 *
 * Returns: (transfer full): the description, one line per actor after a
 *   first line that counts them
 */
/* The get_async waits by context. Every wait counts here, so a mutex and
 * a hash lookup are added to get_async, never to a message. */
typedef struct
{
  guint waiting;  /* for their future */
  guint queued;   /* callback queued, not run yet */
} AsyncCounts;

static GMutex      async_lock;
static GHashTable *async_by_context;  /* (owned) GMainContext* (not referenced) -> AsyncCounts* */

void
pykka_debug_note_async (GMainContext *context,
                        gint          waiting,
                        gint          queued)
{
  AsyncCounts *counts;

  if (context == NULL)
    context = g_main_context_default ();
  g_mutex_lock (&async_lock);
  if (async_by_context == NULL)
    async_by_context = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  counts = g_hash_table_lookup (async_by_context, context);
  if (counts == NULL)
    {
      counts = g_new0 (AsyncCounts, 1);
      g_hash_table_insert (async_by_context, context, counts);
    }
  counts->waiting += waiting;
  counts->queued += queued;
  if (counts->waiting == 0 && counts->queued == 0)
    g_hash_table_remove (async_by_context, context);
  g_mutex_unlock (&async_lock);
}

static void
describe_async (GString *out)
{
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&async_lock);
  if (async_by_context != NULL && g_hash_table_size (async_by_context) > 0)
    {
      g_string_append_printf (out, "%u context(s) with pending get_async callbacks\n",
                              g_hash_table_size (async_by_context));
      g_hash_table_iter_init (&iter, async_by_context);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          AsyncCounts *counts = value;

          g_string_append_printf (out, "  context=%p%s waiting=%u ready=%u%s\n",
                                  key, key == (gpointer) g_main_context_default () ? " (default)" : "",
                                  counts->waiting, counts->queued,
                                  counts->queued > 0 ? " (ready callbacks run when this context is iterated: if they stay, no loop runs it)" : "");
        }
    }
  g_mutex_unlock (&async_lock);
}

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

  describe_async (out);
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

/* ---------------------------------------------------------------------------
 * PYKKA_DEBUG=threads: what crosses threads shared
 */

gint pykka_debug_flags = PYKKA_DEBUG_UNREAD;

gint
pykka_debug_read_flags (void)
{
  static const GDebugKey keys[] = {
    { "threads", PYKKA_DEBUG_THREADS },
  };
  gint flags = (gint) g_parse_debug_string (g_getenv ("PYKKA_DEBUG"), keys, G_N_ELEMENTS (keys));

  g_atomic_int_set (&pykka_debug_flags, flags);
  return flags;
}

static GQuark
thread_safe_quark (void)
{
  static GQuark quark;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("pykka-thread-safe");
  return quark;
}

/**
 * pykka_mark_thread_safe_type:
 * @type: an object type (a class or an interface)
 *
 * Says that objects of @type, and of the types that derive from it (or
 * implement it), may be used from several threads at once: they are
 * immutable, or lock their own state. The `PYKKA_DEBUG=threads` check
 * then lets them cross to an actor on another thread without a warning.
 * It changes nothing else: an object in a message is always shared, by
 * reference, never copied.
 *
 * [class@Pykka.ActorRef], [class@Pykka.Future], [class@Pykka.Event],
 * #GCancellable and #GDBusConnection are marked already.
 * See "Sending data between threads" in the guide
 * [Contexts and threads](04-contexts-and-threads.html).
 */
void
pykka_mark_thread_safe_type (GType type)
{
  g_return_if_fail (G_TYPE_IS_OBJECT (type) || G_TYPE_IS_INTERFACE (type));

  g_type_set_qdata (type, thread_safe_quark (), GINT_TO_POINTER (TRUE));
}

static gboolean
type_is_marked_thread_safe (GType type)
{
  static gsize builtins = 0;

  if (g_once_init_enter (&builtins))
    {
      pykka_mark_thread_safe_type (PYKKA_TYPE_ACTOR_REF);
      pykka_mark_thread_safe_type (PYKKA_TYPE_FUTURE);
      pykka_mark_thread_safe_type (PYKKA_TYPE_EVENT);
      pykka_mark_thread_safe_type (G_TYPE_CANCELLABLE);
      pykka_mark_thread_safe_type (G_TYPE_DBUS_CONNECTION);
      g_once_init_leave (&builtins, 1);
    }

  for (GType t = type; t != 0; t = g_type_parent (t))
    if (g_type_get_qdata (t, thread_safe_quark ()) != NULL)
      return TRUE;
  {
    guint n = 0;
    g_autofree GType *ifaces = g_type_interfaces (type, &n);

    for (guint i = 0; i < n; i++)
      if (g_type_get_qdata (ifaces[i], thread_safe_quark ()) != NULL)
        return TRUE;
  }
  return FALSE;
}

/* What @message shares with its sender, or NULL if it is copied (or
 * immutable, or marked thread-safe). Static text. */
static const char *
shared_kind (const GValue *message,
             GType        *shared_type)
{
  GType type = G_VALUE_TYPE (message);

  *shared_type = type;
  if (type == G_TYPE_POINTER)
    return "a raw pointer, passed unchecked";
  if (G_VALUE_HOLDS_OBJECT (message))
    {
      GObject *object = g_value_get_object (message);

      if (object == NULL)
        return NULL;
      *shared_type = G_OBJECT_TYPE (object);
      return type_is_marked_thread_safe (G_OBJECT_TYPE (object)) ? NULL :
             "a GObject, shared by reference and not marked thread-safe";
    }
  /* Boxed containers whose copy is a new reference to the same, mutable,
   * container. */
  if (type == G_TYPE_PTR_ARRAY || type == G_TYPE_ARRAY ||
      type == G_TYPE_BYTE_ARRAY || type == G_TYPE_HASH_TABLE)
    return g_value_get_boxed (message) != NULL ? "a container whose copy is a new reference to the same one" : NULL;
  return NULL;
}

void
pykka_debug_check_crossing (PykkaCell    *cell,
                            const GValue *message)
{
  static GMutex lock;
  static GHashTable *seen;  /* (owned) "Class\nType" already warned about */
  PykkaScheduler *scheduler = pykka_cell_get_scheduler (cell);
  GType shared_type;
  const char *kind;
  char *key;
  gboolean first;

  if (message == NULL || !G_IS_VALUE (message) || scheduler == NULL ||
      !pykka_scheduler_is_other_thread (scheduler))
    return;
  kind = shared_kind (message, &shared_type);
  if (kind == NULL)
    return;

  key = g_strdup_printf ("%s\n%s", g_type_name (pykka_cell_get_gtype (cell)), g_type_name (shared_type));
  g_mutex_lock (&lock);
  if (seen == NULL)
    seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  first = g_hash_table_add (seen, key);
  g_mutex_unlock (&lock);
  if (first)
    {
      g_autofree char *who = pykka_cell_describe (cell);
      g_autofree char *owner = pykka_scheduler_describe_owner (scheduler);

      g_warning ("PYKKA_DEBUG=threads: a message of type %s (%s) crosses to actor %s, which runs on %s: "
                 "both threads now hold it. Send a copy or an immutable value (a GVariant, a GBytes), "
                 "hand the object over and stop touching it, or mark its type with pykka_mark_thread_safe_type() "
                 "(logged once per actor class and type)",
                 g_type_name (shared_type), kind, who, owner);
    }
}
