/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-gio.h"

#include "pykka-private.h"

/*
 * GIO interop: a PykkaFuture completed by any GIO-style asynchronous call.
 *
 * The other direction needs nothing: pykka_future_get_async() and
 * pykka_future_get_finish() are an asynchronous pair in GIO's style, so a
 * future can be awaited wherever GIO code (Vala's yield, JavaScript's
 * await through Gio._promisify, a GTask) expects one.
 */

/**
 * pykka_future_set_async_result:
 * @self: a [class@Pykka.Future]
 * @result: the #GAsyncResult of a finished asynchronous call
 * @error: return location for an error
 *
 * Completes @self with @result, for the code that waits for the future
 * to pass to the call's finish function (g_file_load_contents_finish()
 * and the like). The value of the future is then a #GAsyncResult
 * object; [method@Pykka.Future.get] returns it.
 *
 * Returns: %TRUE, or %FALSE with %PYKKA_ERROR_ALREADY_SET when @self was
 *   completed already
 */
gboolean
pykka_future_set_async_result (PykkaFuture   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  GValue value = G_VALUE_INIT;
  gboolean ok;

  g_return_val_if_fail (PYKKA_IS_FUTURE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_value_init (&value, G_TYPE_ASYNC_RESULT);
  g_value_set_object (&value, result);
  ok = pykka_future_set_value (self, &value, error);
  g_value_unset (&value);
  return ok;
}

/**
 * pykka_future_ready_callback: (skip)
 * @source_object: (nullable): the object of the asynchronous call
 * @result: its result
 * @user_data: (transfer full): the [class@Pykka.Future] to complete
 *
 * A #GAsyncReadyCallback that completes the future given as @user_data
 * (whose reference it takes) with @result, as
 * [method@Pykka.Future.set_async_result] does: any GIO-style call then
 * completes a future without glue code. In a stackful handler, the wait
 * suspends only the actor (`docs/examples/c/file-reader.c`):
 *
 * ```c
 *   g_file_load_contents_async (file, pykka_actor_get_current_cancellable (actor),
 *                               pykka_future_ready_callback, g_object_ref (loaded));
 *   result = pykka_future_get (loaded, -1, error);
 *   if (result == NULL ||
 *       !g_file_load_contents_finish (file, g_value_get_object (result),
 *                                     &contents, &length, NULL, error))
 *     return FALSE;
 * ```
 */
void
pykka_future_ready_callback (GObject      *source_object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(PykkaFuture) future = user_data;

  g_return_if_fail (PYKKA_IS_FUTURE (future));

  pykka_future_set_async_result (future, result, NULL);
}
