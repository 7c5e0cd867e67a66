/* SPDX-License-Identifier: LGPL-2.1-or-later */

#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "pykka-coroutine-private.h"

#define STACK_SIZE (256 * 1024)

/* Under TSan every coroutine is a TSan fiber, which is expensive; the
 * scale test is scaled down there. */
#if defined(__SANITIZE_THREAD__)
# define UNDER_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define UNDER_TSAN 1
# endif
#endif

/* ---- run to completion -------------------------------------------------- */

static void
set_flag (gpointer user_data)
{
  gint *flag = user_data;

  *flag = 42;
}

static void
test_run_to_completion (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *co;
  gint flag = 0;

  g_test_summary ("A coroutine that never yields finishes in one resume");

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  co = pykka_coroutine_new (pool, set_flag, &flag);
  g_assert_nonnull (co);
  g_assert_false (pykka_coroutine_is_finished (co));
  g_assert_cmpint (flag, ==, 0);

  g_assert_true (pykka_coroutine_resume (co));
  g_assert_true (pykka_coroutine_is_finished (co));
  g_assert_cmpint (flag, ==, 42);

  pykka_coroutine_free (co);
  pykka_stack_pool_free (pool);
}

/* ---- yield with values -------------------------------------------------- */

typedef struct
{
  gint in;
  gint out;
  gint steps;
} Exchange;

static void
accumulate (gpointer user_data)
{
  Exchange *ex = user_data;
  gint sum = 0;

  while (ex->in >= 0)
    {
      sum += ex->in;
      ex->out = sum;
      ex->steps++;
      pykka_coroutine_yield ();
    }

  ex->out = -sum;
}

static void
test_yield_values (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *co;
  Exchange ex = { 0, 0, 0 };
  gint expected = 0;
  gint i;

  g_test_summary ("Values pass through a struct across several yields");

  pool = pykka_stack_pool_new (2, STACK_SIZE);
  co = pykka_coroutine_new (pool, accumulate, &ex);

  for (i = 1; i <= 10; i++)
    {
      ex.in = i;
      expected += i;
      g_assert_false (pykka_coroutine_resume (co));
      g_assert_false (pykka_coroutine_is_finished (co));
      g_assert_cmpint (ex.out, ==, expected);
      g_assert_cmpint (ex.steps, ==, i);
    }

  ex.in = -1;
  g_assert_true (pykka_coroutine_resume (co));
  g_assert_cmpint (ex.out, ==, -expected);
  g_assert_true (pykka_coroutine_is_finished (co));

  pykka_coroutine_free (co);
  pykka_stack_pool_free (pool);
}

/* ---- interleaving on a shared stack ------------------------------------- */

typedef struct
{
  guint id;
  guint depth;
  guint yields;
  guint64 checksum;
} Recurser;

static guint64
pattern (guint id,
         guint level,
         guint i)
{
  return ((guint64) id << 40) ^ ((guint64) level << 20) ^ (i * 2654435761u);
}

static guint64
recurse (Recurser *r,
         guint     level)
{
  guint64 local[24];
  guint64 *self_ptr = &local[3];   /* pointer into our own stack */
  volatile double d = level * 0.5 + r->id;
  guint64 sum = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (local); i++)
    local[i] = pattern (r->id, level, i);

  if (level % 3 == 0 || level == r->depth)
    {
      r->yields++;
      pykka_coroutine_yield ();
    }

  if (level < r->depth)
    sum += recurse (r, level + 1);

  /* Yield on the way back up too, with frames below us gone. */
  r->yields++;
  pykka_coroutine_yield ();

  for (i = 0; i < G_N_ELEMENTS (local); i++)
    {
      g_assert_cmpuint (local[i], ==, pattern (r->id, level, i));
      sum += local[i];
    }
  g_assert_true (self_ptr == &local[3]);
  g_assert_cmpuint (*self_ptr, ==, pattern (r->id, level, 3));
  g_assert_cmpfloat (d, ==, level * 0.5 + r->id);

  return sum;
}

static void
recurser_main (gpointer user_data)
{
  Recurser *r = user_data;

  r->checksum = recurse (r, 1);
}

static guint64
recurser_expected (Recurser *r)
{
  guint64 sum = 0;
  guint level, i;

  for (level = 1; level <= r->depth; level++)
    for (i = 0; i < 24; i++)
      sum += pattern (r->id, level, i);
  return sum;
}

static void
run_interleaved (guint n_stacks,
                 guint n_coroutines)
{
  PykkaStackPool *pool;
  PykkaCoroutine **cos;
  Recurser *rs;
  GRand *rand;
  guint n_alive = n_coroutines;
  guint i;

  pool = pykka_stack_pool_new (n_stacks, STACK_SIZE);
  cos = g_new0 (PykkaCoroutine *, n_coroutines);
  rs = g_new0 (Recurser, n_coroutines);
  rand = g_rand_new_with_seed (1234);

  for (i = 0; i < n_coroutines; i++)
    {
      rs[i].id = i;
      rs[i].depth = 1 + (i * 7) % 23;
      cos[i] = pykka_coroutine_new (pool, recurser_main, &rs[i]);
    }

  while (n_alive > 0)
    {
      /* Random order, sometimes resuming the same one twice in a row. */
      guint k = g_rand_int_range (rand, 0, n_coroutines);

      if (pykka_coroutine_is_finished (cos[k]))
        continue;
      if (pykka_coroutine_resume (cos[k]))
        n_alive--;
    }

  for (i = 0; i < n_coroutines; i++)
    {
      g_assert_true (pykka_coroutine_is_finished (cos[i]));
      g_assert_cmpuint (rs[i].checksum, ==, recurser_expected (&rs[i]));
      g_assert_cmpuint (rs[i].yields, >=, rs[i].depth + 1);
      pykka_coroutine_free (cos[i]);
    }

  g_rand_free (rand);
  g_free (rs);
  g_free (cos);
  pykka_stack_pool_free (pool);
}

static void
test_interleaved (void)
{
  g_test_summary ("Many coroutines interleaved on few shared stacks keep "
                  "their stack contents across copies");

  run_interleaved (1, 50);
  run_interleaved (3, 64);
}

/* ---- 100 000 suspended coroutines --------------------------------------- */

typedef struct
{
  guint id;
  guint result;
} Many;

static void
many_main (gpointer user_data)
{
  Many *m = user_data;
  volatile guint x = m->id * 7u + 3u;

  pykka_coroutine_yield ();
  x += m->id;
  pykka_coroutine_yield ();
  m->result = x;
}

static void
test_many (void)
{
#ifdef UNDER_TSAN
  const guint n = 2000;
#else
  const guint n = 100000;
#endif
  PykkaStackPool *pool;
  PykkaCoroutine **cos;
  Many *ms;
  gsize total = 0;
  guint i;
  gint round;

  g_test_summary ("100 000 coroutines suspended at once in a pool of 16 "
                  "stacks all complete with their own results");

  pool = pykka_stack_pool_new (16, STACK_SIZE);
  cos = g_new (PykkaCoroutine *, n);
  ms = g_new0 (Many, n);

  for (i = 0; i < n; i++)
    {
      ms[i].id = i;
      cos[i] = pykka_coroutine_new (pool, many_main, &ms[i]);
    }

  /* Everybody starts and is suspended at the same time. */
  for (i = 0; i < n; i++)
    g_assert_false (pykka_coroutine_resume (cos[i]));

  for (i = 0; i < n; i++)
    total += pykka_coroutine_get_memory_size (cos[i]);
  g_test_message ("%u suspended coroutines: %" G_GSIZE_FORMAT
                  " bytes in total, %.0f bytes each",
                  n, total, (double) total / n);

  /* Second step in reverse order, last in forward order. */
  for (round = 0; round < 2; round++)
    {
      for (i = 0; i < n; i++)
        {
          guint k = round == 0 ? n - 1 - i : i;
          gboolean done = pykka_coroutine_resume (cos[k]);

          g_assert_true (done == (round == 1));
        }
    }

  for (i = 0; i < n; i++)
    {
      g_assert_true (pykka_coroutine_is_finished (cos[i]));
      g_assert_cmpuint (ms[i].result, ==, i * 7u + 3u + i);
      pykka_coroutine_free (cos[i]);
    }

  g_free (ms);
  g_free (cos);
  pykka_stack_pool_free (pool);
}

/* ---- churn -------------------------------------------------------------- */

static void
churn_main (gpointer user_data)
{
  guint *counter = user_data;

  (*counter)++;
  pykka_coroutine_yield ();
  (*counter)++;
}

static void
test_churn (void)
{
  PykkaStackPool *pool;
  guint counter = 0;
  guint i;

  g_test_summary ("Many short-lived coroutines one after the other (under "
                  "TSan this reuses fibers well past the shadow stack size)");

  pool = pykka_stack_pool_new (2, STACK_SIZE);
  for (i = 0; i < 100000; i++)
    {
      PykkaCoroutine *a = pykka_coroutine_new (pool, churn_main, &counter);
      PykkaCoroutine *b = pykka_coroutine_new (pool, churn_main, &counter);

      g_assert_false (pykka_coroutine_resume (a));
      g_assert_false (pykka_coroutine_resume (b));
      g_assert_true (pykka_coroutine_resume (b));
      g_assert_true (pykka_coroutine_resume (a));
      pykka_coroutine_free (a);
      pykka_coroutine_free (b);
    }
  g_assert_cmpuint (counter, ==, 4 * 100000);
  pykka_stack_pool_free (pool);
}

/* ---- pykka_coroutine_self() --------------------------------------------- */

static void
check_self (gpointer user_data)
{
  PykkaCoroutine **seen = user_data;

  seen[0] = pykka_coroutine_self ();
  pykka_coroutine_yield ();
  seen[1] = pykka_coroutine_self ();
}

static void
test_self (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *a, *b;
  PykkaCoroutine *seen_a[2] = { NULL, NULL };
  PykkaCoroutine *seen_b[2] = { NULL, NULL };

  g_test_summary ("pykka_coroutine_self() is NULL outside and the running "
                  "coroutine inside");

  g_assert_null (pykka_coroutine_self ());

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  a = pykka_coroutine_new (pool, check_self, seen_a);
  b = pykka_coroutine_new (pool, check_self, seen_b);

  g_assert_false (pykka_coroutine_resume (a));
  g_assert_null (pykka_coroutine_self ());
  g_assert_false (pykka_coroutine_resume (b));
  g_assert_null (pykka_coroutine_self ());
  g_assert_true (pykka_coroutine_resume (a));
  g_assert_true (pykka_coroutine_resume (b));
  g_assert_null (pykka_coroutine_self ());

  g_assert_true (seen_a[0] == a);
  g_assert_true (seen_a[1] == a);
  g_assert_true (seen_b[0] == b);
  g_assert_true (seen_b[1] == b);

  pykka_coroutine_free (a);
  pykka_coroutine_free (b);
  pykka_stack_pool_free (pool);
}

/* ---- freeing suspended coroutines --------------------------------------- */

static void
yield_forever (gpointer user_data)
{
  guint *count = user_data;
  gchar buf[512];

  memset (buf, 'x', sizeof buf);
  for (;;)
    {
      (*count)++;
      pykka_coroutine_yield ();
      g_assert_cmpint (buf[100], ==, 'x');
    }
}

static void
test_free_suspended (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *a, *b, *c, *d;
  guint count_a = 0, count_b = 0, count_c = 0, count_d = 0;

  g_test_summary ("Suspended (occupant or saved) and never started "
                  "coroutines can be freed");

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  a = pykka_coroutine_new (pool, yield_forever, &count_a);
  b = pykka_coroutine_new (pool, yield_forever, &count_b);
  c = pykka_coroutine_new (pool, yield_forever, &count_c);
  d = pykka_coroutine_new (pool, yield_forever, &count_d);

  g_assert_false (pykka_coroutine_resume (a));
  g_assert_false (pykka_coroutine_resume (b));   /* a saved, b occupant */
  g_assert_false (pykka_coroutine_resume (a));
  g_assert_false (pykka_coroutine_resume (b));
  g_assert_cmpuint (count_a, ==, 2);
  g_assert_cmpuint (count_b, ==, 2);

  pykka_coroutine_free (b);   /* the occupant */
  g_assert_false (pykka_coroutine_resume (a));
  g_assert_cmpuint (count_a, ==, 3);
  g_assert_false (pykka_coroutine_resume (d));
  pykka_coroutine_free (a);   /* saved copy */
  pykka_coroutine_free (c);   /* never started */
  g_assert_false (pykka_coroutine_resume (d));
  g_assert_cmpuint (count_d, ==, 2);
  pykka_coroutine_free (d);

  pykka_stack_pool_free (pool);
}

/* ---- floating point ----------------------------------------------------- */

typedef struct
{
  double seed;
  double result;
  gboolean fpu_mode_ok;
} FloatData;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
# define HAVE_MXCSR 1
# define MXCSR_RC_MASK 0x6000u
# define MXCSR_RC_UP   0x4000u
static guint
get_mxcsr (void)
{
  return __builtin_ia32_stmxcsr ();
}
static void
set_mxcsr (guint v)
{
  __builtin_ia32_ldmxcsr (v);
}
#endif

static void
float_main (gpointer user_data)
{
  FloatData *fd = user_data;
  double a = fd->seed, b = fd->seed * 1.5, c = 0.0;
  gint i;

#ifdef HAVE_MXCSR
  guint saved_mxcsr = get_mxcsr ();
  /* Round upwards in this coroutine only. */
  set_mxcsr ((saved_mxcsr & ~MXCSR_RC_MASK) | MXCSR_RC_UP);
#endif

  fd->fpu_mode_ok = TRUE;
  for (i = 0; i < 20; i++)
    {
      c += a * b + i / 7.0;
      a = a * 1.0001 + 0.25;
      b = b / 1.0003 - 0.125;
      pykka_coroutine_yield ();
#ifdef HAVE_MXCSR
      if ((get_mxcsr () & MXCSR_RC_MASK) != MXCSR_RC_UP)
        fd->fpu_mode_ok = FALSE;
#endif
    }

#ifdef HAVE_MXCSR
  set_mxcsr (saved_mxcsr);
#endif
  fd->result = c + a + b;
}

static double
float_expected (double seed)
{
  double a = seed, b = seed * 1.5, c = 0.0;
  gint i;

  for (i = 0; i < 20; i++)
    {
      c += a * b + i / 7.0;
      a = a * 1.0001 + 0.25;
      b = b / 1.0003 - 0.125;
    }
  return c + a + b;
}

static void
test_float (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *cos[3];
  FloatData fds[3];
  double native = 2.0;
  guint i;
  gint alive = G_N_ELEMENTS (cos);

  g_test_summary ("Floating point values and FPU modes are preserved "
                  "across switches");

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  for (i = 0; i < G_N_ELEMENTS (cos); i++)
    {
      fds[i].seed = 1.0 + i * 0.37;
      fds[i].result = 0.0;
      fds[i].fpu_mode_ok = FALSE;
      cos[i] = pykka_coroutine_new (pool, float_main, &fds[i]);
    }

  while (alive > 0)
    {
      for (i = 0; i < G_N_ELEMENTS (cos); i++)
        {
          if (pykka_coroutine_is_finished (cos[i]))
            continue;
          if (pykka_coroutine_resume (cos[i]))
            alive--;
#ifdef HAVE_MXCSR
          /* The native side keeps its own rounding mode. */
          g_assert_cmpuint (get_mxcsr () & MXCSR_RC_MASK, ==, 0);
#endif
          native = native * 1.01 + 0.5;
        }
    }

  for (i = 0; i < G_N_ELEMENTS (cos); i++)
    {
      /* Computed in round-up mode: close to, not necessarily equal to. */
      g_assert_cmpfloat_with_epsilon (fds[i].result,
                                      float_expected (fds[i].seed),
                                      1e-6 * float_expected (fds[i].seed));
      g_assert_true (fds[i].fpu_mode_ok);
      pykka_coroutine_free (cos[i]);
    }
  g_assert_cmpfloat (native, >, 2.0);

  pykka_stack_pool_free (pool);
}

/* ---- deep recursion ----------------------------------------------------- */

typedef struct
{
  guint levels;
  guint64 sum;
} Deep;

static guint64
deep_recurse (guint level,
              guint levels)
{
  guint8 buf[1000];
  guint64 sum = 0;
  guint i;

  for (i = 0; i < sizeof buf; i++)
    buf[i] = (guint8) (level * 31 + i);

  if (level + 1 < levels)
    sum = deep_recurse (level + 1, levels);
  else
    pykka_coroutine_yield ();   /* at the bottom, ~100 KiB deep */

  for (i = 0; i < sizeof buf; i++)
    {
      g_assert_cmpuint (buf[i], ==, (guint8) (level * 31 + i));
      sum += buf[i];
    }
  return sum;
}

static void
deep_main (gpointer user_data)
{
  Deep *d = user_data;

  d->sum = deep_recurse (0, d->levels);
}

static void
test_deep_recursion (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *a, *b;
  Deep da = { 100, 0 }, db = { 100, 0 };
  guint64 expected = 0;
  guint level, i;

  g_test_summary ("About 100 KiB of stack within a 256 KiB stack, copied "
                  "out and back in");

  for (level = 0; level < 100; level++)
    for (i = 0; i < 1000; i++)
      expected += (guint8) (level * 31 + i);

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  a = pykka_coroutine_new (pool, deep_main, &da);
  b = pykka_coroutine_new (pool, deep_main, &db);

  g_assert_false (pykka_coroutine_resume (a));
  g_assert_false (pykka_coroutine_resume (b));   /* copies a out */
  /* Usually > 100 KB; much less under ASan with fake stacks, which keep
   * the locals on the heap. */
  g_assert_cmpuint (pykka_coroutine_get_memory_size (a), >, 0);
  g_assert_true (pykka_coroutine_resume (a));    /* copies b out, a in */
  g_assert_true (pykka_coroutine_resume (b));
  g_assert_cmpuint (da.sum, ==, expected);
  g_assert_cmpuint (db.sum, ==, expected);

  pykka_coroutine_free (a);
  pykka_coroutine_free (b);
  pykka_stack_pool_free (pool);
}

/* ---- memory size -------------------------------------------------------- */

static void
shallow_main (gpointer user_data)
{
  pykka_coroutine_yield ();
}

static void
test_memory_size (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *a, *b;
  gsize size;

  g_test_summary ("A shallow suspended coroutine holds little memory");

  pool = pykka_stack_pool_new (1, STACK_SIZE);
  a = pykka_coroutine_new (pool, shallow_main, NULL);
  b = pykka_coroutine_new (pool, shallow_main, NULL);

  g_assert_cmpuint (pykka_coroutine_get_memory_size (a), >, 0);
  g_assert_false (pykka_coroutine_resume (a));
  g_assert_false (pykka_coroutine_resume (b));   /* a is now copied out */

  size = pykka_coroutine_get_memory_size (a);
  g_test_message ("shallow suspended coroutine: %" G_GSIZE_FORMAT " bytes",
                  size);
  g_assert_cmpuint (size, >, 0);
  g_assert_cmpuint (size, <, 8 * 1024);

  g_assert_true (pykka_coroutine_resume (a));
  g_assert_true (pykka_coroutine_resume (b));
  pykka_coroutine_free (a);
  pykka_coroutine_free (b);
  pykka_stack_pool_free (pool);
}

/* ---- programmer errors -------------------------------------------------- */

static void
resume_other (gpointer user_data)
{
  PykkaCoroutine *other = user_data;

  /* Not allowed: resume is only for native stacks. */
  g_assert_false (pykka_coroutine_resume (other));
}

static void
test_misuse (void)
{
  g_test_summary ("Resuming from inside a coroutine and yielding outside "
                  "of one are reported as programmer errors");

  if (g_test_subprocess ())
    {
      PykkaStackPool *pool = pykka_stack_pool_new (1, STACK_SIZE);
      PykkaCoroutine *other = pykka_coroutine_new (pool, shallow_main, NULL);
      PykkaCoroutine *co = pykka_coroutine_new (pool, resume_other, other);

      pykka_coroutine_resume (co);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*pykka_coroutine_resume*");
}

static void
test_misuse_yield (void)
{
  g_test_summary ("Yielding from a native stack is a programmer error");

  if (g_test_subprocess ())
    {
      pykka_coroutine_yield ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*pykka_coroutine_yield*");
}

/* ---- stack overflow (issue 12, F12) ------------------------------------ */

#define OVERFLOW_STACK_SIZE (64 * 1024)

static const char *test_argv0;

/* Runs test @path of this program in a child (as g_test_trap_subprocess()
 * does) and checks that the child died of SIGSEGV. Returns its stderr. */
static char *
run_child_expecting_segv (const char *path)
{
  const char *argv[] = { test_argv0, "-q", "-p", path, "--GTestSubprocess", NULL };
  g_autofree char *out = NULL;
  char *err = NULL;
  g_autoptr(GError) error = NULL;
  gint status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("child stdout: %s\nchild stderr: %s", out, err);
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGSEGV)
    g_error ("The child did not die of SIGSEGV (wait status 0x%x); stdout: %s; stderr: %s",
             status, out, err);
  return err;
}

static void
no_core_dump (void)
{
  struct rlimit none = { 0, 0 };

  setrlimit (RLIMIT_CORE, &none);
}

static volatile guint overflow_limit = G_MAXUINT;

static G_GNUC_NO_INLINE guint
overflow_recurse (guint depth)
{
  volatile guint8 frame[256];

  frame[0] = (guint8) depth;
  if (depth >= overflow_limit)
    return frame[0];
  return overflow_recurse (depth + 1) + frame[0];
}

static void
recurse_main (gpointer user_data)
{
  overflow_recurse (0);
}

static void
test_overflow_recursion (void)
{
  g_autofree char *err = NULL;

  g_test_summary ("Unbounded recursion in a coroutine dies of SIGSEGV and names "
                  "the coroutine's owner on stderr");

  if (g_test_subprocess ())
    {
      PykkaStackPool *pool = pykka_stack_pool_new (2, OVERFLOW_STACK_SIZE);
      PykkaCoroutine *co = pykka_coroutine_new (pool, recurse_main, NULL);

      no_core_dump ();
      pykka_coroutine_set_description (co, "TestRecursiveActor", "urn:uuid:test-recursion");
      pykka_coroutine_resume (co);
      g_printerr ("survived the overflow\n");
      return;
    }

  err = run_child_expecting_segv ("/Pykka/Coroutine/overflow/recursion");
  g_assert_nonnull (strstr (err, "pykka-glib: stack overflow in a stackful handler of actor "
                                 "TestRecursiveActor (urn:uuid:test-recursion)"));
}

/* Two coroutines on the two stacks of a pool. The victim fills a large
 * local array and stays suspended; the other one, on the stack mapped
 * first (mmap usually puts the second mapping right below it), enters a
 * frame larger than its stack plus a page: that used to reach past the
 * single guard page into the victim's frames. */
#define VICTIM_SIZE (32 * 1024)

static G_GNUC_NO_INLINE void
large_frame (void)
{
  volatile guint8 frame[OVERFLOW_STACK_SIZE + 16 * 1024];

  frame[0] = 1;
  frame[sizeof frame - 1] = 1;
}

static void
large_frame_main (gpointer user_data)
{
  pykka_coroutine_yield ();  /* first resume: only maps its stack */
  large_frame ();
}

static void
victim_main (gpointer user_data)
{
  volatile guint8 frame[VICTIM_SIZE];

  for (gsize i = 0; i < sizeof frame; i++)
    frame[i] = 0xa5;
  pykka_coroutine_yield ();
  for (gsize i = 0; i < sizeof frame; i++)
    if (frame[i] != 0xa5)
      {
        g_printerr ("the neighbour's frame was overwritten at byte %" G_GSIZE_FORMAT "\n", i);
        *(gboolean *) user_data = TRUE;
        return;
      }
}

static void
test_overflow_large_frame (void)
{
  g_autofree char *err = NULL;

  g_test_summary ("A frame larger than the stack plus a page hits the guard "
                  "region instead of a suspended neighbour's stack");

  if (g_test_subprocess ())
    {
      PykkaStackPool *pool = pykka_stack_pool_new (2, OVERFLOW_STACK_SIZE);
      PykkaCoroutine *big = pykka_coroutine_new (pool, large_frame_main, NULL);
      gboolean overwritten = FALSE;
      PykkaCoroutine *victim = pykka_coroutine_new (pool, victim_main, &overwritten);

      no_core_dump ();
      pykka_coroutine_set_description (big, "TestLargeFrameActor", "urn:uuid:test-large-frame");
      g_assert_false (pykka_coroutine_resume (big));
      g_assert_false (pykka_coroutine_resume (victim));
      pykka_coroutine_resume (big);
      g_printerr ("survived the large frame\n");
      pykka_coroutine_resume (victim);
      if (!overwritten)
        g_printerr ("the neighbour survived, by luck of the memory layout\n");
      return;
    }

  err = run_child_expecting_segv ("/Pykka/Coroutine/overflow/large-frame");
  g_assert_null (strstr (err, "overwritten"));
  g_assert_nonnull (strstr (err, "pykka-glib: stack overflow in a stackful handler of actor "
                                 "TestLargeFrameActor (urn:uuid:test-large-frame)"));
}

/* ---- timing (informational only) ---------------------------------------- */

static void
ping_main (gpointer user_data)
{
  guint *remaining = user_data;

  while (*remaining > 0)
    {
      (*remaining)--;
      pykka_coroutine_yield ();
    }
}

static void
test_timing (void)
{
  PykkaStackPool *pool;
  PykkaCoroutine *a, *b;
  guint n = g_test_perf () ? 10000000 : 200000;
  guint remaining_a, remaining_b;
  gint64 start, end;

  g_test_summary ("Reports ns per yield+resume, without and with copying");

  /* No copy: one coroutine alone on its stack. */
  pool = pykka_stack_pool_new (1, STACK_SIZE);
  remaining_a = n;
  a = pykka_coroutine_new (pool, ping_main, &remaining_a);
  start = g_get_monotonic_time ();
  while (!pykka_coroutine_resume (a))
    ;
  end = g_get_monotonic_time ();
  g_test_message ("no-copy ping: %.1f ns per yield+resume",
                  (end - start) * 1000.0 / n);
  pykka_coroutine_free (a);

  /* Copy needed: two coroutines alternating on the same stack. */
  remaining_a = remaining_b = n / 2;
  a = pykka_coroutine_new (pool, ping_main, &remaining_a);
  b = pykka_coroutine_new (pool, ping_main, &remaining_b);
  start = g_get_monotonic_time ();
  for (;;)
    {
      gboolean done_a = pykka_coroutine_resume (a);
      gboolean done_b = pykka_coroutine_resume (b);

      if (done_a && done_b)
        break;
    }
  end = g_get_monotonic_time ();
  g_test_message ("copy ping: %.1f ns per yield+resume",
                  (end - start) * 1000.0 / (n + 2));
  pykka_coroutine_free (a);
  pykka_coroutine_free (b);
  pykka_stack_pool_free (pool);
}

int
main (int   argc,
      char *argv[])
{
  test_argv0 = argv[0];
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/Coroutine/run-to-completion",
                   test_run_to_completion);
  g_test_add_func ("/Pykka/Coroutine/yield-values", test_yield_values);
  g_test_add_func ("/Pykka/Coroutine/interleaved", test_interleaved);
  g_test_add_func ("/Pykka/Coroutine/many", test_many);
  g_test_add_func ("/Pykka/Coroutine/churn", test_churn);
  g_test_add_func ("/Pykka/Coroutine/self", test_self);
  g_test_add_func ("/Pykka/Coroutine/free-suspended", test_free_suspended);
  g_test_add_func ("/Pykka/Coroutine/float", test_float);
  g_test_add_func ("/Pykka/Coroutine/deep-recursion", test_deep_recursion);
  g_test_add_func ("/Pykka/Coroutine/memory-size", test_memory_size);
  g_test_add_func ("/Pykka/Coroutine/misuse/resume-inside", test_misuse);
  g_test_add_func ("/Pykka/Coroutine/misuse/yield-outside",
                   test_misuse_yield);
  g_test_add_func ("/Pykka/Coroutine/overflow/recursion", test_overflow_recursion);
  g_test_add_func ("/Pykka/Coroutine/overflow/large-frame", test_overflow_large_frame);
  g_test_add_func ("/Pykka/Coroutine/timing", test_timing);

  return g_test_run ();
}
