/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sending.c: sending data to an actor on another thread: a GVariant and
 * a GBytes (immutable values), an immutable object marked thread-safe,
 * and an object handed over, under the PYKKA_DEBUG=threads check, which
 * warns about anything else that the two threads would share.
 *
 * Build: cc sending.c $(pkg-config --cflags --libs pykka-glib-1.0) */

#include <pykka-glib/pykka.h>

/* An immutable point: its fields are set at construction, never after. */
#define MY_TYPE_POINT (my_point_get_type ())
G_DECLARE_FINAL_TYPE (MyPoint, my_point, MY, POINT, GObject)

struct _MyPoint
{
  GObject parent_instance;
  int     x, y;
};

G_DEFINE_FINAL_TYPE (MyPoint, my_point, G_TYPE_OBJECT)

static void
my_point_class_init (MyPointClass *klass)
{
}

static void
my_point_init (MyPoint *self)
{
}

static MyPoint *
my_point_new (int x, int y)
{
  MyPoint *self = g_object_new (MY_TYPE_POINT, NULL);

  self->x = x;
  self->y = y;
  return self;
}

/* A mutable buffer: only one thread may touch it at a time. */
#define MY_TYPE_BUFFER (my_buffer_get_type ())
G_DECLARE_FINAL_TYPE (MyBuffer, my_buffer, MY, BUFFER, GObject)

struct _MyBuffer
{
  GObject  parent_instance;
  GString *text;
};

G_DEFINE_FINAL_TYPE (MyBuffer, my_buffer, G_TYPE_OBJECT)

static void
my_buffer_finalize (GObject *object)
{
  g_string_free (MY_BUFFER (object)->text, TRUE);
  G_OBJECT_CLASS (my_buffer_parent_class)->finalize (object);
}

static void
my_buffer_class_init (MyBufferClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = my_buffer_finalize;
}

static void
my_buffer_init (MyBuffer *self)
{
  self->text = g_string_new (NULL);
}

/* The receiver, on a thread of its own. */
#define MY_TYPE_SINK (my_sink_get_type ())
G_DECLARE_FINAL_TYPE (MySink, my_sink, MY, SINK, PykkaActor)

struct _MySink
{
  PykkaActor parent_instance;
};

G_DEFINE_FINAL_TYPE (MySink, my_sink, PYKKA_TYPE_ACTOR)

static gboolean
my_sink_on_variant (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  const char *name;
  gint32 count;

  g_variant_get (g_value_get_variant (message), "(&si)", &name, &count);
  g_print ("variant: %d %s\n", count, name);
  return TRUE;
}

static gboolean
my_sink_on_bytes (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  g_print ("bytes: %" G_GSIZE_FORMAT "\n", g_bytes_get_size (g_value_get_boxed (message)));
  return TRUE;
}

static gboolean
my_sink_on_point (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  MyPoint *point = g_value_get_object (message);

  g_print ("point: %d,%d\n", point->x, point->y);
  return TRUE;
}

static gboolean
my_sink_on_buffer (PykkaActor *actor, const GValue *message, GValue *reply, GError **error)
{
  MyBuffer *buffer = g_value_get_object (message);

  /* Handed over: this actor is the only one that touches it now. */
  g_string_append (buffer->text, " and the sink's");
  g_print ("buffer: %s\n", buffer->text->str);
  return TRUE;
}

static void
my_sink_class_init (MySinkClass *klass)
{
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  pykka_actor_class_add_variant_handler (actor_class, "(si)", my_sink_on_variant);
  pykka_actor_class_add_handler (actor_class, G_TYPE_BYTES, my_sink_on_bytes);
  pykka_actor_class_add_handler (actor_class, MY_TYPE_POINT, my_sink_on_point);
  pykka_actor_class_add_handler (actor_class, MY_TYPE_BUFFER, my_sink_on_buffer);
}

static void
my_sink_init (MySink *self)
{
}

int
main (void)
{
  g_autoptr(PykkaActor) sink = NULL;
  g_autoptr(PykkaActorRef) ref = NULL;
  g_autoptr(GError) error = NULL;
  GValue message = G_VALUE_INIT;

  /* Warn about whatever crosses to another thread shared (as if run with
   * PYKKA_DEBUG=threads in the environment). */
  g_setenv ("PYKKA_DEBUG", "threads", FALSE);

  sink = g_object_new (MY_TYPE_SINK, "use-own-thread", TRUE, NULL);
  ref = pykka_actor_start (sink, &error);
  g_assert_no_error (error);

  /* A GVariant: immutable once built, so sharing it is safe. */
  g_value_init (&message, G_TYPE_VARIANT);
  g_value_set_variant (&message, g_variant_new ("(si)", "apples", 3));
  pykka_actor_ref_tell (ref, &message, NULL);
  g_value_unset (&message);

  /* A GBytes: immutable bytes. */
  g_value_init (&message, G_TYPE_BYTES);
  g_value_take_boxed (&message, g_bytes_new ("payload", 7));
  pykka_actor_ref_tell (ref, &message, NULL);
  g_value_unset (&message);

  /* An immutable object: say so once, and it crosses without a warning. */
  pykka_mark_thread_safe_type (MY_TYPE_POINT);
  g_value_init (&message, MY_TYPE_POINT);
  g_value_take_object (&message, my_point_new (2, 5));
  pykka_actor_ref_tell (ref, &message, NULL);
  g_value_unset (&message);

  /* A mutable object, handed over: the sender keeps no reference and
   * never touches it again. The check cannot know that, and warns (once
   * per actor class and type); hand over a copy or a GVariant to avoid
   * it. */
  {
    MyBuffer *buffer = g_object_new (MY_TYPE_BUFFER, NULL);

    g_string_append (buffer->text, "the sender's words");
    g_value_init (&message, MY_TYPE_BUFFER);
    g_value_take_object (&message, buffer);  /* the message's reference */
    buffer = NULL;                           /* and no more touching it */
    pykka_actor_ref_tell (ref, &message, NULL);
    g_value_unset (&message);                /* the actor holds the last one */
  }

  pykka_actor_ref_stop_sync (ref, 5000, NULL);
  return 0;
}
