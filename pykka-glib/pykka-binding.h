/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Entry points for language bindings that suspend handlers themselves
 * (the Python layer's greenlets, JavaScript's async handlers).
 * Application code does not need them. */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include "pykka-actor.h"
#include "pykka-event.h"
#include "pykka-future.h"

G_BEGIN_DECLS

/**
 * PykkaActorResumeFunc:
 * @actor: the actor
 * @future: the future waited for: completed, or not when the wait timed
 *   out
 * @user_data: the data given to [method@Pykka.Actor.suspend_until]
 *
 * Called by [method@Pykka.Actor.suspend_until] in a turn of @actor once
 * @future is completed or the wait timed out.
 */
typedef void (*PykkaActorResumeFunc) (PykkaActor  *actor,
                                      PykkaFuture *future,
                                      gpointer     user_data);

PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_suspend_until      (PykkaActor       *self,
                                               PykkaFuture      *future,
                                               gint              timeout_msec,
                                               PykkaActorResumeFunc func,
                                               gpointer          user_data,
                                               GDestroyNotify    destroy,
                                               GError          **error);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_drop_suspensions   (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture   *pykka_event_dup_next_set       (PykkaEvent       *self);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_resume_when        (PykkaActor       *self,
                                               PykkaFuture      *future,
                                               PykkaActorResumeFunc func,
                                               gpointer          user_data,
                                               GDestroyNotify    destroy);

PYKKA_AVAILABLE_IN_ALL
const GError  *pykka_future_peek_error        (PykkaFuture      *self);
PYKKA_AVAILABLE_IN_ALL
const GValue  *pykka_future_peek_value        (PykkaFuture      *self);

PYKKA_AVAILABLE_IN_ALL
PykkaFuture   *pykka_actor_await_future       (PykkaActor       *self,
                                               PykkaFuture      *future,
                                               gint              timeout_msec,
                                               GError          **error);

G_END_DECLS
