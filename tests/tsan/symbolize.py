#!/usr/bin/env python3
"""symbolize.py - put function, file and line into a ThreadSanitizer
report printed with symbolize=0.  tests/tsan/run runs TSan that way: its
own symbolizer opens and reads files through the (intercepted) libc
calls, which would enter the shim while TSan holds its report lock.

usage: symbolize.py MODULE... < report
MODULE: the files whose basenames the report names (the TSan shim, the
program, ...); frames of other modules are left as they are.
"""
import bisect
import os
import re
import subprocess
import sys

mods = {os.path.basename(m): m for m in sys.argv[1:]}
frame = re.compile(r'<null> <null> \((\S+?)\+(0x[0-9a-f]+)\)')
glob = re.compile(r"global '<null>' at 0x0+ \((\S+?)\+(0x[0-9a-f]+)\)")
syms = {}


def where(mod, off):
    """'func file:line' for an offset in mod (inlined frames joined)."""
    r = subprocess.run(['addr2line', '-f', '-i', '-p', '-C', '-e', mods[mod], off],
                       capture_output=True, text=True)
    out = [l.strip().replace(' at ', ' ', 1) for l in r.stdout.splitlines() if l.strip()]
    return ' <- '.join(out) if out else '??'


def symbol(mod, off):
    """The data symbol of mod that holds offset off."""
    if mod not in syms:
        r = subprocess.run(['nm', '-n', '--defined-only', mods[mod]],
                           capture_output=True, text=True)
        s = []
        for l in r.stdout.splitlines():
            p = l.split()
            if len(p) == 3 and p[1] in 'bBdDrR':
                s.append((int(p[0], 16), p[2]))
        syms[mod] = s
    s = syms[mod]
    i = bisect.bisect_right([a for a, _ in s], int(off, 16)) - 1
    return s[i][1] if i >= 0 else '?'


for line in sys.stdin:
    m = frame.search(line)
    if m and m.group(1) in mods:
        line = line[:m.start()] + where(m.group(1), m.group(2)) + \
            ' (%s+%s)' % (m.group(1), m.group(2)) + line[m.end():]
    m = glob.search(line)
    if m and m.group(1) in mods:
        line = line[:m.start()] + "global '%s' (%s+%s)" % (
            symbol(m.group(1), m.group(2)), m.group(1), m.group(2)) + line[m.end():]
    sys.stdout.write(line)
