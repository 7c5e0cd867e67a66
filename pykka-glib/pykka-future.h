/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pykka-version-macros.h"

G_BEGIN_DECLS

#define PYKKA_TYPE_FUTURE (pykka_future_get_type ())

PYKKA_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (PykkaFuture, pykka_future, PYKKA, FUTURE, GObject)

/**
 * PykkaFutureMapFunc:
 * @value: the value of the source future
 * @result: (out caller-allocates): where to store the mapped value
 * @user_data: the data given to [method@Pykka.Future.map]
 * @error: return location for an error
 *
 * Computes the value of a mapped future from the value of its source.
 * %TRUE with @error set counts as a failure (@result is dropped).
 *
 * Returns: %TRUE with @result set, or %FALSE with @error set
 */
typedef gboolean (*PykkaFutureMapFunc) (const GValue  *value,
                                        GValue        *result,
                                        gpointer       user_data,
                                        GError       **error);

/**
 * PykkaFutureFilterFunc:
 * @item: one element of the source future's list
 * @user_data: the data given to [method@Pykka.Future.filter]
 *
 * Decides whether an element stays in a filtered future.
 *
 * Returns: %TRUE to keep @item
 */
typedef gboolean (*PykkaFutureFilterFunc) (const GValue *item,
                                           gpointer      user_data);

/**
 * PykkaFutureReduceFunc:
 * @accumulator: the value accumulated so far
 * @item: the next element of the source future's list
 * @result: (out caller-allocates): where to store the new accumulated value
 * @user_data: the data given to [method@Pykka.Future.reduce]
 * @error: return location for an error
 *
 * Folds one element into the accumulated value of a reduced future.
 * %TRUE with @error set counts as a failure: the reduce stops there.
 *
 * Returns: %TRUE with @result set, or %FALSE with @error set
 */
typedef gboolean (*PykkaFutureReduceFunc) (const GValue  *accumulator,
                                           const GValue  *item,
                                           GValue        *result,
                                           gpointer       user_data,
                                           GError       **error);

PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_new          (void) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_new_for_value (const GValue *value) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_new_for_error (const GError *error) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
gboolean      pykka_future_set_value    (PykkaFuture          *self,
                                         const GValue         *value,
                                         GError              **error);
PYKKA_AVAILABLE_IN_ALL
gboolean      pykka_future_set_error    (PykkaFuture          *self,
                                         const GError         *failure,
                                         GError              **error);
PYKKA_AVAILABLE_IN_ALL
gboolean      pykka_future_is_done      (PykkaFuture          *self);
PYKKA_AVAILABLE_IN_ALL
const GValue *pykka_future_get          (PykkaFuture          *self,
                                         gint                  timeout_msec,
                                         GError              **error);
PYKKA_AVAILABLE_IN_ALL
GValue       *pykka_future_dup_value    (PykkaFuture          *self,
                                         gint                  timeout_msec,
                                         GError              **error);
PYKKA_AVAILABLE_IN_ALL
void          pykka_future_get_async    (PykkaFuture          *self,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
PYKKA_AVAILABLE_IN_ALL
const GValue *pykka_future_get_finish   (PykkaFuture          *self,
                                         GAsyncResult         *result,
                                         GError              **error);
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_map          (PykkaFuture          *self,
                                         PykkaFutureMapFunc    func,
                                         gpointer              user_data,
                                         GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_filter       (PykkaFuture          *self,
                                         PykkaFutureFilterFunc func,
                                         gpointer              user_data,
                                         GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_reduce       (PykkaFuture          *self,
                                         PykkaFutureReduceFunc func,
                                         const GValue         *initial,
                                         gpointer              user_data,
                                         GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
PykkaFuture  *pykka_future_join         (PykkaFuture         **futures,
                                         guint                 n_futures) G_GNUC_WARN_UNUSED_RESULT;
PYKKA_AVAILABLE_IN_ALL
GPtrArray    *pykka_future_get_all      (PykkaFuture         **futures,
                                         guint                 n_futures,
                                         gint                  timeout_msec,
                                         GError              **error);

G_END_DECLS
