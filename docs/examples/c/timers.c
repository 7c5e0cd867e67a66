/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* timers.c: an actor that retries every ten minutes with a timer it
 * owns, tested in no time on a virtual clock, with a probe actor that
 * records what it receives. */

#include <pykka-glib/pykka.h>

/* Tries to reach a server; on failure, retries in ten minutes. */
#define MY_TYPE_FETCHER (my_fetcher_get_type ())
G_DECLARE_FINAL_TYPE (MyFetcher, my_fetcher, MY, FETCHER, PykkaActor)

struct _MyFetcher
{
  PykkaActor     parent_instance;
  PykkaActorRef *probe;      /* told each attempt */
  guint          attempts;
};

G_DEFINE_FINAL_TYPE (MyFetcher, my_fetcher, PYKKA_TYPE_ACTOR)

#define RETRY_MSEC (10 * 60 * 1000)

static gboolean
my_fetcher_on_receive (PykkaActor *actor, const GValue *message,
                       GValue *reply, GError **error)
{
  MyFetcher *self = MY_FETCHER (actor);
  GValue attempt = G_VALUE_INIT;

  /* "fetch": one attempt, which fails here; try again later. */
  self->attempts++;
  g_value_set_uint (g_value_init (&attempt, G_TYPE_UINT), self->attempts);
  pykka_actor_ref_tell (self->probe, &attempt, NULL);
  /* One retry timer at a time: re-arming the key replaces it. */
  pykka_actor_start_timer (actor, "retry", RETRY_MSEC, 0, message);
  return TRUE;
}

static void
my_fetcher_class_init (MyFetcherClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_fetcher_on_receive;
}

static void
my_fetcher_init (MyFetcher *self)
{
}

/* A probe: records every message it receives, for the test to look at. */
#define MY_TYPE_PROBE (my_probe_get_type ())
G_DECLARE_FINAL_TYPE (MyProbe, my_probe, MY, PROBE, PykkaActor)

struct _MyProbe
{
  PykkaActor parent_instance;
  GArray    *seen;   /* guint */
};

G_DEFINE_FINAL_TYPE (MyProbe, my_probe, PYKKA_TYPE_ACTOR)

static gboolean
my_probe_on_receive (PykkaActor *actor, const GValue *message,
                     GValue *reply, GError **error)
{
  guint v = g_value_get_uint (message);

  g_array_append_val (MY_PROBE (actor)->seen, v);
  return TRUE;
}

static void
my_probe_finalize (GObject *object)
{
  g_array_unref (MY_PROBE (object)->seen);
  G_OBJECT_CLASS (my_probe_parent_class)->finalize (object);
}

static void
my_probe_class_init (MyProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = my_probe_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_probe_on_receive;
}

static void
my_probe_init (MyProbe *self)
{
  self->seen = g_array_new (FALSE, FALSE, sizeof (guint));
}

/* Runs the context until nothing is ready. */
static void
run_until_idle (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

int
main (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MyProbe) probe = NULL;
  g_autoptr(MyFetcher) fetcher = NULL;
  g_autoptr(PykkaActorRef) probe_ref = NULL;
  g_autoptr(PykkaActorRef) fetcher_ref = NULL;
  GValue fetch = G_VALUE_INIT;

  /* The actors of this context run on a clock the test moves. */
  pykka_context_use_virtual_clock (context);
  g_main_context_push_thread_default (context);

  probe = g_object_new (MY_TYPE_PROBE, NULL);
  probe_ref = pykka_actor_start (PYKKA_ACTOR (probe), NULL);
  fetcher = g_object_new (MY_TYPE_FETCHER, NULL);
  fetcher->probe = probe_ref;
  fetcher_ref = pykka_actor_start (PYKKA_ACTOR (fetcher), NULL);

  g_value_set_static_string (g_value_init (&fetch, G_TYPE_STRING), "fetch");
  pykka_actor_ref_tell (fetcher_ref, &fetch, NULL);
  run_until_idle (context);
  /* Half an hour of retries, in no time: */
  for (guint minute = 0; minute < 30; minute++)
    {
      pykka_context_advance_clock (context, 60 * 1000);
      run_until_idle (context);
    }
  g_print ("attempts: %u\n", probe->seen->len);  /* 4: at 0, 10, 20 and 30 minutes */
  if (probe->seen->len != 4)
    return 1;

  pykka_actor_ref_stop_sync (fetcher_ref, 5000, NULL);  /* its timer goes with it */
  pykka_actor_ref_stop_sync (probe_ref, 5000, NULL);
  g_main_context_pop_thread_default (context);
  g_value_unset (&fetch);
  return 0;
}
