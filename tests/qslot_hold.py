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
import json, os, socket, sys, time

ctl, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(65536)
        if not b:
            break
        buf += b
    return buf


kept = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(ctl)
    try:
        s.sendall(b"help\n")
        r = line(s)
    except OSError:
        r = b""
    try:
        ok = "requests" in json.loads(r)
    except ValueError:
        ok = False
    if ok:
        kept.append(s)
    else:
        s.close()
with open(ready + ".tmp", "w") as f:
    f.write("slots=%d\n" % len(kept))
os.rename(ready + ".tmp", ready)

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
