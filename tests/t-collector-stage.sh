#!/bin/sh
# t-collector-stage.sh - steady windows wait in memory (--stage) and reach
# the database in one transaction at most --stage seconds later, or at
# once for a range query, a flush, or a window that needs the database
# (new image, end); a kill -9 loses none of the counts of still-running
# senders, whose staged windows simply were not stored yet.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

staged() { q health | python3 -c 'import json, sys; print(json.load(sys.stdin)["db"]["staged_rows"])'; }
rows() { sq 'SELECT count(*) FROM proc_min'; }

start_d --window 1 --stage 3
# 2 images with 2 files each, a report every 20 ms until the test is done
# with them (tot.stop; at most ~60 s), then END: however slow the machine,
# they are still sending while the test waits for staged windows.
"$SEND" "$S" stream 2 3000 20 2 stop="$T/tot.stop" >"$T/tot" &
SPID=$!
# Staged rows come and go (stored every --stage seconds): each wait below
# reads staged_rows once per try and keeps that value (up to 30 s; only a
# collector that never stages takes that long).
wait_staged() {
	i=0
	while s=$(staged); [ "$s" = 0 ] && [ $i -lt 300 ]; do
		kill -0 $SPID 2>/dev/null || fail "the sender ended early"
		sleep 0.1; i=$((i + 1))
	done
}
wait_staged
n1=$(rows)
[ "$s" -gt 0 ] || fail "no steady window was staged (staged_rows $s)"
echo "ok: staged_rows = $s, proc_min rows = $n1"
# stored without a query: the sender goes on (no END, no new image), so
# only --stage can store them (up to 30 s)
i=0
while n2=$(rows); [ "$n2" -le "$n1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$n2" -gt "$n1" ] || fail "staged windows not stored after --stage seconds ($n1 -> $n2)"
echo "ok: stored within --stage: proc_min rows $n1 -> $n2"
# A range query stores what is staged first and sees it.  The sender is
# stopped meanwhile: with 1 s windows it would stage a new one between the
# query and the look at staged_rows after it.  Staged rows read after the
# sum of the stored ones, so none were stored in between (--stage).
k=0
while :; do
	wait_staged
	[ "$s" -gt 0 ] || fail "nothing staged before the range query"
	kill -STOP $SPID
	pre=$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')
	s=$(staged)
	[ "$s" -gt 0 ] && break
	kill -CONT $SPID
	k=$((k + 1))
	[ $k -lt 20 ] || fail "staged windows always stored before the query could run"
done
q top from=-1h >"$T/top.json" || fail "top failed"
eq "range query stored the staged rows" "$(staged)" 0
kill -CONT $SPID
post=$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')
got=$(json "$T/top.json" 'sum(x["disk_write_bytes"] for x in r[0]["rows"])')
[ "$got" -gt "$pre" ] && [ "$got" -le "$post" ] ||
	fail "range query sees every stored row: $got, stored before it $pre, after it $post"
echo "ok: range query sees every stored row and the staged ones ($pre < $got <= $post)"
# kill -9 with windows staged: their counts come back from the senders'
# cumulative counters after the restart.
wait_staged
[ "$s" -gt 0 ] || fail "nothing staged before kill -9"
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
note "killed the collector with staged windows"
eq "quick_check after kill" "$(sq 'PRAGMA quick_check')" ok
start_d --window 1 --stage 3
# still running: they stop once the new collector stored a window of
# theirs (up to 30 s).  (An END in the first window after a kill -9
# restart loses file counts: a collector bug of its own, not this test's.)
i=0
while [ "$(q health | python3 -c 'import json, sys; print(json.load(sys.stdin)["db"]["windows_stored"])')" = 0 ] &&
    [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
: >"$T/tot.stop"
wait $SPID || fail "sender failed"
q flush >/dev/null || fail "flush failed"
eq "flush stores the staged rows" "$(staged)" 0
stop_d
eq "disk_write_bytes after kill -9" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$(val disk_write_bytes "$T/tot")"
eq "disk_writes after kill -9" "$(sq 'SELECT sum(disk_writes) FROM proc_min')" "$(val disk_writes "$T/tot")"
eq "file write_bytes after kill -9" "$(sq 'SELECT sum(write_bytes) FROM file_min')" "$(val file_write_bytes "$T/tot")"
# exe_min (written with each window, staged or not) adds up to proc_min.
for c in disk_write_bytes disk_writes fsyncs; do
	eq "exe_min $c = proc_min" "$(sq "SELECT (SELECT total($c) FROM exe_min) = (SELECT total($c) FROM proc_min) AND (SELECT count(*) FROM exe_min) > 0")" 1
done

# --stage 0: every window goes to the database at once.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_d --window 1 --stage 0
"$SEND" "$S" stream 1 150 20 1 noend >"$T/tot0" || fail "sender failed"
# the last window is stored at its boundary (up to 30 s under load)
want=$(val disk_write_bytes "$T/tot0")
i=0
while [ "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" != "$want" ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "--stage 0: nothing staged" "$(staged)" 0
eq "--stage 0: stored without a flush" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$want"
stop_d
exit 0
