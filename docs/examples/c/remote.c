/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Actors across processes (guide "Actors across processes"): an actor
 * exported on D-Bus, asked through a remote ref and implementing a plain
 * D-Bus interface. The example brings up a private bus of its own
 * (GTestDBus); an application uses g_bus_get_sync (G_BUS_TYPE_SESSION). */

#include <pykka-glib/pykka.h>

#define EXAMPLE_TYPE_ADDER (example_adder_get_type ())
G_DECLARE_FINAL_TYPE (ExampleAdder, example_adder, EXAMPLE, ADDER, PykkaActor)

struct _ExampleAdder
{
  PykkaActor parent_instance;
  gint       total;
};

G_DEFINE_FINAL_TYPE (ExampleAdder, example_adder, PYKKA_TYPE_ACTOR)

static gboolean
example_adder_on_receive (PykkaActor    *actor,
                  const GValue  *message,
                  GValue        *reply,
                  GError       **error)
{
  ExampleAdder *self = EXAMPLE_ADDER (actor);

  /* A call of the typed interface: the method's name and arguments. */
  if (G_VALUE_HOLDS (message, PYKKA_TYPE_DBUS_CALL))
    {
      PykkaDBusCall *call = g_value_get_boxed (message);
      gint n;

      g_variant_get (pykka_dbus_call_get_parameters (call), "(i)", &n);
      self->total += n;
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, self->total);
      return TRUE;
    }
  /* A message of the generic interface, from a remote ref. */
  if (G_VALUE_HOLDS_INT (message))
    {
      self->total += g_value_get_int (message);
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, self->total);
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a number");
  return FALSE;
}

static void
example_adder_class_init (ExampleAdderClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = example_adder_on_receive;
}

static void
example_adder_init (ExampleAdder *self)
{
}

static const char adder_xml[] =
  "<node><interface name='org.example.Adder'>"
  "  <method name='Add'>"
  "    <arg type='i' name='n' direction='in'/>"
  "    <arg type='i' name='total' direction='out'/>"
  "  </method>"
  "</interface></node>";

static GDBusConnection *
connect_to (GTestDBus *bus)
{
  return g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                 | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, NULL);
}

int
main (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) service = NULL;
  g_autoptr(GDBusConnection) client = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GError) error = NULL;
  PykkaActor *actor;
  GValue five = G_VALUE_INIT;
  const GValue *reply;
  gint sum;

  g_test_dbus_up (bus);
  service = connect_to (bus);
  client = connect_to (bus);

  /* The service: an actor on its own thread, exported twice. */
  actor = g_object_new (EXAMPLE_TYPE_ADDER, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (actor, &error);
  g_assert_no_error (error);
  g_object_unref (actor);
  pykka_actor_ref_export_on_dbus (ref, service, "/org/example/Adder", &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (adder_xml, &error);
  pykka_actor_ref_export_interface (ref, service, "/org/example/Adder", node->interfaces[0], &error);
  g_assert_no_error (error);

  /* A client in another process: a remote ref by bus name and path. */
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (service),
                                 "/org/example/Adder");
  g_value_init (&five, G_TYPE_INT);
  g_value_set_int (&five, 5);
  future = pykka_remote_ref_ask (remote, &five);
  reply = pykka_future_get (future, 5000, &error);
  g_assert_no_error (error);
  g_print ("total after the remote ask: %d\n", g_value_get_int (reply));

  /* Any D-Bus client calls the typed interface, like `gdbus call`. */
  total = g_dbus_connection_call_sync (client, g_dbus_connection_get_unique_name (service),
                                       "/org/example/Adder", "org.example.Adder", "Add",
                                       g_variant_new ("(i)", 3), G_VARIANT_TYPE ("(i)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (total, "(i)", &sum);
  g_print ("total after Add(3): %d\n", sum);
  g_assert_cmpint (sum, ==, 8);

  g_clear_object (&future);
  future = pykka_remote_ref_stop (remote);
  pykka_future_get (future, 5000, &error);
  g_assert_no_error (error);
  g_assert_false (pykka_remote_ref_is_alive (remote));

  g_clear_object (&remote);
  g_dbus_connection_close_sync (client, NULL, NULL);
  g_dbus_connection_close_sync (service, NULL, NULL);
  g_test_dbus_down (bus);
  return 0;
}
