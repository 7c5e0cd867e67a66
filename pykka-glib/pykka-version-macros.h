/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined (PYKKA_INSIDE) && !defined (PYKKA_COMPILATION)
# error "Only <pykka-glib/pykka.h> can be included directly."
#endif

#include <glib.h>

#include "pykka-version.h"

#ifndef _PYKKA_EXTERN
# define _PYKKA_EXTERN __attribute__((visibility ("default"))) extern
#endif

#define PYKKA_AVAILABLE_IN_ALL _PYKKA_EXTERN
#define PYKKA_AVAILABLE_IN_1_0 _PYKKA_EXTERN
