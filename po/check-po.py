#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails if the translations are out of date with the sources.

- POTFILES.in lists exactly the files of pykka-glib/ that mark strings
  with P_();
- pykka-glib.pot holds exactly the messages that xgettext extracts from
  them now (locations and dates are not compared, so moving code around
  does not make it stale);
- every language of LINGUAS has a .po that translates every message of
  the .pot, with nothing fuzzy and format strings that msgfmt accepts.

Usage: check-po.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys
import tempfile

XGETTEXT_ARGS = [
    # meson's 'glib' preset plus po/meson.build's arguments: keep in sync.
    "--from-code=UTF-8", "--add-comments", "--keyword=_", "--keyword=N_",
    "--keyword=C_:1c,2", "--keyword=NC_:1c,2", "--keyword=P_",
    "--flag=P_:1:pass-c-format",
]
MARK = re.compile(r"\bP_\s*\(\s*\"")


def read_list(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def messages(po_text):
    """The set of (context, msgid) of a .po or .pot, header excluded."""
    result = {}
    entry = {}
    key = None

    def flush():
        if "msgid" in entry and entry["msgid"] != "":
            result[(entry.get("msgctxt"), entry["msgid"])] = entry
    for line in po_text.split("\n") + [""]:
        if line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#") or line.strip() == "":
            if line.strip() == "" and entry:
                flush()
                entry = {}
            key = None
            continue
        m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
        if m:
            key = m.group(1)
            entry[key] = m.group(2)
        elif line.startswith('"') and key is not None:
            entry[key] += line[1:-1]
    return result


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    po_dir = os.path.join(root, "po")
    problems = []

    listed = read_list(os.path.join(po_dir, "POTFILES.in"))
    if listed != sorted(listed):
        problems.append("POTFILES.in is not sorted")
    marking = []
    library = os.path.join(root, "pykka-glib")
    for name in sorted(os.listdir(library)):
        if name.endswith(".c"):
            with open(os.path.join(library, name), encoding="utf-8") as f:
                if MARK.search(f.read()):
                    marking.append(f"pykka-glib/{name}")
    for path in sorted(set(marking) - set(listed)):
        problems.append(f"{path} marks strings with P_() but is not in POTFILES.in")
    for path in sorted(set(listed) - set(marking)):
        problems.append(f"{path} is in POTFILES.in but marks no string")

    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "fresh.pot")
        subprocess.run(["xgettext", "--output=" + fresh, "--directory=" + root] +
                       XGETTEXT_ARGS + listed, check=True)
        with open(fresh, encoding="utf-8") as f:
            extracted = messages(f.read())

    with open(os.path.join(po_dir, "pykka-glib.pot"), encoding="utf-8") as f:
        checked_in = messages(f.read())
    for key in sorted(set(extracted) - set(checked_in), key=str):
        problems.append(f"pykka-glib.pot lacks {key[1]!r}: run `meson compile pykka-glib-pot`")
    for key in sorted(set(checked_in) - set(extracted), key=str):
        problems.append(f"pykka-glib.pot has the stale {key[1]!r}: run `meson compile pykka-glib-pot`")

    for lang in read_list(os.path.join(po_dir, "LINGUAS")):
        po = os.path.join(po_dir, lang + ".po")
        if not os.path.exists(po):
            problems.append(f"{lang} is in LINGUAS but {lang}.po does not exist")
            continue
        with open(po, encoding="utf-8") as f:
            translated = messages(f.read())
        for key in sorted(set(extracted), key=str):
            entry = translated.get(key)
            if entry is None or entry.get("msgstr", "") == "":
                problems.append(f"{lang}.po does not translate {key[1]!r}")
            elif "fuzzy" in entry.get("flags", set()):
                problems.append(f"{lang}.po has a fuzzy translation of {key[1]!r}")
        result = subprocess.run(["msgfmt", "--check", "--output-file=/dev/null", po],
                                capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"msgfmt --check {lang}.po failed:\n{result.stderr}")

    for problem in problems:
        print(f"po: {problem}", file=sys.stderr)
    print(f"{len(extracted)} messages, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
