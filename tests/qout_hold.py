#!/usr/bin/python3
# qout_hold.py - query clients that ask for large replies and do not read
# them (tests/t-collector-qoutput.sh).
#
#   qout_hold.py CTL N REQUEST DIR
# Opens N connections to the query socket CTL, sends REQUEST on each, and
# creates DIR/sent; waits (at most 120 s) for DIR/go, then reads one reply
# line from each connection and prints "full=F busy=B other=O" (full: a
# reply with rows, busy: {"error":"busy..."}), then asks REQUEST again on
# the first connection and prints "again=full|busy|other".
import json, os, socket, sys, time

ctl, n, req, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(1 << 20)
        if not b:
            break
        buf += b
    return buf


def kind(r):
    try:
        o = json.loads(r)
    except ValueError:
        return "other"
    if "rows" in o and len(o["rows"]) > 0:
        return "full"
    if str(o.get("error", "")).startswith("busy"):
        return "busy"
    return "other"


socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(ctl)
    s.sendall(req.encode() + b"\n")
    socks.append(s)
open(os.path.join(d, "sent"), "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(os.path.join(d, "go")) and \
        time.monotonic() < deadline:
    time.sleep(0.1)
k = {"full": 0, "busy": 0, "other": 0}
for s in socks:
    k[kind(line(s))] += 1
print("full=%d busy=%d other=%d" % (k["full"], k["busy"], k["other"]))
socks[0].sendall(req.encode() + b"\n")
print("again=%s" % kind(line(socks[0])))
