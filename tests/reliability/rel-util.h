/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Helpers shared by the reliability tests (stress, faults, bad input,
 * model). */

#pragma once

#include "test-util.h"

G_BEGIN_DECLS

/* Counts finalizations through weak refs. */
typedef struct
{
  gint watched;    /* atomic */
  gint finalized;  /* atomic */
} RelLeakCounter;

void     rel_leak_watch            (RelLeakCounter *counter,
                                    gpointer        object);
/* Waits (iterating the default context) until every watched object is
 * finalized; fails the test after TEST_TIMEOUT_MSEC. */
void     rel_leak_assert_all_freed (RelLeakCounter *counter);

/* Scales an iteration count by $PYKKA_STRESS_SCALE (a float, default 1),
 * at least 1. */
guint    rel_scaled                (guint           n);

/* Waits for @future with TEST_TIMEOUT_MSEC and checks it failed with
 * @domain / @code. */
void     rel_assert_future_error   (PykkaFuture    *future,
                                    GQuark          domain,
                                    gint            code);
/* Waits for @future and returns its int value. */
gint     rel_future_get_int        (PykkaFuture    *future);

/* Expects one message of @level whose text matches @pattern, in the
 * "Pykka" domain. */
#define rel_expect(level, pattern) \
  g_test_expect_message ("Pykka", (level), (pattern))

/* An actor that answers every message with a copy of it, for tests that
 * need construct properties ("context", "use-own-thread"). */
#define REL_TYPE_ECHO_ACTOR (rel_echo_actor_get_type ())
G_DECLARE_FINAL_TYPE (RelEchoActor, rel_echo_actor, REL, ECHO_ACTOR, PykkaActor)

G_END_DECLS
