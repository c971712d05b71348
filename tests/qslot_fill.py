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
import json, os, socket, sys, time

ctl, ready, release = sys.argv[1], sys.argv[2], sys.argv[3]


def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(65536)
        if not b:
            break
        buf += b
    return buf


kept, refused = [], 0
for _ in range(64):
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
        continue
    s.close()
    refused += 1
    break
with open(ready + ".tmp", "w") as f:
    f.write("slots=%d\nrefused=%d\n" % (len(kept), refused))
os.rename(ready + ".tmp", ready)
end = time.monotonic() + 120
while not os.path.exists(release) and time.monotonic() < end:
    time.sleep(0.1)
for s in kept:
    s.close()
