/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pykka-remote-ref.h"

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

static PykkaRemoteRef *
start_helper (const char * const  *argv,
              GError             **error)
{
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
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                           NULL, NULL, &local_error);
  if (connection == NULL)
    {
      g_subprocess_force_exit (process);
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
 * class.
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
