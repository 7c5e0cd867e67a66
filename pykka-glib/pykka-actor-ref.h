/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor.h"
#include "pykka-future.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_ACTOR_REF (pykka_actor_ref_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaActorRef, pykka_actor_ref, PYKKA, ACTOR_REF, GObject)

PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_tell           (PykkaActorRef  *self,
                                             const GValue   *message,
                                             GError        **error);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture *pykka_actor_ref_ask            (PykkaActorRef  *self,
                                             const GValue   *message) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_ask_sync       (PykkaActorRef  *self,
                                             const GValue   *message,
                                             gint            timeout_msec,
                                             GValue         *reply,
                                             GError        **error);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture *pykka_actor_ref_stop           (PykkaActorRef  *self) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_stop_sync      (PykkaActorRef  *self,
                                             gint            timeout_msec,
                                             GError        **error);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_tell_latest    (PykkaActorRef  *self,
                                             const char     *key,
                                             const GValue   *message,
                                             GError        **error);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_kill           (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture *pykka_actor_ref_get_terminated (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_is_alive       (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_actor_ref_check_alive    (PykkaActorRef  *self,
                                             GError        **error);
PYKKA_AVAILABLE_IN_ALL
const char  *pykka_actor_ref_get_urn        (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
GType        pykka_actor_ref_get_actor_type (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
PykkaActor  *pykka_actor_ref_dup_actor      (PykkaActorRef  *self);

PYKKA_AVAILABLE_IN_ALL
PykkaFuture *pykka_actor_ref_ask_cancellable (PykkaActorRef  *self,
                                             const GValue   *message,
                                             GCancellable   *cancellable);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture *pykka_actor_ref_get_started     (PykkaActorRef  *self);
PYKKA_AVAILABLE_IN_ALL
GError      *pykka_actor_ref_dup_death_reason (PykkaActorRef *self);

G_END_DECLS
