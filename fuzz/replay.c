/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <stdio.h>

#include <glib.h>

#include "replay.h"

static guint n_inputs;

static void
replay_path (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        replay_path (names->pdata[i]);
      return;
    }
  if (!g_file_get_contents (path, &contents, &length, NULL))
    g_error ("Cannot read %s", path);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
  n_inputs++;
}

int
fuzz_replay_main (int   argc,
                  char *argv[])
{
  for (int i = 1; i < argc; i++)
    {
      /* GTest-style options given to every test (meson --test-args). */
      if (argv[i][0] == '-')
        {
          if ((g_str_equal (argv[i], "-s") || g_str_equal (argv[i], "-p")) && i + 1 < argc)
            i++;
          continue;
        }
      replay_path (argv[i]);
    }
  printf ("1..1\nok 1 replayed %u inputs\n", n_inputs);
  return 0;
}
