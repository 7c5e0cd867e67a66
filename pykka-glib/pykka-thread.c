/* SPDX-License-Identifier: LGPL-2.1-or-later */

#define _GNU_SOURCE
#include "config.h"

#include "pykka-private.h"

#ifdef __linux__
# include <pthread.h>
# include <sys/syscall.h>
# include <unistd.h>
#endif

/*
 * PykkaThread: what the runtime knows of one thread.
 *
 * Every thread that touches the runtime gets one, made on first use and
 * kept in a thread-local pointer (the hot path) and in a GPrivate (whose
 * destroy notify tells us when the thread ends). It holds the thread's
 * part of the scheduling (the innermost running cell, the direct-run
 * counter, the deadline of the wait it is in) and the contexts it owns.
 *
 * Owning a context means being the only thread that runs its actors
 * (see pykka-scheduler.c). When a thread ends, the contexts it owned are
 * orphaned: nobody may ever run their actors again, so they die at once
 * (pykka_cell_kill_orphaned()), and every ask they still had to answer
 * fails with PYKKA_ERROR_ACTOR_DEAD instead of hanging.
 */

static void thread_state_ended (gpointer data);

static GPrivate thread_key = G_PRIVATE_INIT (thread_state_ended);
__thread PykkaThread *pykka_thread_current __attribute__ ((tls_model ("initial-exec")));

G_LOCK_DEFINE_STATIC (owned);

PykkaThread *
pykka_thread_ref (PykkaThread *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pykka_thread_unref (PykkaThread *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_slist_free (self->owned);
  g_free (self->name);
  g_free (self);
}

/* Made by the thread itself, or by pykka_actor_start() for the thread of
 * an own-thread actor before it runs (pykka_thread_adopt()). */
PykkaThread *
pykka_thread_new (const char *name)
{
  PykkaThread *self = g_new0 (PykkaThread, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->name = g_strdup (name);
  return self;
}

/* Makes @state (transfer full) the calling thread's. */
void
pykka_thread_adopt (PykkaThread *state)
{
  g_assert (pykka_thread_current == NULL);
  pykka_thread_current = state;
  g_private_set (&thread_key, state);
}

/* pykka_thread_self() for a thread's first call. */
PykkaThread *
pykka_thread_self_slow (void)
{
  if (pykka_thread_current != NULL)
    return pykka_thread_current;

  gboolean is_main = pykka_thread_is_main ();
  char name[64] = "";
  PykkaThread *state;

#ifdef __linux__
  if (!is_main && pthread_getname_np (pthread_self (), name, sizeof name) != 0)
    name[0] = '\0';
#endif
  state = pykka_thread_new (is_main ? "main" : name[0] != '\0' ? name : NULL);

  state->is_main = is_main;
  pykka_thread_adopt (state);
  return pykka_thread_current;
}

gboolean
pykka_thread_is_main (void)
{
#ifdef __linux__
  return syscall (SYS_gettid) == getpid ();
#else
  static GThread *main_thread;

  /* Elsewhere: the first thread that asks, which is the main thread in
   * every program that starts an actor before it starts threads. */
  if (g_once_init_enter (&main_thread))
    g_once_init_leave (&main_thread, g_thread_self ());
  return main_thread == g_thread_self ();
#endif
}

/* Records that @owner owns @scheduler; called by the scheduler once. The
 * entry is weak: scheduler_finalize() takes it out. */
void
pykka_thread_add_owned (PykkaThread    *owner,
                        PykkaScheduler *scheduler)
{
  G_LOCK (owned);
  owner->owned = g_slist_prepend (owner->owned, scheduler);
  G_UNLOCK (owned);
}

void
pykka_thread_remove_owned (PykkaThread    *owner,
                           PykkaScheduler *scheduler)
{
  G_LOCK (owned);
  owner->owned = g_slist_remove (owner->owned, scheduler);
  G_UNLOCK (owned);
}

gboolean
pykka_thread_has_ended (PykkaThread *self)
{
  return g_atomic_int_get (&self->ended);
}

const char *
pykka_thread_get_name (PykkaThread *self)
{
  return self->name != NULL ? self->name : "(unnamed thread)";
}

static void
free_spare_message (gpointer message)
{
  g_slice_free (PykkaMessage, message);
}

static void
spares_drop (PykkaSpares    *spares,
             GDestroyNotify  free_func)
{
  gpointer item;

  while ((item = pykka_spares_take (spares)) != NULL)
    free_func (item);
}

/* Frees the spares of @self: on its thread once it is no longer the
 * current one (a free from now on leaves no spare). */
void
pykka_thread_drop_spares (PykkaThread *self)
{
  spares_drop (&self->spare_messages, free_spare_message);
  spares_drop (&self->spare_promises, (GDestroyNotify) pykka_promise_free_spare);
  spares_drop (&self->spare_co_waits, pykka_wait_free_spare);
}

static void
thread_state_ended (gpointer data)
{
  PykkaThread *self = data;
  GSList *busy = NULL;

  /* Under the lock a scheduler of the list is not finalized (its
   * finalize takes the lock to leave the list), so it can be looked at;
   * those with live actors are referenced for the orphaning below.
   * Schedulers without actors are left alone: dropping a reference here
   * could race with their context's end on another thread. */
  G_LOCK (owned);
  g_atomic_int_set (&self->ended, TRUE);
  for (GSList *l = self->owned; l != NULL; l = l->next)
    if (pykka_scheduler_ref_if_busy (l->data))
      busy = g_slist_prepend (busy, l->data);
  G_UNLOCK (owned);

  for (GSList *l = busy; l != NULL; l = l->next)
    {
      pykka_scheduler_orphan (l->data);
      pykka_scheduler_unref (l->data);
    }
  g_slist_free (busy);

  if (pykka_thread_current == self)
    pykka_thread_current = NULL;
  pykka_thread_drop_spares (self);
  pykka_thread_unref (self);
}
