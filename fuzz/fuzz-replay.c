/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Runs the fuzz target over files and directories without libFuzzer, so
 * the corpus is a regression test in every build:
 *   fuzz-replay FILE|DIR...
 *   fuzz-replay --write-seeds DIR   (writes the model test's first seeds) */

#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "replay.h"

int
main (int argc, char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--write-seeds"))
    {
      for (guint seed = 1; seed <= 24; seed++)
        {
          g_autofree ModelOp *ops = model_generate (seed, 60);
          g_autofree char *name = g_strdup_printf ("%s/seed-%02u", argv[2], seed);
          guint8 bytes[3 * 60];

          for (guint i = 0; i < 60; i++)
            {
              bytes[3 * i] = ops[i].kind;
              bytes[3 * i + 1] = ops[i].a;
              bytes[3 * i + 2] = ops[i].b;
            }
          g_file_set_contents (name, (const char *) bytes, sizeof bytes, NULL);
        }
      return 0;
    }

  return fuzz_replay_main (argc, argv);
}
