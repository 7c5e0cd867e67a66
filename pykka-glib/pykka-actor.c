/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-actor.h"

#include "pykka-private.h"

/**
 * PykkaActor:
 *
 * An object that owns its state and is reached only through messages.
 *
 * An actor keeps its state to itself and changes it only in its handlers,
 * which the runtime calls one message at a time, in the order the
 * messages arrived, always in the actor's main context. Other code never
 * calls the actor: it holds the actor's [class@Pykka.ActorRef] and sends
 * messages through it. Since no two handlers of an actor ever run at the
 * same time, the actor's fields need no lock.
 *
 * Subclass it and override [vfunc@Pykka.Actor.on_receive] and, where you
 * need them, [vfunc@Pykka.Actor.on_start], [vfunc@Pykka.Actor.on_stop]
 * and [vfunc@Pykka.Actor.on_failure]. [method@Pykka.Actor.start] then
 * registers the actor in the [class@Pykka.Registry], schedules it in its
 * context and returns its ref:
 *
 * ```c
 * struct _MyCounter
 * {
 *   PykkaActor parent_instance;
 *   int        count;  // only the actor touches it: no lock
 * };
 *
 * G_DEFINE_FINAL_TYPE (MyCounter, my_counter, PYKKA_TYPE_ACTOR)
 * ...
 * static gboolean
 * my_counter_on_receive (PykkaActor *actor, const GValue *message,
 *                        GValue *reply, GError **error)
 * {
 *   MyCounter *self = MY_COUNTER (actor);
 *
 *   self->count += g_value_get_int (message);
 *   g_value_init (reply, G_TYPE_INT);
 *   g_value_set_int (reply, self->count);
 *   return TRUE;
 * }
 * ```
 *
 * ```c
 *   g_autoptr(PykkaActor) actor = g_object_new (MY_TYPE_COUNTER, NULL);
 *   g_autoptr(PykkaActorRef) ref = pykka_actor_start (actor, &error);
 *   g_clear_object (&actor);  // the runtime keeps it alive until it stops
 *
 *   g_value_set_int (g_value_init (&one, G_TYPE_INT), 1);
 *   pykka_actor_ref_tell (ref, &one, NULL);  // returns at once
 *   pykka_actor_ref_tell (ref, &one, NULL);
 *   if (!pykka_actor_ref_ask_sync (ref, &one, 5000, &reply, &error))
 *     g_error ("%s", error->message);
 *   g_print ("count: %d\n", g_value_get_int (&reply));  // count: 3
 * ```
 *
 * ## Messages and replies
 *
 * A message is a #GValue of any type, copied with g_value_copy() when it
 * is sent: strings and boxed values arrive as copies, objects as a new
 * reference to the sender's very object (see "Sending data between
 * threads" in [Contexts and threads](04-contexts-and-threads.html)). The handler
 * of an ask sets @reply, the (out caller-allocates) value that the asker's
 * [class@Pykka.Future] gets; leaving it unset answers with an unset
 * value. The reply to a tell is dropped. A handler fails by returning
 * %FALSE with @error set: the error goes to the asker, or, for a tell,
 * stops the actor (see below).
 *
 * ## Where an actor runs
 *
 * By default in the thread-default main context of the thread that starts
 * it: in an application, the main context, next to the widgets. Set
 * [property@Pykka.Actor:context] to place it in another context, or
 * [property@Pykka.Actor:use-own-thread] to give it a thread, context and
 * loop of its own (Pykka's `ThreadingActor`); that thread ends when the
 * actor stops. Every actor of a context shares one scheduler source, so
 * idle actors cost nothing, and takes turns among them: a busy actor
 * cannot starve the other actors and sources of its context.
 *
 * ## Lifecycle
 *
 * [vfunc@Pykka.Actor.on_start] runs before any message. An error there is
 * logged and stops the actor. Stopping ([method@Pykka.ActorRef.stop]) is
 * itself a message: everything sent before it is handled first; then, as
 * in Pykka, the actor leaves the registry and its ref reports it dead
 * ([property@Pykka.ActorRef:alive] turns %FALSE), and only then
 * [vfunc@Pykka.Actor.on_stop] runs. Tells and asks sent from then on,
 * by the actor itself too, fail with %PYKKA_ERROR_ACTOR_DEAD at once;
 * asks still queued fail with it once the hook returns. An error from the handler of an
 * ask goes back to the asker and the actor lives on; an error from the
 * handler of a tell is logged, [vfunc@Pykka.Actor.on_failure] runs and
 * the actor stops without [vfunc@Pykka.Actor.on_stop]. An actor cannot be
 * restarted: make a new one.
 *
 * ## Suspending
 *
 * A handler may reply with a [class@Pykka.Future]: the actor takes no
 * other message until that future completes, and the ask is answered with
 * its outcome. This works in every language. C classes may also call
 * [method@Pykka.ActorClass.set_stackful] in their class_init: their
 * handlers then run on a coroutine, where [method@Pykka.Future.get] and
 * [method@Pykka.Event.wait] suspend just this actor.
 *
 * ## Thread safety
 *
 * The virtual methods run only on the thread that runs the actor's
 * context, one at a time: even while a stackful handler is suspended the
 * actor takes no other message. [method@Pykka.Actor.start],
 * [method@Pykka.Actor.stop] and the getters may be called from any
 * thread.
 *
 * ## Traps
 *
 * - A handler that is not stackful and blocks in [method@Pykka.Future.get]
 *   iterates its own context while it waits: the handlers of other actors
 *   of the context then run nested inside it, and it cannot return before
 *   they do. For long waits, reply with a future or make the class
 *   stackful.
 * - A blocking wait for an actor that is busy further down the same call
 *   stack (an actor asking itself, or two actors asking each other) fails
 *   at once with %PYKKA_ERROR_DEADLOCK instead of hanging.
 * - Keep no pointers into the stack of a suspended stackful handler: the
 *   stack may be copied away while it waits.
 * - The runtime drops its reference when the actor dies. Keep your own
 *   reference if you look at the actor after that, or better, ask it
 *   before it stops.
 */

typedef struct
{
  PykkaCell     *cell;         /* (owned) */
  PykkaActorRef *actor_ref;    /* (owned) */
  GMainContext  *context;      /* (owned) (nullable) */
  guint          use_own_thread : 1;
} PykkaActorPrivate;

enum {
  PROP_0,
  PROP_URN,
  PROP_ACTOR_REF,
  PROP_CONTEXT,
  PROP_USE_OWN_THREAD,
  PROP_MAILBOX_CAPACITY,
  PROP_OVERFLOW_POLICY,
  PROP_OVERFLOW_TIMEOUT_MSEC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (PykkaActor, pykka_actor, G_TYPE_OBJECT)

static gboolean
pykka_actor_real_on_start (PykkaActor  *self,
                           GError     **error)
{
  return TRUE;
}

static gboolean
pykka_actor_real_on_stop (PykkaActor  *self,
                          GError     **error)
{
  return TRUE;
}

static void
pykka_actor_real_on_failure (PykkaActor   *self,
                             const GError *error)
{
}

/* The handlers of a class by message type (pykka_actor_class_add_handler()).
 * Made and grown in class_init, read-only after: the default on_receive
 * reads it without a lock. */
typedef struct
{
  GType                type;   /* G_TYPE_VARIANT for a variant entry */
  GVariantType        *vtype;  /* (owned) (nullable) a variant entry's type */
  PykkaMessageHandler  handler;
} HandlerEntry;

typedef struct
{
  GType         owner;    /* the class that made it: a subclass copies it */
  guint         n;
  HandlerEntry *entries;  /* newest last */
} HandlerTable;

static HandlerTable *
handler_table_for_class (PykkaActorClass *klass)
{
  HandlerTable *parent = klass->handlers;
  HandlerTable *table;

  if (parent != NULL && parent->owner == G_TYPE_FROM_CLASS (klass))
    return parent;
  /* Classes live as long as the process: so does the table. */
  table = g_new0 (HandlerTable, 1);
  table->owner = G_TYPE_FROM_CLASS (klass);
  if (parent != NULL)
    {
      table->n = parent->n;
      table->entries = g_new (HandlerEntry, parent->n);
      for (guint i = 0; i < parent->n; i++)
        {
          table->entries[i] = parent->entries[i];
          if (parent->entries[i].vtype != NULL)
            table->entries[i].vtype = g_variant_type_copy (parent->entries[i].vtype);
        }
    }
  klass->handlers = table;
  return table;
}

static void
handler_table_add (PykkaActorClass     *klass,
                   GType                type,
                   GVariantType        *vtype,
                   PykkaMessageHandler  handler)
{
  HandlerTable *table = handler_table_for_class (klass);

  table->entries = g_renew (HandlerEntry, table->entries, table->n + 1);
  table->entries[table->n].type = type;
  table->entries[table->n].vtype = vtype;
  table->entries[table->n].handler = handler;
  table->n++;
}

/* The handler for @message: a variant entry whose type the variant has
 * (definite types first), then an entry of the message's exact type, then one of a type it
 * derives from (or implements); the newest first in each. */
static PykkaMessageHandler
handler_table_lookup (const HandlerTable *table,
                      const GValue       *message)
{
  GType type = G_VALUE_TYPE (message);

  if (type == G_TYPE_VARIANT && g_value_get_variant (message) != NULL)
    {
      GVariant *variant = g_value_get_variant (message);

      /* A definite type first ("(si)"), then an indefinite one ("(s*)"). */
      for (guint pass = 0; pass < 2; pass++)
        for (guint i = table->n; i-- > 0;)
          if (table->entries[i].vtype != NULL &&
              g_variant_type_is_definite (table->entries[i].vtype) == (pass == 0) &&
              g_variant_is_of_type (variant, table->entries[i].vtype))
            return table->entries[i].handler;
    }
  for (guint i = table->n; i-- > 0;)
    if (table->entries[i].vtype == NULL && table->entries[i].type == type)
      return table->entries[i].handler;
  for (guint i = table->n; i-- > 0;)
    if (table->entries[i].vtype == NULL && g_type_is_a (type, table->entries[i].type))
      return table->entries[i].handler;
  return NULL;
}

/* "gint" or, for a variant, "GVariant '(si)'". */
static char *
describe_message_type (const GValue *message)
{
  if (!G_IS_VALUE (message))
    return g_strdup ("(unset)");
  if (G_VALUE_HOLDS_VARIANT (message) && g_value_get_variant (message) != NULL)
    return g_strdup_printf ("GVariant '%s'", g_variant_get_type_string (g_value_get_variant (message)));
  return g_strdup (G_VALUE_TYPE_NAME (message));
}

/* "gint, gchararray, GVariant '(si)'", in the order they were added. */
static char *
handler_table_describe (const HandlerTable *table)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < table->n; i++)
    {
      if (out->len > 0)
        g_string_append (out, ", ");
      if (table->entries[i].vtype != NULL)
        g_string_append_printf (out, "GVariant '%.*s'",
                                (int) g_variant_type_get_string_length (table->entries[i].vtype),
                                g_variant_type_peek_string (table->entries[i].vtype));
      else
        g_string_append (out, g_type_name (table->entries[i].type));
    }
  return g_string_free (out, FALSE);
}

/* Whether the unhandled type @what of class @type was not logged yet. */
static gboolean
unhandled_first_time (GType       type,
                      const char *what)
{
  static GMutex lock;
  static GHashTable *seen;  /* (owned) "Class\nwhat" */
  char *key = g_strdup_printf ("%s\n%s", g_type_name (type), what);
  gboolean first;

  g_mutex_lock (&lock);
  if (seen == NULL)
    seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  first = g_hash_table_add (seen, key);
  g_mutex_unlock (&lock);
  return first;
}

/* A message no handler of the table takes: an ask fails with
 * INVALID_ARGUMENT; a tell is dropped (the actor lives on). Logged once
 * per class and type. */
static gboolean
handler_table_refuse (PykkaActor          *self,
                      const HandlerTable  *table,
                      const GValue        *message,
                      GError             **error)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);
  g_autofree char *who = pykka_cell_describe (priv->cell);
  g_autofree char *what = describe_message_type (message);
  g_autofree char *accepts = handler_table_describe (table);
  gboolean ask = pykka_cell_handling_is_ask (priv->cell);

  if (unhandled_first_time (G_OBJECT_TYPE (self), what))
    g_warning ("Actor %s has no handler for a message of type %s (it handles %s): %s "
               "(logged once per actor class and message type)",
               who, what, accepts, ask ? "the ask fails with PYKKA_ERROR_INVALID_ARGUMENT" : "the tell is dropped");
  if (!ask)
    return TRUE;
  g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
               /* Translators: the first %s is an actor, such as "MyCounter (urn:uuid:…)", the second a type, such as "gint" or "GVariant '(si)'", the third a list of them. */
               P_("Actor %s has no handler for a message of type %s: it handles %s. Send one of those, or add a handler for this type to the actor’s class"),
               who, what, accepts);
  return FALSE;
}

static gboolean
pykka_actor_real_on_receive (PykkaActor    *self,
                             const GValue  *message,
                             GValue        *reply,
                             GError       **error)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);
  const HandlerTable *table = PYKKA_ACTOR_GET_CLASS (self)->handlers;
  g_autofree char *who = NULL;

  if (table != NULL)
    {
      PykkaMessageHandler handler = G_IS_VALUE (message) ? handler_table_lookup (table, message) : NULL;

      if (handler != NULL)
        return handler (self, message, reply, error);
      return handler_table_refuse (self, table, message, error);
    }

  who = pykka_cell_describe (priv->cell);
  g_warning ("Unexpected message of type %s received by actor %s",
             G_IS_VALUE (message) ? G_VALUE_TYPE_NAME (message) : "(unset)", who);
  return TRUE;
}

static void
pykka_actor_finalize (GObject *object)
{
  PykkaActor *self = PYKKA_ACTOR (object);
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  /* Never started: its refs and start outcome say dead from now on. */
  pykka_cell_abandon (priv->cell, priv->actor_ref);
  g_clear_object (&priv->actor_ref);
  g_clear_pointer (&priv->cell, pykka_cell_unref);
  g_clear_pointer (&priv->context, g_main_context_unref);

  G_OBJECT_CLASS (pykka_actor_parent_class)->finalize (object);
}

static void
pykka_actor_constructed (GObject *object)
{
  PykkaActor *self = PYKKA_ACTOR (object);
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  G_OBJECT_CLASS (pykka_actor_parent_class)->constructed (object);

  /* In pykka_actor_init() the instance still looks like a PykkaActor:
   * only now is its type the subclass's. */
  pykka_cell_set_type (priv->cell, G_OBJECT_TYPE (self));
}

static void
pykka_actor_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PykkaActor *self = PYKKA_ACTOR (object);
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_URN:
      g_value_set_string (value, pykka_cell_get_urn (priv->cell));
      break;
    case PROP_ACTOR_REF:
      g_value_set_object (value, priv->actor_ref);
      break;
    case PROP_CONTEXT:
      g_value_set_boxed (value, pykka_actor_get_context (self));
      break;
    case PROP_USE_OWN_THREAD:
      g_value_set_boolean (value, priv->use_own_thread);
      break;
    case PROP_MAILBOX_CAPACITY:
    case PROP_OVERFLOW_POLICY:
    case PROP_OVERFLOW_TIMEOUT_MSEC:
      {
        guint capacity, timeout_msec;
        PykkaOverflowPolicy policy;

        pykka_cell_get_mailbox (priv->cell, &capacity, &policy, &timeout_msec);
        if (prop_id == PROP_MAILBOX_CAPACITY)
          g_value_set_uint (value, capacity);
        else if (prop_id == PROP_OVERFLOW_POLICY)
          g_value_set_enum (value, policy);
        else
          g_value_set_uint (value, timeout_msec);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_actor_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PykkaActor *self = PYKKA_ACTOR (object);
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  /* Settings of the start: writable until then, not construct-only,
   * because GObject sets the default of every construct property of every
   * new object, which was an eighth of the cost of an actor's life. */
  if (!pykka_cell_is_new (priv->cell))
    {
      g_autofree char *who = pykka_cell_describe (priv->cell);

      g_warning ("Property %s of actor %s can only be set before the actor starts; ignored",
                 pspec->name, who);
      return;
    }

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&priv->context, g_main_context_unref);
      priv->context = g_value_dup_boxed (value);
      break;
    case PROP_USE_OWN_THREAD:
      priv->use_own_thread = g_value_get_boolean (value);
      break;
    case PROP_MAILBOX_CAPACITY:
      pykka_cell_set_mailbox (priv->cell, 0, g_value_get_uint (value));
      break;
    case PROP_OVERFLOW_POLICY:
      pykka_cell_set_mailbox (priv->cell, 1, g_value_get_enum (value));
      break;
    case PROP_OVERFLOW_TIMEOUT_MSEC:
      pykka_cell_set_mailbox (priv->cell, 2, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_actor_class_init (PykkaActorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pykka_actor_constructed;
  object_class->finalize = pykka_actor_finalize;
  object_class->get_property = pykka_actor_get_property;
  object_class->set_property = pykka_actor_set_property;

  klass->on_start = pykka_actor_real_on_start;
  klass->on_stop = pykka_actor_real_on_stop;
  klass->on_failure = pykka_actor_real_on_failure;
  klass->on_receive = pykka_actor_real_on_receive;

  /**
   * PykkaActor:urn:
   *
   * The actor's unique identifier, a `urn:uuid:` string set at
   * construction.
   */
  properties[PROP_URN] =
    g_param_spec_string ("urn", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaActor:actor-ref:
   *
   * The [class@Pykka.ActorRef] of this actor, the handle to give to other
   * code. It exists from construction.
   */
  properties[PROP_ACTOR_REF] =
    g_param_spec_object ("actor-ref", NULL, NULL, PYKKA_TYPE_ACTOR_REF,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaActor:context:
   *
   * The main context the actor runs in. If unset at construction, the
   * thread-default main context of the thread that starts the actor (or
   * a context of its own, with [property@Pykka.Actor:use-own-thread]).
   *
   * Like every setting of the start, it can be set until the actor
   * starts (usually at construction); a later set is ignored with a
   * warning.
   */
  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                        G_PARAM_READWRITE |
                        G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * PykkaActor:use-own-thread:
   *
   * Whether the actor gets a thread with a main context and loop of its
   * own, like Pykka's `ThreadingActor`. The thread ends when the actor
   * stops. Set it before the actor starts.
   */
  properties[PROP_USE_OWN_THREAD] =
    g_param_spec_boolean ("use-own-thread", NULL, NULL, FALSE,
                          G_PARAM_READWRITE |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * PykkaActor:mailbox-capacity:
   *
   * How many messages may wait in the actor's mailbox, 0 for no limit
   * (the default). When it is full, one more tell or ask is handled by
   * [property@Pykka.Actor:overflow-policy]. Messages that a turn of the
   * actor already took out of the mailbox, and stops, kills and the
   * control lane, do not count. Set it before the actor starts.
   */
  properties[PROP_MAILBOX_CAPACITY] =
    g_param_spec_uint ("mailbox-capacity", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaActor:overflow-policy:
   *
   * What a full bounded mailbox does with one more message. Set it
   * before the actor starts.
   */
  properties[PROP_OVERFLOW_POLICY] =
    g_param_spec_enum ("overflow-policy", NULL, NULL, PYKKA_TYPE_OVERFLOW_POLICY, PYKKA_OVERFLOW_FAIL,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaActor:overflow-timeout-msec:
   *
   * With %PYKKA_OVERFLOW_BLOCK, how long a sender waits for room, in
   * milliseconds, before it fails with %PYKKA_ERROR_MAILBOX_FULL. Set it
   * before the actor starts.
   */
  properties[PROP_OVERFLOW_TIMEOUT_MSEC] =
    g_param_spec_uint ("overflow-timeout-msec", NULL, NULL, 0, G_MAXINT, 1000,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_actor_init (PykkaActor *self)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  priv->cell = pykka_cell_new (G_OBJECT_TYPE (self));
  priv->actor_ref = pykka_actor_ref_new (priv->cell);
}

/* A supervised restart: @self, just made by the factory and never
 * started, becomes the new instance of @cell, whose ref is @ref (and whose
 * urn it takes). Its own unused cell and ref go. */
void
pykka_actor_adopt_cell (PykkaActor    *self,
                        PykkaCell     *cell,
                        PykkaActorRef *ref)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);
  PykkaCell *unused_cell = priv->cell;
  PykkaActorRef *unused_ref = priv->actor_ref;

  priv->cell = pykka_cell_ref (cell);
  priv->actor_ref = g_object_ref (ref);
  g_object_unref (unused_ref);
  pykka_cell_discard (unused_cell);
  pykka_cell_unref (unused_cell);
}

/**
 * pykka_actor_class_set_stackful:
 * @klass: a [class@Pykka.Actor] class
 * @stackful: whether handlers run on a coroutine stack
 *
 * Makes the handlers of actors of this class (and its subclasses) run on
 * a coroutine stack, where [method@Pykka.Future.get] and
 * [method@Pykka.Event.wait] suspend only the actor. Call it from
 * class_init: subclasses whose class_init runs later inherit the setting.
 * Only for C code: Python and JavaScript handlers never run on a switched
 * stack; they suspend by returning a future.
 */
void
pykka_actor_class_set_stackful (PykkaActorClass *klass,
                                gboolean         stackful)
{
  g_return_if_fail (PYKKA_IS_ACTOR_CLASS (klass));

  klass->stackful = stackful != FALSE;
}

/**
 * pykka_actor_class_add_handler:
 * @klass: a [class@Pykka.Actor] class
 * @type: the type of the messages @handler takes: a fundamental type
 *   such as %G_TYPE_INT or %G_TYPE_STRING, a boxed type, an object
 *   class or an interface (messages of a derived type match too)
 * @handler: (scope forever): the handler, called by the default
 *   [vfunc@Pykka.Actor.on_receive]
 *
 * Dispatches messages by type, instead of a chain of `G_VALUE_HOLDS()`
 * tests in an [vfunc@Pykka.Actor.on_receive] override. Call it in
 * class_init; a subclass inherits the handlers of its parent and may add
 * its own (for the same type, the subclass's wins).
 *
 * The default [vfunc@Pykka.Actor.on_receive] of a class with at least one
 * handler calls the handler of the message's type: a variant handler
 * ([method@Pykka.ActorClass.add_variant_handler]) whose type the
 * #GVariant has (one for exactly its type before an indefinite one that
 * covers it), else the handler of exactly the message's type, else one
 * of a type the message's type derives from; the newest added first. A
 * message that no handler takes is refused: an ask fails with
 * %PYKKA_ERROR_INVALID_ARGUMENT, whose message names the actor, the type
 * received and the types the actor handles; a tell is dropped and the
 * actor lives on. Either is logged once per actor class and message type
 * as a warning in the `Pykka` log domain.
 *
 * ```c
 * static void
 * my_calculator_class_init (MyCalculatorClass *klass)
 * {
 *   PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);
 *
 *   pykka_actor_class_add_handler (actor_class, G_TYPE_INT, my_calculator_on_int);
 *   pykka_actor_class_add_handler (actor_class, G_TYPE_STRING, my_calculator_on_command);
 *   pykka_actor_class_add_variant_handler (actor_class, "(sii)", my_calculator_on_operation);
 * }
 * ```
 *
 * An [vfunc@Pykka.Actor.on_receive] override replaces the dispatch; it
 * may chain up to the parent's for the messages it does not handle
 * itself. In Vala, add handlers in `class construct` (see the Vala
 * guide). Python and JavaScript actors dispatch in their own language.
 */
void
pykka_actor_class_add_handler (PykkaActorClass     *klass,
                               GType                type,
                               PykkaMessageHandler  handler)
{
  g_return_if_fail (PYKKA_IS_ACTOR_CLASS (klass));
  g_return_if_fail (type != G_TYPE_INVALID && type != G_TYPE_NONE);
  g_return_if_fail (handler != NULL);

  handler_table_add (klass, type, NULL, handler);
}

/**
 * pykka_actor_class_add_variant_handler:
 * @klass: a [class@Pykka.Actor] class
 * @type_string: a #GVariant type string, such as `"(si)"` or `"a{sv}"`;
 *   an indefinite type such as `"(s*)"` takes every variant of a type it
 *   covers
 * @handler: (scope forever): the handler, called by the default
 *   [vfunc@Pykka.Actor.on_receive]
 *
 * Dispatches messages that are #GVariant values (%G_TYPE_VARIANT) by the
 * variant's type: @handler takes the variants of type @type_string. It
 * goes before handlers added for %G_TYPE_VARIANT itself. See
 * [method@Pykka.ActorClass.add_handler].
 */
void
pykka_actor_class_add_variant_handler (PykkaActorClass     *klass,
                                       const char          *type_string,
                                       PykkaMessageHandler  handler)
{
  g_return_if_fail (PYKKA_IS_ACTOR_CLASS (klass));
  g_return_if_fail (type_string != NULL && g_variant_type_string_is_valid (type_string));
  g_return_if_fail (handler != NULL);

  handler_table_add (klass, G_TYPE_VARIANT, g_variant_type_new (type_string), handler);
}

/**
 * pykka_actor_class_get_stackful:
 * @klass: a [class@Pykka.Actor] class
 *
 * Whether handlers of this class run on a coroutine stack; see
 * [method@Pykka.ActorClass.set_stackful].
 *
 * Returns: %TRUE if they do
 */
gboolean
pykka_actor_class_get_stackful (PykkaActorClass *klass)
{
  g_return_val_if_fail (PYKKA_IS_ACTOR_CLASS (klass), FALSE);

  return klass->stackful;
}

/**
 * pykka_actor_start:
 * @self: a [class@Pykka.Actor] that was never started
 * @error: return location for an error
 *
 * Registers the actor and starts it in its context. The runtime keeps the
 * actor alive until it stops, so you may drop your reference at once.
 * [vfunc@Pykka.Actor.on_start] runs in the actor's context before any
 * message, including the messages sent while this function runs.
 *
 * An actor starts once: when two threads start the same actor at the
 * same time, exactly one gets the ref and the other fails with
 * %PYKKA_ERROR_FAILED, as does any later start.
 *
 * Returns: (transfer full) (nullable): the actor's [class@Pykka.ActorRef],
 *   or %NULL with @error set
 */
PykkaActorRef *
pykka_actor_start (PykkaActor  *self,
                   GError     **error)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = pykka_actor_get_instance_private (self);
  if (!pykka_cell_start (priv->cell, self, priv->context, priv->use_own_thread, error))
    return NULL;
  return g_object_ref (priv->actor_ref);
}

/**
 * pykka_actor_stop:
 * @self: a started [class@Pykka.Actor]
 *
 * Asks the actor to stop, from inside or outside: like
 * [method@Pykka.ActorRef.stop], the stop is queued behind the messages
 * already sent. Does nothing if the actor is dead.
 */
void
pykka_actor_stop (PykkaActor *self)
{
  PykkaActorPrivate *priv;
  PykkaMessage *m;

  g_return_if_fail (PYKKA_IS_ACTOR (self));

  priv = pykka_actor_get_instance_private (self);
  m = pykka_message_new (PYKKA_MESSAGE_STOP, NULL, NULL);
  if (!pykka_cell_push (priv->cell, m))
    pykka_message_free (m);
}

/**
 * pykka_actor_kill:
 * @self: a started [class@Pykka.Actor]
 * @reason: (nullable): why, the actor's death reason; %NULL for
 *   %PYKKA_ERROR_ACTOR_DEAD "killed"
 *
 * Stops the actor at once, from inside or outside: unlike
 * [method@Pykka.Actor.stop], the stop jumps the queue. The handler
 * running now, if any, finishes; then [vfunc@Pykka.Actor.on_stop] runs
 * and every message still queued is answered as dead: asks fail with
 * %PYKKA_ERROR_ACTOR_DEAD, whose message gives @reason. From this call
 * on, tells and asks to the actor fail at once.
 *
 * If the running handler fails, the failure goes nowhere further: its
 * asker gets %PYKKA_ERROR_ACTOR_DEAD and [vfunc@Pykka.Actor.on_failure]
 * does not run. This is what the Python layer does when a handler raises
 * a `BaseException` that is not an `Exception`, as Pykka does.
 *
 * A handler that is suspended (waiting for a reply future, or a stackful
 * handler waiting in a coroutine) finishes its wait first.
 *
 * An actor that another thread is starting ([method@Pykka.Actor.start]
 * has not returned yet) is killed as soon as its start is done: it never
 * handles a message, and [vfunc@Pykka.Actor.on_start] does not run.
 *
 * Returns: %TRUE if the actor was running (or starting) and is now being
 *   killed, %FALSE if it was not started, already dead, stopping or being
 *   killed
 */
gboolean
pykka_actor_kill (PykkaActor   *self,
                  const GError *reason)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), FALSE);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_kill (priv->cell, reason);
}

/**
 * pykka_actor_start_timer:
 * @self: a running [class@Pykka.Actor]
 * @key: (nullable): names the timer: starting another timer with the same
 *   key replaces it (at most one timer per key); %NULL for none
 * @delay_msec: after how long the first message is told, in milliseconds
 * @interval_msec: then every how long, in milliseconds; 0 for once
 * @message: the message, copied
 *
 * Tells @message to the actor itself after @delay_msec, and then every
 * @interval_msec if that is not 0, in the actor's context, like any told
 * message (it queues behind what was sent before). The timer belongs to
 * the actor: it is cancelled when the actor dies or a supervisor
 * restarts it (the instance goes), so that no `on_stop` needs to
 * remember it, and it tells nothing once the actor is stopping or being
 * killed. Call it from any thread. The timers
 * read the clock of the actor's context, which a test may make virtual
 * ([func@Pykka.context_use_virtual_clock]).
 *
 * Returns: the timer's id (never 0), for [method@Pykka.Actor.cancel_timer];
 *   0 if the actor is not running
 */
guint
pykka_actor_start_timer (PykkaActor   *self,
                         const char   *key,
                         guint         delay_msec,
                         guint         interval_msec,
                         const GValue *message)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), 0);
  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), 0);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_start_timer (priv->cell, key, delay_msec, interval_msec, message);
}

/**
 * pykka_actor_cancel_timer:
 * @self: a [class@Pykka.Actor]
 * @id: a timer of [method@Pykka.Actor.start_timer]
 *
 * Cancels a timer: it tells nothing more (a message it told already
 * stays in the mailbox).
 *
 * Returns: %TRUE if the timer was running
 */
gboolean
pykka_actor_cancel_timer (PykkaActor *self,
                          guint       id)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), FALSE);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_cancel_timer (priv->cell, id, NULL);
}

/**
 * pykka_actor_cancel_timer_by_key:
 * @self: a [class@Pykka.Actor]
 * @key: the key the timer was started with
 *
 * Cancels the timer named @key, as [method@Pykka.Actor.cancel_timer].
 *
 * Returns: %TRUE if such a timer was running
 */
gboolean
pykka_actor_cancel_timer_by_key (PykkaActor *self,
                                 const char *key)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_cancel_timer (priv->cell, 0, key);
}

/**
 * pykka_actor_defer_reply:
 * @self: the actor whose handler runs now
 * @error: return location for an error
 *
 * Takes the reply of the message being handled as a handle: a
 * [class@Pykka.Future] that answers the asker when it is completed
 * ([method@Pykka.Future.set_value], [method@Pykka.Future.set_error]),
 * from any thread, at any time. The handler's own reply is then ignored,
 * and the actor goes on with its next message at once: unlike replying
 * with a future (see [vfunc@Pykka.Actor.on_receive]), which pauses the
 * mailbox until that future completes, a router can hand many asks to
 * its workers at the same time and answer each when its worker does.
 *
 * If the handler fails after deferring, its error answers the asker,
 * unless the handle was completed already; the failure of a told
 * message fails the actor as it would without deferring. A handle dropped without
 * being completed answers the asker with %PYKKA_ERROR_FAILED. Calling it
 * again in the same handler gives the same handle; for a told message
 * the handle answers nobody.
 *
 * Returns: (transfer full) (nullable): the handle, or %NULL with
 *   %PYKKA_ERROR_INVALID_ARGUMENT when no handler of @self runs on this
 *   thread
 */
PykkaFuture *
pykka_actor_defer_reply (PykkaActor  *self,
                         GError     **error)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_defer_reply (priv->cell, error);
}

/**
 * pykka_actor_start_child:
 * @self: the parent, a running [class@Pykka.Actor]
 * @child: an actor not started yet
 * @error: return location for an error
 *
 * Starts @child as by [method@Pykka.Actor.start] (on the context or
 * thread its properties say) and links it to @self: @self watches it
 * ([method@Pykka.Actor.watch]: its death arrives as a
 * [struct@Pykka.Terminated] message), and when @self stops, is killed or
 * fails, its children are stopped first, the newest first, and waited
 * for before its [vfunc@Pykka.Actor.on_stop] (or
 * [vfunc@Pykka.Actor.on_failure]) runs; when its
 * [vfunc@Pykka.Actor.on_start] fails, or it dies in a supervisor's
 * hands without a restart, before its death. For restarts on failure, start
 * children from a [class@Pykka.Supervisor] instead.
 *
 * Returns: (transfer full) (nullable): the child's ref, or %NULL with
 *   @error set: %PYKKA_ERROR_ACTOR_DEAD if @self is not running (the
 *   child is not started then), or the error of the child's start
 */
PykkaActorRef *
pykka_actor_start_child (PykkaActor  *self,
                         PykkaActor  *child,
                         GError     **error)
{
  PykkaActorPrivate *priv;
  PykkaActorRef *ref;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);
  g_return_val_if_fail (PYKKA_IS_ACTOR (child), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = pykka_actor_get_instance_private (self);
  if (!pykka_cell_is_alive (priv->cell))
    {
      g_propagate_error (error, pykka_cell_dead_error (priv->cell));
      return NULL;
    }
  ref = pykka_actor_start (child, error);
  if (ref == NULL)
    return NULL;
  if (!pykka_cell_add_child (priv->cell, ref))
    {
      /* The parent stopped meanwhile: so does the child. */
      pykka_actor_ref_stop_sync (ref, -1, NULL);
      g_clear_object (&ref);
      g_propagate_error (error, pykka_cell_dead_error (priv->cell));
    }
  return ref;
}

/**
 * pykka_actor_watch:
 * @self: the watching [class@Pykka.Actor], started
 * @actor_ref: the ref of the actor to watch
 *
 * Death watch (Erlang's monitor, Akka's `watch`): once the actor of
 * @actor_ref is dead, @self receives, exactly once, a message holding a
 * [struct@Pykka.Terminated] with that ref and the reason of the death
 * (%NULL for a normal stop), handled by its
 * [vfunc@Pykka.Actor.on_receive] like a told message. If it is dead
 * already, the message is sent at once. Watching the same actor again
 * changes nothing; an actor may watch itself, but is then never told.
 *
 * Nothing is left behind when either side dies first: a dead watcher's
 * watches are forgotten. A watcher that is not running watches nothing.
 * Call it from any thread.
 */
void
pykka_actor_watch (PykkaActor    *self,
                   PykkaActorRef *actor_ref)
{
  PykkaActorPrivate *priv;

  g_return_if_fail (PYKKA_IS_ACTOR (self));
  g_return_if_fail (PYKKA_IS_ACTOR_REF (actor_ref));

  priv = pykka_actor_get_instance_private (self);
  pykka_cell_watch (priv->cell, actor_ref);
}

/**
 * pykka_actor_unwatch:
 * @self: the watching [class@Pykka.Actor]
 * @actor_ref: the ref of the watched actor
 *
 * Ends a watch of [method@Pykka.Actor.watch]: @self is not told of the
 * death of the actor of @actor_ref, even if the news was already queued
 * in its mailbox. Unwatching an actor that is not watched does nothing.
 */
void
pykka_actor_unwatch (PykkaActor    *self,
                     PykkaActorRef *actor_ref)
{
  PykkaActorPrivate *priv;

  g_return_if_fail (PYKKA_IS_ACTOR (self));
  g_return_if_fail (PYKKA_IS_ACTOR_REF (actor_ref));

  priv = pykka_actor_get_instance_private (self);
  pykka_cell_unwatch (priv->cell, pykka_actor_ref_get_cell (actor_ref));
}

/**
 * pykka_actor_get_urn:
 * @self: a [class@Pykka.Actor]
 *
 * Gets [property@Pykka.Actor:urn].
 *
 * Returns: (transfer none): the actor's `urn:uuid:` identifier
 */
const char *
pykka_actor_get_urn (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_get_urn (priv->cell);
}

/**
 * pykka_actor_get_actor_ref:
 * @self: a [class@Pykka.Actor]
 *
 * Gets [property@Pykka.Actor:actor-ref].
 *
 * Returns: (transfer none): the actor's [class@Pykka.ActorRef]
 */
PykkaActorRef *
pykka_actor_get_actor_ref (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);

  priv = pykka_actor_get_instance_private (self);
  return priv->actor_ref;
}

/* The ref, without a type check: for the runtime's hot paths (the cell
 * at a stop and a death), which hold a PykkaActor for sure. */
PykkaActorRef *
pykka_actor_peek_ref (PykkaActor *self)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  return priv->actor_ref;
}

/**
 * pykka_actor_get_context:
 * @self: a [class@Pykka.Actor]
 *
 * Gets the main context the actor runs in: [property@Pykka.Actor:context]
 * if it was set, else, once started, the context chosen at start.
 *
 * Returns: (transfer none) (nullable): the context, or %NULL for an actor
 *   not started yet without [property@Pykka.Actor:context]
 */
GMainContext *
pykka_actor_get_context (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);

  priv = pykka_actor_get_instance_private (self);
  if (pykka_cell_get_scheduler (priv->cell) != NULL)
    return pykka_scheduler_get_context (pykka_cell_get_scheduler (priv->cell));
  return priv->context;
}

/**
 * pykka_actor_get_use_own_thread:
 * @self: a [class@Pykka.Actor]
 *
 * Gets [property@Pykka.Actor:use-own-thread].
 *
 * Returns: %TRUE if the actor runs on a thread of its own
 */
gboolean
pykka_actor_get_use_own_thread (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), FALSE);

  priv = pykka_actor_get_instance_private (self);
  return priv->use_own_thread;
}

/**
 * pykka_actor_get_current_cancellable:
 * @self: a [class@Pykka.Actor], from its own handler
 *
 * Gets the #GCancellable of the ask being handled now, if it was sent
 * with [method@Pykka.ActorRef.ask_cancellable]: the handler can check it,
 * connect to it, or pass it on to the GIO calls it makes. Call it from
 * [vfunc@Pykka.Actor.on_receive] (also after a stackful handler resumed,
 * and in the callback of [method@Pykka.Actor.suspend_until] that resumes
 * a handler which replied with a future); elsewhere it returns %NULL.
 *
 * Returns: (transfer none) (nullable): the ask's cancellable, or %NULL
 */
GCancellable *
pykka_actor_get_current_cancellable (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_get_current_cancellable (priv->cell);
}

/**
 * pykka_actor_resume_when: (skip)
 * @self: a started [class@Pykka.Actor]
 * @future: the future to wait for
 * @func: called in a turn of the actor once @future is completed
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data, after @func has run or when the
 *   call is dropped
 *
 * [method@Pykka.Actor.suspend_until] without a timeout, for bindings
 * written before it: a wait that would deadlock is logged as a warning
 * and dropped (only @destroy runs).
 */
void
pykka_actor_resume_when (PykkaActor           *self,
                         PykkaFuture          *future,
                         PykkaActorResumeFunc  func,
                         gpointer              user_data,
                         GDestroyNotify        destroy)
{
  g_autoptr(GError) error = NULL;

  if (!pykka_actor_suspend_until (self, future, -1, func, user_data, destroy, &error) && error != NULL)
    g_warning ("%s", error->message);
}

/**
 * pykka_actor_suspend_until: (skip)
 * @self: a started [class@Pykka.Actor] whose handler runs now
 * @future: the future to wait for
 * @timeout_msec: how long to wait at most, in milliseconds, or -1
 * @func: called in a turn of the actor once @future is completed or
 *   @timeout_msec has passed (then @future is not done)
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data, after @func has run or when the
 *   call is dropped
 * @error: return location for an error
 *
 * For language bindings that suspend handlers themselves (Python's
 * greenlets do; see `pykka-binding.h`): a handler that waits for @future
 * replies with a future of its own (see [vfunc@Pykka.Actor.on_receive])
 * and asks to be resumed here. Once @future completes, or the timeout
 * passes, the runtime calls @func in the actor's next turn, on the thread
 * that owns its context and before any other message; the binding resumes
 * the handler there, which completes the reply future, and the actor goes
 * on in the same turn. This costs no GTask and no source per wait (one
 * timer source with a timeout).
 *
 * The wait is recorded in the wait-for graph until @func runs or the call
 * is dropped: when @future is the answer of an actor that waits, directly
 * or through others, for this actor, the wait could never end, and this
 * fails with %PYKKA_ERROR_DEADLOCK naming the cycle (only @destroy runs).
 *
 * A call that has not run when the actor's suspension ends (the reply
 * future completed otherwise) or when the actor dies is dropped: only
 * @destroy runs, as it does at once for an actor that is not running.
 * @func never runs inside the code that completes @future, nor before
 * this function returns.
 *
 * Returns: %TRUE, or %FALSE with @error set when the wait would deadlock
 */
gboolean
pykka_actor_suspend_until (PykkaActor           *self,
                           PykkaFuture          *future,
                           gint                  timeout_msec,
                           PykkaActorResumeFunc  func,
                           gpointer              user_data,
                           GDestroyNotify        destroy,
                           GError              **error)
{
  PykkaActorPrivate *priv;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), FALSE);
  g_return_val_if_fail (PYKKA_IS_FUTURE (future), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = pykka_actor_get_instance_private (self);
  return pykka_cell_add_resume (priv->cell, future, timeout_msec, func, user_data, destroy, error);
}

/**
 * pykka_actor_drop_suspensions: (skip)
 * @self: a [class@Pykka.Actor] whose handler runs now
 *
 * For language bindings: the handler gave up the waits it asked for with
 * [method@Pykka.Actor.suspend_until] (Python: a `greenlet.throw()` into a
 * suspended handler). They are dropped now, as if the actor's suspension
 * had ended: their callbacks will not run (only their destroy notifies
 * do, at once) and the wait-for graph forgets them.
 */
void
pykka_actor_drop_suspensions (PykkaActor *self)
{
  PykkaActorPrivate *priv;

  g_return_if_fail (PYKKA_IS_ACTOR (self));

  priv = pykka_actor_get_instance_private (self);
  pykka_cell_drop_resumes (priv->cell);
}

/* A wait of pykka_actor_await_future(): the future it gave out. */
typedef struct
{
  PykkaFuture *result;   /* (owned) */
  PykkaFuture *awaited;  /* (owned) */
  gint         timeout_msec;
} AwaitCall;

static void
await_follow_hook (PykkaPromise *promise,
                   gpointer      data)
{
  pykka_promise_copy_outcome (pykka_future_get_promise (data), promise);
}

/* Runs in a turn of the actor: the awaited future completed, the time is
 * up, or the actor is being killed. */
static void
await_resumed (PykkaActor  *actor,
               PykkaFuture *future,
               gpointer     data)
{
  AwaitCall *call = data;
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (actor);
  PykkaPromise *result = pykka_future_get_promise (call->result);

  if (pykka_future_is_done (future))
    pykka_promise_copy_outcome (result, pykka_future_get_promise (future));
  else if (pykka_cell_is_killing (priv->cell))
    pykka_promise_take_error (result, pykka_cell_dead_error (priv->cell));
  else
    pykka_promise_take_error (result,
                              pykka_wait_timeout_error (pykka_promise_get_source (pykka_future_get_promise (future)),
                                                        call->timeout_msec));
}

/* A wait dropped before it ended (the handler's suspension ended, or the
 * actor died): the future given out follows the awaited one. */
static void
await_call_free (gpointer data)
{
  AwaitCall *call = data;

  if (!pykka_future_is_done (call->result))
    pykka_promise_add_hook (pykka_future_get_promise (call->awaited), await_follow_hook,
                            g_steal_pointer (&call->result), g_object_unref);
  g_clear_object (&call->result);
  g_object_unref (call->awaited);
  g_free (call);
}

/**
 * pykka_actor_await_future:
 * @self: a started [class@Pykka.Actor] whose handler runs now, or has
 *   replied with a future that is not completed yet (an asynchronous
 *   handler, suspended)
 * @future: the future the handler awaits
 * @timeout_msec: how long to wait at most, in milliseconds, or -1
 * @error: return location for an error
 *
 * For language bindings whose handlers suspend by replying with a future
 * and then await others asynchronously (JavaScript's `async` handlers):
 * records that @self waits for @future, as a blocking get in a handler
 * does, and returns a future that completes with @future's outcome, so
 * that the binding awaits that one instead.
 *
 * When @future is the answer of @self itself, or of an actor that waits,
 * directly or through others, for @self, the wait could never end: this
 * fails at once with %PYKKA_ERROR_DEADLOCK naming the cycle ("A (urn:…)
 * waits for B (urn:…), which waits for A (urn:…)"). Otherwise the
 * returned future completes in a turn of @self, on the thread that runs
 * it: with @future's value or error, with %PYKKA_ERROR_TIMEOUT once
 * @timeout_msec has passed on the clock of @self's context (see
 * [func@Pykka.context_use_virtual_clock]), or with
 * %PYKKA_ERROR_ACTOR_DEAD when @self is killed meanwhile. The wait is
 * recorded until then, or until the handler's suspension ends (its reply
 * future completes) or the actor dies: from then on the returned future
 * merely follows @future, with no timeout.
 *
 * Call it on the thread that runs @self, never for an actor that is not
 * waiting: the record would make other actors' waits for @self look like
 * deadlocks.
 *
 * Returns: (transfer full) (nullable): a future completed as @future is,
 *   or %NULL with @error set when the wait would deadlock
 */
PykkaFuture *
pykka_actor_await_future (PykkaActor   *self,
                          PykkaFuture  *future,
                          gint          timeout_msec,
                          GError      **error)
{
  PykkaActorPrivate *priv;
  AwaitCall *call;
  PykkaFuture *result;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);
  g_return_val_if_fail (PYKKA_IS_FUTURE (future), NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = pykka_actor_get_instance_private (self);
  result = pykka_future_new ();
  call = g_new (AwaitCall, 1);
  call->result = g_object_ref (result);
  call->awaited = g_object_ref (future);
  call->timeout_msec = timeout_msec;
  if (!pykka_cell_add_resume (priv->cell, future, timeout_msec, await_resumed, call, await_call_free, error))
    {
      /* The call is freed, and its result set to follow @future: nobody
       * will read it. */
      pykka_promise_remove_hook (pykka_future_get_promise (future), await_follow_hook, result);
      g_object_unref (result);
      return NULL;
    }
  return result;
}
