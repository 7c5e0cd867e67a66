/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#ifndef PYKKA_COMPILATION
# error "This is a private header of pykka-glib."
#endif
#include <glib.h>

G_BEGIN_DECLS

/*
 * Stackful coroutines on shared ("copied") stacks.
 *
 * A #PykkaStackPool owns a small number of real execution stacks. Every
 * coroutine is assigned one of them (round robin) when it is created. At any
 * time a stack has at most one "occupant": the coroutine whose live frames
 * are physically on it. Resuming a coroutine whose stack is occupied by
 * another suspended coroutine first copies the occupant's used stack area
 * (from its saved stack pointer up to the stack top) into a heap buffer of the
 * occupant, then copies the resumed coroutine's own saved bytes back onto the
 * stack, and only then switches to it. Resuming the current occupant is a
 * pure register switch (no copying).
 *
 * This lets hundreds of thousands of coroutines be suspended at the same time
 * with only a few hundred bytes each and a handful of memory mappings in
 * total.
 *
 * TRAP: because the stack contents of a suspended coroutine are moved around,
 * NOTHING may hold a pointer into the stack of a coroutine across a yield
 * when another coroutine could run on the same stack meanwhile. In
 * particular:
 *   - do not pass the address of a local variable of coroutine A to
 *     coroutine B (or to the main loop, a GSource, another thread, ...) and
 *     let it be dereferenced while A is suspended;
 *   - do not keep pointers to stack-allocated data of A in A's own heap
 *     objects and use them from outside while A is suspended.
 * Pointers that A itself keeps into its own stack (e.g. a local pointing to
 * another local of A) stay valid, because A's bytes are always restored at
 * the very same addresses before A runs again. Heap-allocate anything shared.
 *
 * Threading: all coroutines of one pool must only ever be resumed from one
 * thread at a time (the scheduler of one GMainContext). Different pools may
 * be used concurrently from different threads.
 *
 * Nesting: pykka_coroutine_resume() must be called from a native
 * (non-coroutine) stack only; a coroutine must never resume another
 * coroutine. pykka_coroutine_yield() must be called from inside a
 * coroutine only.
 *
 * Sanitizers: under AddressSanitizer the switches are annotated for ASan's
 * fiber support, the copy routines are not instrumented and the ASan shadow
 * of a saved stack area is saved and restored along with it (so redzones
 * keep working across copies). Under ThreadSanitizer every started,
 * unfinished coroutine is a TSan fiber; note that GCC 12's libtsan dies
 * beyond about 8000 live fibers ("Thread limit exceeded"), clang's does not.
 * Under valgrind the stacks are registered with VALGRIND_STACK_REGISTER and
 * stack areas written from outside are made addressable for memcheck.
 *
 * Overflowing a stack hits the PROT_NONE guard region below it (as large
 * as the stack, at least 64 KiB; with -fstack-clash-protection no frame
 * can jump it). A SIGSEGV handler on an alternate signal stack (installed
 * with the first mapped stack; each thread that resumes coroutines gets an
 * alternate stack unless it has one) reports a fault in the guard region
 * of the running coroutine on stderr, naming it (see
 * pykka_coroutine_set_description()), then lets the default action kill
 * the process; other faults go to the previous handler. Coroutine code
 * must not use more than the pool's stack_size.
 */

typedef struct _PykkaStackPool PykkaStackPool;
typedef struct _PykkaCoroutine PykkaCoroutine;

typedef void (*PykkaCoroutineFunc) (gpointer user_data);

/* A pool of @n_stacks shared execution stacks of @stack_size bytes each
 * (rounded up to whole pages), each mmap'ed lazily with MAP_NORESERVE and a
 * PROT_NONE guard region below it. */
PykkaStackPool *pykka_stack_pool_new  (guint           n_stacks,
                                       gsize           stack_size);
/* All coroutines of the pool must have been freed before. */
void            pykka_stack_pool_free (PykkaStackPool *pool);

/* Creates a coroutine that will run func (user_data) on one of the pool's
 * stacks. Cheap: one small allocation, no mmap. */
PykkaCoroutine *pykka_coroutine_new    (PykkaStackPool    *pool,
                                        PykkaCoroutineFunc func,
                                        gpointer           user_data);
/* Runs @co (from its start, or from where it yielded) until it yields or its
 * function returns. Returns %TRUE when the function has returned. Must only
 * be called from a native (non-coroutine) stack. */
gboolean        pykka_coroutine_resume (PykkaCoroutine    *co);
/* Called from inside a coroutine: suspends it and returns to the
 * pykka_coroutine_resume() that ran it. */
void            pykka_coroutine_yield  (void);
/* The coroutine running on this thread, or %NULL on a native stack. */
PykkaCoroutine *pykka_coroutine_self   (void);
/* Frees a finished, never started or suspended coroutine. A suspended
 * coroutine's stack is simply dropped: no unwinding, no destructors, so
 * anything it owned is leaked unless someone else frees it. */
void            pykka_coroutine_free   (PykkaCoroutine    *co);
/* On the pool's thread, right after pykka_coroutine_resume() returned
 * TRUE: frees @co, or keeps it (and its save buffer) for the pool's next
 * pykka_coroutine_new(). */
void            pykka_coroutine_recycle (PykkaCoroutine   *co);
/* Bytes of memory currently held by @co (struct + saved stack copy). */
gsize           pykka_coroutine_get_memory_size (PykkaCoroutine *co);
gboolean        pykka_coroutine_is_finished     (PykkaCoroutine *co);
/* Names what runs on @co for the report of a stack overflow: "actor
 * @type_name (@urn)". Both strings are borrowed and must outlive @co.
 * The cell names every coroutine it starts after its actor. */
void            pykka_coroutine_set_description (PykkaCoroutine *co,
                                                 const char     *type_name,
                                                 const char     *urn);

G_END_DECLS
