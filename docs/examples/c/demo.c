/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The pykka-glib demo: actors on the main context and on threads of their
 * own, talking through futures.
 *
 * - Counter lives on the main context and keeps a running total.
 * - Worker actors each run on a thread of their own and do slow work
 *   (here: summing squares).
 * - Coordinator is a stackful actor on the main context: its handler asks
 *   the workers, waits for their futures (suspending only itself while the
 *   Counter keeps answering), and reports to the Counter.
 *
 * The program has no main loop: blocking gets on the main thread iterate
 * the main context while they wait. */

#include <pykka-glib/pykka.h>

/* Counter: adds every int it receives; replies with the total. */

#define DEMO_TYPE_COUNTER (demo_counter_get_type ())
G_DECLARE_FINAL_TYPE (DemoCounter, demo_counter, DEMO, COUNTER, PykkaActor)

struct _DemoCounter
{
  PykkaActor parent_instance;
  gint64     total;
};

G_DEFINE_FINAL_TYPE (DemoCounter, demo_counter, PYKKA_TYPE_ACTOR)

static gboolean
demo_counter_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  DemoCounter *self = DEMO_COUNTER (actor);

  self->total += g_value_get_int64 (message);
  g_print ("  [counter  %s] +%" G_GINT64_FORMAT " -> total %" G_GINT64_FORMAT "\n",
           "main", g_value_get_int64 (message), self->total);
  g_value_init (reply, G_TYPE_INT64);
  g_value_set_int64 (reply, self->total);
  return TRUE;
}

static void
demo_counter_class_init (DemoCounterClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = demo_counter_on_receive;
}

static void
demo_counter_init (DemoCounter *self)
{
}

/* Worker: replies with the sum of squares of 1..n, on its own thread. */

#define DEMO_TYPE_WORKER (demo_worker_get_type ())
G_DECLARE_FINAL_TYPE (DemoWorker, demo_worker, DEMO, WORKER, PykkaActor)

struct _DemoWorker
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (DemoWorker, demo_worker, PYKKA_TYPE_ACTOR)

static gboolean
demo_worker_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  gint n = g_value_get_int (message);
  gint64 sum = 0;

  if (n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot sum up to %d", n);
      return FALSE;
    }
  for (gint64 i = 1; i <= n; i++)
    sum += i * i;
  g_print ("  [worker   own thread] sum of squares up to %d = %" G_GINT64_FORMAT "\n", n, sum);
  g_value_init (reply, G_TYPE_INT64);
  g_value_set_int64 (reply, sum);
  return TRUE;
}

static void
demo_worker_class_init (DemoWorkerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = demo_worker_on_receive;
}

static void
demo_worker_init (DemoWorker *self)
{
}

/* Coordinator: a stackful actor that fans a job out to the workers. */

#define DEMO_TYPE_COORDINATOR (demo_coordinator_get_type ())
G_DECLARE_FINAL_TYPE (DemoCoordinator, demo_coordinator, DEMO, COORDINATOR, PykkaActor)

struct _DemoCoordinator
{
  PykkaActor     parent_instance;
  PykkaActorRef *counter;
  GPtrArray     *workers;
};

G_DEFINE_FINAL_TYPE (DemoCoordinator, demo_coordinator, PYKKA_TYPE_ACTOR)

static gboolean
demo_coordinator_on_receive (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  DemoCoordinator *self = DEMO_COORDINATOR (actor);
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PykkaFuture) total = NULL;
  gint base = g_value_get_int (message);
  const GValue *value;

  g_print ("  [coordinator main] job %d: asking %u workers\n", base, self->workers->len);
  for (guint i = 0; i < self->workers->len; i++)
    {
      GValue n = G_VALUE_INIT;

      g_value_init (&n, G_TYPE_INT);
      g_value_set_int (&n, base * (gint) (i + 1));
      g_ptr_array_add (futures, pykka_actor_ref_ask (self->workers->pdata[i], &n));
    }

  /* Each get suspends this actor only; the counter keeps running. */
  for (guint i = 0; i < futures->len; i++)
    {
      value = pykka_future_get (futures->pdata[i], 5000, error);
      if (value == NULL)
        return FALSE;
      pykka_actor_ref_tell (self->counter, value, NULL);
    }

  {
    GValue zero = G_VALUE_INIT;

    g_value_init (&zero, G_TYPE_INT64);
    total = pykka_actor_ref_ask (self->counter, &zero);
  }
  value = pykka_future_get (total, 5000, error);
  if (value == NULL)
    return FALSE;
  g_value_init (reply, G_TYPE_INT64);
  g_value_set_int64 (reply, g_value_get_int64 (value));
  return TRUE;
}

static void
demo_coordinator_finalize (GObject *object)
{
  DemoCoordinator *self = DEMO_COORDINATOR (object);

  g_clear_object (&self->counter);
  g_clear_pointer (&self->workers, g_ptr_array_unref);
  G_OBJECT_CLASS (demo_coordinator_parent_class)->finalize (object);
}

static void
demo_coordinator_class_init (DemoCoordinatorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = demo_coordinator_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = demo_coordinator_on_receive;
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
demo_coordinator_init (DemoCoordinator *self)
{
  self->workers = g_ptr_array_new_with_free_func (g_object_unref);
}

static guint
count_running (void)
{
  g_autolist(PykkaActorRef) running = pykka_registry_get_all ();

  return g_list_length (running);
}

static PykkaActorRef *
start (gpointer actor)
{
  g_autoptr(GError) error = NULL;
  PykkaActorRef *ref = pykka_actor_start (actor, &error);

  if (ref == NULL)
    g_error ("Cannot start an actor: %s", error->message);
  g_object_unref (actor);
  return ref;
}

int
main (void)
{
  g_autoptr(PykkaActorRef) counter = NULL;
  g_autoptr(PykkaActorRef) coordinator = NULL;
  DemoCoordinator *coordinator_actor;
  g_autoptr(GError) error = NULL;
  GValue job = G_VALUE_INIT;

  g_print ("pykka-glib %s demo\n", PYKKA_VERSION_S);

  counter = start (g_object_new (DEMO_TYPE_COUNTER, NULL));
  coordinator_actor = g_object_new (DEMO_TYPE_COORDINATOR, NULL);
  coordinator_actor->counter = g_object_ref (counter);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (coordinator_actor->workers,
                     start (g_object_new (DEMO_TYPE_WORKER, "use-own-thread", TRUE, NULL)));
  coordinator = start (coordinator_actor);

  g_print ("%u actors running\n", count_running ());

  g_value_init (&job, G_TYPE_INT);
  for (gint base = 10; base <= 20; base += 10)
    {
      g_autoptr(PykkaFuture) done = NULL;
      const GValue *total;

      g_value_set_int (&job, base);
      done = pykka_actor_ref_ask (coordinator, &job);
      total = pykka_future_get (done, 5000, &error);
      if (total == NULL)
        g_error ("Job %d failed: %s", base, error->message);
      g_print ("main: job %d done, counter total %" G_GINT64_FORMAT "\n", base, g_value_get_int64 (total));
    }

  /* A failing ask: the error comes back to the asker, the worker lives on. */
  g_value_set_int (&job, -1);
  if (!pykka_actor_ref_ask_sync (coordinator_actor->workers->pdata[0], &job, 5000, NULL, &error))
    g_print ("main: worker refused: %s\n", error->message);
  g_clear_error (&error);

  if (!pykka_registry_stop_all (5000, &error))
    g_error ("stop_all: %s", error->message);
  g_print ("all actors stopped (%u left)\n", count_running ());

  return 0;
}
