/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-supervisor.h"

#include "pykka-private.h"

/**
 * PykkaSupervisor:
 *
 * An actor that starts children and restarts them when they fail, as an
 * Erlang/OTP supervisor or an Akka parent does (Pykka has none).
 *
 * Children are made by a factory ([callback@Pykka.ActorFactory]) and
 * started with [method@Pykka.Supervisor.start_child]. When the handler
 * of a message told to a child fails, the child's
 * [vfunc@Pykka.Actor.on_failure] runs, then, instead of dying, the child
 * waits for its supervisor, which restarts children according to
 * [property@Pykka.Supervisor:strategy]: the factory makes a new instance
 * (the old one, if it had not failed, runs [vfunc@Pykka.Actor.on_stop]
 * first), which runs [vfunc@Pykka.Actor.on_start] and goes on with the
 * mailbox. A restarted child keeps its [class@Pykka.ActorRef], its urn,
 * its place in the registry and the messages sent to it: what is sent
 * during and after the restart reaches the new instance. An ask whose
 * handler failed got its error, as always; it does not restart anything.
 *
 * At most [property@Pykka.Supervisor:max-restarts] restarts may happen
 * within [property@Pykka.Supervisor:within-msec] milliseconds; one more
 * failure stops every child (newest first, each running `on_stop`, the
 * failed one dying of its failure) and then fails the supervisor itself,
 * with %PYKKA_ERROR_FAILED: a supervisor that is itself a child of a
 * supervisor is then handled by that one (escalation).
 *
 * With [property@Pykka.Supervisor:backoff-msec], restarts wait: the
 * first of a window that long, each next one within the window twice as
 * long as the one before (at most 32 times). The children to restart
 * take nothing meanwhile; what is sent to them waits in their mailboxes.
 *
 * Stopping a supervisor stops its children first, newest first, and
 * waits for each to be dead.
 *
 * A supervisor takes no messages of its own: the death-watch values it
 * receives from its children are its only mail.
 */
struct _PykkaSupervisor
{
  PykkaActor            parent_instance;
  PykkaRestartStrategy  strategy;
  guint                 max_restarts;
  guint                 within_msec;
  guint                 backoff_msec;
  guint                 restarts;      /* atomic */
  GMutex                lock;
  GPtrArray            *children;      /* (owned) PykkaActorRef, start order; under lock */
  GQueue                recent;        /* gint64* times of the restarts within the window, oldest first; on the supervisor's thread */
};

G_DEFINE_FINAL_TYPE (PykkaSupervisor, pykka_supervisor, PYKKA_TYPE_ACTOR)

enum
{
  PROP_0,
  PROP_STRATEGY,
  PROP_MAX_RESTARTS,
  PROP_WITHIN_MSEC,
  PROP_BACKOFF_MSEC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GPtrArray *
dup_children (PykkaSupervisor *self)
{
  GPtrArray *copy;

  g_mutex_lock (&self->lock);
  copy = g_ptr_array_copy (self->children, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  g_ptr_array_set_free_func (copy, g_object_unref);
  g_mutex_unlock (&self->lock);
  return copy;
}

/* Stops every child, newest first, and waits for each to be dead
 * (pykka_cell_stop_child()). */
static void
stop_children (PykkaSupervisor *self)
{
  g_autoptr(GPtrArray) children = dup_children (self);

  for (guint i = children->len; i > 0; i--)
    pykka_cell_stop_child (children->pdata[i - 1], TRUE);
}

static gboolean
pykka_supervisor_on_stop (PykkaActor  *actor,
                          GError     **error)
{
  stop_children (PYKKA_SUPERVISOR (actor));
  return TRUE;
}

static void
pykka_supervisor_on_failure (PykkaActor   *actor,
                             const GError *error)
{
  stop_children (PYKKA_SUPERVISOR (actor));
}

static gboolean
child_is_chosen (PykkaRestartStrategy strategy,
                 guint                i,
                 guint                failed)
{
  switch (strategy)
    {
    case PYKKA_RESTART_ONE_FOR_ALL:
      return TRUE;
    case PYKKA_RESTART_REST_FOR_ONE:
      return i >= failed;
    case PYKKA_RESTART_ONE_FOR_ONE:
    default:
      return i == failed;
    }
}

static gboolean
restart_later_cb (gpointer data)
{
  GPtrArray *chosen = data;

  for (guint i = 0; i < chosen->len; i++)
    pykka_cell_restart (pykka_actor_ref_get_cell (chosen->pdata[i]), TRUE);
  return G_SOURCE_REMOVE;
}

/* Whether one more restart now is within the intensity. */
static gboolean
note_restart (PykkaSupervisor *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 window = (gint64) self->within_msec * G_TIME_SPAN_MILLISECOND;
  gint64 *t;

  while ((t = g_queue_peek_head (&self->recent)) != NULL && now - *t > window)
    g_free (g_queue_pop_head (&self->recent));
  if (g_queue_get_length (&self->recent) >= self->max_restarts)
    return FALSE;
  t = g_new (gint64, 1);
  *t = now;
  g_queue_push_tail (&self->recent, t);
  return TRUE;
}

static gboolean
pykka_supervisor_on_receive (PykkaActor    *actor,
                             const GValue  *message,
                             GValue        *reply,
                             GError       **error)
{
  PykkaSupervisor *self = PYKKA_SUPERVISOR (actor);
  g_autoptr(GPtrArray) children = NULL;
  PykkaTerminated *news;
  PykkaActorRef *failed;
  const GError *reason;
  guint index;

  if (!G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
    {
      g_autofree char *who = pykka_cell_describe (pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (actor)));

      /* Not a failure of the supervisor: it goes on. */
      g_message ("Supervisor %s takes no messages; ignored a message of type %s",
                 who, G_VALUE_TYPE_NAME (message));
      return TRUE;
    }
  news = g_value_get_boxed (message);
  failed = pykka_terminated_get_actor_ref (news);
  reason = pykka_terminated_get_reason (news);
  children = dup_children (self);
  if (!g_ptr_array_find (children, failed, &index) ||
      !pykka_cell_awaits_restart (pykka_actor_ref_get_cell (failed)))
    return TRUE;

  if (!note_restart (self))
    {
      g_autofree char *who = pykka_cell_describe (pykka_actor_ref_get_cell (failed));

      /* Too many: every child stops (the failed one dies of its failure,
       * in stop_children() from on_failure), then the supervisor fails. */
      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                   /* Translators: %u are numbers, %s an actor and an error message. */
                   P_("more than %u restarts within %u ms; the last failure, of %s: %s"),
                   self->max_restarts, self->within_msec, who,
                   reason != NULL ? reason->message : "?");
      return FALSE;
    }

  g_atomic_int_inc ((gint *) &self->restarts);
  if (self->backoff_msec > 0)
    {
      /* Later, from the supervisor's context; the children chosen are
       * the ones restarted then (a dead one refuses). */
      guint shift = MIN (g_queue_get_length (&self->recent) - 1, 5);
      GPtrArray *chosen = g_ptr_array_new_with_free_func (g_object_unref);
      GSource *timer;

      for (guint i = 0; i < children->len; i++)
        if (child_is_chosen (self->strategy, i, index))
          g_ptr_array_add (chosen, g_object_ref (children->pdata[i]));
      timer = g_timeout_source_new (self->backoff_msec << shift);
      g_source_set_static_name (timer, "[pykka] supervisor back-off");
      g_source_set_callback (timer, restart_later_cb, chosen, (GDestroyNotify) g_ptr_array_unref);
      g_source_attach (timer, pykka_scheduler_get_context (pykka_cell_get_scheduler (
                                pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (actor)))));
      g_source_unref (timer);
      return TRUE;
    }
  for (guint i = 0; i < children->len; i++)
    if (child_is_chosen (self->strategy, i, index))
      pykka_cell_restart (pykka_actor_ref_get_cell (children->pdata[i]), TRUE);
  return TRUE;
}

static void
pykka_supervisor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PykkaSupervisor *self = PYKKA_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_STRATEGY:
      g_value_set_enum (value, self->strategy);
      break;
    case PROP_MAX_RESTARTS:
      g_value_set_uint (value, self->max_restarts);
      break;
    case PROP_WITHIN_MSEC:
      g_value_set_uint (value, self->within_msec);
      break;
    case PROP_BACKOFF_MSEC:
      g_value_set_uint (value, self->backoff_msec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_supervisor_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PykkaSupervisor *self = PYKKA_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_STRATEGY:
      self->strategy = g_value_get_enum (value);
      break;
    case PROP_MAX_RESTARTS:
      self->max_restarts = g_value_get_uint (value);
      break;
    case PROP_WITHIN_MSEC:
      self->within_msec = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MSEC:
      self->backoff_msec = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_supervisor_finalize (GObject *object)
{
  PykkaSupervisor *self = PYKKA_SUPERVISOR (object);

  g_ptr_array_unref (self->children);
  g_queue_clear_full (&self->recent, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pykka_supervisor_parent_class)->finalize (object);
}

static void
pykka_supervisor_class_init (PykkaSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PykkaActorClass *actor_class = PYKKA_ACTOR_CLASS (klass);

  object_class->get_property = pykka_supervisor_get_property;
  object_class->set_property = pykka_supervisor_set_property;
  object_class->finalize = pykka_supervisor_finalize;
  actor_class->on_receive = pykka_supervisor_on_receive;
  actor_class->on_stop = pykka_supervisor_on_stop;
  actor_class->on_failure = pykka_supervisor_on_failure;

  /**
   * PykkaSupervisor:strategy:
   *
   * Which children are restarted when one fails.
   */
  properties[PROP_STRATEGY] =
    g_param_spec_enum ("strategy", NULL, NULL, PYKKA_TYPE_RESTART_STRATEGY, PYKKA_RESTART_ONE_FOR_ONE,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaSupervisor:max-restarts:
   *
   * How many restarts may happen within
   * [property@Pykka.Supervisor:within-msec]; one more failure fails the
   * supervisor.
   */
  properties[PROP_MAX_RESTARTS] =
    g_param_spec_uint ("max-restarts", NULL, NULL, 0, G_MAXUINT, 3,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaSupervisor:within-msec:
   *
   * The window of [property@Pykka.Supervisor:max-restarts], in
   * milliseconds.
   */
  properties[PROP_WITHIN_MSEC] =
    g_param_spec_uint ("within-msec", NULL, NULL, 0, G_MAXUINT, 5000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * PykkaSupervisor:backoff-msec:
   *
   * How long the first restart of a window waits, in milliseconds (0: no
   * wait); each next restart within
   * [property@Pykka.Supervisor:within-msec] waits twice as long as the
   * one before, at most 32 times this.
   */
  properties[PROP_BACKOFF_MSEC] =
    g_param_spec_uint ("backoff-msec", NULL, NULL, 0, G_MAXUINT / 64, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_supervisor_init (PykkaSupervisor *self)
{
  g_mutex_init (&self->lock);
  self->children = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pykka_supervisor_new:
 * @strategy: which children to restart when one fails
 * @max_restarts: how many restarts may happen within @within_msec
 * @within_msec: the window of @max_restarts, in milliseconds
 *
 * Makes a supervisor; start it with [method@Pykka.Actor.start] (on any
 * context or thread of its own), then its children with
 * [method@Pykka.Supervisor.start_child].
 *
 * Returns: (transfer full): a new, unstarted supervisor
 */
PykkaSupervisor *
pykka_supervisor_new (PykkaRestartStrategy strategy,
                      guint                max_restarts,
                      guint                within_msec)
{
  return g_object_new (PYKKA_TYPE_SUPERVISOR, "strategy", strategy, "max-restarts", max_restarts,
                       "within-msec", within_msec, NULL);
}

/**
 * pykka_supervisor_start_child:
 * @self: a started [class@Pykka.Supervisor]
 * @factory: (scope notified) (closure user_data) (destroy destroy): makes
 *   each instance of the child, the first and those of restarts
 * @user_data: data for @factory
 * @destroy: (nullable): frees @user_data once the child is dead
 * @error: return location for an error
 *
 * Starts a child of the supervisor: @factory makes an actor (not
 * started, on whatever context or thread its properties say), which is
 * started as by [method@Pykka.Actor.start] and supervised from then on.
 * Call it from any thread.
 *
 * Returns: (transfer full) (nullable): the child's ref, which stays the
 *   same across restarts, or %NULL with @error set (%PYKKA_ERROR_ACTOR_DEAD
 *   if the supervisor is not running, %PYKKA_ERROR_FAILED if the factory
 *   made no actor, or the error of the start)
 */
PykkaActorRef *
pykka_supervisor_start_child (PykkaSupervisor    *self,
                              PykkaActorFactory   factory,
                              gpointer            user_data,
                              GDestroyNotify      destroy,
                              GError            **error)
{
  PykkaActorRef *own = NULL;
  PykkaActorRef *ref;
  PykkaActor *child;

  g_return_val_if_fail (PYKKA_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (factory != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  own = pykka_actor_get_actor_ref (PYKKA_ACTOR (self));
  if (!pykka_actor_ref_is_alive (own))
    {
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                           P_("The supervisor is not running: start it first"));
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }
  child = factory (user_data);
  if (child == NULL || !PYKKA_IS_ACTOR (child))
    {
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                           P_("The factory of a supervised child made no actor"));
      g_clear_object (&child);
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }
  pykka_cell_set_supervision (pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (child)),
                              pykka_actor_ref_get_cell (own), factory, user_data, destroy);
  ref = pykka_actor_start (child, error);
  g_object_unref (child);
  if (ref == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->children, g_object_ref (ref));
  g_mutex_unlock (&self->lock);
  /* The supervisor began to stop meanwhile (from another thread): its
   * stop_children() may have copied the list before the child was in it,
   * which then ran on, unknown to it. It stops now (twice is harmless). */
  if (!pykka_actor_ref_is_alive (own))
    {
      g_autoptr(PykkaFuture) stopped = pykka_actor_ref_stop (ref);

      g_clear_object (&ref);
      g_propagate_error (error, pykka_cell_dead_error (pykka_actor_ref_get_cell (own)));
    }
  return ref;
}

/**
 * pykka_supervisor_get_restarts:
 * @self: a [class@Pykka.Supervisor]
 *
 * Counts the restarts the supervisor decided (one per failure handled,
 * whatever the number of children it restarted).
 *
 * Returns: how many restarts there were
 */
guint
pykka_supervisor_get_restarts (PykkaSupervisor *self)
{
  g_return_val_if_fail (PYKKA_IS_SUPERVISOR (self), 0);

  return g_atomic_int_get ((gint *) &self->restarts);
}
