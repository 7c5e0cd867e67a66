/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The inside of a promise, for the files of futures: pykka-promise.c
 * (which owns the fields), pykka-future.c (which embeds a promise in
 * every PykkaFuture and reads ->done) and pykka-future-combinators.c
 * (which uses the functions only). The rest of the runtime goes through
 * the pykka_promise_*() functions of pykka-private.h. */

#pragma once

#ifndef PYKKA_COMPILATION
# error "This is a private header of pykka-glib."
#endif

#include "pykka-private.h"

G_BEGIN_DECLS

/* The state of a future. A PykkaFuture embeds one; blocking asks from C
 * (ask_sync, stop_sync) use a bare one and spare the GObject. */
struct _PykkaPromise
{
  PykkaFuture  *owner;     /* (nullable) (unowned) the future embedding it */
  gatomicrefcount ref_count; /* without an owner */

  GMutex        mutex;
  GCond         cond;      /* broadcast under ->mutex when done, if ->sleepers */
  GValue        value;     /* immutable once ->done, unless ->error */
  GError       *error;     /* (owned) (nullable) immutable once ->done */
  GSList       *hooks;     /* (owned) PykkaPromiseHookEntry*, run once when done; under ->mutex */
  PykkaWaiter  *waiters;   /* under ->mutex */
  guint         sleepers;  /* under ->mutex */
  PykkaCell    *source;    /* (owned) (nullable) the actor that answers */
  GMainContext *home;      /* (owned) (nullable) context whose iteration completes a derived future */
  gint          done;      /* atomic; set under ->mutex */
  gint          stop;      /* the promise of a stop: a timed-out wait says "to stop"; set before it is shared */
  gint          lent_source; /* ->source is not referenced (pykka_promise_lend_source()) */
};

/* @self zeroed. Inline: pykka_future_new() runs it for every ask, and it
 * was inlined there before the promise got a file of its own. */
static inline void
pykka_promise_init (PykkaPromise *self,
                    PykkaFuture  *owner)
{
  self->owner = owner;
  /* (g_atomic_ref_count_init() is a call; nobody else sees @self yet.) */
  self->ref_count = 1;
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

/* An entry of ->hooks. */
typedef struct
{
  PykkaPromiseHook func;
  gpointer         data;
  GDestroyNotify   destroy;
} PykkaPromiseHookEntry;

static inline void
pykka_promise_hook_free (gpointer data)
{
  PykkaPromiseHookEntry *hook = data;

  if (hook->destroy != NULL)
    hook->destroy (hook->data);
  g_free (hook);
}

/* pykka_promise_add_hook(), inline for pykka_future_get_async(), into
 * which it was inlined before the promise got a file of its own. */
static inline gboolean
pykka_promise_add_hook_inline (PykkaPromise     *self,
                               PykkaPromiseHook  func,
                               gpointer          data,
                               GDestroyNotify    destroy)
{
  PykkaPromiseHookEntry *hook = g_new (PykkaPromiseHookEntry, 1);

  hook->func = func;
  hook->data = data;
  hook->destroy = destroy;

  g_mutex_lock (&self->mutex);
  if (!self->done)
    {
      self->hooks = g_slist_prepend (self->hooks, hook);
      g_mutex_unlock (&self->mutex);
      return TRUE;
    }
  g_mutex_unlock (&self->mutex);

  func (self, data);
  pykka_promise_hook_free (hook);
  return FALSE;
}

/* Frees what an embedded or bare promise holds (not @self). */
void            pykka_promise_clear      (PykkaPromise   *self);
/* Completes @self with the stolen @value or @error; FALSE (and frees
 * them) if it was done before. */
gboolean        pykka_promise_complete   (PykkaPromise   *self,
                                          GValue         *value,
                                          GError         *error);
/* The value of a promise that is done without an error. */
const GValue   *pykka_promise_peek_value (PykkaPromise   *self);
/* Sets the context whose iteration completes @self (a derived future):
 * a blocking get iterates it instead of sleeping. Steals @context. */
void            pykka_promise_take_home  (PykkaPromise   *self,
                                          GMainContext   *context);

G_END_DECLS
