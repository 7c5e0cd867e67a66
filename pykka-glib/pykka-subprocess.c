/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pykka-remote-ref.h"

#include "pykka-actor-ref.h"
#include "pykka-terminated.h"

#include "pykka-dbus-private.h"
#include "pykka-error.h"
#include "pykka-private.h"

/*
 * Subprocess placement (issue 17.4): an actor in a helper process, spawned
 * with GSubprocess and connected peer to peer over a socket pair (fd 3 in
 * the helper), which exports the actor at PYKKA_DBUS_HOST_PATH. The
 * helper is pykka-glib-host (tools/) for a GType from a GModule, or
 * `python3 -m pykka_glib.host` for a Python class. The remote ref watches
 * the helper's exit: a crash is the actor's failure ("process crashed").
 */

static const char *
host_path (void)
{
  const char *path = g_getenv ("PYKKA_GLIB_HOST");

  return path != NULL ? path : PYKKA_LIBEXECDIR "/pykka-glib-host";
}

/* How long a helper has for its D-Bus handshake, which it does once it
 * has loaded the actor's module; `$PYKKA_GLIB_HOST_START_TIMEOUT_MSEC`
 * changes it. */
#define HOST_START_TIMEOUT_MSEC 30000

static guint
host_start_timeout_msec (void)
{
  const char *text = g_getenv ("PYKKA_GLIB_HOST_START_TIMEOUT_MSEC");
  guint64 msec;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT, &msec, NULL))
    return (guint) msec;
  return HOST_START_TIMEOUT_MSEC;
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static PykkaRemoteRef *
start_helper (const char * const  *argv,
              GError             **error)
{
  g_autoptr(GCancellable) cancellable = NULL;
  GSource *timeout;
  guint timeout_msec;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) local_error = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "socketpair: %s", g_strerror (saved));
      return NULL;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_clear_object (&launcher);   /* closes our copy of fds[1] */
  if (process == NULL)
    {
      close (fds[0]);
      return NULL;
    }

  socket = g_socket_new_from_fd (fds[0], error);
  if (socket == NULL)
    {
      close (fds[0]);
      g_subprocess_force_exit (process);
      return NULL;
    }
  stream = g_socket_connection_factory_create_connection (socket);
  /* A helper whose module hangs as it loads never answers the handshake:
   * give up after a while (pykka-glib's D-Bus thread cancels it). */
  cancellable = g_cancellable_new ();
  timeout_msec = host_start_timeout_msec ();
  timeout = g_timeout_source_new (timeout_msec);
  g_source_set_static_name (timeout, "[pykka] helper start timeout");
  g_source_set_callback (timeout, cancel_cb, g_object_ref (cancellable), g_object_unref);
  g_source_attach (timeout, pykka_dbus_thread_get_context ());
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                           NULL, cancellable, &local_error);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  if (connection == NULL)
    {
      g_subprocess_force_exit (process);
      if (g_cancellable_is_cancelled (cancellable))
        g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                     P_("The actor's process did not start: no handshake within %u ms"),
                     timeout_msec);
      else
        g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                     P_("The actor's process did not start: %s"), local_error->message);
      return NULL;
    }
  return pykka_remote_ref_new_for_process (connection, process);
}

/**
 * pykka_subprocess_start_actor:
 * @module_path: the path of a loadable module (a shared library) that
 *   defines the actor class
 * @type_name: the name of the actor's #GType, a subclass of
 *   [class@Pykka.Actor]
 * @error: return location for an error
 *
 * Starts an actor in a helper process of its own, for crash isolation:
 * the helper `pykka-glib-host` (from the library's libexec directory, or
 * `$PYKKA_GLIB_HOST`) loads @module_path, finds @type_name (registered by
 * the module's `g_module_check_init()`, or by its get_type function,
 * `my_parser_get_type()` for `MyParser`), starts an instance and exports
 * it to this process over a private socket.
 *
 * A crash of the helper (a segmentation fault, an abort) is a failure
 * of that actor: its ref dies with the reason "process crashed" and its
 * pending asks fail with %PYKKA_ERROR_ACTOR_DEAD; this process lives
 * on. The helper ends when its actor dies or when the ref is finalized.
 *
 * This call waits for the helper's handshake, which comes once the
 * helper has loaded the module: a helper that does not get there within
 * 30 seconds (`$PYKKA_GLIB_HOST_START_TIMEOUT_MSEC` changes it), say a
 * module that hangs as it loads, is killed, and the call fails.
 *
 * Returns: (transfer full): a [class@Pykka.RemoteRef] to the actor, or
 *   %NULL with @error set when the helper did not start
 */
PykkaRemoteRef *
pykka_subprocess_start_actor (const char  *module_path,
                              const char  *type_name,
                              GError     **error)
{
  const char *argv[] = { host_path (), "--fd", "3", "--module", module_path,
                         "--type", type_name, NULL };

  g_return_val_if_fail (module_path != NULL, NULL);
  g_return_val_if_fail (type_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return start_helper (argv, error);
}

/**
 * pykka_subprocess_start_python_actor:
 * @spec: `module:Class`, a Python actor class that the helper imports
 * @error: return location for an error
 *
 * As [func@Pykka.subprocess_start_actor], for an actor written in
 * Python: the helper is `python3 -m pykka_glib.host` (the interpreter is
 * `/usr/bin/python3`, or `$PYKKA_GLIB_HOST_PYTHON`), which imports the
 * module (from its `sys.path`, so `$PYTHONPATH` counts) and starts the
 * class. The import must be done within the same 30 seconds.
 *
 * Returns: (transfer full): a [class@Pykka.RemoteRef] to the actor, or
 *   %NULL with @error set when the helper did not start
 */
PykkaRemoteRef *
pykka_subprocess_start_python_actor (const char  *spec,
                                     GError     **error)
{
  const char *python = g_getenv ("PYKKA_GLIB_HOST_PYTHON");
  const char *argv[] = { python != NULL ? python : "/usr/bin/python3",
                         "-m", "pykka_glib.host", "--fd", "3", spec, NULL };

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return start_helper (argv, error);
}

/* ---- a local actor in front of a helper process ---- */

/**
 * PykkaProcessActor:
 *
 * A local actor whose work is done by an actor in a helper process, for
 * crash isolation under supervision: its `on_start` spawns the helper
 * (as [func@Pykka.subprocess_start_actor] or
 * [func@Pykka.subprocess_start_python_actor] do) and watches it
 * ([method@Pykka.Actor.watch_remote]); its mailbox forwards each message
 * to the helper's actor, in order: a tell as a remote tell, an ask as a
 * remote ask whose reply (or error) answers the asker later, without
 * holding up the mailbox ([method@Pykka.Actor.defer_reply]).
 *
 * A crash of the helper is a failure of this actor, with the crash's
 * reason ("process crashed"): asks in flight fail with
 * %PYKKA_ERROR_ACTOR_DEAD saying so, and the news of the death fails the
 * actor as a failed tell does. Under a [class@Pykka.Supervisor] whose
 * factory makes a new [class@Pykka.ProcessActor], the supervisor then
 * restarts it: a fresh helper process behind the same
 * [class@Pykka.ActorRef], which the asks sent after the restart reach.
 * (Messages sent between the crash and the restart fail as the asks in
 * flight do; a tell among them fails the actor, which the supervisor's
 * restart covers too.) A normal stop of the remote actor stops this one.
 *
 * When this actor stops or fails, its helper ends.
 */
struct _PykkaProcessActor
{
  PykkaActor      parent_instance;
  char           *module_path;   /* (nullable) */
  char           *type_name;     /* (nullable) */
  char           *python_spec;   /* (nullable) */
  PykkaRemoteRef *remote;        /* (nullable) actor thread only */
};

G_DEFINE_FINAL_TYPE (PykkaProcessActor, pykka_process_actor, PYKKA_TYPE_ACTOR)

enum
{
  PROP_0,
  PROP_MODULE_PATH,
  PROP_TYPE_NAME,
  PROP_PYTHON_SPEC,
  N_PROPS
};

static GParamSpec *process_actor_props[N_PROPS];

static void
process_actor_drop_remote (PykkaProcessActor *self)
{
  if (self->remote == NULL)
    return;
  pykka_actor_unwatch_remote (PYKKA_ACTOR (self), self->remote);
  g_clear_object (&self->remote);   /* closes the connection: the helper ends */
}

static gboolean
pykka_process_actor_on_start (PykkaActor  *actor,
                              GError     **error)
{
  PykkaProcessActor *self = PYKKA_PROCESS_ACTOR (actor);

  if (self->python_spec != NULL)
    self->remote = pykka_subprocess_start_python_actor (self->python_spec, error);
  else if (self->module_path != NULL && self->type_name != NULL)
    self->remote = pykka_subprocess_start_actor (self->module_path, self->type_name, error);
  else
    g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                         P_("A process actor needs a module and a type, or a Python class"));
  if (self->remote == NULL)
    return FALSE;
  pykka_actor_watch_remote (actor, self->remote);
  return TRUE;
}

static gboolean
pykka_process_actor_on_stop (PykkaActor  *actor,
                             GError     **error)
{
  process_actor_drop_remote (PYKKA_PROCESS_ACTOR (actor));
  return TRUE;
}

static void
pykka_process_actor_on_failure (PykkaActor   *actor,
                                const GError *error)
{
  process_actor_drop_remote (PYKKA_PROCESS_ACTOR (actor));
}

/* The remote ask's outcome answers the asker. */
static void
forward_reply (PykkaPromise *promise,
               gpointer      user_data)
{
  pykka_promise_copy_outcome (pykka_future_get_promise (user_data), promise);
}

static gboolean
pykka_process_actor_on_receive (PykkaActor    *actor,
                                const GValue  *message,
                                GValue        *reply,
                                GError       **error)
{
  PykkaProcessActor *self = PYKKA_PROCESS_ACTOR (actor);
  PykkaCell *cell = pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (actor));
  g_autoptr(PykkaFuture) deferred = NULL;
  g_autoptr(PykkaFuture) answer = NULL;

  if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    {
      PykkaTerminated *news = g_value_get_boxed (message);
      const GError *reason = pykka_terminated_get_reason (news);

      if (pykka_terminated_get_remote_ref (news) == NULL
          || pykka_terminated_get_remote_ref (news) != self->remote)
        return TRUE;   /* not the news of this instance's helper */
      if (reason == NULL)
        {
          /* The remote actor stopped: so does this one. */
          g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (pykka_actor_get_actor_ref (actor));
          return TRUE;
        }
      g_propagate_error (error, g_error_copy (reason));
      return FALSE;
    }

  if (self->remote == NULL)
    {
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                           P_("The remote actor is dead"));
      return FALSE;
    }
  if (!pykka_cell_handling_is_ask (cell))
    return pykka_remote_ref_tell (self->remote, message, error);

  deferred = pykka_actor_defer_reply (actor, error);
  if (deferred == NULL)
    return FALSE;
  answer = pykka_remote_ref_ask (self->remote, message);
  pykka_promise_add_hook (pykka_future_get_promise (answer), forward_reply,
                          g_object_ref (deferred), g_object_unref);
  return TRUE;
}

static void
pykka_process_actor_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  PykkaProcessActor *self = PYKKA_PROCESS_ACTOR (object);

  switch (prop_id)
    {
    case PROP_MODULE_PATH:
      g_free (self->module_path);
      self->module_path = g_value_dup_string (value);
      break;
    case PROP_TYPE_NAME:
      g_free (self->type_name);
      self->type_name = g_value_dup_string (value);
      break;
    case PROP_PYTHON_SPEC:
      g_free (self->python_spec);
      self->python_spec = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_process_actor_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  PykkaProcessActor *self = PYKKA_PROCESS_ACTOR (object);

  switch (prop_id)
    {
    case PROP_MODULE_PATH:
      g_value_set_string (value, self->module_path);
      break;
    case PROP_TYPE_NAME:
      g_value_set_string (value, self->type_name);
      break;
    case PROP_PYTHON_SPEC:
      g_value_set_string (value, self->python_spec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_process_actor_finalize (GObject *object)
{
  PykkaProcessActor *self = PYKKA_PROCESS_ACTOR (object);

  g_clear_object (&self->remote);
  g_free (self->module_path);
  g_free (self->type_name);
  g_free (self->python_spec);

  G_OBJECT_CLASS (pykka_process_actor_parent_class)->finalize (object);
}

static void
pykka_process_actor_class_init (PykkaProcessActorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  object_class->set_property = pykka_process_actor_set_property;
  object_class->get_property = pykka_process_actor_get_property;
  object_class->finalize = pykka_process_actor_finalize;
  actor_class->on_start = pykka_process_actor_on_start;
  actor_class->on_stop = pykka_process_actor_on_stop;
  actor_class->on_failure = pykka_process_actor_on_failure;
  actor_class->on_receive = pykka_process_actor_on_receive;

  /**
   * PykkaProcessActor:module-path:
   *
   * The loadable module that defines the helper's actor class, as for
   * [func@Pykka.subprocess_start_actor].
   */
  process_actor_props[PROP_MODULE_PATH] =
    g_param_spec_string ("module-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaProcessActor:type-name:
   *
   * The name of the helper's actor #GType, as for
   * [func@Pykka.subprocess_start_actor].
   */
  process_actor_props[PROP_TYPE_NAME] =
    g_param_spec_string ("type-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaProcessActor:python-spec:
   *
   * `module:Class`, a Python actor class for the helper, as for
   * [func@Pykka.subprocess_start_python_actor]; it wins over
   * [property@Pykka.ProcessActor:module-path].
   */
  process_actor_props[PROP_PYTHON_SPEC] =
    g_param_spec_string ("python-spec", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, process_actor_props);
}

static void
pykka_process_actor_init (PykkaProcessActor *self)
{
}

/**
 * pykka_process_actor_new:
 * @module_path: the path of a loadable module that defines the actor class
 * @type_name: the name of the actor's #GType, a subclass of [class@Pykka.Actor]
 *
 * Makes a [class@Pykka.ProcessActor] whose helper runs @type_name from
 * @module_path. Each instance spawns its own helper when it starts: a
 * [type@Pykka.ActorFactory] of a supervisor makes a new one per restart.
 *
 * Returns: (transfer full): a new, unstarted actor
 */
PykkaActor *
pykka_process_actor_new (const char *module_path,
                         const char *type_name)
{
  g_return_val_if_fail (module_path != NULL, NULL);
  g_return_val_if_fail (type_name != NULL, NULL);

  return g_object_new (PYKKA_TYPE_PROCESS_ACTOR, "module-path", module_path,
                       "type-name", type_name, NULL);
}

/**
 * pykka_process_actor_new_python:
 * @spec: `module:Class`, a Python actor class that the helper imports
 *
 * Makes a [class@Pykka.ProcessActor] whose helper runs a Python actor
 * class, as [func@Pykka.subprocess_start_python_actor] does.
 *
 * Returns: (transfer full): a new, unstarted actor
 */
PykkaActor *
pykka_process_actor_new_python (const char *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);

  return g_object_new (PYKKA_TYPE_PROCESS_ACTOR, "python-spec", spec, NULL);
}

/**
 * pykka_process_actor_get_remote_ref:
 * @self: a [class@Pykka.ProcessActor]
 *
 * Gets the remote ref to the actor in this instance's helper (its
 * process: [method@Pykka.RemoteRef.get_subprocess]). Call it from the
 * actor's own handlers.
 *
 * Returns: (transfer none) (nullable): the [class@Pykka.RemoteRef], or
 *   %NULL before the start and after the stop or failure
 */
PykkaRemoteRef *
pykka_process_actor_get_remote_ref (PykkaProcessActor *self)
{
  g_return_val_if_fail (PYKKA_IS_PROCESS_ACTOR (self), NULL);

  return self->remote;
}
