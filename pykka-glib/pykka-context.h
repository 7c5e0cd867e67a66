/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <glib.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

/* How the actors of a main context share it with its other sources. */

PYKKA_AVAILABLE_IN_ALL
void  pykka_context_set_priority    (GMainContext *context,
                                     int           priority);
PYKKA_AVAILABLE_IN_ALL
int   pykka_context_get_priority    (GMainContext *context);
PYKKA_AVAILABLE_IN_ALL
void  pykka_context_set_time_budget (GMainContext *context,
                                     guint         budget_usec);
PYKKA_AVAILABLE_IN_ALL
guint pykka_context_get_time_budget (GMainContext *context);

/* For tests: a virtual clock for the actors' timers. */
PYKKA_AVAILABLE_IN_ALL
void     pykka_context_use_virtual_clock (GMainContext *context);
PYKKA_AVAILABLE_IN_ALL
gboolean pykka_context_advance_clock     (GMainContext *context,
                                          guint         msec);

G_END_DECLS
