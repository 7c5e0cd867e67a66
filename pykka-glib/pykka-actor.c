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
 * A message is a #GValue of any type, copied when it is sent. The handler
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
 * itself a message: everything sent before it is handled first, then
 * [vfunc@Pykka.Actor.on_stop] runs, the actor leaves the registry and is
 * dead. Asks still queued then fail with %PYKKA_ERROR_ACTOR_DEAD, and so
 * does every later tell or ask, at once. An error from the handler of an
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
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static GQuark stackful_quark;
static gint stackful_generation;  /* atomic: bumped by every set_stackful() */

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

static gboolean
pykka_actor_real_on_receive (PykkaActor    *self,
                             const GValue  *message,
                             GValue        *reply,
                             GError       **error)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);
  g_autofree char *who = pykka_cell_describe (priv->cell);

  g_warning ("Unexpected message of type %s received by actor %s",
             G_IS_VALUE (message) ? G_VALUE_TYPE_NAME (message) : "(unset)", who);
  return TRUE;
}

static void
pykka_actor_finalize (GObject *object)
{
  PykkaActor *self = PYKKA_ACTOR (object);
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

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
  priv->cell->type = G_OBJECT_TYPE (self);
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

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&priv->context, g_main_context_unref);
      priv->context = g_value_dup_boxed (value);
      break;
    case PROP_USE_OWN_THREAD:
      priv->use_own_thread = g_value_get_boolean (value);
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

  stackful_quark = g_quark_from_static_string ("pykka-actor-stackful");

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
   */
  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * PykkaActor:use-own-thread:
   *
   * Whether the actor gets a thread with a main context and loop of its
   * own, like Pykka's `ThreadingActor`. The thread ends when the actor
   * stops.
   */
  properties[PROP_USE_OWN_THREAD] =
    g_param_spec_boolean ("use-own-thread", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_actor_init (PykkaActor *self)
{
  PykkaActorPrivate *priv = pykka_actor_get_instance_private (self);

  priv->cell = pykka_cell_new ();
  priv->cell->id = pykka_registry_next_serial ();
  priv->cell->type = G_OBJECT_TYPE (self);
  priv->actor_ref = pykka_actor_ref_new (priv->cell);
}

/**
 * pykka_actor_class_set_stackful:
 * @klass: a [class@Pykka.Actor] class
 * @stackful: whether handlers run on a coroutine stack
 *
 * Makes the handlers of actors of this class (and its subclasses) run on
 * a coroutine stack, where [method@Pykka.Future.get] and
 * [method@Pykka.Event.wait] suspend only the actor. Call it from
 * class_init. Only for C code: Python and JavaScript handlers never run
 * on a switched stack; they suspend by returning a future.
 */
void
pykka_actor_class_set_stackful (PykkaActorClass *klass,
                                gboolean         stackful)
{
  g_return_if_fail (PYKKA_IS_ACTOR_CLASS (klass));

  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), stackful_quark,
                    GINT_TO_POINTER (stackful ? 1 : 2));
  g_atomic_int_inc (&stackful_generation);
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

  for (GType t = G_TYPE_FROM_CLASS (klass); t != 0; t = g_type_parent (t))
    {
      gint v = GPOINTER_TO_INT (g_type_get_qdata (t, stackful_quark));
      if (v != 0)
        return v == 1;
    }
  return FALSE;
}

/* pykka_actor_class_get_stackful() walks the type's ancestry, one
 * g_type_get_qdata() (and read lock) per ancestor: remember the last
 * class per thread for the next start. */
static gboolean
class_is_stackful (PykkaActorClass *klass)
{
  static __thread struct
  {
    GType    type;
    gint     generation;
    gboolean stackful;
  } cache;
  GType type = G_TYPE_FROM_CLASS (klass);
  gint generation = g_atomic_int_get (&stackful_generation);

  if (cache.type != type || cache.generation != generation)
    {
      cache.stackful = pykka_actor_class_get_stackful (klass);
      cache.type = type;
      cache.generation = generation;
    }
  return cache.stackful;
}

static gpointer
own_thread_main (gpointer data)
{
  GMainLoop *loop = data;
  GMainContext *context = g_main_loop_get_context (loop);

  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  g_main_loop_unref (loop);

  return NULL;
}

/**
 * pykka_actor_start:
 * @self: a [class@Pykka.Actor] that was never started
 * @error: return location for an error
 *
 * Registers the actor and starts it in its context. The runtime keeps the
 * actor alive until it stops, so you may drop your reference at once.
 * [vfunc@Pykka.Actor.on_start] runs in the actor's context before any
 * message.
 *
 * Returns: (transfer full) (nullable): the actor's [class@Pykka.ActorRef],
 *   or %NULL with @error set
 */
PykkaActorRef *
pykka_actor_start (PykkaActor  *self,
                   GError     **error)
{
  PykkaActorPrivate *priv;
  PykkaCell *cell;
  GMainContext *context;

  g_return_val_if_fail (PYKKA_IS_ACTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = pykka_actor_get_instance_private (self);
  cell = priv->cell;

  g_mutex_lock (&cell->mutex);
  if (cell->state != PYKKA_CELL_NEW)
    {
      g_autofree char *who = NULL;

      g_mutex_unlock (&cell->mutex);
      who = pykka_cell_describe (cell);
      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                   /* Translators: %s is an actor, such as "MyCounter (urn:uuid:…)". */
                   P_("Actor %s was already started; an actor cannot be restarted"), who);
      return NULL;
    }
  g_mutex_unlock (&cell->mutex);

  cell->stackful = class_is_stackful (PYKKA_ACTOR_GET_CLASS (self));

  if (priv->use_own_thread)
    {
      g_autoptr(GThread) thread = NULL;
      GMainLoop *loop;

      context = priv->context != NULL ? g_main_context_ref (priv->context) : g_main_context_new ();
      loop = g_main_loop_new (context, FALSE);
      cell->own_thread = TRUE;
      cell->own_loop = g_main_loop_ref (loop);
      cell->scheduler = pykka_scheduler_ref_for_context (context);
      thread = g_thread_try_new ("pykka-actor", own_thread_main, loop, error);
      if (thread == NULL)
        {
          g_main_loop_unref (loop);
          g_clear_pointer (&cell->own_loop, g_main_loop_unref);
          g_clear_pointer (&cell->scheduler, pykka_scheduler_unref);
          g_main_context_unref (context);
          return NULL;
        }
    }
  else
    {
      context = priv->context != NULL ? g_main_context_ref (priv->context)
                                      : g_main_context_ref_thread_default ();
      cell->scheduler = pykka_scheduler_ref_for_context (context);
    }
  g_main_context_unref (context);

  cell->serial = pykka_registry_next_serial ();
  pykka_scheduler_add_cell (cell->scheduler);

  g_mutex_lock (&cell->mutex);
  cell->actor = g_object_ref (self);
  g_atomic_int_set ((gint *) &cell->state, PYKKA_CELL_ALIVE);
  g_mutex_unlock (&cell->mutex);

  pykka_registry_add (cell);
  /* Asking costs a getenv(): once per actor, for its start and stop. */
  cell->log_debug = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
  if (cell->log_debug)
    g_debug ("Registered actor %s (%s)", G_OBJECT_TYPE_NAME (self), pykka_cell_get_urn (cell));

  /* on_start comes before anything sent from now on. */
  pykka_cell_push (cell, pykka_message_new (PYKKA_MESSAGE_START, NULL, NULL));

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
  if (priv->cell->scheduler != NULL)
    return pykka_scheduler_get_context (priv->cell->scheduler);
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
 * pykka_actor_resume_when: (skip)
 * @self: a started [class@Pykka.Actor]
 * @future: the future to wait for
 * @func: called in a turn of the actor once @future is completed
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data, after @func has run or when the
 *   call is dropped
 *
 * For language bindings that suspend handlers themselves (Python's
 * greenlets do): a handler that waits for @future replies with a future
 * of its own (see [vfunc@Pykka.Actor.on_receive]) and asks to be resumed
 * here. Once @future completes, the runtime calls @func in the actor's
 * next turn, in its context and before any other message; the binding
 * resumes the handler there, which completes the reply future, and the
 * actor goes on in the same turn. This costs no GTask and no source per
 * wait, unlike [method@Pykka.Future.get_async].
 *
 * A call that has not run when the actor's suspension ends (the reply
 * future completed otherwise, as after a timeout) or when the actor dies
 * is dropped: only @destroy runs, as it does at once for an actor that is
 * not running. @func never runs inside the code that completes @future,
 * nor before this function returns.
 */
void
pykka_actor_resume_when (PykkaActor           *self,
                         PykkaFuture          *future,
                         PykkaActorResumeFunc  func,
                         gpointer              user_data,
                         GDestroyNotify        destroy)
{
  PykkaActorPrivate *priv;

  g_return_if_fail (PYKKA_IS_ACTOR (self));
  g_return_if_fail (PYKKA_IS_FUTURE (future));
  g_return_if_fail (func != NULL);

  priv = pykka_actor_get_instance_private (self);
  pykka_cell_add_resume (priv->cell, future, func, user_data, destroy);
}
