#!/usr/bin/python3
# qslot_fill.py - take every query slot of ioshimd the caller may get and
# hold them, idle, until told to let go (tests/t-health-bounds.sh).
#
#   qslot_fill.py CTL READY RELEASE
# Opens connections to the query socket CTL one after another; each asks
# "help" and is kept if the reply is help, until the collector says
# "busy" (or 64 tries).  Writes "slots=K" and "refused=R" to READY, then
# holds the kept connections (they stay idle: the collector closes an idle
# one after 60 s) until the file RELEASE exists, at most 120 s.
import os, sys, time

sys.dont_write_bytecode = True	# no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qslot_lib import take, tell

ctl, ready, release = sys.argv[1], sys.argv[2], sys.argv[3]
kept, refused = take(ctl, 64, True)
tell(ready, "slots=%d\nrefused=%d\n" % (len(kept), refused))
end = time.monotonic() + 120
while not os.path.exists(release) and time.monotonic() < end:
    time.sleep(0.1)
for s in kept:
    s.close()
