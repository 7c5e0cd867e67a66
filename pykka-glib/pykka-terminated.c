/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-terminated.h"

#include "pykka-actor-ref.h"
#include "pykka-dbus-private.h"
#include "pykka-private.h"

/**
 * PykkaTerminated:
 *
 * The news that an actor is dead, from a death watch: what a watching
 * actor receives in its mailbox ([method@Pykka.Actor.watch]), and the
 * value of the future of [method@Pykka.ActorRef.get_terminated].
 *
 * It carries the dead actor's ref ([method@Pykka.Terminated.get_actor_ref])
 * or, for an actor in another process watched with
 * [method@Pykka.Actor.watch_remote], its remote ref
 * ([method@Pykka.Terminated.get_remote_ref]; the actor ref is then
 * %NULL), and why it died ([method@Pykka.Terminated.get_reason]): %NULL for a
 * normal stop, else the failure (the error of `on_start` or of the
 * handler of a told message), %PYKKA_ERROR_ACTOR_DEAD "killed" or the
 * reason given to [method@Pykka.Actor.kill], or %PYKKA_ERROR_ACTOR_DEAD
 * saying that its context was orphaned or that it was never started.
 * A remote actor's reason is that of [method@Pykka.RemoteRef.get_terminated]:
 * its own, "process crashed" or %PYKKA_ERROR_ACTOR_DEAD "peer gone".
 *
 * ```c
 *   if (G_VALUE_HOLDS (message, PYKKA_TYPE_TERMINATED))
 *     {
 *       PykkaTerminated *terminated = g_value_get_boxed (message);
 *       const GError *reason = pykka_terminated_get_reason (terminated);
 *
 *       g_print ("%s died: %s\n", pykka_actor_ref_get_urn (pykka_terminated_get_actor_ref (terminated)),
 *                reason != NULL ? reason->message : "stopped");
 *       // ...
 *     }
 * ```
 *
 * It is immutable and may be used from any thread.
 */
struct _PykkaTerminated
{
  gatomicrefcount  ref_count;
  PykkaActorRef   *ref;     /* (owned) (nullable): NULL for a remote actor */
  PykkaRemoteRef  *remote;  /* (owned) (nullable) */
  GError          *reason;  /* (owned) (nullable) */
};

G_DEFINE_BOXED_TYPE (PykkaTerminated, pykka_terminated, pykka_terminated_ref, pykka_terminated_unref)

/* (transfer full) */
PykkaTerminated *
pykka_terminated_new (PykkaActorRef *ref,
                      const GError  *reason)
{
  PykkaTerminated *self = g_new0 (PykkaTerminated, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->ref = g_object_ref (ref);
  self->reason = reason != NULL ? g_error_copy (reason) : NULL;
  return self;
}

/* (transfer full): the news of a remote actor's death (pykka-remote-ref.c). */
PykkaTerminated *
pykka_terminated_new_remote (PykkaRemoteRef *remote,
                             const GError   *reason)
{
  PykkaTerminated *self = g_new0 (PykkaTerminated, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->remote = g_object_ref (remote);
  self->reason = reason != NULL ? g_error_copy (reason) : NULL;
  return self;
}

/**
 * pykka_terminated_ref:
 * @self: a #PykkaTerminated
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 */
PykkaTerminated *
pykka_terminated_ref (PykkaTerminated *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * pykka_terminated_unref:
 * @self: (transfer full): a #PykkaTerminated
 *
 * Drops a reference.
 */
void
pykka_terminated_unref (PykkaTerminated *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_object (&self->ref);
  g_clear_object (&self->remote);
  g_clear_error (&self->reason);
  g_free (self);
}

/**
 * pykka_terminated_get_actor_ref:
 * @self: a #PykkaTerminated
 *
 * Gets the ref of the actor that died.
 *
 * Returns: (transfer none) (nullable): the dead actor's ref, or %NULL
 *   for an actor in another process (see
 *   [method@Pykka.Terminated.get_remote_ref])
 */
PykkaActorRef *
pykka_terminated_get_actor_ref (PykkaTerminated *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->ref;
}

/**
 * pykka_terminated_get_remote_ref:
 * @self: a #PykkaTerminated
 *
 * Gets the remote ref of the actor that died, for the news of a watch
 * of [method@Pykka.Actor.watch_remote].
 *
 * Returns: (transfer none) (nullable): the dead actor's
 *   [class@Pykka.RemoteRef], or %NULL for an actor of this process
 */
PykkaRemoteRef *
pykka_terminated_get_remote_ref (PykkaTerminated *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->remote;
}

/**
 * pykka_terminated_get_reason:
 * @self: a #PykkaTerminated
 *
 * Gets why the actor died.
 *
 * Returns: (transfer none) (nullable): the cause of the death, or %NULL
 *   if the actor was stopped normally
 */
const GError *
pykka_terminated_get_reason (PykkaTerminated *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reason;
}
