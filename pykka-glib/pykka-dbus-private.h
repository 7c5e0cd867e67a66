/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by pykka-dbus-value.c, pykka-dbus.c (exports, the connection
 * filter), pykka-remote-ref.c and pykka-subprocess.c (issue 17). */

#include <gio/gio.h>

#include "pykka-dbus.h"
#include "pykka-remote-ref.h"
#include "pykka-terminated.h"

G_BEGIN_DECLS

/* The path at which a subprocess helper exports its actor. */
#define PYKKA_DBUS_HOST_PATH "/org/pykka/Actor"

void      pykka_dbus_ensure_errors        (void);
GError   *pykka_dbus_error_from_message   (GDBusMessage *message);
gboolean  pykka_dbus_error_is_peer_gone   (const GError *error);
gboolean  pykka_dbus_check_nesting        (GVariant     *body,
                                           GError      **error);

/* What pykka-glib keeps per connection: one filter (run in GDBus's worker
 * thread for every incoming message) takes the replies to remote asks
 * (@pending: serial → PykkaRemotePending) and the calls to exported
 * actors (@exports: "path\ninterface" → export). Both tables are under
 * @mutex, a leaf lock; the filter calls out only after releasing it. */
typedef struct
{
  gatomicrefcount  ref_count;
  GMutex           mutex;
  GHashTable      *pending;
  GHashTable      *exports;
  gint             in_filter;   /* atomic: calls the filter is handling */
  gint             owed;        /* atomic: replies that hooks will send */
} PykkaDBusConn;

PykkaDBusConn *pykka_dbus_conn_get (GDBusConnection *connection);

/* pykka-remote-ref.c: a pending ask, completed by its reply from the
 * filter (which stole it from the table) or failed when it is freed
 * undone (the connection's finalization). */
void      pykka_remote_pending_complete (gpointer      pending,
                                         GDBusMessage *reply);
void      pykka_remote_pending_free     (gpointer      pending);

/* pykka-remote-ref.c: a ref whose death is also the exit of @process. */
PykkaRemoteRef *pykka_remote_ref_new_for_process (GDBusConnection *connection,
                                                  GSubprocess     *process);

/* The context of pykka-glib's D-Bus thread, started on first use: the
 * replies of the calls that watch remote actors and the exits of helper
 * processes are handled there, so that they arrive whatever the
 * application's threads do. */
GMainContext *pykka_dbus_thread_get_context (void);

/* pykka-terminated.c */
PykkaTerminated *pykka_terminated_new_remote (PykkaRemoteRef *remote,
                                              const GError   *reason);

/* pykka-remote-ref.c, for pykka-cell.c: whether the news @terminated of
 * a remote actor's death is still wanted by @watcher (not unwatched
 * since it was queued); the watch ends then. */
typedef struct _PykkaCell PykkaCell;
gboolean  pykka_remote_watch_take (PykkaCell       *watcher,
                                   PykkaTerminated *terminated);

G_END_DECLS
