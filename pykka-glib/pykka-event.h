/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_EVENT (pykka_event_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaEvent, pykka_event, PYKKA, EVENT, GObject)

PYKKA_AVAILABLE_IN_ALL
PykkaEvent *pykka_event_new         (void) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
void        pykka_event_set         (PykkaEvent          *self);
PYKKA_AVAILABLE_IN_ALL
void        pykka_event_clear       (PykkaEvent          *self);
PYKKA_AVAILABLE_IN_ALL
gboolean    pykka_event_is_set      (PykkaEvent          *self);
PYKKA_AVAILABLE_IN_ALL
gboolean    pykka_event_wait        (PykkaEvent          *self,
                                     gint                 timeout_msec);
PYKKA_AVAILABLE_IN_ALL
void        pykka_event_wait_async  (PykkaEvent          *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
PYKKA_AVAILABLE_IN_ALL
gboolean    pykka_event_wait_finish (PykkaEvent          *self,
                                     GAsyncResult        *result,
                                     GError             **error);

G_END_DECLS
