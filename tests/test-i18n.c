/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* GError messages are translated through the pykka-glib domain, bound
 * lazily. The catalogs come from the build tree (po/<lang>/LC_MESSAGES),
 * compiled by po/meson.build. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "test-util.h"

/* Fails a second completion of a future and returns the message. */
static char *
already_set_message (void)
{
  g_autoptr(PykkaFuture) future = pykka_future_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (pykka_future_set_value (future, NULL, NULL));
  g_assert_false (pykka_future_set_value (future, NULL, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET);
  return g_strdup (error->message);
}

/* The message of asking a stopped actor, with its urn replaced by URN. */
static char *
dead_actor_message (void)
{
  g_autoptr(PykkaActorRef) ref = test_start (TEST_TYPE_ACTOR, test_echo, NULL, NULL);
  g_autoptr(PykkaFuture) future = NULL;
  g_autoptr(GError) error = NULL;
  GValue message = G_VALUE_INIT;
  g_autofree char *urn = g_strdup (pykka_actor_ref_get_urn (ref));
  g_auto(GStrv) parts = NULL;

  g_assert_true (pykka_actor_ref_stop_sync (ref, TEST_TIMEOUT_MSEC, NULL));
  future = pykka_actor_ref_ask (ref, test_value_int (&message, 1));
  g_assert_null (pykka_future_get (future, 0, &error));
  g_assert_error (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD);

  parts = g_strsplit (error->message, urn, -1);
  return g_strjoinv ("URN", parts);
}

/* Switches the messages to @language, with the catalogs of the build
 * tree. Returns FALSE if the C library cannot. */
static gboolean
use_language (const char *language)
{
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *catalog = g_build_filename (localedir, language, "LC_MESSAGES",
                                               GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (catalog, G_FILE_TEST_EXISTS))
    g_error ("No catalog at %s: build the po/ targets first", catalog);

  /* The library binds its domain to the installed catalogs on its first
   * translated message; bind it to the build tree after that. */
  g_free (already_set_message ());
  bindtextdomain (GETTEXT_PACKAGE, localedir);

  /* LANGUAGE picks the catalog in any locale but "C"; C.UTF-8 is built
   * into glibc, so no locale needs to be installed. */
  g_setenv ("LANGUAGE", language, TRUE);
  return setlocale (LC_ALL, "C.UTF-8") != NULL;
}

static void
test_english_in_c_locale (void)
{
  g_autofree char *already_set = NULL;
  g_autofree char *dead = NULL;

  g_test_summary ("Without a translation, messages are the English msgids");

  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C");
  already_set = already_set_message ();
  dead = dead_actor_message ();
  g_assert_cmpstr (already_set, ==, "The future is already completed");
  g_assert_cmpstr (dead, ==, "Actor TestActor (URN) is dead");
}

static void
test_translated (gconstpointer data)
{
  const char * const *expected = data;
  g_autofree char *already_set = NULL;
  g_autofree char *dead = NULL;

  g_test_summary ("Switching the locale translates the GError messages, "
                  "placeholders included");

  if (!use_language (expected[0]))
    {
      g_test_skip ("The C library has no C.UTF-8 locale");
      return;
    }
  already_set = already_set_message ();
  dead = dead_actor_message ();
  g_assert_cmpstr (already_set, ==, expected[1]);
  g_assert_cmpstr (dead, ==, expected[2]);

  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C");
}

static const char * const german[] = {
  "de",
  "Das Future ist bereits abgeschlossen",
  "Aktor TestActor (URN) ist tot",
};

static const char * const french[] = {
  "fr",
  "Le futur est déjà terminé",
  "L’acteur TestActor (URN) est mort",
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pykka/I18n/english-in-c-locale", test_english_in_c_locale);
  g_test_add_data_func ("/Pykka/I18n/german", german, test_translated);
  g_test_add_data_func ("/Pykka/I18n/french", french, test_translated);

  return g_test_run ();
}
