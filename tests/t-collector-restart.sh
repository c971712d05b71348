#!/bin/sh
# t-collector-restart.sh - the collector is killed (-9) after it received
# a running program's counts and before it stored them, and restarted;
# then the program ends.  The shim notices the collector went away and,
# once connected again, sends every file row, not only the ones that
# changed since: the stored windows hold exactly the bytes the program
# wrote, per process and per file (its own IOSHIM_REPORT and the file's
# size are the truth).  Case "quick": the collector is back before the
# shim's next send, so the end report itself meets the dead socket and
# is sent again at once.  Case "full": the collector is stopped (SIGSTOP)
# while the program writes, so the shim's send buffer is full and the
# datagram with the file's row is dropped (EAGAIN); at the next send,
# every row is sent again.
# Before: the file's row did not change after the kill (or the drop), so
# it was never sent again: 0 of 10,000 bytes stored.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# w.py OUT GO [PAUSE]: PAUSE s, write 10,000 bytes to OUT, PAUSE s, print
# the pid, wait for GO
cat >"$T/w.py" <<'PY'
import os, sys, time
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0
time.sleep(pause)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for i in range(200):
    os.write(fd, b"%049d\n" % i)
os.close(fd)
time.sleep(pause)
print(os.getpid(), flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
PY

# live FILE: the collector's live cumulative write_bytes of FILE for $wpid
live() {
	q files "$wpid" 2>/dev/null | $PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit()
print(sum(r.get("write_bytes", 0) for r in d.get("files", []) if r.get("path") == sys.argv[1]))' "$1"
}

for case in slow quick full; do
	rm -f "$DB" "$DB-wal" "$DB-shm" "$T/go" "$T/pid" "$T/r.jsonl" "$T/out"
	# a long window: nothing is stored before the kill (windows begin at
	# whole hours: none may begin before it)
	in_hour 0 60
	start_d --window 3600
	# quick: sends 1 s apart, so the restart falls between two of them;
	# full: sends 10 ms apart, the ~130 datagrams the shim's send buffer
	# holds (ioshimd's queue is deeper) are queued within the 3 s pause
	ms=100 pause=0
	[ $case = quick ] && ms=1000
	[ $case = full ] && ms=10 pause=3 && kill -STOP $DPID
	IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=$ms IOSHIM_REPORT=$T/r.jsonl \
	    LD_PRELOAD=$SHIM $PY "$T/w.py" "$T/out" "$T/go" $pause >"$T/pid" &
	PPID_=$!
	i=0; while [ ! -s "$T/pid" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	wpid=$(cat "$T/pid")
	[ -n "$wpid" ] || fail "$case: the program did not start"
	if [ $case = full ]; then
		kill -CONT $DPID
	else
		# the collector has all 10,000 bytes, in memory only
		i=0; while [ "$(live "$T/out")" != 10000 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
		eq "$case: live write_bytes before the kill" "$(live "$T/out")" 10000
		kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
		eq "$case: windows stored before the kill" "$(sq 'SELECT count(*) FROM file_min')" 0
		[ $case = slow ] && sleep 0.5	# sends fail meanwhile
		start_d --window 3600
	fi
	: >"$T/go"
	wait $PPID_ || fail "$case: the program failed"
	q flush >/dev/null || fail "$case: flush failed"
	want=$(json "$T/r.jsonl" "sum(f['write_bytes'] for x in r for f in x['files'] if f['path'] == '$T/out')")
	eq "$case: report's write_bytes = file size" "$want" "$(stat -c %s "$T/out")"
	eq "$case: file write_bytes stored" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/out'")" "$want"
	eq "$case: disk write_bytes stored" "$(sq "SELECT sum(disk_write_bytes) FROM proc_min")" \
	    "$(json "$T/r.jsonl" "sum(x['classes']['disk']['write_bytes'] for x in r)")"
	eq "$case: the end is stored" "$(sq "SELECT count(*) FROM images WHERE state != 0")" 1
	stop_d
done
