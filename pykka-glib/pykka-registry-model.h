/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor-ref.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_REGISTRY_MODEL (pykka_registry_model_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaRegistryModel, pykka_registry_model, PYKKA, REGISTRY_MODEL, GObject)

PYKKA_AVAILABLE_IN_ALL
PykkaRegistryModel *pykka_registry_model_new            (GType               actor_type);
PYKKA_AVAILABLE_IN_ALL
GType               pykka_registry_model_get_actor_type (PykkaRegistryModel *self);

G_END_DECLS
