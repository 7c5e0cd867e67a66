/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bounded.c: a slow consumer with a bounded mailbox pushes back on a fast
 * producer, and a UI-like actor takes only the latest progress. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_CONSUMER (my_consumer_get_type ())
G_DECLARE_FINAL_TYPE (MyConsumer, my_consumer, MY, CONSUMER, PykkaActor)

struct _MyConsumer
{
  PykkaActor parent_instance;
  guint      handled;
};

G_DEFINE_FINAL_TYPE (MyConsumer, my_consumer, PYKKA_TYPE_ACTOR)

static gboolean
my_consumer_on_receive (PykkaActor *actor, const GValue *message,
                        GValue *reply, GError **error)
{
  MY_CONSUMER (actor)->handled++;
  return TRUE;
}

static void
my_consumer_class_init (MyConsumerClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_consumer_on_receive;
}

static void
my_consumer_init (MyConsumer *self)
{
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MyConsumer) consumer = NULL;
  g_autoptr(MyConsumer) ui = NULL;
  g_autoptr(PykkaActorRef) consumer_ref = NULL;
  g_autoptr(PykkaActorRef) ui_ref = NULL;
  guint refused = 0;
  GValue item = G_VALUE_INIT;

  /* At most 100 messages wait; one more is refused at once. */
  consumer = g_object_new (MY_TYPE_CONSUMER, "mailbox-capacity", 100,
                           "overflow-policy", PYKKA_OVERFLOW_FAIL, NULL);
  consumer_ref = pykka_actor_start (PYKKA_ACTOR (consumer), NULL);

  g_value_init (&item, G_TYPE_INT);
  for (gint i = 0; i < 1000; i++)
    {
      g_value_set_int (&item, i);
      if (!pykka_actor_ref_tell (consumer_ref, &item, &error))
        {
          /* PYKKA_ERROR_MAILBOX_FULL: slow down, drop, or retry later. */
          if (!g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_MAILBOX_FULL))
            g_error ("%s", error->message);
          g_clear_error (&error);
          refused++;
        }
    }
  g_print ("refused: %u\n", refused);  /* 900: nothing ran the consumer meanwhile */

  /* Progress for a UI: only the newest value waits. */
  ui = g_object_new (MY_TYPE_CONSUMER, NULL);
  ui_ref = pykka_actor_start (PYKKA_ACTOR (ui), NULL);
  for (gint percent = 0; percent <= 100; percent++)
    {
      g_value_set_int (&item, percent);
      pykka_actor_ref_tell_latest (ui_ref, "progress", &item, NULL);
    }

  pykka_actor_ref_stop_sync (consumer_ref, 5000, NULL);
  pykka_actor_ref_stop_sync (ui_ref, 5000, NULL);
  g_print ("handled: %u and %u\n", consumer->handled, ui->handled);  /* 100 and 1 */
  g_value_unset (&item);
  return consumer->handled == 100 && ui->handled == 1 ? 0 : 1;
}
