/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-router.h"

#include "pykka-private.h"
#include "pykka-promise-private.h"

/**
 * PykkaRouter:
 *
 * An actor that forwards each message to one or all of its routees,
 * chosen by its [enum@Pykka.RouterKind]: round-robin, the smallest
 * mailbox, a consistent hash of a key of the message, or all of them.
 *
 * A told message is told to the routee; an ask is asked, and the router
 * answers its asker through a deferred reply
 * ([method@Pykka.Actor.defer_reply]) when the routee answers, so that it
 * forwards the next message at once: N routees work on N messages at the
 * same time. A broadcast ask is answered with the list of every
 * routee's answer ([func@Pykka.Future.join]). Routees that are not alive
 * are skipped; with none alive, an ask fails with
 * %PYKKA_ERROR_ACTOR_DEAD and a tell is a dead letter.
 *
 * [func@Pykka.Router.start_pool] starts a router over N workers of its
 * own, made by a factory and supervised (one-for-one).
 *
 * ```c
 *   pool = pykka_router_start_pool (PYKKA_ROUTER_ROUND_ROBIN, 2, make_worker, NULL, NULL, &error);
 * ```
 */
struct _PykkaRouter
{
  PykkaActor          parent_instance;
  PykkaRouterKind     kind;
  GMutex              lock;
  GPtrArray          *routees;      /* (owned) PykkaActorRef; under lock */
  guint               next;         /* round-robin; on the router's thread */
  PykkaRouterKeyFunc  key_func;
  gpointer            key_data;
  GDestroyNotify      key_destroy;
};

G_DEFINE_FINAL_TYPE (PykkaRouter, pykka_router, PYKKA_TYPE_ACTOR)

enum
{
  PROP_0,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Lamping and Veach's jump consistent hash: adding a routee at the end
 * moves only the keys that go to it. */
static guint
jump_hash (guint64 key,
           guint   n)
{
  gint64 b = -1, j = 0;

  while (j < (gint64) n)
    {
      b = j;
      key = key * G_GUINT64_CONSTANT (2862933555777941757) + 1;
      j = (gint64) ((b + 1) * ((double) (G_GINT64_CONSTANT (1) << 31) / (double) ((key >> 33) + 1)));
    }
  return (guint) b;
}

static guint
default_key (const GValue *message)
{
  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (message)))
    {
    case G_TYPE_STRING:
      return g_value_get_string (message) != NULL ? g_str_hash (g_value_get_string (message)) : 0;
    case G_TYPE_INT:
      return (guint) g_value_get_int (message);
    case G_TYPE_UINT:
      return g_value_get_uint (message);
    case G_TYPE_INT64:
      return g_int64_hash (&(gint64) { g_value_get_int64 (message) });
    case G_TYPE_UINT64:
      return g_int64_hash (&(gint64) { (gint64) g_value_get_uint64 (message) });
    case G_TYPE_BOOLEAN:
      return (guint) g_value_get_boolean (message);
    case G_TYPE_ENUM:
      return (guint) g_value_get_enum (message);
    default:
      return g_direct_hash (GSIZE_TO_POINTER (G_VALUE_TYPE (message)));
    }
}

/* The alive routees, referenced, in order. */
static GPtrArray *
dup_alive (PykkaRouter *self)
{
  GPtrArray *alive = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->routees->len; i++)
    if (pykka_actor_ref_is_alive (self->routees->pdata[i]))
      g_ptr_array_add (alive, g_object_ref (self->routees->pdata[i]));
  g_mutex_unlock (&self->lock);
  return alive;
}

static PykkaActorRef *
choose (PykkaRouter  *self,
        GPtrArray    *alive,
        const GValue *message)
{
  switch (self->kind)
    {
    case PYKKA_ROUTER_SMALLEST_MAILBOX:
      {
        PykkaActorRef *best = NULL;
        guint least = G_MAXUINT;

        for (guint i = 0; i < alive->len; i++)
          {
            guint length = pykka_cell_get_length (pykka_actor_ref_get_cell (alive->pdata[i]));

            if (length < least)
              {
                least = length;
                best = alive->pdata[i];
              }
          }
        return best;
      }
    case PYKKA_ROUTER_CONSISTENT_HASH:
      {
        guint key = self->key_func != NULL ? self->key_func (message, self->key_data) : default_key (message);

        return alive->pdata[jump_hash (key, alive->len)];
      }
    case PYKKA_ROUTER_ROUND_ROBIN:
    default:
      return alive->pdata[self->next++ % alive->len];
    }
}

/* A routee's answer completes the router's deferred reply. */
static void
forward_outcome (PykkaPromise *promise,
                 gpointer      data)
{
  pykka_promise_copy_outcome (pykka_future_get_promise (data), promise);
}

static void
answer_when (PykkaFuture *answer,
             PykkaFuture *handle)
{
  pykka_promise_add_hook (pykka_future_get_promise (answer), forward_outcome,
                          g_object_ref (handle), g_object_unref);
}

static gboolean
pykka_router_on_receive (PykkaActor    *actor,
                         const GValue  *message,
                         GValue        *reply,
                         GError       **error)
{
  PykkaRouter *self = PYKKA_ROUTER (actor);
  g_autoptr(GPtrArray) alive = dup_alive (self);
  PykkaCell *cell = pykka_actor_ref_get_cell (pykka_actor_get_actor_ref (actor));
  gboolean ask = pykka_cell_handling_is_ask (cell);
  g_autoptr(PykkaFuture) handle = NULL;

  if (alive->len == 0)
    {
      g_autofree char *who = pykka_cell_describe (cell);

      if (!ask)
        {
          pykka_debug_note_dead_letter (cell, message);
          return TRUE;
        }
      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD,
                   /* Translators: %s is an actor, such as "PykkaRouter (urn:uuid:…)". */
                   P_("Router %s has no routee alive"), who);
      return FALSE;
    }

  if (!ask)
    {
      /* A routee that died meanwhile counts the tell as a dead letter. */
      if (self->kind == PYKKA_ROUTER_BROADCAST)
        for (guint i = 0; i < alive->len; i++)
          (void) pykka_actor_ref_tell (alive->pdata[i], message, NULL);
      else
        (void) pykka_actor_ref_tell (choose (self, alive, message), message, NULL);
      return TRUE;
    }

  handle = pykka_actor_defer_reply (actor, error);
  if (handle == NULL)
    return FALSE;
  if (self->kind == PYKKA_ROUTER_BROADCAST)
    {
      g_autofree PykkaFuture **answers = g_new0 (PykkaFuture *, alive->len);
      g_autoptr(PykkaFuture) all = NULL;

      for (guint i = 0; i < alive->len; i++)
        answers[i] = pykka_actor_ref_ask (alive->pdata[i], message);
      all = pykka_future_join (answers, alive->len);
      for (guint i = 0; i < alive->len; i++)
        g_object_unref (answers[i]);
      answer_when (all, handle);
    }
  else
    {
      g_autoptr(PykkaFuture) answer = pykka_actor_ref_ask (choose (self, alive, message), message);

      answer_when (answer, handle);
    }
  return TRUE;
}

static void
pykka_router_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, PYKKA_ROUTER (object)->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_router_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_KIND:
      PYKKA_ROUTER (object)->kind = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_router_finalize (GObject *object)
{
  PykkaRouter *self = PYKKA_ROUTER (object);

  g_ptr_array_unref (self->routees);
  if (self->key_destroy != NULL)
    self->key_destroy (self->key_data);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pykka_router_parent_class)->finalize (object);
}

static void
pykka_router_class_init (PykkaRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pykka_router_get_property;
  object_class->set_property = pykka_router_set_property;
  object_class->finalize = pykka_router_finalize;
  PYKKA_ACTOR_CLASS (klass)->on_receive = pykka_router_on_receive;

  /**
   * PykkaRouter:kind:
   *
   * How the router chooses the routees of a message.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PYKKA_TYPE_ROUTER_KIND, PYKKA_ROUTER_ROUND_ROBIN,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_router_init (PykkaRouter *self)
{
  g_mutex_init (&self->lock);
  self->routees = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pykka_router_new:
 * @kind: how to choose the routees of a message
 * @routees: (array length=n_routees) (nullable): the first routees
 * @n_routees: how many
 *
 * Makes a router; start it with [method@Pykka.Actor.start].
 *
 * Returns: (transfer full): a new, unstarted router
 */
PykkaRouter *
pykka_router_new (PykkaRouterKind  kind,
                  PykkaActorRef  **routees,
                  guint            n_routees)
{
  PykkaRouter *self = g_object_new (PYKKA_TYPE_ROUTER, "kind", kind, NULL);

  for (guint i = 0; i < n_routees; i++)
    pykka_router_add_routee (self, routees[i]);
  return self;
}

/**
 * pykka_router_add_routee:
 * @self: a [class@Pykka.Router]
 * @routee: the ref of an actor to forward messages to
 *
 * Adds a routee, from any thread, at any time.
 */
void
pykka_router_add_routee (PykkaRouter   *self,
                         PykkaActorRef *routee)
{
  g_return_if_fail (PYKKA_IS_ROUTER (self));
  g_return_if_fail (PYKKA_IS_ACTOR_REF (routee));

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->routees, g_object_ref (routee));
  g_mutex_unlock (&self->lock);
}

/**
 * pykka_router_set_key_func:
 * @self: a [class@Pykka.Router], not started yet
 * @func: (scope notified) (closure user_data) (destroy destroy): the key
 *   of a message
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data with the router
 *
 * Sets the key of messages for a %PYKKA_ROUTER_CONSISTENT_HASH router.
 * Without one, the key of a string is its hash, of an integer, boolean
 * or enum its value, and of anything else its type.
 */
void
pykka_router_set_key_func (PykkaRouter        *self,
                           PykkaRouterKeyFunc  func,
                           gpointer            user_data,
                           GDestroyNotify      destroy)
{
  g_return_if_fail (PYKKA_IS_ROUTER (self));

  if (self->key_destroy != NULL)
    self->key_destroy (self->key_data);
  self->key_func = func;
  self->key_data = user_data;
  self->key_destroy = destroy;
}

/* A factory shared by the workers of a pool: its data goes with the last. */
typedef struct
{
  gatomicrefcount   ref;
  PykkaActorFactory factory;
  gpointer          data;
  GDestroyNotify    destroy;
} SharedFactory;

static PykkaActor *
shared_factory_make (gpointer data)
{
  SharedFactory *f = data;

  return f->factory (f->data);
}

static void
shared_factory_unref (gpointer data)
{
  SharedFactory *f = data;

  if (g_atomic_ref_count_dec (&f->ref))
    {
      if (f->destroy != NULL)
        f->destroy (f->data);
      g_free (f);
    }
}

/**
 * pykka_router_start_pool:
 * @kind: how the pool's router chooses its workers
 * @n_workers: how many workers
 * @factory: (scope notified) (closure user_data) (destroy destroy): makes
 *   each worker, the first instances and those of restarts
 * @user_data: data for @factory
 * @destroy: (nullable): frees @user_data once every worker is dead
 * @error: return location for an error
 *
 * Starts a pool: a router (on the caller's thread-default context) over
 * @n_workers workers made by @factory (on the context or thread of their
 * own that their properties say), which a [class@Pykka.Supervisor]
 * restarts when a told message fails them (one-for-one, at most 10
 * restarts within 10 s). Stopping the router stops the pool: its
 * supervisor, then the workers.
 *
 * Returns: (transfer full) (nullable): the router's ref, or %NULL with
 *   @error set
 */
PykkaActorRef *
pykka_router_start_pool (PykkaRouterKind     kind,
                         guint               n_workers,
                         PykkaActorFactory   factory,
                         gpointer            user_data,
                         GDestroyNotify      destroy,
                         GError            **error)
{
  g_autoptr(PykkaRouter) router = NULL;
  g_autoptr(PykkaSupervisor) supervisor = NULL;
  g_autoptr(PykkaActorRef) supervisor_ref = NULL;
  g_autoptr(GError) local_error = NULL;
  PykkaActorRef *router_ref;
  SharedFactory *shared;

  g_return_val_if_fail (n_workers > 0, NULL);
  g_return_val_if_fail (factory != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  shared = g_new0 (SharedFactory, 1);
  g_atomic_ref_count_init (&shared->ref);
  shared->factory = factory;
  shared->data = user_data;
  shared->destroy = destroy;

  router = pykka_router_new (kind, NULL, 0);
  router_ref = pykka_actor_start (PYKKA_ACTOR (router), error);
  if (router_ref == NULL)
    {
      shared_factory_unref (shared);
      return NULL;
    }
  supervisor = pykka_supervisor_new (PYKKA_RESTART_ONE_FOR_ONE, 10, 10000);
  /* (A local error: without one from the caller, a failure went unseen
   * and the pool came back with fewer workers, or none.) */
  supervisor_ref = pykka_actor_start_child (PYKKA_ACTOR (router), PYKKA_ACTOR (supervisor), &local_error);
  for (guint i = 0; supervisor_ref != NULL && i < n_workers; i++)
    {
      g_autoptr(PykkaActorRef) worker = NULL;

      g_atomic_ref_count_inc (&shared->ref);
      worker = pykka_supervisor_start_child (supervisor, shared_factory_make, shared,
                                             shared_factory_unref, &local_error);
      if (worker == NULL)
        break;
      pykka_router_add_routee (router, worker);
    }
  shared_factory_unref (shared);
  if (local_error != NULL)
    {
      pykka_actor_ref_stop_sync (router_ref, -1, NULL);
      g_clear_object (&router_ref);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return router_ref;
}
