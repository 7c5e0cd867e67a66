/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <glib.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

/**
 * PYKKA_ERROR:
 *
 * The error domain of pykka-glib. Errors in this domain are from the
 * [error@Pykka.Error] enumeration.
 */
#define PYKKA_ERROR (pykka_error_quark ())

/**
 * PykkaError:
 * @PYKKA_ERROR_FAILED: Generic failure: a handler failed without saying
 *   why, or an error no other code describes. Treat unknown codes as this.
 * @PYKKA_ERROR_TIMEOUT: A wait (a blocking get, ask or stop) ran out of
 *   time before the value arrived. The operation itself goes on: a later
 *   get of the same future may still succeed.
 * @PYKKA_ERROR_ACTOR_DEAD: The actor is stopped, or stopped before it
 *   handled the message. The message was not handled.
 * @PYKKA_ERROR_ALREADY_SET: A future was completed a second time. The
 *   first outcome stays.
 * @PYKKA_ERROR_DEADLOCK: A blocking wait could never finish: a handler
 *   waited, outside a coroutine, for a reply that only an actor further
 *   down its own call stack could send.
 * @PYKKA_ERROR_NOT_SUPPORTED: The operation is not possible in this
 *   configuration, such as an actor of a single-threaded binding started
 *   on a thread of its own.
 * @PYKKA_ERROR_INVALID_ARGUMENT: A value was of the wrong type or out of
 *   range at run time, such as reducing a future whose value is not a
 *   list, or an empty actor name or one that is not valid UTF-8
 *   ([func@Pykka.Registry.register_name]).
 * @PYKKA_ERROR_NAME_TAKEN: The name given to
 *   [func@Pykka.Registry.register_name] is held by another running actor;
 *   the message names both the name and that actor.
 * @PYKKA_ERROR_MAILBOX_FULL: The actor's bounded mailbox
 *   ([property@Pykka.Actor:mailbox-capacity]) is full and its overflow
 *   policy refused the message, or a sender waited for room in vain.
 *
 * Error codes in the %PYKKA_ERROR domain.
 */
typedef enum
{
  PYKKA_ERROR_FAILED,
  PYKKA_ERROR_TIMEOUT,
  PYKKA_ERROR_ACTOR_DEAD,
  PYKKA_ERROR_ALREADY_SET,
  PYKKA_ERROR_DEADLOCK,
  PYKKA_ERROR_NOT_SUPPORTED,
  PYKKA_ERROR_INVALID_ARGUMENT,
  PYKKA_ERROR_NAME_TAKEN,
  PYKKA_ERROR_MAILBOX_FULL,
} PykkaError;

PYKKA_AVAILABLE_IN_ALL
GQuark pykka_error_quark (void);

G_END_DECLS
