/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pykka_debug_dump_actors() describes every actor's state, and the
 * SIGUSR1 handler logs it. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "test-util.h"

/* An actor whose handler blocks until the event it is sent is set. */
#define TEST_TYPE_BLOCKER (test_blocker_get_type ())
G_DECLARE_FINAL_TYPE (TestBlocker, test_blocker, TEST, BLOCKER, PykkaActor)

struct _TestBlocker
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (TestBlocker, test_blocker, PYKKA_TYPE_ACTOR)

static gboolean
test_blocker_on_receive (PykkaActor *actor, const GValue *message,
                         GValue *reply, GError **error)
{
  g_assert_true (pykka_event_wait (g_value_get_object (message), TEST_TIMEOUT_MSEC));
  return TRUE;
}

static void
test_blocker_class_init (TestBlockerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = test_blocker_on_receive;
}

static void
test_blocker_init (TestBlocker *self)
{
}

/* Replies with the future given as data: the actor suspends on it. */
static gboolean
reply_with_future (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  g_value_init (reply, PYKKA_TYPE_FUTURE);
  g_value_set_object (reply, test_actor_get_data (self));
  return TRUE;
}

/* Blocks on the future given as data: a stackful actor suspends. */
static gboolean
get_future (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  return pykka_future_get (test_actor_get_data (self), TEST_TIMEOUT_MSEC, error) != NULL;
}

/* The line of the dump about @ref, or NULL. */
static char *
dump_line (PykkaActorRef *ref)
{
  g_autofree char *dump = pykka_debug_dump_actors ();
  const char *urn = pykka_actor_ref_get_urn (ref);
  g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], urn) != NULL)
      return g_strdup (lines[i]);
  return NULL;
}

static gboolean
line_has (PykkaActorRef *ref, const char *pattern)
{
  g_autofree char *line = dump_line (ref);

  return line != NULL && g_pattern_match_simple (pattern, line);
}

static void
assert_line (PykkaActorRef *ref, const char *pattern)
{
  g_autofree char *line = dump_line (ref);

  g_test_message ("%s", line ? line : "(no line)");
  g_assert_nonnull (line);
  if (!g_pattern_match_simple (pattern, line))
    g_error ("Dump line \"%s\" does not match \"%s\"", line, pattern);
}

static void
test_dump_states (void)
{
  g_autoptr(PykkaFuture) pending_reply = pykka_future_new ();
  g_autoptr(PykkaFuture) pending_get = pykka_future_new ();
  g_autoptr(PykkaEvent) release = pykka_event_new ();
  g_autoptr(GMainContext) unrun = g_main_context_new ();
  g_autoptr(PykkaActorRef) idle = NULL;
  g_autoptr(PykkaActorRef) queued = NULL;
  g_autoptr(PykkaActorRef) suspended = NULL;
  g_autoptr(PykkaActorRef) stackful = NULL;
  g_autoptr(PykkaActorRef) running = NULL;
  g_autoptr(PykkaFuture) suspended_answer = NULL;
  g_autoptr(PykkaFuture) stackful_answer = NULL;
  g_autoptr(PykkaActor) queued_actor = NULL;
  g_autoptr(PykkaActor) running_actor = NULL;
  g_autofree char *dump = NULL;
  GValue message = G_VALUE_INIT;
  GValue event = G_VALUE_INIT;
  GValue value = G_VALUE_INIT;

  g_test_summary ("The dump gives each actor's type, urn, context, mailbox "
                  "length and state: idle, scheduled, running, suspended on "
                  "a reply future, or suspended in a stackful get");

  test_value_int (&message, 1);

  /* Idle: started and done with on_start. */
  idle = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  g_assert_true (pykka_actor_ref_ask_sync (idle, &message, TEST_TIMEOUT_MSEC, NULL, NULL));

  /* Scheduled with mail, in a context that nothing iterates. */
  queued_actor = g_object_new (TEST_TYPE_ACTOR, "context", unrun, NULL);
  queued = pykka_actor_start (queued_actor, NULL);
  for (guint i = 0; i < 3; i++)
    g_assert_true (pykka_actor_ref_tell (queued, &message, NULL));

  /* Suspended on the future its handler replied with. */
  suspended = test_start (TEST_TYPE_ACTOR, reply_with_future, pending_reply, NULL);
  suspended_answer = pykka_actor_ref_ask (suspended, &message);
  g_assert_true (pykka_actor_ref_tell (suspended, &message, NULL));

  /* A stackful handler suspended in pykka_future_get(). */
  stackful = test_start (TEST_TYPE_STACKFUL_ACTOR, get_future, pending_get, NULL);
  stackful_answer = pykka_actor_ref_ask (stackful, &message);

  /* Running: a handler blocked in its own thread. */
  running_actor = g_object_new (TEST_TYPE_BLOCKER, "use-own-thread", TRUE, NULL);
  running = pykka_actor_start (running_actor, NULL);
  g_value_init (&event, PYKKA_TYPE_EVENT);
  g_value_set_object (&event, release);
  g_assert_true (pykka_actor_ref_tell (running, &event, NULL));

  test_iterate_until (NULL, line_has (suspended, "* suspended on a reply future") &&
                            line_has (stackful, "* suspended on a future (stackful)") &&
                            line_has (running, "* running"));

  dump = pykka_debug_dump_actors ();
  g_test_message ("%s", dump);
  g_assert_true (g_str_has_prefix (dump, "5 running actor(s)\n"));

  assert_line (idle, "  TestActor urn:uuid:* context=0x* (default) mailbox=0 idle");
  assert_line (queued, "  TestActor urn:uuid:* context=0x* mailbox=4 scheduled");
  assert_line (suspended, "  TestActor urn:uuid:* (default) mailbox=1 suspended on a reply future");
  assert_line (stackful, "  TestStackfulActor urn:uuid:* (default) mailbox=0 suspended on a future (stackful)");
  assert_line (running, "  TestBlocker urn:uuid:* context=0x* (own thread) mailbox=0 running");

  /* Let everything finish. */
  pykka_event_set (release);
  test_value_int (&value, 2);
  g_assert_true (pykka_future_set_value (pending_reply, &value, NULL));
  g_assert_true (pykka_future_set_value (pending_get, &value, NULL));
  g_assert_nonnull (pykka_future_get (suspended_answer, TEST_TIMEOUT_MSEC, NULL));
  g_assert_nonnull (pykka_future_get (stackful_answer, TEST_TIMEOUT_MSEC, NULL));
  test_stop_all ();

  dump = (g_free (dump), pykka_debug_dump_actors ());
  g_assert_cmpstr (dump, ==, "0 running actor(s)\n");

  g_value_unset (&message);
  g_value_unset (&event);
  g_value_unset (&value);
}

static gboolean logged;

static GLogWriterOutput
record_writer (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        strstr (fields[i].value, "running actor(s)") != NULL)
      logged = TRUE;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
test_signal_handler (void)
{
  g_test_summary ("The SIGUSR1 handler logs the dump from the default main context");

  if (g_test_subprocess ())
    {
      g_autoptr(PykkaActorRef) ref = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
      guint id;

      g_log_set_writer_func (record_writer, NULL, NULL);
      id = pykka_debug_install_signal_handler (SIGUSR1);
      g_assert_cmpuint (id, >, 0);
      raise (SIGUSR1);
      test_iterate_until (NULL, logged);
      g_source_remove (id);
      test_stop_all ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Pykka-Message*1 running actor(s)*TestActor urn:uuid:* (default) mailbox=0 *");
}

static void
test_log_actors (void)
{
  g_test_summary ("pykka_debug_log_actors() logs the dump as a message");

  if (g_test_subprocess ())
    {
      pykka_debug_log_actors ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Pykka-Message*0 running actor(s)*");
}

/* Starts and stops one actor on a context of its own (a new scheduler). */
static void
start_and_stop_one (gint id)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PykkaActorRef) ref = NULL;

  g_main_context_push_thread_default (context);
  ref = test_start (0, test_record_int, GINT_TO_POINTER (id), NULL);
  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  g_main_context_pop_thread_default (context);
}

static void
test_debug_log (void)
{
  g_test_summary ("G_MESSAGES_DEBUG=Pykka, read when a context gets its first actor, logs starts and stops; so does g_log_set_debug_enabled() for actors started after it; without either nothing is logged");

  if (g_test_subprocess ())
    {
      if (g_strcmp0 (g_getenv ("PYKKA_TEST_LOG"), "env") == 0)
        {
          g_setenv ("G_MESSAGES_DEBUG", "Pykka", TRUE);
          start_and_stop_one (1);
        }
      else if (g_strcmp0 (g_getenv ("PYKKA_TEST_LOG"), "enabled") == 0)
        {
          g_unsetenv ("G_MESSAGES_DEBUG");
          start_and_stop_one (1);
          g_log_set_debug_enabled (TRUE);
          start_and_stop_one (2);
        }
      else
        {
          g_unsetenv ("G_MESSAGES_DEBUG");
          start_and_stop_one (1);
        }
      return;
    }

  g_setenv ("PYKKA_TEST_LOG", "env", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Registered actor TestActor (urn:uuid:*)*Stopped actor TestActor (urn:uuid:*)*");

  g_setenv ("PYKKA_TEST_LOG", "enabled", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  /* Only the actor started after g_log_set_debug_enabled(): one of each. */
  g_test_trap_assert_stdout ("*Registered actor TestActor*Stopped actor TestActor*");
  g_test_trap_assert_stdout_unmatched ("*Registered actor*Registered actor*");

  g_setenv ("PYKKA_TEST_LOG", "none", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout_unmatched ("*Registered actor*");
  g_unsetenv ("PYKKA_TEST_LOG");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Debug/dump-states", test_dump_states);
  g_test_add_func ("/Pykka/Debug/signal-handler", test_signal_handler);
  g_test_add_func ("/Pykka/Debug/log-actors", test_log_actors);
  g_test_add_func ("/Pykka/Debug/debug-log", test_debug_log);

  return g_test_run ();
}
