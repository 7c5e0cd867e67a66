/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <glib-object.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

PYKKA_AVAILABLE_IN_ALL
char  *pykka_debug_dump_actors              (void);
PYKKA_AVAILABLE_IN_ALL
void   pykka_debug_log_actors               (void);
PYKKA_AVAILABLE_IN_ALL
guint  pykka_debug_install_signal_handler   (int signum);
PYKKA_AVAILABLE_IN_ALL
guint64 pykka_debug_get_dead_letters        (void);
PYKKA_AVAILABLE_IN_ALL
void   pykka_mark_thread_safe_type          (GType type);

G_END_DECLS
