#!/bin/sh
# t-collector-kill9.sh - kill -9 the collector while senders are reporting,
# restart it: the database passes quick_check, stays in WAL mode, and no
# counts of the still-running senders are lost (cumulative counters +
# stored bases).
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
IOSHIM=${IOSHIM_TOOL:-$IOSHIM}
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
SEND=$(prog wire_send)
S=$T/s.sock DB=$T/ioshim.db DPID=
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
start_d() {
	"$IOSHIMD" --foreground --socket "$S" --db "$DB" --window 2 "$@" 2>>"$T/d.log" &
	DPID=$!
	i=0; while [ ! -S "$S.ctl" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
	[ -S "$S.ctl" ] || { cat "$T/d.log"; fail "ioshimd did not start"; }
}
stop_d() {
	kill -TERM $DPID; wait $DPID; rc=$?; DPID=
	[ $rc -eq 0 ] || { tail -n 30 "$T/d.log"; fail "ioshimd exited with status $rc"; }
}
q() { "$IOSHIM" query --socket "$S" "$@"; }
val() { sed -n "s/^$1=//p" "$2"; }
sq() { sqlite3 "$DB" "$1"; }

start_d
# ~12 s of reports from 3 images with files, 20 ms apart, then END.  Each
# round spans windows (2 s) stored after the image's base snapshot, which a
# restart must add back (images.base_ts).
"$SEND" "$S" stream 3 600 20 4 >"$T/tot" &
SPID=$!
for round in 1 2 3; do
	sleep 3
	kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
	note "killed collector (round $round)"
	eq "quick_check after kill $round" "$(sq 'PRAGMA quick_check')" ok
	start_d
done
wait $SPID || fail "sender failed"
q flush >/dev/null || fail "flush failed"
stop_d
grep -q "already running" "$T/d.log" && fail "stale pidfile blocked a restart"
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
eq "journal_mode" "$(sq 'PRAGMA journal_mode')" wal
eq "disk_write_bytes after 3 kills" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$(val disk_write_bytes "$T/tot")"
eq "disk_writes after 3 kills" "$(sq 'SELECT sum(disk_writes) FROM proc_min')" "$(val disk_writes "$T/tot")"
eq "fsyncs after 3 kills" "$(sq 'SELECT sum(fsyncs) FROM proc_min')" "$(val fsyncs "$T/tot")"
eq "file write_bytes after 3 kills" "$(sq 'SELECT sum(write_bytes) FROM file_min')" "$(val file_write_bytes "$T/tot")"
eq "one row per image" "$(sq 'SELECT count(*) FROM images')" 3
exit 0
