#!/bin/sh
# Installs what pykka-glib needs on Debian 12 (Debian packages only) and
# builds it into _build. Used by demo.sh, test.sh and CI.
set -eu
cd "$(dirname "$0")/.."

packages="meson ninja-build pkg-config gcc libglib2.0-dev gobject-introspection
  libgirepository1.0-dev gir1.2-glib-2.0 valac gjs gi-docgen gettext
  python3-gi python3-pytest python3-greenlet python3-gbulb python3-pykka valgrind clang
  libclang-rt-14-dev python3-dev python-gi-dev python-greenlet-dev
  libgtk-4-dev gir1.2-gtk-4.0 xvfb xauth mypy dbus"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi

if [ ! -f _build/build.ninja ]; then
  meson setup _build -Ddocumentation=true
fi
meson compile -C _build
