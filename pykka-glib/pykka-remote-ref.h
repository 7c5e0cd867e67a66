/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-actor.h"
#include "pykka-future.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_REMOTE_REF (pykka_remote_ref_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaRemoteRef, pykka_remote_ref, PYKKA, REMOTE_REF, GObject)

PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef  *pykka_remote_ref_new              (GDBusConnection *connection,
                                                    const char      *bus_name,
                                                    const char      *object_path);
PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef  *pykka_remote_ref_new_for_address  (const char      *address,
                                                    const char      *object_path,
                                                    GCancellable    *cancellable,
                                                    GError         **error);
PYKKA_AVAILABLE_IN_ALL
gboolean         pykka_remote_ref_tell             (PykkaRemoteRef  *self,
                                                    const GValue    *message,
                                                    GError         **error);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture     *pykka_remote_ref_ask              (PykkaRemoteRef  *self,
                                                    const GValue    *message) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture     *pykka_remote_ref_stop             (PykkaRemoteRef  *self) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
gboolean         pykka_remote_ref_is_alive         (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture     *pykka_remote_ref_get_terminated   (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
GError          *pykka_remote_ref_dup_death_reason (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
GDBusConnection *pykka_remote_ref_get_connection   (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
const char      *pykka_remote_ref_get_bus_name     (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
const char      *pykka_remote_ref_get_object_path  (PykkaRemoteRef  *self);
PYKKA_AVAILABLE_IN_ALL
GSubprocess     *pykka_remote_ref_get_subprocess   (PykkaRemoteRef  *self);

PYKKA_AVAILABLE_IN_ALL
void             pykka_actor_watch_remote          (PykkaActor      *self,
                                                    PykkaRemoteRef  *remote);
PYKKA_AVAILABLE_IN_ALL
void             pykka_actor_unwatch_remote        (PykkaActor      *self,
                                                    PykkaRemoteRef  *remote);

PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef  *pykka_subprocess_start_actor        (const char  *module_path,
                                                      const char  *type_name,
                                                      GError     **error);
PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef  *pykka_subprocess_start_python_actor (const char  *spec,
                                                      GError     **error);

#define PYKKA_TYPE_PROCESS_ACTOR (pykka_process_actor_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaProcessActor, pykka_process_actor, PYKKA, PROCESS_ACTOR, PykkaActor)

PYKKA_AVAILABLE_IN_ALL
PykkaActor      *pykka_process_actor_new             (const char        *module_path,
                                                      const char        *type_name);
PYKKA_AVAILABLE_IN_ALL
PykkaActor      *pykka_process_actor_new_python      (const char        *spec);
PYKKA_AVAILABLE_IN_ALL
PykkaRemoteRef  *pykka_process_actor_get_remote_ref  (PykkaProcessActor *self);

G_END_DECLS
