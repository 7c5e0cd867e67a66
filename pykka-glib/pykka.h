/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gio.h>

#define PYKKA_INSIDE
# include "pykka-version.h"
# include "pykka-version-macros.h"
# include "pykka-error.h"
# include "pykka-enums.h"
# include "pykka-future.h"
# include "pykka-event.h"
# include "pykka-actor.h"
# include "pykka-actor-ref.h"
# include "pykka-binding.h"
# include "pykka-context.h"
# include "pykka-gio.h"
# include "pykka-registry.h"
# include "pykka-registry-model.h"
# include "pykka-debug.h"
# include "pykka-application.h"
# include "pykka-relay.h"
# include "pykka-terminated.h"
# include "pykka-supervisor.h"
# include "pykka-router.h"
# include "pykka-dbus.h"
# include "pykka-remote-ref.h"
#undef PYKKA_INSIDE
