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
# 2 images with 2 files each, a report every 20 ms for ~14 s, then END.
"$SEND" "$S" stream 2 700 20 2 >"$T/tot" &
SPID=$!
sleep 2.5
s1=$(staged) n1=$(rows)
[ "$s1" -gt 0 ] || fail "no steady window was staged (staged_rows $s1)"
echo "ok: staged_rows = $s1, proc_min rows = $n1"
sleep 4.5	# > --stage + a window: stored without a query
n2=$(rows)
[ "$n2" -gt "$n1" ] || fail "staged windows not stored after --stage seconds ($n1 -> $n2)"
echo "ok: stored within --stage: proc_min rows $n1 -> $n2"
# A range query stores what is staged first and sees it.
i=0; while [ "$(staged)" = 0 ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(staged)" -gt 0 ] || fail "nothing staged before the range query"
q top from=-1h >"$T/top.json" || fail "top failed"
eq "range query stored the staged rows" "$(staged)" 0
eq "range query sees every stored row" "$(json "$T/top.json" 'sum(x["disk_write_bytes"] for x in r[0]["rows"])')" \
    "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')"
# kill -9 with windows staged: their counts come back from the senders'
# cumulative counters after the restart.
i=0; while [ "$(staged)" = 0 ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(staged)" -gt 0 ] || fail "nothing staged before kill -9"
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
note "killed the collector with staged windows"
eq "quick_check after kill" "$(sq 'PRAGMA quick_check')" ok
start_d --window 1 --stage 3
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
sleep 1.5
eq "--stage 0: nothing staged" "$(staged)" 0
eq "--stage 0: stored without a flush" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$(val disk_write_bytes "$T/tot0")"
stop_d
exit 0
