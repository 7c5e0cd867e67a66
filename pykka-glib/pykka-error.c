/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <locale.h>

#include "pykka-error.h"

#include "pykka-private.h"

/**
 * pykka_error_quark:
 *
 * Gets the error domain of pykka-glib. Use %PYKKA_ERROR in C.
 *
 * Returns: the #GQuark of the %PYKKA_ERROR domain
 */
G_DEFINE_QUARK (pykka-error-quark, pykka_error)

/* Binds the text domain on first use, so the library needs no
 * constructor. GError messages are UTF-8 whatever the locale's codeset.
 * A program that runs uninstalled may call bindtextdomain() for
 * GETTEXT_PACKAGE after the first translated message to use other
 * catalogs, as tests/test-i18n.c does. */
const char *
pykka_gettext (const char *msgid)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }

  return g_dgettext (GETTEXT_PACKAGE, msgid);
}
