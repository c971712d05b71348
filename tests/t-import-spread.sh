#!/bin/sh
# t-import-spread.sh - how an imported record's totals become history:
# spread evenly over the windows from its start to its end (each window
# T/k, the first T mod k one more: the rows add up to T exactly); hours
# the rollup has passed go straight to hourly rows (proc_hour, file_hour,
# exe_hour, n = the windows) that top over a range reads; a record that
# ended before the hourly retention is not stored ("older than the
# retention"), one that began before it is spread from the cut on; the
# paths of hourly rows written so are kept by the retention (last_ts).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
export LC_ALL=C
PY=/usr/bin/python3
# A must lie in the hour the collector starts in and stay out of hourly
# rows until its checks are done (windows before the hour it starts in are
# rolled up into hourly rows, and so are A's when the next hour begins),
# and D's first hourly row (at the first whole hour after the retention's
# cut) is deleted by the retention once the next hour begins: at least
# 30 s of the hour gone (A begins no earlier than the hour: it failed
# within 100 s of one) and more than 60 s of it left
in_hour 30 60
now=$(date +%s)
H=$(( now / 3600 * 3600 ))
rec() {	# pid exe start end write_bytes writes path
	printf '{"pid":%s,"exe":"%s","comm":"x","start":%s.000,"end":%s.000,"end_reason":"exit","exit_code":0,"classes":{"disk":{"read_bytes":0,"write_bytes":%s,"reads":0,"writes":%s}},"opens":1,"fsyncs":0,"files":[{"path":"%s","class":"disk","opens":1,"write_bytes":%s,"writes":%s}]}\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$5" "$6"
}
a0=$(( now - 100 ))
[ $a0 -ge $H ] || a0=$H
a1=$(( a0 + 19 ))
[ $a1 -lt $now ] || a1=$(( now - 1 ))
b0=$(( H - 3 * 3600 )) b1=$(( H - 3600 - 1 ))
{
	rec 101 /usr/bin/a $a0 $a1 1001 7 /var/log/a.log
	rec 102 /usr/bin/b $b0 $b1 1000003 11 /var/log/b.log
	rec 103 /usr/bin/c $(( now - 4 * 86400 )) $(( now - 3 * 86400 )) 5 1 /var/log/c.log
	rec 104 /usr/bin/d $(( now - 3 * 86400 )) $(( now - 60 )) 777 3 /var/log/d.log
} >"$T/r.jsonl"
# windows of 2 s; minute rows kept 1 day, hourly rows 2 days
start_d --keep-minutes 1 --keep-hours 2
q health >/dev/null	# the database is open
# B's path, last rolled up long ago (a file_state row keeps it for now)
sq "INSERT INTO paths(path, last_ts) VALUES('/var/log/b.log', 1000);
  INSERT INTO file_state(image, path) SELECT 999999, id FROM paths WHERE path = '/var/log/b.log'"
"$IOSHIM" import --socket "$S" "$T/r.jsonl" >"$T/o" || fail "import failed"
eq "summary" "$(cat "$T/o")" "imported 3 records (0 known already, 1 older than the retention, 0 lines skipped)"

# A: the windows of 2 s from a0 to a1, in 1-minute rows.
k=$(( (a1 / 2 * 2 - a0 / 2 * 2) / 2 + 1 ))
q1=$(( 1001 / k )) r1=$(( 1001 % k ))
id=$(sq "SELECT id FROM images WHERE pid = 101")
eq "A: a row per window" "$(sq "SELECT count(*), min(ts), max(ts) FROM proc_min WHERE image = $id")" "$k|$(( a0 / 2 * 2 ))|$(( a1 / 2 * 2 ))"
eq "A: shares T/k, the first T mod k one more" \
    "$(sq "SELECT group_concat(disk_write_bytes, ' ') FROM (SELECT disk_write_bytes FROM proc_min WHERE image = $id ORDER BY ts)")" \
    "$($PY -c "print(' '.join(str($q1 + (i < $r1)) for i in range($k)))")"
eq "A: process and file sums" "$(sq "SELECT sum(disk_write_bytes), sum(disk_writes) FROM proc_min WHERE image = $id")|$(sq "SELECT sum(write_bytes) FROM file_min WHERE image = $id")" "1001|7|1001"
eq "A: no hourly rows" "$(sq "SELECT count(*) FROM proc_hour WHERE image = $id")" 0

# B: three hours before the rollup's mark: hourly rows.
id=$(sq "SELECT id FROM images WHERE pid = 102")
eq "B: no 1-minute rows" "$(sq "SELECT count(*) FROM proc_min WHERE image = $id")" 0
kb=$(( (b1 / 2 * 2 - b0) / 2 + 1 ))
eq "B: an hourly row per hour, n = its windows" \
    "$(sq "SELECT group_concat((ts - $H) || ':' || n, ' ') FROM (SELECT ts, n FROM proc_hour WHERE image = $id ORDER BY ts)")" \
    "-10800:1800 -7200:1800"
eq "B: windows" "$(sq "SELECT sum(n) FROM proc_hour WHERE image = $id")" "$kb"
eq "B: process, file, exe sums" \
    "$(sq "SELECT sum(disk_write_bytes) FROM proc_hour WHERE image = $id")|$(sq "SELECT sum(write_bytes), sum(writes) FROM file_hour WHERE image = $id")|$(sq "SELECT sum(disk_write_bytes) FROM exe_hour WHERE exe = '/usr/bin/b'")" \
    "1000003|1000003|11|1000003"
# the retention must keep the path that B's hourly rows name: a canary
# path with an old last_ts shows when a retention step has run
sq "DELETE FROM file_state WHERE image = 999999; INSERT INTO paths(path, last_ts) VALUES('canary', 1000)"
i=0
while [ "$(sq "SELECT count(*) FROM paths WHERE path = 'canary'")" != 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
eq "retention ran" "$(sq "SELECT count(*) FROM paths WHERE path = 'canary'")" 0
eq "B: its path kept (last_ts covers its hourly rows)" \
    "$(sq "SELECT count(DISTINCT p.path) FROM file_hour f JOIN paths p ON p.id = f.path WHERE f.image = $id")" 1
eq "B: the largest share" "$(sq "SELECT max(disk_write_bytes_max) FROM proc_hour WHERE image = $id")" "$(( 1000003 / kb + 1 ))"
q top by=exe from=$b0 to=$H >"$T/top.json" || fail "top by=exe failed"
eq "top by=exe over the rolled-up hours" "$(json "$T/top.json" '[(x["exe"], x["disk_write_bytes"]) for x in r[0]["rows"]]')" \
    "[('/usr/bin/b', 1000003)]"
q top from=$b0 to=$H >"$T/top2.json" || fail "top failed"
eq "top by process over them" "$(json "$T/top2.json" '[(x["pid"], x["disk_write_bytes"], x["host"]) for x in r[0]["rows"]]')" \
    "[(102, 1000003, 'unknown')]"

# C ended before the hourly retention: not stored.  D began before it.
eq "C: not stored" "$(sq "SELECT count(*) FROM images WHERE pid = 103")" 0
id=$(sq "SELECT id FROM images WHERE pid = 104")
eq "D: all of it, from the cut on" \
    "$(sq "SELECT (SELECT total(disk_write_bytes) FROM proc_min WHERE image = $id) + (SELECT total(disk_write_bytes) FROM proc_hour WHERE image = $id)")" "777.0"
eq "D: nothing before the cut" \
    "$(sq "SELECT count(*) FROM proc_hour WHERE image = $id AND ts < $(( (now - 2 * 86400) / 3600 * 3600 ))")" 0
stop_d
exit 0
