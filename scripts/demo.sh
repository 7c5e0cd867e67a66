#!/bin/sh
# Sets up, builds and runs the demos: the C demo (actors on the main
# context and on threads of their own, talking through futures), then the
# same library from Vala, JavaScript (GJS) and Python.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh

# meson devenv runs in the build directory, with the uninstalled library,
# typelib and Python/JS layers on the search paths.
meson devenv -C _build sh -c '
  set -e
  echo "== C: docs/examples/c/demo.c"
  ./docs/examples/c/demo
  echo
  echo "== Vala: docs/examples/vala/tour.vala"
  ./tests/vala/vala-example-tour
  echo
  echo "== JavaScript: docs/examples/gjs/tour.js"
  gjs -I "$PYKKA_GLIB_JS_DIR" -m ../docs/examples/gjs/tour.js
  echo
  echo "== Python: docs/examples/python/worker_pool.py"
  /usr/bin/python3 ../docs/examples/python/worker_pool.py
'
