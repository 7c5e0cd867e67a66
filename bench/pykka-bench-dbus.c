/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Remote actors against raw GDBus (issue 17.6), on the same connections
 * in the same run: the round trip of a remote ask (PykkaRemoteRef →
 * exported actor → reply) against a raw GDBus method call to a plain
 * registered object that echoes its argument, and remote tells per
 * second, over a private bus (GTestDBus).
 *
 *   pykka-bench-dbus [--tiny]
 *
 * Run from a release build (see docs/performance.md). */

#include <stdio.h>

#include <pykka-glib/pykka.h>

#define BENCH_TYPE_ECHO (bench_echo_get_type ())
G_DECLARE_FINAL_TYPE (BenchEcho, bench_echo, BENCH, ECHO, PykkaActor)

struct _BenchEcho
{
  PykkaActor parent_instance;
  gint       told;
};

G_DEFINE_FINAL_TYPE (BenchEcho, bench_echo, PYKKA_TYPE_ACTOR)

static gboolean
bench_echo_on_receive (PykkaActor    *actor,
                 const GValue  *message,
                 GValue        *reply,
                 GError       **error)
{
  BenchEcho *self = BENCH_ECHO (actor);

  if (G_VALUE_HOLDS_STRING (message))
    {
      /* "count": how many tells arrived. */
      g_value_init (reply, G_TYPE_INT);
      g_value_set_int (reply, self->told);
      return TRUE;
    }
  self->told++;
  g_value_init (reply, G_VALUE_TYPE (message));
  g_value_copy (message, reply);
  return TRUE;
}

static void
bench_echo_class_init (BenchEchoClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = bench_echo_on_receive;
}

static void
bench_echo_init (BenchEcho *self)
{
}

/* ---- a raw GDBus service, in a thread running its context ---- */

static const char raw_xml[] =
  "<node><interface name='org.example.Raw'>"
  "<method name='Echo'><arg type='v' direction='in'/><arg type='v' direction='out'/></method>"
  "</interface></node>";

static void
raw_method_call (GDBusConnection *connection, const char *sender, const char *path,
                 const char *iface, const char *method, GVariant *params,
                 GDBusMethodInvocation *invocation, gpointer user_data)
{
  g_dbus_method_invocation_return_value (invocation, g_variant_ref (params));
}

static const GDBusInterfaceVTable raw_vtable = { raw_method_call, NULL, NULL, { 0 } };

typedef struct
{
  GDBusConnection *connection;
  GMainLoop       *loop;
  GMainContext    *context;
  guint            id;
  gint             ready;
} RawService;

static gpointer
raw_service_thread (gpointer data)
{
  RawService *service = data;
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (raw_xml, NULL);

  g_main_context_push_thread_default (service->context);
  service->id = g_dbus_connection_register_object (service->connection, "/raw",
                                                   node->interfaces[0], &raw_vtable,
                                                   NULL, NULL, NULL);
  g_atomic_int_set (&service->ready, TRUE);
  g_main_loop_run (service->loop);
  g_dbus_connection_unregister_object (service->connection, service->id);
  g_main_context_pop_thread_default (service->context);
  return NULL;
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static double
bench_raw (GDBusConnection *client,
           const char      *name,
           guint            n)
{
  double t0 = now ();

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) reply =
        g_dbus_connection_call_sync (client, name, "/raw", "org.example.Raw", "Echo",
                                     g_variant_new ("(v)", g_variant_new_int32 ((gint32) i)),
                                     G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                     10000, NULL, NULL);

      g_assert_nonnull (reply);
    }
  return (now () - t0) / n;
}

static double
bench_ask (PykkaRemoteRef *remote,
           guint           n)
{
  double t0 = now ();

  for (guint i = 0; i < n; i++)
    {
      GValue v = G_VALUE_INIT;
      g_autoptr(PykkaFuture) future = NULL;
      g_autoptr(GError) error = NULL;

      g_value_init (&v, G_TYPE_INT);
      g_value_set_int (&v, (gint) i);
      future = pykka_remote_ref_ask (remote, &v);
      g_assert_nonnull (pykka_future_get (future, 10000, &error));
      g_assert_no_error (error);
    }
  return (now () - t0) / n;
}

static double
bench_tells (PykkaRemoteRef *remote,
             guint           n)
{
  GValue v = G_VALUE_INIT;
  GValue count = G_VALUE_INIT;
  g_autoptr(PykkaFuture) before = NULL;
  g_autoptr(PykkaFuture) after = NULL;
  gint start;
  double t0;

  g_value_init (&v, G_TYPE_INT);
  g_value_init (&count, G_TYPE_STRING);
  g_value_set_static_string (&count, "count");
  before = pykka_remote_ref_ask (remote, &count);
  start = g_value_get_int (pykka_future_get (before, 10000, NULL));
  t0 = now ();
  for (guint i = 0; i < n; i++)
    {
      g_value_set_int (&v, (gint) i);
      pykka_remote_ref_tell (remote, &v, NULL);
    }
  /* The ask queues behind every tell: all are handled when it returns. */
  after = pykka_remote_ref_ask (remote, &count);
  g_assert_cmpint (g_value_get_int (pykka_future_get (after, 60000, NULL)) - start, ==, (gint) n);
  return n / (now () - t0);
}

static void
run (const char      *label,
     GDBusConnection *service_conn,
     GDBusConnection *client,
     const char      *name,
     PykkaRemoteRef  *remote,
     guint            n)
{
  RawService service = { service_conn, NULL, g_main_context_new (), 0, FALSE };
  GThread *thread;
  double raw = 0, ask = 0, tells;

  service.loop = g_main_loop_new (service.context, FALSE);
  thread = g_thread_new ("raw-service", raw_service_thread, &service);
  while (!g_atomic_int_get (&service.ready))
    g_usleep (1000);

  /* Warm up, then interleave the two, best of three. */
  bench_raw (client, name, n / 10 + 1);
  bench_ask (remote, n / 10 + 1);
  for (int round = 0; round < 3; round++)
    {
      double r = bench_raw (client, name, n);
      double a = bench_ask (remote, n);

      raw = round == 0 ? r : MIN (raw, r);
      ask = round == 0 ? a : MIN (ask, a);
    }
  tells = bench_tells (remote, n * 10);

  printf ("%-13s raw GDBus call %.1f us, remote ask %.1f us (%.2fx), remote tells %.0f/s\n",
          label, raw * 1e6, ask * 1e6, ask / raw, tells);

  g_main_loop_quit (service.loop);
  g_thread_join (thread);
  g_main_loop_unref (service.loop);
  g_main_context_unref (service.context);
}

int
main (int   argc,
      char *argv[])
{
  gboolean tiny = argc > 1 && g_str_equal (argv[1], "--tiny");
  guint n = tiny ? 50 : 5000;
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) service = NULL;
  g_autoptr(GDBusConnection) client = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(PykkaRemoteRef) remote = NULL;
  g_autoptr(PykkaFuture) stopped = NULL;
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
    | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;
  PykkaActor *actor;

  g_test_dbus_up (bus);
  service = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus), flags,
                                                    NULL, NULL, NULL);
  client = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus), flags,
                                                   NULL, NULL, NULL);
  actor = g_object_new (BENCH_TYPE_ECHO, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (actor, NULL);
  g_object_unref (actor);
  pykka_actor_ref_export_on_dbus (ref, service, "/echo", NULL);
  remote = pykka_remote_ref_new (client, g_dbus_connection_get_unique_name (service), "/echo");
  run ("bus", service, client, g_dbus_connection_get_unique_name (service), remote, n);

  stopped = pykka_remote_ref_stop (remote);
  pykka_future_get (stopped, 10000, NULL);
  g_clear_object (&remote);
  g_dbus_connection_close_sync (client, NULL, NULL);
  g_dbus_connection_close_sync (service, NULL, NULL);
  g_test_dbus_down (bus);
  return 0;
}
