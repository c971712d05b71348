#!/bin/sh
# t-collector-kill9.sh - kill -9 the collector while senders are reporting,
# restart it: the database passes quick_check, stays in WAL mode, and no
# counts of the still-running senders are lost (cumulative counters +
# stored bases).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

start_d
# Reports from 3 images with files, 20 ms apart, until the test is done
# with them (tot.stop; at most ~60 s), then END: still running across
# every kill however slow the machine.  Each round spans windows (2 s)
# stored after the image's base snapshot, which a restart must add back
# (images.base_ts).
"$SEND" "$S" stream 3 3000 20 4 stop="$T/tot.stop" >"$T/tot" &
SPID=$!
for round in 1 2 3; do
	sleep 3
	kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
	note "killed collector (round $round)"
	eq "quick_check after kill $round" "$(sq 'PRAGMA quick_check')" ok
	start_d
done
# they end at once, their END in the restarted collector's first window:
# what the killed one had received and not stored comes back only because
# a sender that found the collector gone sends every file row again, as
# the shim does (before, an END right after a restart lost file counts:
# 6 of 6 runs)
: >"$T/tot.stop"
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
