/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-future.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

PYKKA_AVAILABLE_IN_ALL
void     pykka_future_ready_callback    (GObject       *source_object,
                                         GAsyncResult  *result,
                                         gpointer       user_data);
PYKKA_AVAILABLE_IN_ALL
gboolean pykka_future_set_async_result  (PykkaFuture   *self,
                                         GAsyncResult  *result,
                                         GError       **error);

G_END_DECLS
