/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_PROPERTY_RELAY (pykka_property_relay_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaPropertyRelay, pykka_property_relay, PYKKA, PROPERTY_RELAY, GObject)

PYKKA_AVAILABLE_IN_ALL
PykkaPropertyRelay *pykka_property_relay_new    (PykkaActor         *actor,
                                                 const char         *source_property,
                                                 gpointer            target,
                                                 const char         *target_property,
                                                 GBindingFlags       flags,
                                                 GMainContext       *context);
PYKKA_AVAILABLE_IN_ALL
void                pykka_property_relay_unbind (PykkaPropertyRelay *self);

G_END_DECLS
