#!/usr/bin/python3
# qslot_hold.py - a query client that takes as many query slots of ioshimd
# as it can and holds them by trickling bytes of a request that never ends
# (tests/t-collector-qslots.sh).
#
#   qslot_hold.py CTL N READY
# Opens N connections to the query socket CTL one after another; each asks
# "help" and keeps the connection if the reply is help (the collector said
# "busy" otherwise).  Writes "slots=K" to READY, then sends one byte of a
# never finished line on every kept connection each 0.5 s until the
# collector has closed them all or 90 s have passed, and prints
# "slots=K" and "closed=C" (connections the collector closed).
import os, sys, time

sys.dont_write_bytecode = True	# no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qslot_lib import take, tell

ctl, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kept, _ = take(ctl, n, False)
tell(ready, "slots=%d\n" % len(kept))

closed = set()
deadline = time.monotonic() + 90
while len(closed) < len(kept) and time.monotonic() < deadline:
    for i, s in enumerate(kept):
        if i in closed:
            continue
        try:
            s.sendall(b"h")
            s.settimeout(0)
            if s.recv(1) == b"":
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.5)
print("slots=%d" % len(kept))
print("closed=%d" % len(closed))
