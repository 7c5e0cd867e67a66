/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Replays a libFuzzer target (LLVMFuzzerTestOneInput) over files and
 * directories without libFuzzer, so that a corpus is a regression test in
 * every build. */

#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Runs the target over every FILE or DIR argument (GTest-style options,
 * which meson's --test-args may give, are skipped) and prints a TAP
 * report. Returns the exit status. */
int fuzz_replay_main (int argc, char *argv[]);
