/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include "pykka-actor.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

/**
 * PykkaRestartStrategy:
 * @PYKKA_RESTART_ONE_FOR_ONE: only the failed child is restarted
 * @PYKKA_RESTART_ONE_FOR_ALL: every child is restarted
 * @PYKKA_RESTART_REST_FOR_ONE: the failed child and the children started
 *   after it are restarted
 *
 * Which children a [class@Pykka.Supervisor] restarts when one fails, as
 * Erlang/OTP's supervisors do.
 */
typedef enum
{
  PYKKA_RESTART_ONE_FOR_ONE,
  PYKKA_RESTART_ONE_FOR_ALL,
  PYKKA_RESTART_REST_FOR_ONE,
} PykkaRestartStrategy;

/**
 * PykkaActorFactory:
 * @user_data: the data given with the factory
 *
 * Makes a new, unstarted instance of a supervised child. An actor that
 * was started already (a running actor, or the instance that failed)
 * counts as none: a restart then ends the child as when the factory
 * returns %NULL.
 *
 * Returns: (transfer full) (nullable): a new [class@Pykka.Actor], never
 *   started
 */
typedef PykkaActor *(*PykkaActorFactory) (gpointer user_data);

#define PYKKA_TYPE_SUPERVISOR (pykka_supervisor_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaSupervisor, pykka_supervisor, PYKKA, SUPERVISOR, PykkaActor)

PYKKA_AVAILABLE_IN_ALL
PykkaSupervisor *pykka_supervisor_new         (PykkaRestartStrategy strategy,
                                               guint                max_restarts,
                                               guint                within_msec);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef   *pykka_supervisor_start_child (PykkaSupervisor     *self,
                                               PykkaActorFactory    factory,
                                               gpointer             user_data,
                                               GDestroyNotify       destroy,
                                               GError             **error);
PYKKA_AVAILABLE_IN_ALL
guint            pykka_supervisor_get_restarts (PykkaSupervisor    *self);

G_END_DECLS
