/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * ThreadSanitizer builds only: GMutex, GRecMutex, GRWLock and GCond on
 * pthreads, so that TSan sees their synchronisation.
 *
 * Debian's GLib is not built with TSan, and on Linux its GMutex and GCond
 * are raw futexes that TSan cannot see: every field the library protects
 * with a GMutex would be reported as a race. Defining these functions in
 * the test executable interposes them for the library under test and for
 * libgobject (which calls them through the PLT); libglib's own internal
 * calls stay on its futexes, but those locks are never shared with the
 * code above. Each lock lazily allocates its pthread object in the
 * pointer slot of the GLib union, so statically zeroed locks work.
 *
 * The *_init() functions clear that slot with an atomic store: a lock
 * that GIO initialises on one thread and hands to another through its
 * own (uninstrumented) atomics is first locked there with lazy()'s
 * atomic load, and two atomic accesses are no race for TSan. The
 * *_clear() functions keep plain accesses on purpose: a lock cleared
 * while another thread still uses it is a real defect, and TSan says so.
 */

#define _GNU_SOURCE  /* dladdr() */

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

static gpointer
lazy (gpointer *slot, gpointer (*make) (void), void (*destroy) (gpointer))
{
  gpointer p = g_atomic_pointer_get (slot);

  if (p == NULL)
    {
      gpointer fresh = make ();

      if (g_atomic_pointer_compare_and_exchange (slot, NULL, fresh))
        p = fresh;
      else
        {
          destroy (fresh);
          p = g_atomic_pointer_get (slot);
        }
    }
  return p;
}

/* ---- GMutex ---- */

static gpointer
mutex_make (void)
{
  pthread_mutex_t *m = malloc (sizeof *m);

  pthread_mutex_init (m, NULL);
  return m;
}

static void
mutex_destroy (gpointer p)
{
  pthread_mutex_destroy (p);
  free (p);
}

#define MUTEX(m) ((pthread_mutex_t *) lazy (&(m)->p, mutex_make, mutex_destroy))

void
g_mutex_init (GMutex *mutex)
{
  g_atomic_pointer_set (&mutex->p, NULL);
}

static void
mutex_clear (GMutex *mutex)
{
  if (mutex->p != NULL)
    mutex_destroy (mutex->p);
  mutex->p = NULL;
}

/* A GMutex of a GIO object, cleared by its finalize. The last reference
 * may be dropped on another thread than the one that used the lock last
 * (a GSubprocess's child watch runs on GLib's worker thread), ordered by
 * GObject's uninstrumented reference count: tests/tsan.supp names this
 * function, so that only GIO's own clears are suppressed. */
G_GNUC_NO_INLINE static void
mutex_clear_from_gio (GMutex *mutex)
{
  mutex_clear (mutex);
  __asm__ volatile ("" ::: "memory");  /* keeps this frame in the stack */
}

static gboolean
called_from_gio (gpointer return_address)
{
  Dl_info info;

  return dladdr (return_address, &info) != 0 && info.dli_fname != NULL &&
         strstr (info.dli_fname, "libgio-2.0.so") != NULL;
}

void
g_mutex_clear (GMutex *mutex)
{
  if (called_from_gio (__builtin_return_address (0)))
    mutex_clear_from_gio (mutex);
  else
    mutex_clear (mutex);
}

void
g_mutex_lock (GMutex *mutex)
{
  pthread_mutex_lock (MUTEX (mutex));
}

void
g_mutex_unlock (GMutex *mutex)
{
  pthread_mutex_unlock (MUTEX (mutex));
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  return pthread_mutex_trylock (MUTEX (mutex)) == 0;
}

/* ---- GRecMutex ---- */

static gpointer
rec_mutex_make (void)
{
  pthread_mutex_t *m = malloc (sizeof *m);
  pthread_mutexattr_t attr;

  pthread_mutexattr_init (&attr);
  pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init (m, &attr);
  pthread_mutexattr_destroy (&attr);
  return m;
}

#define REC_MUTEX(m) ((pthread_mutex_t *) lazy (&(m)->p, rec_mutex_make, mutex_destroy))

void
g_rec_mutex_init (GRecMutex *rec_mutex)
{
  g_atomic_pointer_set (&rec_mutex->p, NULL);
}

void
g_rec_mutex_clear (GRecMutex *rec_mutex)
{
  if (rec_mutex->p != NULL)
    mutex_destroy (rec_mutex->p);
  rec_mutex->p = NULL;
}

void
g_rec_mutex_lock (GRecMutex *rec_mutex)
{
  pthread_mutex_lock (REC_MUTEX (rec_mutex));
}

void
g_rec_mutex_unlock (GRecMutex *rec_mutex)
{
  pthread_mutex_unlock (REC_MUTEX (rec_mutex));
}

gboolean
g_rec_mutex_trylock (GRecMutex *rec_mutex)
{
  return pthread_mutex_trylock (REC_MUTEX (rec_mutex)) == 0;
}

/* ---- GRWLock ---- */

static gpointer
rw_make (void)
{
  pthread_rwlock_t *l = malloc (sizeof *l);

  pthread_rwlock_init (l, NULL);
  return l;
}

static void
rw_destroy (gpointer p)
{
  pthread_rwlock_destroy (p);
  free (p);
}

#define RW(l) ((pthread_rwlock_t *) lazy (&(l)->p, rw_make, rw_destroy))

void
g_rw_lock_init (GRWLock *rw_lock)
{
  g_atomic_pointer_set (&rw_lock->p, NULL);
}

void
g_rw_lock_clear (GRWLock *rw_lock)
{
  if (rw_lock->p != NULL)
    rw_destroy (rw_lock->p);
  rw_lock->p = NULL;
}

void
g_rw_lock_writer_lock (GRWLock *rw_lock)
{
  pthread_rwlock_wrlock (RW (rw_lock));
}

gboolean
g_rw_lock_writer_trylock (GRWLock *rw_lock)
{
  return pthread_rwlock_trywrlock (RW (rw_lock)) == 0;
}

void
g_rw_lock_writer_unlock (GRWLock *rw_lock)
{
  pthread_rwlock_unlock (RW (rw_lock));
}

void
g_rw_lock_reader_lock (GRWLock *rw_lock)
{
  pthread_rwlock_rdlock (RW (rw_lock));
}

gboolean
g_rw_lock_reader_trylock (GRWLock *rw_lock)
{
  return pthread_rwlock_tryrdlock (RW (rw_lock)) == 0;
}

void
g_rw_lock_reader_unlock (GRWLock *rw_lock)
{
  pthread_rwlock_unlock (RW (rw_lock));
}

/* ---- GCond ---- */

static gpointer
cond_make (void)
{
  pthread_cond_t *c = malloc (sizeof *c);
  pthread_condattr_t attr;

  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (c, &attr);
  pthread_condattr_destroy (&attr);
  return c;
}

static void
cond_destroy (gpointer p)
{
  pthread_cond_destroy (p);
  free (p);
}

#define COND(c) ((pthread_cond_t *) lazy (&(c)->p, cond_make, cond_destroy))

void
g_cond_init (GCond *cond)
{
  g_atomic_pointer_set (&cond->p, NULL);
}

void
g_cond_clear (GCond *cond)
{
  if (cond->p != NULL)
    cond_destroy (cond->p);
  cond->p = NULL;
}

void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  pthread_cond_wait (COND (cond), MUTEX (mutex));
}

void
g_cond_signal (GCond *cond)
{
  pthread_cond_signal (COND (cond));
}

void
g_cond_broadcast (GCond *cond)
{
  pthread_cond_broadcast (COND (cond));
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  struct timespec ts;

  /* end_time is g_get_monotonic_time () microseconds: CLOCK_MONOTONIC. */
  ts.tv_sec = end_time / G_USEC_PER_SEC;
  ts.tv_nsec = (end_time % G_USEC_PER_SEC) * 1000;
  return pthread_cond_timedwait (COND (cond), MUTEX (mutex), &ts) != ETIMEDOUT;
}

/* ---- gatomicrefcount ----
 *
 * GLib's atomic reference counts are functions in libglib; their atomics
 * are invisible to TSan, so the free after a last unref would look like a
 * race with every other thread's earlier use. The same, instrumented. */

void
g_atomic_ref_count_init (gatomicrefcount *arc)
{
  __atomic_store_n (arc, 1, __ATOMIC_RELAXED);
}

void
g_atomic_ref_count_inc (gatomicrefcount *arc)
{
  __atomic_fetch_add (arc, 1, __ATOMIC_RELAXED);
}

gboolean
g_atomic_ref_count_dec (gatomicrefcount *arc)
{
  return __atomic_fetch_sub (arc, 1, __ATOMIC_ACQ_REL) == 1;
}

gboolean
g_atomic_ref_count_compare (gatomicrefcount *arc,
                            gint             val)
{
  return __atomic_load_n (arc, __ATOMIC_ACQUIRE) == val;
}

/* ---- g_once_init_enter / g_once_init_leave ----
 *
 * The fast path of g_once_init_enter() is an instrumented atomic load in
 * the caller, but the store in g_once_init_leave() happens in libglib:
 * without this, every lazily initialised static (type ids, quarks of
 * G_DEFINE_TYPE) would look racy. */

static pthread_mutex_t once_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t once_cond = PTHREAD_COND_INITIALIZER;
static GSList *once_initializing;  /* under once_mutex */

gboolean
(g_once_init_enter) (volatile void *location)
{
  gsize *loc = (gsize *) location;
  gboolean mine = FALSE;

  pthread_mutex_lock (&once_mutex);
  if (__atomic_load_n (loc, __ATOMIC_ACQUIRE) == 0)
    {
      if (g_slist_find (once_initializing, (void *) loc) == NULL)
        {
          once_initializing = g_slist_prepend (once_initializing, (void *) loc);
          mine = TRUE;
        }
      else
        while (g_slist_find (once_initializing, (void *) loc) != NULL)
          pthread_cond_wait (&once_cond, &once_mutex);
    }
  pthread_mutex_unlock (&once_mutex);
  return mine;
}

void
(g_once_init_leave) (volatile void *location,
                     gsize          result)
{
  gsize *loc = (gsize *) location;

  pthread_mutex_lock (&once_mutex);
  __atomic_store_n (loc, result, __ATOMIC_RELEASE);
  once_initializing = g_slist_remove (once_initializing, (void *) loc);
  pthread_cond_broadcast (&once_cond);
  pthread_mutex_unlock (&once_mutex);
}
