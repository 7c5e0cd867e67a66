/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <glib-object.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

typedef struct _PykkaActorRef PykkaActorRef;
typedef struct _PykkaRemoteRef PykkaRemoteRef;

#define PYKKA_TYPE_TERMINATED (pykka_terminated_get_type ())

typedef struct _PykkaTerminated PykkaTerminated;

PYKKA_AVAILABLE_IN_ALL
GType             pykka_terminated_get_type   (void) G_GNUC_CONST;
PYKKA_AVAILABLE_IN_ALL
PykkaTerminated  *pykka_terminated_ref        (PykkaTerminated *self);
PYKKA_AVAILABLE_IN_ALL
void              pykka_terminated_unref      (PykkaTerminated *self);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef    *pykka_terminated_get_actor_ref (PykkaTerminated *self);
PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef   *pykka_terminated_get_remote_ref (PykkaTerminated *self);
PYKKA_AVAILABLE_IN_ALL
const GError     *pykka_terminated_get_reason (PykkaTerminated *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PykkaTerminated, pykka_terminated_unref)

G_END_DECLS
