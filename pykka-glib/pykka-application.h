/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

PYKKA_AVAILABLE_IN_ALL
void pykka_application_attach (GApplication *application,
                               gint          stop_timeout_msec);

G_END_DECLS
