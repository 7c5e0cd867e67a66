/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* futures.c: completing a future from another thread, waiting for it by
 * blocking and asynchronously, and deriving futures from futures. */

#include <pykka-glib/pykka.h>

static gpointer
compute_in_thread (gpointer data)
{
  g_autoptr(PykkaFuture) future = data;
  g_auto(GValue) answer = G_VALUE_INIT;

  g_value_set_int (g_value_init (&answer, G_TYPE_INT), 21);
  pykka_future_set_value (future, &answer, NULL);
  return NULL;
}

static gboolean
double_it (const GValue *value, GValue *result, gpointer user_data,
           GError **error)
{
  g_value_set_int (g_value_init (result, G_TYPE_INT), 2 * g_value_get_int (value));
  return TRUE;
}

static gboolean
add (const GValue *accumulator, const GValue *item, GValue *result,
     gpointer user_data, GError **error)
{
  g_value_set_int (g_value_init (result, G_TYPE_INT),
                   g_value_get_int (accumulator) + g_value_get_int (item));
  return TRUE;
}

static void
print_and_quit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value = pykka_future_get_finish (PYKKA_FUTURE (source), result, &error);

  if (value == NULL)
    g_error ("%s", error->message);
  g_print ("%d\n", g_value_get_int (value));
  g_main_loop_quit (loop);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  /* A future completed by another thread, waited for by blocking. */
  g_autoptr(PykkaFuture) future = pykka_future_new ();
  g_thread_unref (g_thread_new ("compute", compute_in_thread, g_object_ref (future)));
  const GValue *value = pykka_future_get (future, 5000, &error);
  if (value == NULL)
    g_error ("%s", error->message);
  g_print ("%d\n", g_value_get_int (value));  /* 21 */

  /* A second completion fails and changes nothing. */
  g_auto(GValue) other = G_VALUE_INIT;
  g_value_set_int (g_value_init (&other, G_TYPE_INT), 0);
  if (pykka_future_set_value (future, &other, &error))
    g_error ("Completed twice");
  g_print ("%s\n", error->message);  /* The future is already completed */
  g_clear_error (&error);

  /* map runs its function in this thread's main context: wait for the
   * derived future asynchronously, with the loop running. */
  g_autoptr(PykkaFuture) doubled = pykka_future_map (future, double_it, NULL, NULL);
  pykka_future_get_async (doubled, NULL, print_and_quit, loop);
  g_main_loop_run (loop);  /* 42 */

  /* join collects values in order; reduce folds them. */
  PykkaFuture *parts[3];
  for (int i = 0; i < 3; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;
      g_value_set_int (g_value_init (&v, G_TYPE_INT), i + 1);
      parts[i] = pykka_future_new_for_value (&v);
    }
  g_autoptr(PykkaFuture) all = pykka_future_join (parts, G_N_ELEMENTS (parts));
  g_autoptr(PykkaFuture) sum = pykka_future_reduce (all, add, NULL, NULL, NULL);
  pykka_future_get_async (sum, NULL, print_and_quit, loop);
  g_main_loop_run (loop);  /* 6 */

  /* get_all waits for each future in turn, like Pykka's get_all(). */
  g_autoptr(GPtrArray) values = pykka_future_get_all (parts, G_N_ELEMENTS (parts), 5000, &error);
  for (guint i = 0; i < values->len; i++)
    g_print ("%d ", g_value_get_int (g_ptr_array_index (values, i)));
  g_print ("\n");  /* 1 2 3 */

  for (int i = 0; i < 3; i++)
    g_object_unref (parts[i]);
  return 0;
}
