#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-install-prefix.sh SOURCE_ROOT BUILD_ROOT
#
# Installs pykka-glib into a temporary prefix P (meson setup --prefix=P,
# meson install: a build of its own, without tests, about 10 s), fails if
# anything lands outside P (the Python layer included), then builds and
# runs programs in each language against P with nothing but the variables
# README.md ("Install and use") documents:
#   C      docs/examples/c/hello.c, cc + pkg-config
#   Vala   docs/examples/vala/greeter.vala and errors.vala (`using Pykka;`),
#          valac --pkg pykka-glib-1.0, C warnings about incompatible pointer
#          types as errors
#   Python docs/examples/python/greeter.py, and check-layer.py: override,
#          pykka_glib and its C extension all from P, /usr/bin/python3
#   GJS    docs/examples/gjs/async.js (an async handler: the override
#          found through XDG_DATA_DIRS), and check-layer.js, which also
#          imports P/share/pykka-glib/js/pykka.js by path
# and last builds hello.c against BUILD_ROOT's uninstalled pkg-config file
# (meson-uninstalled), which must also give <pykka-glib/pykka.h>.
set -eu

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
here=$src/tests/install
examples=$src/docs/examples

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pykka-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
work=$tmp/work
mkdir -p "$work"

step () {
  echo "== $*"
}

step "meson setup --prefix=$P; meson install"
meson setup "$tmp/build" "$src" --prefix="$P" \
  -Dtests=false -Ddocumentation=false >"$tmp/setup.log" 2>&1 \
  || { cat "$tmp/setup.log"; exit 1; }
meson install -C "$tmp/build" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; exit 1; }

# Every file under P: nothing in the system's dist-packages or elsewhere.
/usr/bin/python3 - "$tmp/build" "$P" <<'PY'
import json, subprocess, sys
build, prefix = sys.argv[1], sys.argv[2]
installed = json.loads(subprocess.run(["meson", "introspect", "--installed", build],
                                      capture_output=True, text=True, check=True).stdout)
outside = sorted(d for d in installed.values() if not d.startswith(prefix + "/"))
for d in outside:
    print("installed outside the prefix: " + d, file=sys.stderr)
names = " ".join(sorted(installed.values()))
for part in ("gi/overrides/Pykka.py", "pykka_glib/__init__.py", "pykka_glib/_speedups.",
             "girepository-1.0/Pykka-1.0.typelib", "vala/vapi/pykka-glib-1.0.vapi",
             "gjs-1.0/overrides/Pykka.js", "pykka-glib/js/pykka.js", "pkgconfig/pykka-glib-1.0.pc"):
    if part not in names:
        print("not installed: " + part, file=sys.stderr)
        outside.append(part)
sys.exit(1 if outside else 0)
PY

# The variables of README.md, "Install and use", and nothing else: meson's
# libdir is lib/<multiarch> on Debian, lib without dpkg-architecture.
if multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null); then
  libdir=$P/lib/$multiarch
else
  libdir=$P/lib
fi
[ -f "$libdir/pkgconfig/pykka-glib-1.0.pc" ] || { echo "no $libdir/pkgconfig/pykka-glib-1.0.pc" >&2; exit 1; }
documented () {
  env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 \
    PKG_CONFIG_PATH="$libdir/pkgconfig" \
    LD_LIBRARY_PATH="$libdir" \
    GI_TYPELIB_PATH="$libdir/girepository-1.0" \
    XDG_DATA_DIRS="$P/share:/usr/local/share:/usr/share" \
    PYTHONPATH="$P/lib/python3/dist-packages" \
    "$@"
}

expect () {
  # expect WANTED COMMAND...: runs COMMAND, fails unless WANTED is a line
  # of its output.
  wanted=$1; shift
  out=$("$@") || { echo "$out"; echo "failed: $*" >&2; exit 1; }
  echo "$out"
  echo "$out" | grep -qxF "$wanted" || { echo "no line '$wanted' from: $*" >&2; exit 1; }
}

cd "$work"

step "C: cc hello.c \$(pkg-config --cflags --libs pykka-glib-1.0)"
documented sh -c 'cc -Werror=incompatible-pointer-types -o hello "$1" $(pkg-config --cflags --libs pykka-glib-1.0)' \
  sh "$examples/c/hello.c"
expect "Hi there, Alice!" documented ./hello

step "Vala: valac --pkg pykka-glib-1.0"
for name in greeter errors; do
  documented valac --pkg pykka-glib-1.0 --target-glib=auto \
    -X -Werror=incompatible-pointer-types \
    -o "vala-$name" "$examples/vala/$name.vala"
done
expect "Hi there, Alice!" documented ./vala-greeter
expect "balance: 15" documented ./vala-errors

step "Python: /usr/bin/python3"
expect "Hi there, Alice!" documented /usr/bin/python3 "$examples/python/greeter.py"
documented /usr/bin/python3 "$here/check-layer.py" "$P"

step "GJS: gjs -m"
expect "30" documented gjs -m "$examples/gjs/async.js"
expect "reply: 42" documented gjs -m "$here/check-layer.js" "$P/share/pykka-glib/js/pykka.js"

step "C against the build tree: PKG_CONFIG_PATH=$build/meson-uninstalled"
env -i PATH=/usr/bin:/bin HOME="$tmp" PKG_CONFIG_PATH="$build/meson-uninstalled" \
  sh -c 'cc -Werror=missing-include-dirs -o hello-uninstalled "$1" $(pkg-config --cflags --libs pykka-glib-1.0)' \
  sh "$examples/c/hello.c"
expect "Hi there, Alice!" env -i LD_LIBRARY_PATH="$build/pykka-glib" ./hello-uninstalled

echo "== all installed layers work from $P"
