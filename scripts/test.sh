#!/bin/sh
# Sets up, builds and runs the whole test suite.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
meson test -C _build --print-errorlogs --num-processes 2
