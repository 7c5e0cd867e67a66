/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Model-based random test: seeded sequences of operations run against the
 * library and against the reference model in model.c. A divergence prints
 * the seed and the shortest failing sequence found.
 *
 * CI runs seeds 1..PYKKA_MODEL_SEEDS (default 300); PYKKA_MODEL_SEED=N runs
 * just seed N, PYKKA_MODEL_FIRST_SEED moves the range. */

#include "config.h"

#include <stdlib.h>

#include "model.h"

#define N_OPS 80

static guint
env_uint (const char *name, guint fallback)
{
  const char *v = g_getenv (name);

  return v != NULL && *v != '\0' ? (guint) g_ascii_strtoull (v, NULL, 10) : fallback;
}

static void
test_random_sequences (void)
{
  guint first = env_uint ("PYKKA_MODEL_FIRST_SEED", 1);
  guint n_seeds = env_uint ("PYKKA_MODEL_SEEDS", 300);
  guint n_ops = env_uint ("PYKKA_MODEL_OPS", N_OPS);
  guint only = env_uint ("PYKKA_MODEL_SEED", 0);

  g_test_summary ("Random sequences of start/tell/ask/stop/stop_all/future operations behave as the reference model of Pykka says");

  if (only != 0)
    {
      first = only;
      n_seeds = 1;
    }

  for (guint seed = first; seed < first + n_seeds; seed++)
    {
      g_autofree ModelOp *ops = model_generate (seed, n_ops);
      g_autofree char *divergence = NULL;

      if (!model_run_sequence (ops, n_ops, &divergence))
        {
          g_autofree char *shortest_divergence = NULL;
          g_autofree char *listing = NULL;
          guint n = model_shrink (ops, n_ops);

          model_run_sequence (ops, n, &shortest_divergence);
          listing = model_format (ops, n);
          g_printerr ("Model divergence with seed %u (PYKKA_MODEL_SEED=%u to replay):\n  %s\n"
                      "Shortest failing sequence (%u operations): %s\n%s",
                      seed, seed, divergence, n,
                      shortest_divergence ? shortest_divergence : "(passes when shrunk)", listing);
          g_test_fail_printf ("seed %u diverged: %s", seed, divergence);
          return;
        }
    }
  g_test_message ("MODEL-FIGURES: %u seeds, %" G_GUINT64_FORMAT " operations", n_seeds, model_get_ops_run ());
}

/* Hand-written sequences for the cases the generator finds rarely. */
static void
test_fixed_sequences (void)
{
  static const ModelOp seqs[][8] = {
    /* ask a stackful actor that waits for a user future, then fail it */
    { { MODEL_OP_START, 0, 4 }, { MODEL_OP_ASK, 0, 5 }, { MODEL_OP_RUN, 0, 0 },
      { MODEL_OP_FUTURE_FAIL, 0, 0 }, { MODEL_OP_RUN, 0, 0 }, { MODEL_OP_GET, 0, 0 } },
    /* a tell that waits for a user future which fails stops the actor */
    { { MODEL_OP_START, 1, 0 }, { MODEL_OP_TELL, 1, 2 }, { MODEL_OP_ASK, 1, 0 },
      { MODEL_OP_RUN, 0, 0 }, { MODEL_OP_FUTURE_FAIL, 0, 0 }, { MODEL_OP_RUN, 0, 0 } },
    /* stop itself twice, stop from outside, stop_all */
    { { MODEL_OP_START, 2, 3 }, { MODEL_OP_TELL, 2, 3 }, { MODEL_OP_ASK, 2, 9 },
      { MODEL_OP_STOP, 2, 0 }, { MODEL_OP_STOP_ALL, 0, 0 }, { MODEL_OP_RUN, 0, 0 } },
    /* on_start fails with mail queued */
    { { MODEL_OP_START, 3, 2 }, { MODEL_OP_ASK, 3, 0 }, { MODEL_OP_STOP, 3, 0 },
      { MODEL_OP_GET, 0, 0 }, { MODEL_OP_GET, 1, 0 } },
  };

  g_test_summary ("Hand-picked sequences agree with the model");

  for (guint i = 0; i < G_N_ELEMENTS (seqs); i++)
    {
      g_autofree char *divergence = NULL;
      guint n = 0;

      while (n < G_N_ELEMENTS (seqs[i]) && (n == 0 || seqs[i][n].kind != 0 || seqs[i][n].a != 0 || seqs[i][n].b != 0))
        n++;
      if (!model_run_sequence (seqs[i], n, &divergence))
        {
          g_autofree char *listing = model_format (seqs[i], n);

          g_test_fail_printf ("fixed sequence %u diverged: %s\n%s", i, divergence, listing);
        }
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  model_quiet_logs ();

  g_test_add_func ("/Pykka/Model/fixed-sequences", test_fixed_sequences);
  g_test_add_func ("/Pykka/Model/random-sequences", test_random_sequences);

  return g_test_run ();
}
