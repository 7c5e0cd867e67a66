/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "pykka-relay.h"

#include "pykka-private.h"

/**
 * PykkaPropertyRelay:
 *
 * Mirrors a property of an actor onto a property of an object of another
 * thread, typically a widget or a plain model object of the UI, in that
 * thread's main context (issue 13.6).
 *
 * An actor's properties belong to the actor: they change, and
 * #GObject::notify is emitted, on the actor's thread, a thread of its own
 * for [property@Pykka.Actor:use-own-thread] actors. A widget must not be
 * bound to them with g_object_bind_property(), whose binding would set the
 * widget on the actor's thread. A relay does the hand-over instead:
 *
 * - on the actor's thread, at each notification of @source_property, it
 *   reads the new value into a #GValue (the actor's own code is the only
 *   code that touches the actor);
 * - in @context, it sets @target_property of @target to that value,
 *   transformed as g_object_set_property() does (an `int` shows in a
 *   `string` property such as #GtkLabel:label).
 *
 * Values arrive in the order the actor set them. When the target's
 * context falls behind (a flood of changes between two of its
 * iterations) only the newest value is set: intermediate values may be
 * skipped, the last one always arrives. What needs every value is a
 * message, not a property.
 *
 * ```c
 *   // The label shows the actor's "count", set on the main thread.
 *   relay = pykka_property_relay_new (PYKKA_ACTOR (counter), "count", label, "label",
 *                                     G_BINDING_SYNC_CREATE, NULL);
 *   // The relay lives as long as the label.
 *   g_object_set_data_full (G_OBJECT (label), "count-relay", relay, g_object_unref);
 * ```
 *
 * The relay works while it is referenced and not unbound
 * ([method@Pykka.PropertyRelay.unbind]), the target exists and the actor
 * notifies. Nothing is delivered after the relay is unbound or finalized
 * or the target is finalized. It holds no strong reference to the actor or
 * the target: the actor can stop and be finalized first, and the mirror
 * keeps the last value. Its notify handler on the actor is removed in the
 * actor's context (or at its next notification, or when the actor is
 * finalized). Actors without relays pay nothing.
 *
 * ## Thread safety
 *
 * A relay belongs to the thread of @context, the target's thread: create
 * it, unbind it and drop it there, and finalize the target there. It
 * connects to the actor from that thread (GObject's signal connection is
 * thread-safe) but reads the actor's property only on the actor's thread,
 * in the actor's context.
 */

/* Shared by the relay (target thread), the notify handler and the idles
 * on the actor's context (actor thread), and the delivery idles (target
 * thread). */
typedef struct
{
  gatomicrefcount ref;
  /* Immutable: */
  GParamSpec     *source_pspec;   /* (owned) */
  GParamSpec     *target_pspec;   /* (owned) */
  GWeakRef        actor;          /* dereferenced only on the actor's thread */
  /* Target thread only: */
  GObject        *target;         /* (nullable) weak, through g_object_weak_ref() */
  /* Atomic: the relay is unbound or the target is gone. */
  gint            gone;
  /* Under mutex: */
  GMutex          mutex;
  GMainContext   *context;        /* (owned) (nullable) the target's, NULL once retired */
  GMainContext   *actor_context;  /* (owned) (nullable) the actor's, once known (at
                                   * creation, or at the first value read on its
                                   * thread); NULL once retired */
  gulong          handler_id;     /* 0 once disconnected */
  GValue          pending;        /* the newest value not delivered, unset when none */
  gboolean        queued;         /* a delivery idle is attached */
  /* Atomic: the first value (SYNC_CREATE) was read. */
  gint            synced;
} RelayLink;

/* Idles attached to a context hold the link, so a link holds no context
 * once retired: a context that is no longer run (the actor's, after its
 * thread ended) is then freed with its idles. */

struct _PykkaPropertyRelay
{
  GObject    parent_instance;
  RelayLink *link;  /* (owned) (nullable) NULL once unbound */
};

G_DEFINE_FINAL_TYPE (PykkaPropertyRelay, pykka_property_relay, G_TYPE_OBJECT)

static RelayLink *
relay_link_ref (RelayLink *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
relay_link_unref (gpointer data)
{
  RelayLink *link = data;

  if (!g_atomic_ref_count_dec (&link->ref))
    return;

  if (G_IS_VALUE (&link->pending))
    g_value_unset (&link->pending);
  g_mutex_clear (&link->mutex);
  g_weak_ref_clear (&link->actor);
  g_param_spec_unref (link->source_pspec);
  g_param_spec_unref (link->target_pspec);
  g_clear_pointer (&link->context, g_main_context_unref);
  g_clear_pointer (&link->actor_context, g_main_context_unref);
  g_free (link);
}

static void
relay_link_closure_unref (gpointer  data,
                          GClosure *closure)
{
  relay_link_unref (data);
}

static void
attach_idle (GMainContext *context,
             GSourceFunc   func,
             RelayLink    *link,
             const char   *name)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, relay_link_ref (link), relay_link_unref);
  g_source_attach (source, context);
  g_source_unref (source);
}

/* Target thread: sets the newest value, unless the relay is gone. */
static gboolean
deliver_cb (gpointer data)
{
  RelayLink *link = data;
  GValue value = G_VALUE_INIT;

  g_mutex_lock (&link->mutex);
  value = link->pending;
  memset (&link->pending, 0, sizeof link->pending);
  link->queued = FALSE;
  g_mutex_unlock (&link->mutex);

  if (G_IS_VALUE (&value))
    {
      if (!g_atomic_int_get (&link->gone) && link->target != NULL)
        g_object_set_property (link->target, link->target_pspec->name, &value);
      g_value_unset (&value);
    }
  return G_SOURCE_REMOVE;
}

/* Actor thread: reads the property and queues it for the target. */
static void
relay_link_read (RelayLink *link,
                 GObject   *actor)
{
  GValue value = G_VALUE_INIT;
  GMainContext *queue_in = NULL;

  g_value_init (&value, link->source_pspec->value_type);
  g_object_get_property (actor, link->source_pspec->name, &value);

  g_mutex_lock (&link->mutex);
  if (link->context != NULL)
    {
      if (link->actor_context == NULL && pykka_actor_get_context (PYKKA_ACTOR (actor)) != NULL)
        link->actor_context = g_main_context_ref (pykka_actor_get_context (PYKKA_ACTOR (actor)));
      if (G_IS_VALUE (&link->pending))
        g_value_unset (&link->pending);
      link->pending = value;
      memset (&value, 0, sizeof value);
      if (!link->queued)
        queue_in = g_main_context_ref (link->context);
      link->queued = TRUE;
    }
  g_mutex_unlock (&link->mutex);

  if (G_IS_VALUE (&value))
    g_value_unset (&value);
  if (queue_in != NULL)
    {
      attach_idle (queue_in, deliver_cb, link, "[pykka] property relay delivery");
      g_main_context_unref (queue_in);
    }
}

/* Actor thread. */
static void
relay_link_disconnect (RelayLink *link,
                       GObject   *actor)
{
  gulong id;

  g_mutex_lock (&link->mutex);
  id = link->handler_id;
  link->handler_id = 0;
  g_mutex_unlock (&link->mutex);
  if (id != 0)
    g_signal_handler_disconnect (actor, id);
}

/* Actor thread, at each notification of the source property. */
static void
source_notify_cb (GObject    *actor,
                  GParamSpec *pspec,
                  gpointer    data)
{
  RelayLink *link = data;

  if (g_atomic_int_get (&link->gone))
    relay_link_disconnect (link, actor);
  else
    relay_link_read (link, actor);
}

/* The first value (SYNC_CREATE), once: in the actor's context, or at the
 * actor's death, whichever comes first. */
static void
sync_create (RelayLink *link)
{
  GObject *actor;

  if (g_atomic_int_get (&link->gone) || !g_atomic_int_compare_and_exchange (&link->synced, 0, 1))
    return;
  actor = g_weak_ref_get (&link->actor);
  if (actor != NULL)
    {
      relay_link_read (link, actor);
      g_object_unref (actor);
    }
}

/* Actor thread, in the actor's context. */
static gboolean
sync_create_cb (gpointer data)
{
  sync_create (data);
  return G_SOURCE_REMOVE;
}

/* At the actor's death (on the thread that completes it, or at once on
 * the creating thread if it is dead already): its context may never run
 * the idle again (an own-thread actor's thread has ended), and no hook
 * or handler of it runs any more, so its property is read here. */
static void
sync_at_death_hook (PykkaPromise *promise,
                    gpointer      data)
{
  sync_create (data);
}

/* Actor thread, in the actor's context: the handler goes after an unbind. */
static gboolean
disconnect_cb (gpointer data)
{
  RelayLink *link = data;
  GObject *actor = g_weak_ref_get (&link->actor);

  if (actor != NULL)
    {
      relay_link_disconnect (link, actor);
      g_object_unref (actor);
    }
  return G_SOURCE_REMOVE;
}

/* Target thread: no delivery from now on; the handler goes in the actor's
 * context (an actor whose context is not known yet, not started and
 * without one, loses it at its next notification, or when finalized). */
static void
relay_link_retire (RelayLink *link)
{
  GMainContext *context, *actor_context;

  g_atomic_int_set (&link->gone, 1);
  g_mutex_lock (&link->mutex);
  if (G_IS_VALUE (&link->pending))
    g_value_unset (&link->pending);
  context = g_steal_pointer (&link->context);
  actor_context = g_steal_pointer (&link->actor_context);
  g_mutex_unlock (&link->mutex);
  g_main_context_unref (context);

  if (actor_context != NULL)
    {
      attach_idle (actor_context, disconnect_cb, link, "[pykka] property relay unbind");
      g_main_context_unref (actor_context);
    }
}

/* Target thread, while the target is finalized. */
static void
target_gone_cb (gpointer  data,
                GObject  *where_the_object_was)
{
  RelayLink *link = data;

  link->target = NULL;
  relay_link_retire (link);
}

/**
 * pykka_property_relay_unbind:
 * @self: a [class@Pykka.PropertyRelay]
 *
 * Stops the relay: nothing is set on the target from now on, even a value
 * already on its way. Dropping the last reference to the relay does the
 * same. Call it on the target's thread. Unbinding twice does nothing.
 */
void
pykka_property_relay_unbind (PykkaPropertyRelay *self)
{
  RelayLink *link;

  g_return_if_fail (PYKKA_IS_PROPERTY_RELAY (self));

  link = g_steal_pointer (&self->link);
  if (link == NULL)
    return;
  if (link->target != NULL)
    {
      g_object_weak_unref (link->target, target_gone_cb, link);
      link->target = NULL;
      relay_link_retire (link);
    }
  relay_link_unref (link);
}

static void
pykka_property_relay_dispose (GObject *object)
{
  pykka_property_relay_unbind (PYKKA_PROPERTY_RELAY (object));

  G_OBJECT_CLASS (pykka_property_relay_parent_class)->dispose (object);
}

static void
pykka_property_relay_class_init (PykkaPropertyRelayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pykka_property_relay_dispose;
}

static void
pykka_property_relay_init (PykkaPropertyRelay *self)
{
}

/**
 * pykka_property_relay_new:
 * @actor: the [class@Pykka.Actor] whose property to mirror
 * @source_property: the name of a readable property of @actor
 * @target: (type GObject): the object to set, owned by the thread of
 *   @context
 * @target_property: the name of a writable property of @target whose type
 *   the value of @source_property transforms into
 * @flags: %G_BINDING_DEFAULT, or %G_BINDING_SYNC_CREATE to set the
 *   current value first, read in the actor's context (at once for an
 *   actor not started and without [property@Pykka.Actor:context]; at
 *   its death for an actor that dies first, or has died: its last
 *   value); other flags are not supported
 * @context: (nullable): the context of @target's thread, where the values
 *   are set, or %NULL for the thread-default context of the caller
 *
 * Mirrors @source_property of @actor onto @target_property of @target,
 * set in @context, as described in [class@Pykka.PropertyRelay]. Call it
 * on the thread of @context.
 *
 * Returns: (transfer full): the relay, which works until it is unbound or
 *   finalized
 */
PykkaPropertyRelay *
pykka_property_relay_new (PykkaActor    *actor,
                          const char    *source_property,
                          gpointer       target,
                          const char    *target_property,
                          GBindingFlags  flags,
                          GMainContext  *context)
{
  PykkaPropertyRelay *self;
  GParamSpec *source_pspec, *target_pspec;
  GMainContext *actor_context;
  RelayLink *link;
  g_autofree char *signal = NULL;
  gulong id;

  g_return_val_if_fail (PYKKA_IS_ACTOR (actor), NULL);
  g_return_val_if_fail (source_property != NULL, NULL);
  g_return_val_if_fail (G_IS_OBJECT (target), NULL);
  g_return_val_if_fail (target_property != NULL, NULL);
  g_return_val_if_fail ((flags & ~G_BINDING_SYNC_CREATE) == 0, NULL);

  source_pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (actor), source_property);
  if (source_pspec == NULL || !(source_pspec->flags & G_PARAM_READABLE))
    {
      g_critical ("%s: %s has no readable property “%s”", G_STRFUNC,
                  G_OBJECT_TYPE_NAME (actor), source_property);
      return NULL;
    }
  target_pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (target), target_property);
  if (target_pspec == NULL || !(target_pspec->flags & G_PARAM_WRITABLE) ||
      (target_pspec->flags & G_PARAM_CONSTRUCT_ONLY))
    {
      g_critical ("%s: %s has no writable property “%s”", G_STRFUNC,
                  G_OBJECT_TYPE_NAME (target), target_property);
      return NULL;
    }
  if (!g_value_type_transformable (source_pspec->value_type, target_pspec->value_type))
    {
      g_critical ("%s: a %s (%s:%s) cannot be set as a %s (%s:%s)", G_STRFUNC,
                  g_type_name (source_pspec->value_type), G_OBJECT_TYPE_NAME (actor), source_pspec->name,
                  g_type_name (target_pspec->value_type), G_OBJECT_TYPE_NAME (target), target_pspec->name);
      return NULL;
    }

  link = g_new0 (RelayLink, 1);
  g_atomic_ref_count_init (&link->ref);
  g_mutex_init (&link->mutex);
  link->source_pspec = g_param_spec_ref (source_pspec);
  link->target_pspec = g_param_spec_ref (target_pspec);
  link->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  actor_context = pykka_actor_get_context (actor);
  link->actor_context = actor_context != NULL ? g_main_context_ref (actor_context) : NULL;
  g_weak_ref_init (&link->actor, actor);
  link->target = target;
  g_object_weak_ref (target, target_gone_cb, link);

  self = g_object_new (PYKKA_TYPE_PROPERTY_RELAY, NULL);
  self->link = link;

  signal = g_strconcat ("notify::", source_pspec->name, NULL);
  /* The handler may run on the actor's thread before the id is stored:
   * it only stores values then. */
  g_mutex_lock (&link->mutex);
  id = g_signal_connect_data (actor, signal, G_CALLBACK (source_notify_cb),
                              relay_link_ref (link), relay_link_closure_unref, 0);
  link->handler_id = id;
  g_mutex_unlock (&link->mutex);

  if (flags & G_BINDING_SYNC_CREATE)
    {
      if (actor_context != NULL)
        {
          PykkaActorRef *actor_ref = pykka_actor_get_actor_ref (actor);

          attach_idle (actor_context, sync_create_cb, link, "[pykka] property relay sync");
          if (actor_ref != NULL)
            {
              g_autoptr(PykkaFuture) terminated = pykka_actor_ref_get_terminated (actor_ref);

              pykka_promise_add_hook (pykka_future_get_promise (terminated), sync_at_death_hook,
                                      relay_link_ref (link), relay_link_unref);
            }
        }
      else
        /* Not started: no thread runs it yet. */
        relay_link_read (link, G_OBJECT (actor));
    }

  return self;
}
