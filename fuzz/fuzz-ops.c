/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the input is a sequence of operations (3 bytes each:
 * kind, a, b) played against the library and the reference model of
 * tests/reliability/model.c, with the same invariants as the model test.
 * Any divergence, crash, leak of an actor or future, or GLib warning
 * aborts. */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

#define MAX_OPS 160

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gboolean initialized;
  ModelOp ops[MAX_OPS];
  guint n_ops = MIN (size / 3, MAX_OPS);
  g_autofree char *divergence = NULL;

  if (!initialized)
    {
      initialized = TRUE;
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      model_quiet_logs ();
    }

  for (guint i = 0; i < n_ops; i++)
    {
      ops[i].kind = data[3 * i] % MODEL_OP_N_KINDS;
      ops[i].a = data[3 * i + 1];
      ops[i].b = data[3 * i + 2];
    }

  if (!model_run_sequence (ops, n_ops, &divergence))
    {
      g_autofree char *listing = model_format (ops, n_ops);

      fprintf (stderr, "Model divergence: %s\n%s", divergence, listing);
      abort ();
    }
  return 0;
}
