/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pykka-bench-coroutine N: the bare cost of one suspend + resume of a
 * stackful coroutine of pykka-glib (the private API under the stackful
 * actors), in ns, printed on stdout: on separate stacks, then sharing
 * one stack (copied at each switch). Run by pykka-bench, which links the
 * shared library where these functions are hidden.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pykka-glib/pykka-private.h"

#include "bench-clock.h"

static gint64 rounds;

static void
yield_loop (gpointer data)
{
  for (gint64 i = 0; i < rounds; i++)
    pykka_coroutine_yield ();
}

/* ns per suspend + resume of two coroutines resumed in turn on a pool of
 * @n_stacks stacks: with one stack, every switch copies the stack of the
 * other one away and back (the shared-stack case). */
static double
measure (guint n_stacks)
{
  PykkaStackPool *pool = pykka_stack_pool_new (n_stacks, PYKKA_STACK_SIZE);
  PykkaCoroutine *a, *b;
  gint64 start, end, switches = 0;

  a = pykka_coroutine_new (pool, yield_loop, NULL);
  b = pykka_coroutine_new (pool, yield_loop, NULL);
  start = now_ns ();
  for (gboolean done = FALSE; !done; switches++)
    {
      done = pykka_coroutine_resume (a);
      done = pykka_coroutine_resume (b) && done;
    }
  end = now_ns ();

  pykka_coroutine_free (a);
  pykka_coroutine_free (b);
  pykka_stack_pool_free (pool);

  return (double) (end - start) / (switches * 2);
}

int
main (int   argc,
      char *argv[])
{
  rounds = argc > 1 ? atoll (argv[1]) : 1000000;

  printf ("%.2f %.2f\n", measure (PYKKA_N_SHARED_STACKS), measure (1));
  return 0;
}
