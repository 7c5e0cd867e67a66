/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor-ref.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_REGISTRY (pykka_registry_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaRegistry, pykka_registry, PYKKA, REGISTRY, GObject)

PYKKA_AVAILABLE_IN_ALL
GList         *pykka_registry_get_all          (void);
PYKKA_AVAILABLE_IN_ALL
GList         *pykka_registry_get_by_type      (GType          actor_type);
PYKKA_AVAILABLE_IN_ALL
GList         *pykka_registry_get_by_type_name (const char    *type_name);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_registry_get_by_urn       (const char    *urn);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_registry_register_name    (const char    *name,
                                                PykkaActorRef *ref,
                                                GError       **error);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_registry_lookup_name      (const char    *name);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_registry_unregister_name  (const char    *name);
PYKKA_AVAILABLE_IN_ALL
char         **pykka_registry_dup_names        (PykkaActorRef *ref);
PYKKA_AVAILABLE_IN_ALL
guint          pykka_registry_broadcast        (const GValue  *message,
                                                GType          target_type);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_registry_stop_all         (gint           timeout_msec,
                                                GError       **error);
PYKKA_AVAILABLE_IN_ALL
GList         *pykka_registry_stop_all_futures (void);

G_END_DECLS
