/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for the decoding of values from another process
 * (issue 17.5): the input is a GVariant type string, a NUL byte, then the
 * serialised data, or (first byte 'M') a whole D-Bus message as it comes
 * off the wire. The data is decoded as untrusted, converted to a GValue
 * with pykka_dbus_value_from_variant() and, when that succeeds, back to a
 * GVariant. Any crash, leak or GLib warning aborts.
 *
 * Built without -DPYKKA_FUZZ_LIBFUZZER, it is a replay program over files
 * and directories (the corpus in fuzz/corpus-dbus, test fuzz-dbus-corpus). */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pykka-glib/pykka.h>

#include "replay.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
decode (GVariant *variant)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (pykka_dbus_value_from_variant (variant, &value, &error))
    {
      g_autoptr(GVariant) back = pykka_dbus_value_to_variant (&value, &error);

      /* Only a value too big or not UTF-8 after normalisation may fail. */
      if (back == NULL)
        g_assert_true (error->domain == PYKKA_ERROR);
    }
  else
    g_assert_true (error != NULL && error->domain == PYKKA_ERROR);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gboolean initialized;
  const uint8_t *nul;

  if (!initialized)
    {
      initialized = TRUE;
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    }

  if (size > 0 && data[0] == 'M')
    {
      g_autoptr(GDBusMessage) message = NULL;

      message = g_dbus_message_new_from_blob ((guchar *) data + 1, size - 1,
                                              G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
      if (message != NULL && g_dbus_message_get_body (message) != NULL)
        {
          GVariant *body = g_dbus_message_get_body (message);

          decode (body);
          if (g_variant_n_children (body) > 0)
            {
              g_autoptr(GVariant) first = g_variant_get_child_value (body, 0);

              decode (first);
            }
        }
      return 0;
    }

  nul = memchr (data, '\0', size);
  if (nul != NULL && g_variant_type_string_is_valid ((const char *) data)
      && g_variant_type_is_definite (G_VARIANT_TYPE ((const char *) data)))
    {
      const GVariantType *type = G_VARIANT_TYPE ((const char *) data);
      gsize offset = (gsize) (nul - data) + 1;
      g_autoptr(GBytes) bytes = g_bytes_new (data + offset, size - offset);
      g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (type, bytes, FALSE));

      decode (variant);
    }
  return 0;
}

#ifndef PYKKA_FUZZ_LIBFUZZER
int
main (int   argc,
      char *argv[])
{
  return fuzz_replay_main (argc, argv);
}
#endif
