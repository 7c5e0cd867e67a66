/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

typedef struct _PykkaActorRef PykkaActorRef;
typedef struct _PykkaFuture   PykkaFuture;

#define PYKKA_TYPE_ACTOR (pykka_actor_get_type ())

/**
 * PykkaOverflowPolicy:
 * @PYKKA_OVERFLOW_FAIL: the tell or ask fails at once with
 *   %PYKKA_ERROR_MAILBOX_FULL
 * @PYKKA_OVERFLOW_DROP_NEWEST: the new message is dropped: a tell is a
 *   dead letter, an ask fails with %PYKKA_ERROR_MAILBOX_FULL
 * @PYKKA_OVERFLOW_DROP_OLDEST: the oldest queued message is dropped (a
 *   dead letter, or an ask that fails with %PYKKA_ERROR_MAILBOX_FULL) to
 *   make room
 * @PYKKA_OVERFLOW_BLOCK: a sender on another thread waits for room, at
 *   most [property@Pykka.Actor:overflow-timeout-msec]; on the thread that
 *   runs the actor's context, where waiting would never end, the send
 *   fails at once with %PYKKA_ERROR_MAILBOX_FULL; when the actor is
 *   killed or begins to stop, waiting senders fail at once with
 *   %PYKKA_ERROR_ACTOR_DEAD
 *
 * What a full bounded mailbox ([property@Pykka.Actor:mailbox-capacity])
 * does with one more message.
 */
typedef enum
{
  PYKKA_OVERFLOW_FAIL,
  PYKKA_OVERFLOW_DROP_NEWEST,
  PYKKA_OVERFLOW_DROP_OLDEST,
  PYKKA_OVERFLOW_BLOCK,
} PykkaOverflowPolicy;

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (PykkaActor, pykka_actor, PYKKA, ACTOR, GObject)

/**
 * PykkaActorClass:
 * @parent_class: the parent class
 * @on_start: runs in the actor's context before any message; failing
 *   logs the error and stops the actor (without [vfunc@Pykka.Actor.on_stop]
 *   or [vfunc@Pykka.Actor.on_failure])
 * @on_stop: runs after the stop message, once every earlier message is
 *   handled; a failure is logged and the actor stops anyway
 * @on_failure: runs when the handler of a told message fails, just before
 *   the actor stops without [vfunc@Pykka.Actor.on_stop]
 * @on_receive: handles one message; for an ask, @reply is the answer
 *
 * The class of [class@Pykka.Actor]. Subclasses override the virtual
 * methods they need; the defaults do nothing, and the default
 * [vfunc@Pykka.Actor.on_receive] calls the handler added for the
 * message's type ([method@Pykka.ActorClass.add_handler]), or, in a class
 * without handlers, logs a warning about the unhandled message and
 * replies with an unset value.
 */
/**
 * PykkaActorClass::on_start:
 * @self: the actor
 * @error: return location for an error
 *
 * Runs in the actor's context before any message is handled, even one
 * sent right after [method@Pykka.Actor.start] returned: the place to
 * acquire what the handlers need. The default does nothing.
 *
 * A failure is logged as a message in the `Pykka` log domain and stops
 * the actor without [vfunc@Pykka.Actor.on_stop] or
 * [vfunc@Pykka.Actor.on_failure]; asks already queued fail with
 * %PYKKA_ERROR_ACTOR_DEAD.
 *
 * Returns: %TRUE, or %FALSE with @error set to stop the actor
 */
/**
 * PykkaActorClass::on_stop:
 * @self: the actor
 * @error: return location for an error
 *
 * Runs once the stop message is reached, after every message sent before
 * it: the place to release what [vfunc@Pykka.Actor.on_start] acquired.
 * It does not run when the actor stops because of a failure. The default
 * does nothing.
 *
 * As in Pykka, the actor has already left the registry when it runs, and
 * its ref reports it dead ([method@Pykka.ActorRef.is_alive] is %FALSE):
 * a tell or ask to it, from here too, fails with
 * %PYKKA_ERROR_ACTOR_DEAD. It may still ask other actors.
 * [func@Pykka.Registry.stop_all] and an attached application
 * ([func@Pykka.application_attach]) wait for it to return.
 *
 * Returns: %TRUE, or %FALSE with @error set (logged; the actor stops anyway)
 */
/**
 * PykkaActorClass::on_failure:
 * @self: the actor
 * @error: the error of the failed handler
 *
 * Runs when the handler of a told message fails (nobody waits for its
 * answer), after the error is logged and just before the actor stops
 * without [vfunc@Pykka.Actor.on_stop]: the place to clean up after a
 * crash. The failure of an ask goes to the asker instead, and the actor
 * lives on. The default does nothing.
 *
 * As for [vfunc@Pykka.Actor.on_stop], the actor has already left the
 * registry and is not alive when it runs.
 */
/**
 * PykkaActorClass::on_receive:
 * @self: the actor
 * @message: the message, as sent (a copy, owned by the runtime)
 * @reply: (out caller-allocates): the reply to an ask, an unset #GValue
 *   to initialise; leave it unset for no value, or set a
 *   [class@Pykka.Future] to answer with its outcome once it completes
 *   (the actor takes no other message until then)
 * @error: return location for an error
 *
 * Handles one message, in the actor's context, in the order messages
 * arrived. For an ask, @reply (or @error) is the answer; the reply to a
 * tell is dropped, and its error stops the actor after
 * [vfunc@Pykka.Actor.on_failure].
 *
 * The outcome is normalised for handlers written in any language:
 * returning %TRUE with @error set is a failure, and returning %FALSE
 * without an error fails with %PYKKA_ERROR_FAILED.
 *
 * The default calls the handler added for the message's type with
 * [method@Pykka.ActorClass.add_handler] or
 * [method@Pykka.ActorClass.add_variant_handler], and refuses a message
 * that no handler takes (an ask fails with
 * %PYKKA_ERROR_INVALID_ARGUMENT); in a class without handlers, it logs a
 * warning about the unexpected message and replies with an unset value.
 *
 * Returns: %TRUE with @reply set as wanted, or %FALSE with @error set
 */
struct _PykkaActorClass
{
  GObjectClass parent_class;

  gboolean (*on_start)   (PykkaActor    *self,
                          GError       **error);
  gboolean (*on_stop)    (PykkaActor    *self,
                          GError       **error);
  void     (*on_failure) (PykkaActor    *self,
                          const GError  *error);
  gboolean (*on_receive) (PykkaActor    *self,
                          const GValue  *message,
                          GValue        *reply,
                          GError       **error);

  /*< private >*/
  /* Set by pykka_actor_class_set_stackful(); subclasses inherit it with
   * the rest of the class struct. */
  guint    stackful : 1;
  /* The handlers by message type (pykka_actor_class_add_handler()), for
   * the default on_receive; a subclass copies its parent's on its first
   * addition. */
  gpointer handlers;
  gpointer padding[10];
};

/**
 * PykkaMessageHandler:
 * @self: the actor
 * @message: the message, of the type the handler was added for (a copy,
 *   owned by the runtime)
 * @reply: (out caller-allocates): the reply to an ask, as for
 *   [vfunc@Pykka.Actor.on_receive]
 * @error: return location for an error
 *
 * Handles one message of the type it was added for with
 * [method@Pykka.ActorClass.add_handler] or
 * [method@Pykka.ActorClass.add_variant_handler]: the default
 * [vfunc@Pykka.Actor.on_receive] calls it, with the same contract.
 *
 * Returns: %TRUE with @reply set as wanted, or %FALSE with @error set
 */
typedef gboolean (*PykkaMessageHandler) (PykkaActor    *self,
                                         const GValue  *message,
                                         GValue        *reply,
                                         GError       **error);

PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_class_set_stackful (PykkaActorClass  *klass,
                                               gboolean          stackful);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_class_get_stackful (PykkaActorClass  *klass);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_class_add_handler  (PykkaActorClass     *klass,
                                               GType                type,
                                               PykkaMessageHandler  handler);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_class_add_variant_handler (PykkaActorClass     *klass,
                                                      const char          *type_string,
                                                      PykkaMessageHandler  handler);

PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_actor_start              (PykkaActor       *self,
                                               GError          **error);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_stop               (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_kill               (PykkaActor       *self,
                                               const GError     *reason);
PYKKA_AVAILABLE_IN_ALL
guint          pykka_actor_start_timer        (PykkaActor       *self,
                                               const char       *key,
                                               guint             delay_msec,
                                               guint             interval_msec,
                                               const GValue     *message);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_cancel_timer       (PykkaActor       *self,
                                               guint             id);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_cancel_timer_by_key (PykkaActor      *self,
                                               const char       *key);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture   *pykka_actor_defer_reply        (PykkaActor       *self,
                                               GError          **error);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_actor_start_child        (PykkaActor       *self,
                                               PykkaActor       *child,
                                               GError          **error);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_watch              (PykkaActor       *self,
                                               PykkaActorRef    *actor_ref);
PYKKA_AVAILABLE_IN_ALL
void           pykka_actor_unwatch            (PykkaActor       *self,
                                               PykkaActorRef    *actor_ref);
PYKKA_AVAILABLE_IN_ALL
const char    *pykka_actor_get_urn            (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
PykkaActorRef *pykka_actor_get_actor_ref      (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
GMainContext  *pykka_actor_get_context        (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
gboolean       pykka_actor_get_use_own_thread (PykkaActor       *self);
PYKKA_AVAILABLE_IN_ALL
GCancellable  *pykka_actor_get_current_cancellable (PykkaActor  *self);
G_END_DECLS
