#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails if the error-message table of the debugging guide misses a text.

Every translatable text of the library (a P_("...") in pykka-glib/*.c:
error messages and the parts they are made of) must appear, in backticks
and word for word, in docs/guides/11-debugging.md; and every backticked
entry of its two tables must still be a text of the library.

Usage: check-error-table.py SOURCE_ROOT
"""

import ast
import glob
import os
import re
import sys

MARK = re.compile(r'P_\s*\(\s*("(?:[^"\\]|\\.)*")\s*\)')
ROW = re.compile(r'^\|\s*`([^`]+)`\s*\|')


def library_texts(root):
    texts = set()
    for path in sorted(glob.glob(os.path.join(root, 'pykka-glib', '*.c'))):
        with open(path, encoding='utf-8') as f:
            for match in MARK.finditer(f.read()):
                texts.add(ast.literal_eval(match.group(1)))
    return texts


def table_texts(root):
    path = os.path.join(root, 'docs', 'guides', '11-debugging.md')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    section = text[text.index('## Error messages'):]
    section = section[:section.index('\n## ', 1)] if '\n## ' in section[1:] else section
    return {m.group(1) for m in map(ROW.match, section.splitlines()) if m}


def main():
    root = sys.argv[1]
    texts = library_texts(root)
    listed = table_texts(root)
    missing = sorted(texts - listed)
    stale = sorted(listed - texts)
    for t in missing:
        print('not in the error table of docs/guides/11-debugging.md: %r' % t)
    for t in stale:
        print('in the error table but not a text of the library: %r' % t)
    if not texts:
        print('found no text in pykka-glib/*.c')
        return 1
    return 1 if missing or stale else 0


if __name__ == '__main__':
    sys.exit(main())
