/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor-ref.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

/**
 * PYKKA_DBUS_INTERFACE:
 *
 * The name of the generic D-Bus interface of an exported actor
 * ([method@Pykka.ActorRef.export_on_dbus]): `org.pykka.Actor1`, with the
 * methods `Tell(v)`, `Ask(v) → v`, `Stop()`, `Terminated() → (bss)` and
 * the property `Alive` (b).
 */
#define PYKKA_DBUS_INTERFACE "org.pykka.Actor1"

/**
 * PYKKA_DBUS_MAX_VALUE_SIZE:
 *
 * The largest serialised value, in bytes, that crosses a process: 16 MiB.
 * A bigger message or reply fails with %PYKKA_ERROR_INVALID_ARGUMENT on
 * the side that notices it (the sender before sending, the receiver
 * before decoding).
 */
#define PYKKA_DBUS_MAX_VALUE_SIZE (16 * 1024 * 1024)

PYKKA_AVAILABLE_IN_ALL
GVariant *pykka_dbus_value_to_variant   (const GValue  *value,
                                         GError       **error);
PYKKA_AVAILABLE_IN_ALL
gboolean  pykka_dbus_value_from_variant (GVariant      *variant,
                                         GValue        *value,
                                         GError       **error);

#define PYKKA_TYPE_DBUS_CALL (pykka_dbus_call_get_type ())

typedef struct _PykkaDBusCall PykkaDBusCall;

PYKKA_AVAILABLE_IN_ALL
GType          pykka_dbus_call_get_type           (void) G_GNUC_CONST;
PYKKA_AVAILABLE_IN_ALL
PykkaDBusCall *pykka_dbus_call_ref                (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
void           pykka_dbus_call_unref              (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
const char    *pykka_dbus_call_get_method_name    (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
const char    *pykka_dbus_call_get_interface_name (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
const char    *pykka_dbus_call_get_object_path    (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
const char    *pykka_dbus_call_get_sender         (PykkaDBusCall *self);
PYKKA_AVAILABLE_IN_ALL
GVariant      *pykka_dbus_call_get_parameters     (PykkaDBusCall *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PykkaDBusCall, pykka_dbus_call_unref)

PYKKA_AVAILABLE_IN_ALL
guint        pykka_actor_ref_export_on_dbus   (PykkaActorRef       *self,
                                               GDBusConnection     *connection,
                                               const char          *object_path,
                                               GError             **error);
PYKKA_AVAILABLE_IN_ALL
guint        pykka_actor_ref_export_interface (PykkaActorRef       *self,
                                               GDBusConnection     *connection,
                                               const char          *object_path,
                                               GDBusInterfaceInfo  *info,
                                               GError             **error);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_dbus_unexport              (GDBusConnection     *connection,
                                               guint                export_id);
PYKKA_AVAILABLE_IN_ALL
gboolean     pykka_dbus_flush                 (GDBusConnection     *connection,
                                               gint                 timeout_msec);
PYKKA_AVAILABLE_IN_ALL
GDBusServer *pykka_actor_ref_listen           (PykkaActorRef       *self,
                                               const char          *address,
                                               const char          *object_path,
                                               GError             **error);
PYKKA_AVAILABLE_IN_ALL
GDBusAuthObserver *pykka_dbus_auth_observer_new_same_user (void);

G_END_DECLS
