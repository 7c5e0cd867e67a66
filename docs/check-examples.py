#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails if the docs show code that no test runs.

Every fenced code block in C, Python, Vala or JavaScript found in the
guides (docs/guides/*.md), the README and the doc comments of the library
(pykka-glib/*.[ch]) must be an extract of a file under docs/examples/,
which the test suite builds and runs. An extract is a run of consecutive
lines, compared without their indentation; a line holding only `...`
(or `/* ... */`, `// ...`, `# ...`) skips any number of lines.

Usage: check-examples.py SOURCE_ROOT
"""

import os
import re
import sys

LANGUAGES = {"c", "python", "py", "vala", "js", "javascript"}
FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
ELISION = re.compile(r"^\s*(\.\.\.|/\* \.\.\. \*/|// \.\.\.|# \.\.\.)\s*$")


def code_blocks(lines):
    """Yields (line number, language, lines) for each fenced block."""
    block = None
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line)
        if match and block is None:
            block = (number + 1, match.group(1).lower(), [])
        elif match and block is not None and match.group(1) == "":
            yield block
            block = None
        elif block is not None:
            block[2].append(line)


def comment_lines(text):
    """The lines of the /** doc comments of a C file, without ` * `."""
    for comment in re.finditer(r"/\*\*(.*?)\*/", text, re.S):
        for line in comment.group(1).split("\n"):
            yield re.sub(r"^\s*\* ?", "", line, count=1)
        yield ""


def segments(block):
    """Splits a block into runs of lines between elisions."""
    current = []
    for line in block:
        if ELISION.match(line):
            if current:
                yield current
            current = []
        else:
            current.append(line.strip())
    if current:
        yield current


def find_run(haystack, run, start):
    for i in range(start, len(haystack) - len(run) + 1):
        if haystack[i:i + len(run)] == run:
            return i + len(run)
    return -1


def is_extract(block, example):
    position = 0
    for run in segments(block):
        # Leading and trailing blank lines carry no meaning.
        while run and run[0] == "":
            run.pop(0)
        while run and run[-1] == "":
            run.pop()
        if not run:
            continue
        position = find_run(example, run, position)
        if position < 0:
            return False
    return True


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]

    examples = {}
    for directory, _, files in os.walk(os.path.join(root, "docs", "examples")):
        for name in sorted(files):
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                examples[os.path.relpath(path, root)] = [l.strip() for l in f.read().split("\n")]

    documents = []
    guides = os.path.join(root, "docs", "guides")
    for name in sorted(os.listdir(guides)):
        if name.endswith(".md"):
            documents.append(os.path.join(guides, name))
    documents.append(os.path.join(root, "README.md"))
    library = os.path.join(root, "pykka-glib")
    for name in sorted(os.listdir(library)):
        if name.endswith((".c", ".h", ".h.in")):
            documents.append(os.path.join(library, name))

    problems = 0
    checked = 0
    for document in documents:
        if not os.path.exists(document):
            continue
        with open(document, encoding="utf-8") as f:
            text = f.read()
        lines = list(comment_lines(text)) if document.endswith((".c", ".h", ".in")) else text.split("\n")
        for number, language, block in code_blocks(lines):
            if language not in LANGUAGES:
                continue
            checked += 1
            if not any(is_extract(block, example) for example in examples.values()):
                problems += 1
                where = os.path.relpath(document, root)
                # Lines of doc comments are counted within the comments.
                print(f"{where}:{number}: this {language} block is not an extract of any "
                      f"file in docs/examples/:", file=sys.stderr)
                for line in block:
                    print(f"    {line}", file=sys.stderr)

    print(f"{checked} code blocks checked, {problems} not found in docs/examples/")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
