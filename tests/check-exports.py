#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the shared library exports the public API and nothing else."""

import re
import subprocess
import sys

lib, *headers = sys.argv[1:]
out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = {line.split()[-1] for line in out.splitlines()
            if line.split()[1] in ("T", "D", "B", "R")}

declared = set()
for header in headers:
    with open(header, encoding="utf-8") as f:
        declared |= set(re.findall(r"\b(pykka_[a-z0-9_]+)\s*\(", f.read()))
declared = {name for name in declared if not name.endswith("_get_type")} | \
    {name for name in exported if name.endswith("_get_type")}

stray = sorted(name for name in exported if not name.startswith("pykka_"))
private = sorted(name for name in exported - declared)
missing = sorted(name for name in declared - exported)
for label, names in (("not in the pykka_ namespace", stray),
                     ("exported but not in a public header", private),
                     ("declared but not exported", missing)):
    for name in names:
        print(f"{label}: {name}")
sys.exit(1 if stray or private or missing else 0)
