#!/bin/sh
# Installs the peers that bench/compare.py measures pykka-glib against
# (Debian packages only): Erlang/OTP (erlang-base), the C++ Actor Framework
# (libcaf-dev, with g++ to build the benchmark's CAF program) and
# matplotlib for the plots of docs/performance.md (bench/plot.py).
# scripts/setup.sh does not install them: the tests do not need them.
set -eu

packages="erlang-base libcaf-dev g++ python3-matplotlib"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi
