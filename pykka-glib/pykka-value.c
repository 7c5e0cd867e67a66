/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* GValue helpers: lists of values, as futures of lists hold them (a
 * GPtrArray of owned `GValue *` in a G_TYPE_PTR_ARRAY value). The inline
 * copy and clear helpers are in pykka-private.h. */

#include "config.h"

#include "pykka-private.h"

static void
value_free (gpointer data)
{
  GValue *value = data;

  if (G_IS_VALUE (value))
    g_value_unset (value);
  g_free (value);
}

GPtrArray *
pykka_value_list_new (guint reserved)
{
  return g_ptr_array_new_full (reserved, value_free);
}

void
pykka_value_list_add (GPtrArray    *list,
                      const GValue *value)
{
  GValue *copy = g_new0 (GValue, 1);

  if (value != NULL && G_IS_VALUE (value))
    {
      pykka_value_init_copy (copy, value);
    }
  g_ptr_array_add (list, copy);
}
