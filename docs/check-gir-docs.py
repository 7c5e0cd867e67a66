#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails if anything public in a GIR file lacks documentation.

`gi-docgen check` covers types, functions, properties and signals; this
also covers what it skips: virtual methods and their parameters, the
values of enumerations and the public fields of class structures.

Usage: check-gir-docs.py [--fatal|--warn] [--stamp=FILE] Pykka-1.0.gir

With --warn, problems are printed but do not fail; --stamp touches FILE
when the check ran, for build systems.
"""

import sys
import xml.etree.ElementTree as ET

NS = {
    "core": "http://www.gtk.org/introspection/core/1.0",
    "c": "http://www.gtk.org/introspection/c/1.0",
    "glib": "http://www.gtk.org/introspection/glib/1.0",
}
CORE = "{%s}" % NS["core"]
GLIB = "{%s}" % NS["glib"]

DOCUMENTED = {
    CORE + "class", CORE + "interface", CORE + "record", CORE + "enumeration",
    CORE + "bitfield", CORE + "member", CORE + "function", CORE + "method",
    CORE + "constructor", CORE + "virtual-method", CORE + "property",
    GLIB + "signal", CORE + "callback", CORE + "constant", CORE + "parameter",
    CORE + "instance-parameter", CORE + "return-value", CORE + "field",
    CORE + "function-macro",
}


def has_doc(element):
    return element.find("core:doc", NS) is not None


def describe(path, element):
    name = element.get("name") or element.tag.split("}")[1]
    return ".".join(path + [name])


def final_classes(namespace):
    return {c.get("name") for c in namespace.findall("core:class", NS)
            if c.get("final") == "1"}


def vfunc_names(namespace):
    names = {}
    for c in namespace.findall("core:class", NS):
        names[c.get(GLIB + "type-struct")] = {
            v.get("name") for v in c.findall("core:virtual-method", NS)}
    return names


def walk(element, path, problems, skip):
    for child in element:
        tag = child.tag
        if tag not in DOCUMENTED:
            if tag in (CORE + "parameters",):
                walk(child, path, problems, skip)
            continue
        if child.get("introspectable") == "0" and tag != CORE + "function-macro":
            continue
        if child.get("private") == "1":
            continue
        # The parent instance of a class is not API to document.
        if tag == CORE + "field" and (element.tag == CORE + "class" or
                                      child.get("name") in ("parent_instance", "parent")):
            continue
        # The class structure of a final type is not API.
        if tag == CORE + "record" and child.get(GLIB + "is-gtype-struct-for") in skip["final"]:
            continue
        # A class structure's slot of a virtual method is documented as
        # the virtual method.
        if tag == CORE + "field" and child.get("name") in skip["vfuncs"].get(element.get("name"), ()):
            continue
        if tag == CORE + "return-value":
            type_ = child.find("core:type", NS)
            if type_ is not None and type_.get("name") == "none":
                continue
        if not has_doc(child):
            problems.append(f"{describe(path, child)} ({tag.split('}')[1]}) is not documented")
        walk(child, path + [child.get("name") or tag.split("}")[1]], problems, skip)


def main(argv):
    fatal = True
    stamp = None
    args = []
    for arg in argv[1:]:
        if arg in ("--fatal", "--warn"):
            fatal = arg == "--fatal"
        elif arg.startswith("--stamp="):
            stamp = arg[len("--stamp="):]
        else:
            args.append(arg)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    gir = args[0]
    root = ET.parse(gir).getroot()
    namespace = root.find("core:namespace", NS)
    problems = []
    skip = {"final": final_classes(namespace), "vfuncs": vfunc_names(namespace)}
    walk(namespace, [namespace.get("name")], problems, skip)
    for problem in problems:
        print(f"{gir}: {'error' if fatal else 'warning'}: {problem}", file=sys.stderr)
    if problems and fatal:
        return 1
    if stamp is not None:
        with open(stamp, "w", encoding="utf-8"):
            pass
    if not problems:
        print(f"{gir}: every public symbol is documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
