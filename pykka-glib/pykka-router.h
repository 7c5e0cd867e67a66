/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include "pykka-actor.h"
#include "pykka-supervisor.h"
#include "pykka-version-macros.h"

G_BEGIN_DECLS

/**
 * PykkaRouterKind:
 * @PYKKA_ROUTER_ROUND_ROBIN: each message to the next routee in turn
 * @PYKKA_ROUTER_SMALLEST_MAILBOX: each message to the routee with the
 *   fewest messages queued
 * @PYKKA_ROUTER_CONSISTENT_HASH: messages of equal keys to the same
 *   routee (see [method@Pykka.Router.set_key_func])
 * @PYKKA_ROUTER_BROADCAST: every message to every routee
 *
 * How a [class@Pykka.Router] chooses the routees of a message.
 */
typedef enum
{
  PYKKA_ROUTER_ROUND_ROBIN,
  PYKKA_ROUTER_SMALLEST_MAILBOX,
  PYKKA_ROUTER_CONSISTENT_HASH,
  PYKKA_ROUTER_BROADCAST,
} PykkaRouterKind;

/**
 * PykkaRouterKeyFunc:
 * @message: a message the router got
 * @user_data: the data given with the function
 *
 * The key of a message for a consistent-hash router: messages of equal
 * keys go to the same routee.
 *
 * Returns: the key
 */
typedef guint (*PykkaRouterKeyFunc) (const GValue *message,
                                     gpointer      user_data);

#define PYKKA_TYPE_ROUTER (pykka_router_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaRouter, pykka_router, PYKKA, ROUTER, PykkaActor)

PYKKA_AVAILABLE_IN_ALL
PykkaRouter   *pykka_router_new            (PykkaRouterKind     kind,
                                            PykkaActorRef     **routees,
                                            guint               n_routees);
PYKKA_AVAILABLE_IN_ALL
void           pykka_router_add_routee     (PykkaRouter        *self,
                                            PykkaActorRef      *routee);
PYKKA_AVAILABLE_IN_ALL
void           pykka_router_set_key_func   (PykkaRouter        *self,
                                            PykkaRouterKeyFunc  func,
                                            gpointer            user_data,
                                            GDestroyNotify      destroy);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_router_start_pool     (PykkaRouterKind     kind,
                                            guint               n_workers,
                                            PykkaActorFactory   factory,
                                            gpointer            user_data,
                                            GDestroyNotify      destroy,
                                            GError            **error);

G_END_DECLS
