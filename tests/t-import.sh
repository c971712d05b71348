#!/bin/sh
# t-import.sh - `ioshim import` of a real shimmed workload's exit-report
# file: the stored totals (sqlite3 on the database: proc_min/proc_hour,
# file_min/file_hour) equal the sums of the file's records exactly; a
# second import adds nothing; the file appended to adds only the new
# records; a partial last line waits for its end; malformed lines (not
# JSON, wrong types, absurd values, a line of 3 MB) are named with their
# file:line and skipped, the good lines around them stored; records of
# images the collector saw live are not stored twice.  top over a range
# and /metrics tell imported history from local.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
command -v gzip >/dev/null || skip "no gzip"
export LC_ALL=C
PY=/usr/bin/python3
R=$T/r.jsonl
# no collector for the workload: only the report file knows what it did
work() { IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$R" -- sh -c "$1" 2>/dev/null || fail "workload failed"; }
imp() { "$IOSHIM" import --socket "$S" "$@"; }
want() { $PY "$TOP/tests/import_sums.py" file "$@"; }
got() { sq "$($PY "$TOP/tests/import_sums.py" sql)"; }
images() { sq "SELECT count(*) FROM images WHERE host IS NOT NULL"; }

# The workload's records must lie in the hour the collector starts in:
# a fresh database counts the hours before it as rolled up, whose imported
# windows go to hourly rows only (no exe_min rows; top over the last hour
# reads a part-hour from 1-minute rows): it failed when an hour began
# between the workload and the collector's start.
in_hour 0 60
work "dd if=/dev/zero of='$T/a' bs=4k count=50 status=none; cat '$T/a' >'$T/b'; gzip -c '$T/b' >'$T/c.gz'; ls '$T' >/dev/null"
n1=$(wc -l <"$R")
[ "$n1" -ge 4 ] || fail "the workload wrote $n1 records"
command -v curl >/dev/null || skip "no curl"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_d --http "127.0.0.1:$PORT"
imp "$R" >"$T/o1" 2>"$T/e1" || { cat "$T/e1"; fail "import failed"; }
cat "$T/o1"
eq "imported" "$(cat "$T/o1")" "imported $n1 records (0 known already, 0 older than the retention, 0 lines skipped)"
eq "images" "$(images)" "$n1"
eq "stored totals = the file's sums" "$(got)" "$(want "$R")"
# the kernel-facing figures of the report (classes.disk.write_syscalls,
# kernel.write_bytes) are stored, not 0
wsys=$(json "$R" 'sum(x["classes"]["disk"]["write_syscalls"] for x in r)')
[ "$wsys" -ge 50 ] || fail "the workload's report has $wsys disk write syscalls (dd alone made 50)"
eq "disk_write_syscalls = the file's sum" \
    "$(sq 'SELECT sum(disk_write_syscalls) FROM (SELECT disk_write_syscalls FROM proc_min UNION ALL SELECT disk_write_syscalls FROM proc_hour)')" "$wsys"
eq "exe_min: disk_write_syscalls" "$(sq 'SELECT sum(disk_write_syscalls) FROM exe_min')" "$wsys"
eq "marked imported, host unknown, importer's uid" \
    "$(sq "SELECT DISTINCT host, uid, start_ticks < 0 FROM images")" "unknown|$(id -u)|1"
eq "exe_min = proc_min" "$(sq 'SELECT sum(disk_write_bytes), sum(opens) FROM exe_min')" \
    "$(sq 'SELECT sum(disk_write_bytes), sum(opens) FROM proc_min')"

q top from=-1h limit=100 >"$T/top.json" || fail "top failed"
eq "top rows: host of every imported one" "$(json "$T/top.json" 'sorted(set(x.get("host") for x in r[0]["rows"]))')" "['unknown']"
eq "top rows: all of them" "$(json "$T/top.json" 'len(r[0]["rows"])')" "$n1"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$T/m" || fail "no /metrics"
eq "/metrics: records stored" "$(sed -n 's/^ioshim_imported_records_total{result="stored"} //p' "$T/m")" "$n1"
eq "/metrics: imported disk write bytes" "$(sed -n 's/^ioshim_imported_write_bytes_total{class="disk"} //p' "$T/m")" \
    "$(want "$R" | head -n 1 | cut -d'|' -f2)"
"$IOSHIM" report --socket "$S" --since 1h --limit 100 >"$T/rep" || fail "report failed"
eq "report: every imported row marked" "$(grep -c 'imported@unknown' "$T/rep")" "$n1"
eq "report: the write system calls of imported history" \
    "$(sed -n 's/^All .* in \([0-9]*\) write system calls.*/\1/p' "$T/rep")" "$wsys"
dpid=$(json "$R" '[x["pid"] for x in r if x["comm"] == "dd"][0]')
q process "$dpid" >"$T/p.json" || fail "process query failed"
eq "process: imported, unverified" "$(json "$T/p.json" '(r[0]["host"], r[0]["imported"], r[0]["verified"], r[0]["totals"]["disk_write_bytes"])')" \
    "('unknown', True, False, 204800)"

# Again: nothing added.
imp "$R" >"$T/o2" || fail "second import failed"
eq "second import" "$(cat "$T/o2")" "imported 0 records (0 known already, 0 older than the retention, 0 lines skipped)"
eq "images after the second import" "$(images)" "$n1"
eq "totals after the second import" "$(got)" "$(want "$R")"

# Appended: only the new records.
work "cat '$T/c.gz' | gzip -d >'$T/d'; cp '$T/d' '$T/e'"
n2=$(wc -l <"$R")
imp "$R" >"$T/o3" || fail "third import failed"
eq "appended" "$(cat "$T/o3")" "imported $((n2 - n1)) records (0 known already, 0 older than the retention, 0 lines skipped)"
eq "images after appending" "$(images)" "$n2"
eq "totals after appending" "$(got)" "$(want "$R")"

# A partial last line waits for the rest of it.
cp "$R" "$T/good.jsonl"
$PY "$TOP/tests/import_sums.py" gen "$R" 1 900001 >"$T/one"
head -c 100 "$T/one" >>"$R"
imp "$R" >"$T/o4" || fail "import with a partial line failed"
eq "partial line left" "$(images)" "$n2"
tail -c +101 "$T/one" >>"$R"
cat "$T/one" >>"$T/good.jsonl"
imp "$R" >/dev/null || fail "import of the completed line failed"
eq "completed line stored" "$(images)" "$((n2 + 1))"
eq "totals with the completed line" "$(got)" "$(want "$T/good.jsonl")"

# Malformed lines between good ones.
l0=$(wc -l <"$R")
$PY "$TOP/tests/import_sums.py" gen "$R" 4 900100 >"$T/four"
{
	sed -n 1p "$T/four"
	echo 'this is not JSON'
	sed -n 2p "$T/four" | sed 's/"pid":900101/"pid":"900101"/'
	sed -n 3p "$T/four"
	sed -n 4p "$T/four" | sed 's/"write_bytes":[0-9]*/"write_bytes":1152921504606846976/'
	$PY -c 'print("{\"pid\":1,\"exe\":\"" + "x" * 3000000 + "\"}")'
	sed -n 2p "$T/four" | sed 's/"pid":900101/"pid":900201/'
	echo '{"pid":5,"start":1700000000.000}'
} >>"$R"
sed -n '1p;3p' "$T/four" >>"$T/good.jsonl"
sed -n 2p "$T/four" | sed 's/"pid":900101/"pid":900201/' >>"$T/good.jsonl"
imp "$R" >"$T/o5" 2>"$T/e5" && fail "malformed lines: exit status 0"
cat "$T/e5"
eq "malformed: summary" "$(cat "$T/o5")" "imported 3 records (0 known already, 0 older than the retention, 5 lines skipped)"
eq "malformed: messages" "$(grep -c 'line skipped' "$T/e5")" 5
grep -q "r.jsonl:$((l0 + 2)): not JSON" "$T/e5" || fail "no file:line for the line that is not JSON"
grep -q "r.jsonl:$((l0 + 3)): wrong type" "$T/e5" || fail "no file:line for the wrong type"
grep -q "r.jsonl:$((l0 + 5)): absurd value" "$T/e5" || fail "no file:line for the absurd value"
grep -q "r.jsonl:$((l0 + 6)): line too long" "$T/e5" || fail "no file:line for the 3 MB line"
grep -q "r.jsonl:$((l0 + 8)): missing field" "$T/e5" || fail "no file:line for the missing fields"
eq "good lines around the bad ones stored" "$(images)" "$((n2 + 4))"
eq "totals: the good lines" "$(got)" "$(want "$T/good.jsonl")"
imp "$R" >"$T/o6" || fail "import after the malformed lines failed"
eq "bad lines not read again" "$(cat "$T/o6")" "imported 0 records (0 known already, 0 older than the retention, 0 lines skipped)"

# Images seen live: the same image is not counted twice.
L=$T/live.jsonl
IOSHIM_SOCKET=$S "$IOSHIM" run --report "$L" -- sh -c "dd if=/dev/zero of='$T/f' bs=1k count=20 status=none" || fail "live workload failed"
q flush >/dev/null
live=$(sq "SELECT count(*) FROM images WHERE host IS NULL")
[ "$live" -ge 1 ] || fail "no image stored live"
imp "$L" >"$T/o7" || fail "import of the live records failed"
eq "seen live" "$(cat "$T/o7")" "imported 0 records ($(wc -l <"$L") known already, 0 older than the retention, 0 lines skipped)"
eq "images after the live import" "$(images)" "$((n2 + 4))"
# An imported image's totals are packed (impbase.c); one stored raw by an
# older import (33 counters, 264 bytes) is still read as it is.
$PY - "$DB" "$dpid" <<'PY' || fail "could not write a raw base"
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
v = [0] * 33
v[1] = 777  # disk_write_bytes
db.execute("UPDATE images SET base = ? WHERE pid = ? AND host IS NOT NULL",
           (struct.pack("<33Q", *v), int(sys.argv[2])))
db.commit()
PY
q process "$dpid" >"$T/p2.json" || fail "process query failed"
eq "process: a raw base" "$(json "$T/p2.json" 'r[0]["totals"]["disk_write_bytes"]')" 777
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
exit 0
