/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <pykka-glib/pykka.h>

G_BEGIN_DECLS

/* Every wait in the tests ends by this deadline, failing loudly. */
#define TEST_TIMEOUT_MSEC 10000

/* Iterates @ctx (NULL: the default context) until @cond holds, or fails the
 * test after TEST_TIMEOUT_MSEC. */
#define test_iterate_until(ctx, cond)                                        \
  G_STMT_START {                                                             \
    gint64 _end = g_get_monotonic_time () + TEST_TIMEOUT_MSEC * 1000;        \
    while (!(cond))                                                          \
      {                                                                      \
        if (g_get_monotonic_time () > _end)                                  \
          g_error ("Timed out waiting for: %s", #cond);                      \
        g_main_context_iteration ((ctx), FALSE);                             \
        if (!(cond)) g_usleep (50);                                          \
      }                                                                      \
  } G_STMT_END

GValue *test_value_int    (GValue *value, gint v);
GValue *test_value_string (GValue *value, const char *v);

/* Messaging shortcuts that fail the test on any error. */
void         test_tell_int   (PykkaActorRef *ref, gint v);
PykkaFuture *test_ask_int    (PykkaActorRef *ref, gint v);
PykkaFuture *test_ask_object (PykkaActorRef *ref, gpointer object);
/* Waits up to TEST_TIMEOUT_MSEC for an int value. */
gint         test_get_int    (PykkaFuture *future);

/* A configurable actor for tests. Its hooks record what happened and call
 * the optional functions below. */
#define TEST_TYPE_ACTOR (test_actor_get_type ())
G_DECLARE_DERIVABLE_TYPE (TestActor, test_actor, TEST, ACTOR, PykkaActor)

typedef gboolean (*TestReceiveFunc) (TestActor *self, const GValue *message,
                                     GValue *reply, GError **error);
typedef gboolean (*TestHookFunc)    (TestActor *self, GError **error);

struct _TestActorClass
{
  PykkaActorClass parent_class;
};

typedef struct
{
  gint             ref_count;   /* atomic */
  gint             n_started;   /* atomic */
  gint             n_stopped;   /* atomic */
  gint             n_failures;  /* atomic */
  gint             n_received;  /* atomic */
  GMutex           mutex;
  GArray          *ints;        /* int messages in order of handling, under mutex */
  GThread         *thread;      /* thread of the last handler */
  GMainContext    *handler_context; /* thread-default context seen by the handler */
  char            *last_failure;
} TestRecord;

TestActor  *test_actor_new           (TestReceiveFunc receive,
                                      gpointer        data);
/* The same, of @type (a subtype of TestActor), with construct properties. */
TestActor  *test_actor_new_of_type   (GType           type,
                                      TestReceiveFunc receive,
                                      gpointer        data,
                                      const char     *first_prop,
                                      ...);
/* Borrowed: valid while the actor lives, or longer with test_record_ref(). */
TestRecord *test_actor_get_record    (TestActor *self);
TestRecord *test_record_ref          (TestRecord *record);
gpointer    test_actor_get_data      (TestActor *self);
void        test_actor_set_on_start  (TestActor *self, TestHookFunc func);
void        test_actor_set_on_stop   (TestActor *self, TestHookFunc func);
/* Starts a new TestActor (or subtype @type) and returns its ref; *record
 * is a reference of the caller's, dropped with test_record_free(). */
PykkaActorRef *test_start            (GType           type,
                                      TestReceiveFunc receive,
                                      gpointer        data,
                                      TestRecord    **record);
void        test_record_free         (TestRecord *record);

/* The same, with stackful handlers. */
#define TEST_TYPE_STACKFUL_ACTOR (test_stackful_actor_get_type ())
G_DECLARE_FINAL_TYPE (TestStackfulActor, test_stackful_actor, TEST, STACKFUL_ACTOR, TestActor)

/* Handlers shared by many tests. */
gboolean test_echo     (TestActor *self, const GValue *message, GValue *reply, GError **error);
gboolean test_record_int (TestActor *self, const GValue *message, GValue *reply, GError **error);
gboolean test_fail     (TestActor *self, const GValue *message, GValue *reply, GError **error);

void     test_stop_all (void);

G_END_DECLS
