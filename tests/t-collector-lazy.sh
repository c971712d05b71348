#!/bin/sh
# t-collector-lazy.sh - the shim holds no descriptor the program did not
# cause: with no collector there is no socket.
#   - `ls /proc/self/fd` lists the same fds as without the shim, with
#     IOSHIM_SOCKET naming a path where nothing is, a socket file nobody
#     listens on (the shim's try is closed again), and (when the default
#     path is absent, as root) without IOSHIM_SOCKET;
#   - under RLIMIT_NOFILE=5 a program opens as many files as without the
#     shim (the socket took one of its five);
#   - a collector started after the program started gets the program's
#     counts while it runs (the shim looks for it again once an
#     interval), and exactly the bytes written by the end; with the
#     collector there, the socket is the one fd the program sees, at 1000
#     (besides a copy of a log's fd kept past its close, which holds
#     bytes: docs/coalescing.md).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

fds() {	# the fd numbers ls sees of itself
	"$@" ls /proc/self/fd | sort -n | tr '\n' ' '
}
want=$(fds env)
note "without the shim: $want"
eq "no collector at IOSHIM_SOCKET: fds" "$(fds env IOSHIM_SOCKET="$T/none.sock" LD_PRELOAD="$SHIM")" "$want"
$PY -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])' "$T/dead.sock"
[ -S "$T/dead.sock" ] || fail "no dead socket file"
eq "nobody listening at IOSHIM_SOCKET: fds" "$(fds env IOSHIM_SOCKET="$T/dead.sock" LD_PRELOAD="$SHIM")" "$want"
if [ "$(id -u)" = 0 ] && [ ! -e /run/ioshim/ioshimd.sock ]; then
	eq "default path absent: fds" "$(fds env -u IOSHIM_SOCKET LD_PRELOAD="$SHIM")" "$want"
fi

command -v prlimit >/dev/null || skip "no prlimit"
opens() {	# how many files a program opens under RLIMIT_NOFILE=5
	prlimit --nofile=5:5 "$@" $PY -S -c '
import sys
fs = []
try:
    while True:
        fs.append(open(sys.argv[1]))
except OSError:
    print(len(fs))' "$T/dead.sock.txt"
}
: >"$T/dead.sock.txt"
n=$(opens env)
note "RLIMIT_NOFILE=5: $n files without the shim"
eq "RLIMIT_NOFILE=5: files opened" "$(opens env IOSHIM_SOCKET="$T/none.sock" LD_PRELOAD="$SHIM")" "$n"

note "a collector that starts after the program"
cat >"$T/w.py" <<'PY'
import os, sys, time
t = sys.argv[1]
with open(t + "/a.out", "wb", buffering=0) as f:
    f.write(b"a" * 3000)
print(sorted(int(x) for x in os.listdir("/proc/self/fd")), flush=True)
while not os.path.exists(t + "/go"):
    time.sleep(0.02)
# fds used after the collector came: the shim looks for it at these
while not os.path.exists(t + "/done"):
    with open(t + "/b.out", "ab", buffering=0) as f:
        f.write(b"b" * 100)
    time.sleep(0.05)
# b.out's bytes may be held past its close, through a copy of the fd the
# shim keeps (docs/coalescing.md, "Held past close"): not counted here
def kept(x):
    try:
        return int(x) >= 1000 and os.readlink("/proc/self/fd/" + x) == t + "/b.out"
    except OSError:
        return False
print(sorted(int(x) for x in os.listdir("/proc/self/fd") if not kept(x)), flush=True)
PY
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=100 LD_PRELOAD=$SHIM $PY "$T/w.py" "$T" >"$T/w.out" &
WPID=$!
i=0; while [ ! -s "$T/w.out" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/w.out" ] || fail "the program did not start"
start_d
touch "$T/go"
live() {
	q files "$WPID" 2>/dev/null | $PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit()
print(sum(r.get("write_bytes", 0) for r in d.get("files", []) if r.get("path") == sys.argv[1]))' "$1"
}
i=0; while [ "$(live "$T/a.out")" != 3000 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
eq "live: a.out's bytes reached the collector while the program runs" "$(live "$T/a.out")" 3000
touch "$T/done"
wait $WPID || fail "the program failed"
plain=$($PY -c 'import os; print(sorted(int(x) for x in os.listdir("/proc/self/fd")))' </dev/null)
eq "fds before the collector" "$(sed -n 1p "$T/w.out")" "$plain"
eq "fds with the collector: its socket at 1000" "$(sed -n 2p "$T/w.out")" "$(echo "$plain" | sed 's/]$/, 1000]/')"
q flush >/dev/null || fail "flush failed"
for f in a b; do
	eq "$f.out: bytes stored" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/$f.out'")" "$(stat -c %s "$T/$f.out")"
done
stop_d
