#!/bin/sh
# t-shim-rawdup.sh - a program that takes the shim's own fd number with a
# raw dup3 system call and writes there loses nothing (issue 15, item 3):
# the shim checks that the fd still is its own before answering EBADF.
# A datagram socket stands in for the collector, so the shim has one.
. "$(dirname "$0")/lib.sh"
p=$(prog rawdup)
/usr/bin/python3 - "$T/s.sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(0.2)
while not os.path.exists(sys.argv[1] + ".done"):
    try: s.recv(70000)
    except socket.timeout: pass
PY
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -S "$T/s.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
IOSHIM_SOCKET=$T/s.sock LD_PRELOAD=$SHIM "$p" "$T/log" >"$T/out" || fail "rc $?"
touch "$T/s.sock.done"
cat "$T/out"
grep -q "took fd: the socket's" "$T/out" || fail "the shim's socket was not found"
eq "output" "$(grep -v 'took fd' "$T/out" | tr '\n' '|')" "write: 21|fsync: 0|close: 0|write: 4|"
eq "log" "$(tr '\n' '|' <"$T/log")" "through the taken fd|end|"
