#!/usr/bin/env python3
"""Writes a C file defining `const char NAME[]` with the bytes of a text
file, for pages a daemon serves (the live view): embed-text.py NAME IN OUT."""
import sys

name, src, dst = sys.argv[1:4]
data = open(src, encoding="utf-8").read()
with open(dst, "w", encoding="utf-8") as out:
    out.write("/* Generated from %s by scripts/embed-text.py. */\n" % src)
    out.write("const char %s[] =\n" % name)
    for line in data.splitlines(True):
        esc = (line.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\t", "\\t"))
        out.write('    "%s"\n' % esc)
    out.write(";\n")
