#!/bin/sh
# t-count-daemon.sh - a daemon-style program (double fork, setsid) that
# closes every fd - with closefrom, with close_range, and with a close()
# loop up to the fd limit - then reopens /dev/null and its log and keeps
# writing (tests/progs/count_daemon.c), while the shim talks to a
# collector (a datagram socket this test listens on) every 10 ms.
# Checks: no fd of the shim is visible to the program after it closed
# everything (fcntl F_GETFD: EBADF on 0..4095), the program gets fds 0
# and 3 as it expects; per process bytes and calls equal strace's count
# (the shim's datagrams left out); the log's size equals the bytes the
# report says were written to it and what the program counted; the
# collector socket still received datagrams.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_daemon)

export IOSHIM_SOCKET="$T/c.sock" IOSHIM_INTERVAL_MS=10
$PY -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
n = 0
s.settimeout(120)
try:
    while True:
        s.recv(65536)
        n += 1
        with open(sys.argv[2], "w") as f:
            f.write("%d\n" % n)
except socket.timeout:
    pass
' "$IOSHIM_SOCKET" "$T/dgrams" >"$T/coll.out" &
CPID=$!
trap 'kill $CPID 2>/dev/null; rm -rf "$T"' EXIT
i=0	# up to 30 s: python's start under load may take seconds
while [ ! -S "$IOSHIM_SOCKET" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$IOSHIM_SOCKET" ] || fail "the fake collector did not start"

for mode in closefrom close_range loop; do
	note "mode $mode"
	rm -f "$T/log" "$T/status" "$T/dgrams"
	traced --no-coalesce -- "$P" $mode "$T/log" "$T/status" 200 >"$T/out"
	eq "status" "$rc" 0
	[ -f "$T/status" ] || fail "the daemon did not finish"
	cat "$T/status"
	val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/status"; }
	eq "fds still visible after closing all" "$(val visible)" 0
	eq "/dev/null reopened as fd" "$(val null_fd)" 0
	eq "log opened as fd" "$(val log_fd)" 3
	eq "records (3 processes)" "$(q "len(r)")" 3
	# disk calls are not compared: the log is also written through stdio
	check_truth --calls other,pipe,tty,socket --min-procs 3 --files "^$T/log$"
	d="[x for x in r if x['files'] and any(f['path'] == '$T/log' for f in x['files'])]"
	eq "log size = program's count" "$(size "$T/log")" "$(val bytes)"
	eq "log size = report's write_bytes" "$(q "row($d[0], '$T/log')['write_bytes']")" "$(size "$T/log")"
	eq "daemon's /dev/null writes" "$(q "cls($d[0], 'other', 'write_bytes')")" \
	    "$(q "row($d[0], '$T/log')['write_bytes'] - 10 - sum(len('stdio line %d\n' % i) for i in range(10)) + 10")"
	eq "daemon socket class (the shim's datagrams not counted)" "$(q "cls($d[0], 'socket', 'writes')")" 0
	n=$(cat "$T/dgrams" 2>/dev/null || echo 0)
	[ "$n" -gt 0 ] || fail "the collector got no datagram"
	note "datagrams received by the collector: $n"
done
