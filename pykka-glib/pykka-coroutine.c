/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stackful coroutines on shared ("copied") stacks; see
 * pykka-coroutine-private.h for the semantics and the traps.
 *
 * Two context switch back ends:
 *   - x86-64 SysV: a hand-written register switch (pykka_coroutine_switch,
 *     top-level asm below) that saves rbx, rbp, r12-r15, MXCSR and the x87
 *     control word on the stack being left and stores rsp in a slot;
 *   - everything else, or when PYKKA_COROUTINE_FORCE_UCONTEXT is defined:
 *     getcontext/makecontext/swapcontext.
 */

#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "pykka-coroutine-private.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>


#if defined(__x86_64__) && defined(__ELF__) && !defined(_WIN32) && \
    !defined(PYKKA_COROUTINE_FORCE_UCONTEXT)
# define PYKKA_COROUTINE_ASM_X86_64 1
#else
# define PYKKA_COROUTINE_UCONTEXT 1
# include <ucontext.h>
#endif

#ifndef MAP_NORESERVE
# define MAP_NORESERVE 0
#endif
#ifndef MAP_STACK
# define MAP_STACK 0
#endif
#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
# define MAP_ANONYMOUS MAP_ANON
#endif

/* ---- sanitizer / valgrind detection ------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
# define PYKKA_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define PYKKA_ASAN 1
# endif
#endif

#if defined(__SANITIZE_THREAD__)
# define PYKKA_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define PYKKA_TSAN 1
# endif
#endif

#ifdef PYKKA_ASAN
# include <sanitizer/common_interface_defs.h>
# include <sanitizer/asan_interface.h>
#endif
#ifdef PYKKA_TSAN
# include <sanitizer/tsan_interface.h>
/* Not in the public header, but exported by every TSan runtime: pops one
 * entry of the current fiber's shadow call stack. GCC knows it as a
 * built-in taking a (useless) pointer. */
# ifdef __clang__
extern void __tsan_func_exit (void);
#  define PYKKA_TSAN_FUNC_EXIT() __tsan_func_exit ()
# else
extern void __tsan_func_exit (void *);
#  define PYKKA_TSAN_FUNC_EXIT() __tsan_func_exit (NULL)
# endif
#endif

#if defined(__has_include)
# if __has_include(<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
#  define PYKKA_VALGRIND 1
# endif
# if __has_include(<valgrind/memcheck.h>)
#  include <valgrind/memcheck.h>
# endif
#endif

/* Memcheck marks the part of a stack below its stack pointer as
 * inaccessible whenever the stack shrinks, so stack bytes written from the
 * outside (restoring a copy, writing an initial frame) must be made
 * addressable first. No-op when not running on valgrind. */
#ifdef VALGRIND_MAKE_MEM_UNDEFINED
# define PYKKA_MAKE_WRITABLE(p, n) \
  ((void) VALGRIND_MAKE_MEM_UNDEFINED ((p), (n)))
#else
# define PYKKA_MAKE_WRITABLE(p, n) ((void) 0)
#endif

#if defined(__GNUC__) || defined(__clang__)
# define PYKKA_ALWAYS_INLINE __attribute__((always_inline))
#else
# define PYKKA_ALWAYS_INLINE
#endif

/* ---- data structures --------------------------------------------------- */

/* The guard region below every stack: PROT_NONE, reserved address space
 * only. A frame must be larger than the whole stack plus the guard region
 * to jump it, and code built with -fstack-clash-protection (the library
 * and its tests are, see meson.build) probes every page of a large frame,
 * so it hits the guard whatever the frame's size (issue 12, F12). */
#define PYKKA_GUARD_MIN_SIZE (64 * 1024)

/* The alternate signal stack the overflow report runs on. */
#define PYKKA_ALTSTACK_SIZE  (64 * 1024)

typedef struct
{
  /* Start of the mmap (the guard region); NULL until the stack is first used. */
  guint8 *mapping;
  /* Lowest usable byte, just above the guard region. */
  guint8 *base;
  /* One past the highest usable byte; 16-byte aligned. base < top. */
  guint8 *top;
  /* The coroutine whose frames are physically on this stack, or NULL.
   * Invariant: occupant is started, not finished, and its saved_size is 0
   * (its bytes are on the stack, not in its buffer). */
  PykkaCoroutine *occupant;
#ifdef PYKKA_ASAN
  /* Lowest stack address that may carry stale ASan poisoning from frames
   * that were live at some suspension point; [asan_dirty_low, top) is
   * unpoisoned whenever the occupant changes. */
  guint8 *asan_dirty_low;
#endif
#ifdef PYKKA_VALGRIND
  guint valgrind_id;
#endif
} PykkaStack;

/* The largest save buffer a finished coroutine keeps for the next one. */
#define PYKKA_SPARE_SAVED_MAX (64 * 1024)
/* Finished coroutines a pool keeps for reuse. */
#define PYKKA_MAX_SPARES 32
/* Stacks pykka_coroutine_new() looks at for one without a suspended
 * occupant. */
#define PYKKA_STACK_LOOKS 4

struct _PykkaStackPool
{
  PykkaStack *stacks;    /* n_stacks entries, mapped lazily */
  guint n_stacks;        /* > 0 */
  guint next_stack;      /* round-robin index into stacks, < n_stacks */
  gsize stack_size;      /* usable bytes per stack, multiple of page_size */
  gsize guard_size;      /* PROT_NONE bytes below each stack, multiple of page_size */
  gsize page_size;
  guint n_coroutines;    /* live (not freed) coroutines of this pool */
  /* Finished coroutines kept by pykka_coroutine_recycle() with their
   * save buffers, for the next pykka_coroutine_new()s (a stackful actor
   * starts one per message; a chain of N actors asking each other ends N
   * at once), linked through ->user_data, at most PYKKA_MAX_SPARES. Only
   * the pool's thread touches them. */
  PykkaCoroutine *spare;
  guint n_spares;

  /* Context of the native stack that called pykka_coroutine_resume(), valid
   * while one of our coroutines runs. Only one coroutine of a pool runs at a
   * time and resume is never nested, so one slot per pool suffices. */
#ifdef PYKKA_COROUTINE_ASM_X86_64
  void *native_sp;
#else
  ucontext_t native_uc;
#endif
#ifdef PYKKA_ASAN
  gsize asan_shadow_scale;     /* from __asan_get_shadow_mapping() */
  gsize asan_shadow_offset;
  void *asan_native_fake_stack;
  const void *asan_native_bottom;
  gsize asan_native_size;
#endif
#ifdef PYKKA_TSAN
  void *tsan_native_fiber;
  /* TSan fibers of finished coroutines, with an empty shadow call stack,
   * for reuse: creating a fiber costs an mmap, and GCC's libtsan slows
   * down with (and limits) the number of fibers ever alive at once. */
  GPtrArray *tsan_spare_fibers;
#endif
};

struct _PykkaCoroutine
{
  PykkaStackPool *pool;
  /* Stack assigned at creation; never changes. */
  PykkaStack *stack;
  PykkaCoroutineFunc func;
  gpointer user_data;
  /* While suspended: lowest stack address holding live data of the
   * coroutine (the saved rsp for the asm back end), so [sp, stack->top) is
   * what needs to be preserved. NULL before the start and after the end. */
  guint8 *sp;
  /* Copy of [sp, stack->top) while the coroutine is suspended and not the
   * occupant of its stack (saved_size > 0 then); kept allocated for reuse
   * afterwards. saved_size <= saved_capacity. */
  guint8 *saved;
  gsize saved_size;
  gsize saved_capacity;
  /* Borrowed names for the overflow report (see set_description). */
  const char *type_name;
  const char *urn;
  guint started : 1;     /* has been resumed at least once */
  guint finished : 1;    /* func has returned; implies !occupant */
#ifdef PYKKA_COROUTINE_UCONTEXT
  ucontext_t uc;
  /* [sp, sp + sp_slack) is a safety margin below the real stack pointer
   * at the last yield: saved along, but not live data. */
  gsize sp_slack;
#endif
#ifdef PYKKA_ASAN
  void *asan_fake_stack;
#endif
#ifdef PYKKA_TSAN
  /* TSan fiber, only while started and not finished: GCC's libtsan
   * limits the number of live fibers (threads) to about 8000. */
  void *tsan_fiber;
#endif
};

/* The coroutine running on this thread, NULL on a native stack. In the
 * initial-exec TLS model, as pykka_thread_current: one load, where the
 * default model of a shared library calls __tls_get_addr() on every
 * suspension and resume (two pointers' worth fits the static TLS that
 * glibc keeps for libraries loaded later). */
static __thread PykkaCoroutine *pykka_current __attribute__ ((tls_model ("initial-exec")));

/* ---- the register switch ------------------------------------------------ */

#ifdef PYKKA_COROUTINE_ASM_X86_64

/* void pykka_coroutine_switch (void **from_sp, void **to_sp);
 *
 * Pushes the callee-saved registers and the FPU control words on the current
 * stack, stores rsp in *from_sp, loads rsp from *to_sp and pops the same
 * layout from there, loading the FPU control words only when they differ
 * from the current ones. Frame layout, from the saved rsp upwards:
 *   [MXCSR (4) | x87 CW (4)] r15 r14 r13 r12 rbx rbp <return address>
 */
G_GNUC_INTERNAL void pykka_coroutine_switch (void **from_sp,
                                             void **to_sp);

__asm__ (
  ".pushsection .text\n"
  ".globl pykka_coroutine_switch\n"
  ".hidden pykka_coroutine_switch\n"
  ".type pykka_coroutine_switch,@function\n"
  ".p2align 4\n"
  "pykka_coroutine_switch:\n"
  "  .cfi_startproc\n"
  "  pushq %rbp\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %rbp, 0\n"
  "  pushq %rbx\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %rbx, 0\n"
  "  pushq %r12\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %r12, 0\n"
  "  pushq %r13\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %r13, 0\n"
  "  pushq %r14\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %r14, 0\n"
  "  pushq %r15\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  .cfi_rel_offset %r15, 0\n"
  /* Zeroed first: fnstcw writes 2 of the 4 bytes of its slot. */
  "  pushq $0\n"
  "  .cfi_adjust_cfa_offset 8\n"
  "  stmxcsr (%rsp)\n"
  "  fnstcw 4(%rsp)\n"
  "  movq %rsp, (%rdi)\n"
  "  movq (%rsp), %rax\n"
  /* The target stack has the same layout, so the CFI stays valid. */
  "  movq (%rsi), %rsp\n"
  /* Loading the FPU modes is slow (fldcw, ldmxcsr): only when they
   * differ, which they almost never do. */
  "  cmpq (%rsp), %rax\n"
  "  je 1f\n"
  "  ldmxcsr (%rsp)\n"
  "  fldcw 4(%rsp)\n"
  "1:\n"
  "  addq $8, %rsp\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  popq %r15\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %r15\n"
  "  popq %r14\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %r14\n"
  "  popq %r13\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %r13\n"
  "  popq %r12\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %r12\n"
  "  popq %rbx\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %rbx\n"
  "  popq %rbp\n"
  "  .cfi_adjust_cfa_offset -8\n"
  "  .cfi_restore %rbp\n"
  "  ret\n"
  "  .cfi_endproc\n"
  ".size pykka_coroutine_switch,.-pykka_coroutine_switch\n"
  ".popsection\n"
);

#define PYKKA_INIT_FRAME_SIZE (9 * sizeof (guint64))

#endif /* PYKKA_COROUTINE_ASM_X86_64 */

/* ---- stack copying ------------------------------------------------------ */

#ifdef PYKKA_ASAN
/* The stack area contains ASan redzones; read it without instrumentation
 * and without memcpy (which ASan intercepts and checks). Both pointers and
 * n are multiples of 8. */
__attribute__((no_sanitize_address)) G_GNUC_NO_INLINE static void
pykka_stack_copy (void       *dest,
                  const void *src,
                  gsize       n)
{
  volatile guint64 *d = dest;
  const volatile guint64 *s = src;
  gsize i;

  for (i = 0; i < n / sizeof (guint64); i++)
    d[i] = s[i];
}
#else
# define pykka_stack_copy(d, s, n) memcpy ((d), (s), (n))
#endif

#ifdef PYKKA_ASAN
/* ASan's shadow bytes of a saved stack area are saved and restored along
 * with it (after the stack bytes in the same buffer), so that the redzones
 * of frames that are live across a copy keep being checked. Returns the
 * number of shadow bytes covering [sp, sp + size), or 0 when the area is not
 * granule-aligned (then the area is just left unpoisoned). */
static gsize
pykka_asan_shadow_len (PykkaStackPool *pool,
                       const guint8   *sp,
                       gsize           size)
{
  gsize granule = (gsize) 1 << pool->asan_shadow_scale;

  if (pool->asan_shadow_scale == 0 ||
      ((guintptr) sp & (granule - 1)) != 0 || (size & (granule - 1)) != 0)
    return 0;
  return size >> pool->asan_shadow_scale;
}

static guint8 *
pykka_asan_shadow_addr (PykkaStackPool *pool,
                        const guint8   *addr)
{
  return (guint8 *) (((guintptr) addr >> pool->asan_shadow_scale) +
                     pool->asan_shadow_offset);
}

__attribute__((no_sanitize_address)) G_GNUC_NO_INLINE static void
pykka_asan_copy_bytes (guint8       *dest,
                       const guint8 *src,
                       gsize         n)
{
  volatile guint8 *d = dest;
  const volatile guint8 *s = src;
  gsize i;

  for (i = 0; i < n; i++)
    d[i] = s[i];
}
#endif

/* Moves the live part of the suspended occupant @co into its buffer. */
static void
pykka_coroutine_save (PykkaCoroutine *co)
{
  PykkaStack *stack = co->stack;
  gsize size = stack->top - co->sp;
  gsize needed = size;
#ifdef PYKKA_ASAN
  gsize shadow_len = pykka_asan_shadow_len (co->pool, co->sp, size);

  needed += shadow_len;
#endif

  if (needed > co->saved_capacity || co->saved_capacity > 4 * needed + 4096)
    {
      g_free (co->saved);
      co->saved_capacity = (needed + 63) & ~(gsize) 63;
      co->saved = g_malloc (co->saved_capacity);
    }

#ifdef PYKKA_ASAN
  pykka_asan_copy_bytes (co->saved + size,
                         pykka_asan_shadow_addr (co->pool, co->sp),
                         shadow_len);
#endif

#ifdef PYKKA_COROUTINE_UCONTEXT
  /* The slack below the stack pointer may be marked inaccessible by
   * memcheck; it holds no live data. */
  PYKKA_MAKE_WRITABLE (co->sp, MIN (co->sp_slack, size));
#endif
  pykka_stack_copy (co->saved, co->sp, size);
  co->saved_size = size;
}

/* Puts the saved bytes of @co back at their original addresses. */
static void
pykka_coroutine_restore (PykkaCoroutine *co)
{
  /* Memcheck then propagates definedness through the copy itself. */
  PYKKA_MAKE_WRITABLE (co->sp, co->saved_size);
  pykka_stack_copy (co->sp, co->saved, co->saved_size);
#ifdef PYKKA_ASAN
  /* Must come after the unpoisoning of the stack in install(). */
  pykka_asan_copy_bytes (pykka_asan_shadow_addr (co->pool, co->sp),
                         co->saved + co->saved_size,
                         pykka_asan_shadow_len (co->pool, co->sp,
                                                co->saved_size));
#endif
  co->saved_size = 0;
}

/* ---- pool --------------------------------------------------------------- */

PykkaStackPool *
pykka_stack_pool_new (guint n_stacks,
                      gsize stack_size)
{
  PykkaStackPool *pool;
  long page_size;

  g_return_val_if_fail (n_stacks > 0, NULL);
  g_return_val_if_fail (stack_size > 0, NULL);

  page_size = sysconf (_SC_PAGESIZE);
  if (page_size <= 0)
    page_size = 4096;

  pool = g_new0 (PykkaStackPool, 1);
  pool->page_size = page_size;
  pool->stack_size = (stack_size + page_size - 1) & ~((gsize) page_size - 1);
  if (pool->stack_size < 4 * (gsize) page_size)
    pool->stack_size = 4 * (gsize) page_size;
  /* As large as the stack, at least 64 KiB. */
  pool->guard_size = MAX (pool->stack_size,
                          ((gsize) PYKKA_GUARD_MIN_SIZE + page_size - 1) & ~((gsize) page_size - 1));
  pool->n_stacks = n_stacks;
  pool->stacks = g_new0 (PykkaStack, n_stacks);
#ifdef PYKKA_ASAN
  {
    size_t scale = 0, offset = 0;

    __asan_get_shadow_mapping (&scale, &offset);
    pool->asan_shadow_scale = scale;
    pool->asan_shadow_offset = offset;
  }
#endif

  return pool;
}

/* ---- stack overflow report --------------------------------------------- */

/* A SIGSEGV handler, installed with the first mapped stack, that runs on
 * an alternate signal stack: a fault in the guard region of the coroutine
 * running on the faulting thread is a stack overflow, reported on stderr
 * with the coroutine's description before the default action (death by
 * SIGSEGV) runs. Every other fault goes to the handler that was there
 * before. Only async-signal-safe calls from the fault on. */
static struct sigaction pykka_previous_segv;

/* Per thread: the alternate signal stack this library installed, freed
 * when the thread ends. */
static void pykka_altstack_free (gpointer data);
static GPrivate pykka_altstack = G_PRIVATE_INIT (pykka_altstack_free);
static __thread gboolean pykka_altstack_checked __attribute__ ((tls_model ("initial-exec")));

static void
pykka_write_str (const char *str)
{
  gsize len = 0;

  while (str[len] != '\0')
    len++;
  while (len > 0)
    {
      ssize_t n = write (STDERR_FILENO, str, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      str += n;
      len -= n;
    }
}

static void
pykka_write_size (gsize value)
{
  char digits[32];
  gsize i = sizeof digits - 1;

  digits[i] = '\0';
  do
    {
      digits[--i] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value > 0 && i > 0);
  pykka_write_str (digits + i);
}

/* Back to the default action, delivered once the handler returns. */
static void
pykka_segv_default (int sig)
{
  struct sigaction dfl;

  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset (&dfl.sa_mask);
  sigaction (sig, &dfl, NULL);
  raise (sig);
}

static void
pykka_segv_handler (int        sig,
                    siginfo_t *info,
                    void      *ucontext)
{
  int saved_errno = errno;
  PykkaCoroutine *co = pykka_current;
  const guint8 *addr = info != NULL ? info->si_addr : NULL;

  if (co != NULL && co->stack->mapping != NULL &&
      addr >= co->stack->mapping && addr < co->stack->base)
    {
      pykka_write_str ("pykka-glib: stack overflow in a stackful handler");
      if (co->type_name != NULL)
        {
          pykka_write_str (" of actor ");
          pykka_write_str (co->type_name);
          if (co->urn != NULL)
            {
              pykka_write_str (" (");
              pykka_write_str (co->urn);
              pykka_write_str (")");
            }
        }
      pykka_write_str (": it used more than its stack of ");
      pykka_write_size (co->pool->stack_size / 1024);
      pykka_write_str (" KiB; keep large buffers on the heap\n");
      pykka_segv_default (sig);
    }
  else if (pykka_previous_segv.sa_flags & SA_SIGINFO)
    pykka_previous_segv.sa_sigaction (sig, info, ucontext);
  else if (pykka_previous_segv.sa_handler == SIG_DFL ||
           pykka_previous_segv.sa_handler == SIG_IGN)
    pykka_segv_default (sig);
  else
    pykka_previous_segv.sa_handler (sig);

  errno = saved_errno;
}

static void
pykka_install_segv_handler (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      struct sigaction action;

      memset (&action, 0, sizeof action);
      action.sa_sigaction = pykka_segv_handler;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset (&action.sa_mask);
      if (sigaction (SIGSEGV, &action, &pykka_previous_segv) != 0)
        g_warning ("pykka: cannot install the stack overflow handler: %s",
                   g_strerror (errno));
      g_once_init_leave (&installed, 1);
    }
}

static void
pykka_altstack_free (gpointer data)
{
  stack_t disable;

  memset (&disable, 0, sizeof disable);
  disable.ss_flags = SS_DISABLE;
  sigaltstack (&disable, NULL);
  g_free (data);
}

/* The handler needs a stack of its own on every thread that runs
 * coroutines: the overflowing one is unusable. An alternate stack that is
 * already there (the application's, a sanitizer's) is kept. */
G_GNUC_NO_INLINE static void
pykka_ensure_altstack (void)
{
  stack_t current;

  pykka_altstack_checked = TRUE;
  if (sigaltstack (NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE))
    return;

  current.ss_sp = g_malloc (PYKKA_ALTSTACK_SIZE);
  current.ss_size = PYKKA_ALTSTACK_SIZE;
  current.ss_flags = 0;
  if (sigaltstack (&current, NULL) != 0)
    {
      g_free (current.ss_sp);
      return;
    }
  g_private_set (&pykka_altstack, current.ss_sp);
}

static void
pykka_stack_map (PykkaStackPool *pool,
                 PykkaStack     *stack)
{
  gsize total = pool->stack_size + pool->guard_size;
  void *mapping;

  pykka_install_segv_handler ();

  mapping = mmap (NULL, total, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                  -1, 0);
  if (mapping == MAP_FAILED)
    g_error ("pykka: failed to map a coroutine stack of %" G_GSIZE_FORMAT
             " bytes: %s", total, g_strerror (errno));

  /* Guard region at the low end: the stack grows down into it. */
  if (mprotect (mapping, pool->guard_size, PROT_NONE) != 0)
    g_error ("pykka: failed to protect a coroutine stack guard region: %s",
             g_strerror (errno));

  stack->mapping = mapping;
  stack->base = stack->mapping + pool->guard_size;
  stack->top = stack->base + pool->stack_size;
#ifdef PYKKA_ASAN
  stack->asan_dirty_low = stack->top;
#endif
#ifdef PYKKA_VALGRIND
  stack->valgrind_id = VALGRIND_STACK_REGISTER (stack->base, stack->top);
#endif
}

void
pykka_stack_pool_free (PykkaStackPool *pool)
{
  guint i;

  g_return_if_fail (pool != NULL);
  g_return_if_fail (pool->n_coroutines == 0);

  for (i = 0; i < pool->n_stacks; i++)
    {
      PykkaStack *stack = &pool->stacks[i];

      if (stack->mapping == NULL)
        continue;
#ifdef PYKKA_VALGRIND
      VALGRIND_STACK_DEREGISTER (stack->valgrind_id);
#endif
#ifdef PYKKA_ASAN
      __asan_unpoison_memory_region (stack->base, stack->top - stack->base);
#endif
      munmap (stack->mapping, pool->stack_size + pool->guard_size);
    }

  while (pool->spare != NULL)
    {
      PykkaCoroutine *co = pool->spare;

      pool->spare = co->user_data;
      g_free (co->saved);
      g_free (co);
    }

#ifdef PYKKA_TSAN
  if (pool->tsan_spare_fibers != NULL)
    {
      for (i = 0; i < pool->tsan_spare_fibers->len; i++)
        __tsan_destroy_fiber (g_ptr_array_index (pool->tsan_spare_fibers, i));
      g_ptr_array_free (pool->tsan_spare_fibers, TRUE);
    }
#endif

  g_free (pool->stacks);
  g_free (pool);
}

/* ---- coroutines --------------------------------------------------------- */

PykkaCoroutine *
pykka_coroutine_new (PykkaStackPool    *pool,
                     PykkaCoroutineFunc func,
                     gpointer           user_data)
{
  PykkaCoroutine *co;

  g_return_val_if_fail (pool != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (pool->spare != NULL)
    {
      /* A finished coroutine: ->sp and ->saved_size are 0, its TSan
       * fiber went back to the pool (see resume()); it keeps its save
       * buffer. The rest is reset field by field (a memset of the whole
       * struct, large with ucontext, was a rep stos per message). */
      co = pool->spare;
      pool->spare = co->user_data;
      pool->n_spares--;
      co->type_name = NULL;
      co->urn = NULL;
      co->started = FALSE;
      co->finished = FALSE;
#ifdef PYKKA_COROUTINE_UCONTEXT
      co->sp_slack = 0;
#endif
#ifdef PYKKA_ASAN
      co->asan_fake_stack = NULL;
#endif
      g_assert (co->sp == NULL && co->saved_size == 0);
    }
  else
    co = g_new0 (PykkaCoroutine, 1);
  co->pool = pool;
  /* Round robin, but past stacks whose occupant is suspended (a few
   * looks): resuming on such a stack would copy the occupant away. */
  if (pool->stacks[pool->next_stack].occupant != NULL)
    {
      for (guint i = 1; i < MIN (PYKKA_STACK_LOOKS, pool->n_stacks); i++)
        {
          guint n = pool->next_stack + i;

          if (n >= pool->n_stacks)
            n -= pool->n_stacks;  /* (no division per look) */

          if (pool->stacks[n].occupant == NULL)
            {
              pool->next_stack = n;
              break;
            }
        }
    }
  co->stack = &pool->stacks[pool->next_stack];
  co->func = func;
  co->user_data = user_data;
  if (++pool->next_stack == pool->n_stacks)
    pool->next_stack = 0;
  pool->n_coroutines++;

  return co;
}

/* Switches from the native stack into @co (which is the occupant of its
 * stack, with its bytes in place) and back. */
PYKKA_ALWAYS_INLINE static inline void
pykka_coroutine_switch_in (PykkaStackPool *pool,
                           PykkaCoroutine *co)
{
#ifdef PYKKA_TSAN
  pool->tsan_native_fiber = __tsan_get_current_fiber ();
  __tsan_switch_to_fiber (co->tsan_fiber, 0);
#endif
#ifdef PYKKA_ASAN
  __sanitizer_start_switch_fiber (&pool->asan_native_fake_stack,
                                  co->stack->base,
                                  co->stack->top - co->stack->base);
#endif

#ifdef PYKKA_COROUTINE_ASM_X86_64
  pykka_coroutine_switch (&pool->native_sp, (void **) &co->sp);
#else
  if (swapcontext (&pool->native_uc, &co->uc) != 0)
    g_error ("pykka: swapcontext() failed: %s", g_strerror (errno));
#endif

#ifdef PYKKA_ASAN
  __sanitizer_finish_switch_fiber (pool->asan_native_fake_stack, NULL, NULL);
#endif
}

#ifdef PYKKA_COROUTINE_UCONTEXT
G_GNUC_NO_INLINE static guint8 *
pykka_coroutine_get_sp (void)
{
  return __builtin_frame_address (0);
}

/* With ucontext we do not know the exact stack pointer at the switch;
 * take one a safe margin below the current frame. */
static guint8 *
pykka_coroutine_approx_sp (PykkaCoroutine *co)
{
  guint8 *real = pykka_coroutine_get_sp ();
  guint8 *sp = (guint8 *) ((guintptr) (real - 256) & ~(guintptr) 15);

  if (sp < co->stack->base)
    sp = co->stack->base;
  co->sp_slack = real > sp ? (gsize) (real - sp) : 0;
  return sp;
}
#endif

/* Leaves the running coroutine @co for the native stack of its resumer. If
 * @finished, the fake stack of ASan is released and this never returns.
 * Always inlined: on the finishing path entry() must be the only frame
 * (TSan shadow call stack, see there). */
PYKKA_ALWAYS_INLINE static inline void
pykka_coroutine_switch_out (PykkaStackPool *pool,
                            PykkaCoroutine *co,
                            gboolean        finished)
{
#ifdef PYKKA_ASAN
  __sanitizer_start_switch_fiber (finished ? NULL : &co->asan_fake_stack,
                                  pool->asan_native_bottom,
                                  pool->asan_native_size);
#endif
#ifdef PYKKA_TSAN
  __tsan_switch_to_fiber (pool->tsan_native_fiber, 0);
#endif

#ifdef PYKKA_COROUTINE_ASM_X86_64
  pykka_coroutine_switch ((void **) &co->sp, &pool->native_sp);
#else
  co->sp = pykka_coroutine_approx_sp (co);
  if (finished)
    setcontext (&pool->native_uc);
  else if (swapcontext (&co->uc, &pool->native_uc) != 0)
    g_error ("pykka: swapcontext() failed: %s", g_strerror (errno));
#endif

#ifdef PYKKA_ASAN
  if (!finished)
    __sanitizer_finish_switch_fiber (co->asan_fake_stack,
                                     &pool->asan_native_bottom,
                                     &pool->asan_native_size);
#endif
}

G_GNUC_NORETURN static void
pykka_coroutine_entry (void)
{
  PykkaCoroutine *co = pykka_current;
  PykkaStackPool *pool = co->pool;

#ifdef PYKKA_ASAN
  __sanitizer_finish_switch_fiber (NULL,
                                   &pool->asan_native_bottom,
                                   &pool->asan_native_size);
#endif

  co->func (co->user_data);

  co->finished = TRUE;
#ifdef PYKKA_TSAN
  /* Pop our own shadow call stack entry (we never return), so that the
   * fiber can be reused by another coroutine with an empty shadow stack.
   * Nothing below may be an out-of-line instrumented call that does not
   * return. */
  PYKKA_TSAN_FUNC_EXIT ();
#endif
  pykka_coroutine_switch_out (pool, co, TRUE);

  /* Never resumed after finishing. */
  g_assert_not_reached ();
  abort ();
}

/* Writes the initial frame of @co on its stack, so that switching in starts
 * pykka_coroutine_entry(). */
static void
pykka_coroutine_init_frame (PykkaCoroutine *co)
{
  PykkaStack *stack = co->stack;

#ifdef PYKKA_COROUTINE_ASM_X86_64
  guint64 *frame = (guint64 *) (stack->top - PYKKA_INIT_FRAME_SIZE);
  guint32 mxcsr;
  guint16 fpucw;

  /* Start with the FPU modes of the resuming thread. */
  __asm__ volatile ("stmxcsr %0" : "=m" (mxcsr));
  __asm__ volatile ("fnstcw %0" : "=m" (fpucw));

  PYKKA_MAKE_WRITABLE (frame, PYKKA_INIT_FRAME_SIZE);
  frame[0] = (guint64) mxcsr | ((guint64) fpucw << 32);
  frame[1] = 0;                                  /* r15 */
  frame[2] = 0;                                  /* r14 */
  frame[3] = 0;                                  /* r13 */
  frame[4] = 0;                                  /* r12 */
  frame[5] = 0;                                  /* rbx */
  frame[6] = 0;                                  /* rbp */
  frame[7] = (guint64) (guintptr) pykka_coroutine_entry; /* ret target */
  frame[8] = 0;   /* fake return address of entry: ends backtraces, and
                   * leaves rsp == 8 mod 16 at entry as after a call */
  co->sp = (guint8 *) frame;
#else
  if (getcontext (&co->uc) != 0)
    g_error ("pykka: getcontext() failed: %s", g_strerror (errno));
  co->uc.uc_stack.ss_sp = stack->base;
  co->uc.uc_stack.ss_size = stack->top - stack->base;
  co->uc.uc_link = NULL;
  makecontext (&co->uc, pykka_coroutine_entry, 0);
  co->sp = stack->base;
#endif

  co->started = TRUE;
}

/* Slow path of resume: makes @co the occupant of its stack. */
G_GNUC_NO_INLINE static void
pykka_coroutine_install (PykkaStackPool *pool,
                         PykkaCoroutine *co)
{
  PykkaStack *stack = co->stack;

  if (G_UNLIKELY (stack->mapping == NULL))
    pykka_stack_map (pool, stack);

  if (stack->occupant != NULL)
    pykka_coroutine_save (stack->occupant);
  stack->occupant = NULL;

#ifdef PYKKA_ASAN
  if (stack->asan_dirty_low < stack->top)
    __asan_unpoison_memory_region (stack->asan_dirty_low,
                                   stack->top - stack->asan_dirty_low);
  stack->asan_dirty_low = stack->top;
#endif

  if (co->started)
    pykka_coroutine_restore (co);
  else
    {
      pykka_coroutine_init_frame (co);
#ifdef PYKKA_TSAN
      if (pool->tsan_spare_fibers != NULL && pool->tsan_spare_fibers->len > 0)
        co->tsan_fiber = g_ptr_array_steal_index_fast (pool->tsan_spare_fibers,
                                                       pool->tsan_spare_fibers->len - 1);
      else
        co->tsan_fiber = __tsan_create_fiber (0);
#endif
    }

  stack->occupant = co;
}

gboolean
pykka_coroutine_resume (PykkaCoroutine *co)
{
  /* One TLS address lookup (a __tls_get_addr call in a shared library);
   * a coroutine always returns to the thread of its resumer. */
  PykkaCoroutine **current = &pykka_current;
  PykkaStackPool *pool;
  PykkaStack *stack;

#if defined(__GNUC__) || defined(__clang__)
  /* Keeps the compiler from recomputing the address after the calls. */
  __asm__ ("" : "+r" (current));
#endif

  g_return_val_if_fail (co != NULL, FALSE);
  g_return_val_if_fail (!co->finished, TRUE);
  g_return_val_if_fail (*current == NULL, FALSE);

  pool = co->pool;
  stack = co->stack;

  if (G_UNLIKELY (!pykka_altstack_checked))
    pykka_ensure_altstack ();
  if (G_UNLIKELY (stack->occupant != co))
    pykka_coroutine_install (pool, co);

  *current = co;
  pykka_coroutine_switch_in (pool, co);
  *current = NULL;

#ifdef PYKKA_ASAN
  if (co->sp < stack->asan_dirty_low)
    stack->asan_dirty_low = co->sp;
#endif

  if (G_UNLIKELY (co->finished))
    {
      stack->occupant = NULL;
      co->sp = NULL;
      co->saved_size = 0;
      /* The buffer stays for pykka_coroutine_recycle(), unless large. */
      if (co->saved_capacity > PYKKA_SPARE_SAVED_MAX)
        {
          g_clear_pointer (&co->saved, g_free);
          co->saved_capacity = 0;
        }
#ifdef PYKKA_TSAN
      /* Its shadow call stack is empty again (see entry()): reusable. */
      if (pool->tsan_spare_fibers == NULL)
        pool->tsan_spare_fibers = g_ptr_array_new ();
      g_ptr_array_add (pool->tsan_spare_fibers, g_steal_pointer (&co->tsan_fiber));
#endif
      return TRUE;
    }

  return FALSE;
}

void
pykka_coroutine_yield (void)
{
  PykkaCoroutine *co = pykka_current;

  g_return_if_fail (co != NULL);

  pykka_coroutine_switch_out (co->pool, co, FALSE);
}

PykkaCoroutine *
pykka_coroutine_self (void)
{
  return pykka_current;
}

void
pykka_coroutine_free (PykkaCoroutine *co)
{
  if (co == NULL)
    return;

  g_return_if_fail (co != pykka_current);

  if (co->stack->occupant == co)
    co->stack->occupant = NULL;
  co->pool->n_coroutines--;
#ifdef PYKKA_TSAN
  g_clear_pointer (&co->tsan_fiber, __tsan_destroy_fiber);
#endif
  g_free (co->saved);
  g_free (co);
}

/* On the pool's thread, for a coroutine that just finished: keeps it
 * for the pool's next pykka_coroutine_new()s if the pool has fewer than
 * PYKKA_MAX_SPARES spares, else frees it. */
void
pykka_coroutine_recycle (PykkaCoroutine *co)
{
  PykkaStackPool *pool = co->pool;

  g_return_if_fail (co->finished && co != pykka_current);

  if (pool->n_spares >= PYKKA_MAX_SPARES)
    {
      pykka_coroutine_free (co);
      return;
    }
  pool->n_coroutines--;
  co->user_data = pool->spare;
  pool->spare = co;
  pool->n_spares++;
}

gsize
pykka_coroutine_get_memory_size (PykkaCoroutine *co)
{
  g_return_val_if_fail (co != NULL, 0);

  return sizeof (PykkaCoroutine) + co->saved_capacity;
}

gboolean
pykka_coroutine_is_finished (PykkaCoroutine *co)
{
  g_return_val_if_fail (co != NULL, FALSE);

  return co->finished;
}

void
pykka_coroutine_set_description (PykkaCoroutine *co,
                                 const char     *type_name,
                                 const char     *urn)
{
  g_return_if_fail (co != NULL);

  co->type_name = type_name;
  co->urn = urn;
}
