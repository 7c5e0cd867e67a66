/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pykka-glib-host: the helper process of pykka_subprocess_start_actor()
 * (issue 17.4). It loads an actor class from a module, starts one actor,
 * and exports it on a peer-to-peer D-Bus connection over the socket that
 * the parent passed as --fd (authenticating the parent as the same
 * user). It exits when the actor is dead or the connection closes. */

#include <stdlib.h>

#include <gmodule.h>

#include <pykka-glib/pykka.h>

#define HOST_PATH "/org/pykka/Actor"

static GMainLoop *loop;

static void
terminated_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_main_loop_quit (loop);
}

static void
closed_cb (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           gpointer         user_data)
{
  PykkaActorRef *ref = user_data;
  PykkaFuture *stopped = pykka_actor_ref_stop (ref);

  g_object_unref (stopped);
}

/* "MyParser" → "my_parser_get_type" */
static char *
get_type_symbol (const char *type_name)
{
  GString *s = g_string_new (NULL);

  for (const char *p = type_name; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p) && p != type_name
          && (g_ascii_islower (p[-1]) || (p[1] != '\0' && g_ascii_islower (p[1]))))
        g_string_append_c (s, '_');
      g_string_append_c (s, g_ascii_tolower (*p));
    }
  g_string_append (s, "_get_type");
  return g_string_free (s, FALSE);
}

static GType
load_type (const char  *module_path,
           const char  *type_name,
           GError     **error)
{
  GModule *module = g_module_open (module_path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  GType type;

  if (module == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", g_module_error ());
      return G_TYPE_INVALID;
    }
  g_module_make_resident (module);
  type = g_type_from_name (type_name);
  if (type == G_TYPE_INVALID)
    {
      g_autofree char *symbol = get_type_symbol (type_name);
      GType (*get_type) (void) = NULL;

      if (g_module_symbol (module, symbol, (gpointer *) &get_type) && get_type != NULL)
        type = get_type ();
    }
  if (type == G_TYPE_INVALID || !g_type_is_a (type, PYKKA_TYPE_ACTOR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s defines no actor class %s", module_path, type_name);
      return G_TYPE_INVALID;
    }
  return type;
}

int
main (int   argc,
      char *argv[])
{
  int fd = -1;
  g_autofree char *module_path = NULL;
  g_autofree char *type_name = NULL;
  GOptionEntry entries[] = {
    { "fd", 0, 0, G_OPTION_ARG_INT, &fd, "The socket to the parent", "FD" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module_path, "The module of the actor class", "PATH" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "The actor's type name", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- run one pykka-glib actor for its parent");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusAuthObserver) observer = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaFuture) terminated = NULL;
  g_autofree char *guid = g_dbus_generate_guid ();
  PykkaActor *actor;
  GType type;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || fd < 0 || module_path == NULL || type_name == NULL)
    {
      g_printerr ("pykka-glib-host: %s\n",
                  error != NULL ? error->message : "--fd, --module and --type are needed");
      return 2;
    }

  type = load_type (module_path, type_name, &error);
  if (type == G_TYPE_INVALID)
    {
      g_printerr ("pykka-glib-host: %s\n", error->message);
      return 1;
    }

  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      g_printerr ("pykka-glib-host: %s\n", error->message);
      return 1;
    }
  stream = g_socket_connection_factory_create_connection (socket);
  observer = pykka_dbus_auth_observer_new_same_user ();
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), guid,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER
                                           | G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                                           observer, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("pykka-glib-host: %s\n", error->message);
      return 1;
    }

  actor = g_object_new (type, NULL);
  ref = pykka_actor_start (actor, &error);
  g_object_unref (actor);
  if (ref == NULL)
    {
      g_printerr ("pykka-glib-host: %s\n", error->message);
      return 1;
    }
  if (pykka_actor_ref_export_on_dbus (ref, connection, HOST_PATH, &error) == 0)
    {
      g_printerr ("pykka-glib-host: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  terminated = pykka_actor_ref_get_terminated (ref);
  pykka_future_get_async (terminated, NULL, terminated_cb, NULL);
  g_signal_connect (connection, "closed", G_CALLBACK (closed_cb), ref);
  g_dbus_connection_start_message_processing (connection);
  g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_func (connection, closed_cb, ref);
  /* The replies that the death completes (a Stop's) go out first. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* Calls taken while the actor died are answered too. */
  pykka_dbus_flush (connection, 5000);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_main_loop_unref (loop);
  return 0;
}
