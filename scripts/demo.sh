#!/bin/sh
# Sets up, builds and runs the demo programs.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
meson devenv -C _build ./docs/examples/c/demo
