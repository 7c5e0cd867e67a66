/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* GIO inside an actor: a stackful reader on its own thread loads files
 * with g_file_load_contents_async(), waiting for each through a future,
 * and a Cancel (here: cancelling after the first file) stops what is
 * queued and what runs. */

#include <pykka-glib/pykka.h>

#define MY_TYPE_READER (my_reader_get_type ())
G_DECLARE_FINAL_TYPE (MyReader, my_reader, MY, READER, PykkaActor)

struct _MyReader
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MyReader, my_reader, PYKKA_TYPE_ACTOR)

static gboolean
my_reader_on_receive (PykkaActor *actor, const GValue *message,
                      GValue *reply, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_value_get_string (message));
  g_autoptr(PykkaFuture) loaded = pykka_future_new ();
  g_autofree char *contents = NULL;
  const GValue *result;
  gsize length;

  /* The ask's cancellable goes on to GIO; the wait suspends only this
   * actor. */
  g_file_load_contents_async (file, pykka_actor_get_current_cancellable (actor),
                              pykka_future_ready_callback, g_object_ref (loaded));
  result = pykka_future_get (loaded, -1, error);
  if (result == NULL ||
      !g_file_load_contents_finish (file, g_value_get_object (result),
                                    &contents, &length, NULL, error))
    return FALSE;

  g_value_init (reply, G_TYPE_UINT64);
  g_value_set_uint64 (reply, length);
  return TRUE;
}

static void
my_reader_class_init (MyReaderClass *klass)
{
  PYKKA_ACTOR_CLASS (klass)->on_receive = my_reader_on_receive;
  pykka_actor_class_set_stackful (PYKKA_ACTOR_CLASS (klass), TRUE);
}

static void
my_reader_init (MyReader *self)
{
}

int
main (void)
{
  g_autoptr(PykkaActor) reader = g_object_new (MY_TYPE_READER, "use-own-thread", TRUE, NULL);
  g_autoptr(PykkaActorRef) ref = pykka_actor_start (reader, NULL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  const char *paths[] = { "/etc/hostname", "/etc/os-release", "/etc/passwd" };
  PykkaFuture *sizes[G_N_ELEMENTS (paths)];

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      GValue path = G_VALUE_INIT;

      g_value_set_static_string (g_value_init (&path, G_TYPE_STRING), paths[i]);
      sizes[i] = pykka_actor_ref_ask_cancellable (ref, &path, cancel);
      g_value_unset (&path);
      /* The user presses Cancel once the first file is read: the others
       * are dropped from the mailbox, or their read stops. */
      if (i == 0)
        {
          pykka_future_get (sizes[0], 5000, NULL);
          g_cancellable_cancel (cancel);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;
      const GValue *size = pykka_future_get (sizes[i], 5000, &error);

      if (size != NULL)
        g_print ("%s: %" G_GUINT64_FORMAT " bytes\n", paths[i], g_value_get_uint64 (size));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_print ("%s: cancelled\n", paths[i]);
      else
        g_print ("%s: %s\n", paths[i], error->message);
      g_object_unref (sizes[i]);
    }

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
