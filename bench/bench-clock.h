/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The clock of both benchmark programs. */

#pragma once

#include <time.h>

#include <glib.h>

/* Monotonic time in nanoseconds. */
static inline gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}
