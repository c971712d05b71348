#!/bin/sh
# t-import-health.sh - what `ioshim import` did, in `health` ("import":
# records stored, known, lines skipped, batches stored and refused, files
# tracked, the last batch's time), in `ioshim health` and in /metrics
# (ioshim_imported_records_total, ioshim_import_batches_total,
# ioshim_import_files_tracked, ioshim_import_last_timestamp_seconds); the
# truth is the files imported and the database's import_pos.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
command -v curl >/dev/null || skip "no curl"
export LC_ALL=C
PY=/usr/bin/python3
imp() { "$IOSHIM" import --socket "$S" "$@"; }
gen() { $PY "$TOP/tests/import_sums.py" gen "$T/tmpl" "$@"; }
# hs: take health now; hj KEY...: those keys of "import" in it
hs() { "$IOSHIM" health --json --socket "$S" >"$T/h.json" || fail "health --json failed"; }
hj() { json "$T/h.json" "' '.join(str(r[0]['import'][k]) for k in '$*'.split())"; }
metric() { curl -fsS "http://127.0.0.1:$PORT/metrics" | sed -n "s/^$1 //p"; }

IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_d --http "127.0.0.1:$PORT"
hs
eq "nothing imported yet" "$(hj records batches files_tracked last)" "0 0 0 0"

# 9 records and a malformed line, in batches of 5 lines: 2 batches.
{ gen 4 1000; echo 'not JSON'; gen 5 2000; } >"$T/r1.jsonl"
t0=$(date +%s)
imp --batch 5 "$T/r1.jsonl" >"$T/o1" 2>"$T/e1" && fail "a skipped line: exit status 0"
t1=$(date +%s)
eq "summary" "$(cat "$T/o1")" "imported 9 records (0 known already, 0 older than the retention, 1 lines skipped)"
hs
eq "health: records, lines skipped, batches, files" "$(hj records lines_skipped batches files_tracked)" "9 1 2 1"
eq "health: files tracked = import_pos" "$(hj files_tracked)" "$(sq 'SELECT count(*) FROM import_pos')"
last=$(hj last)
[ "$last" -ge "$t0" ] && [ "$last" -le "$t1" ] || fail "health: last import $last not within [$t0, $t1]"

# A second file, and the first again (nothing new: no batch).
gen 3 3000 >"$T/r2.jsonl"
imp "$T/r2.jsonl" "$T/r1.jsonl" >"$T/o2" 2>&1 || { cat "$T/o2"; fail "second import failed"; }
hs
eq "health: records, batches, files after the second file" "$(hj records batches files_tracked)" "12 3 2"
eq "health: import_pos agrees" "$(sq 'SELECT count(*) FROM import_pos')" 2

# The same records under another name (a copy: another inode): known.
cp "$T/r2.jsonl" "$T/r3.jsonl"
imp "$T/r3.jsonl" >/dev/null || fail "import of the copy failed"
hs
eq "health: known, records" "$(hj known records)" "3 12"

# A batch the collector refuses (no newline at its end).
$PY - "$S.ctl" <<'PY' >"$T/refused" || fail "raw request failed"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"import dev=1 ino=1 from=0 to=3 line=0 size=3 head=0 tail=0 bytes=3\nabc")
print(s.makefile().readline().strip())
PY
grep -q 'must end with a newline' "$T/refused" || fail "not refused: $(cat "$T/refused")"
hs
eq "health: batches refused, stored" "$(hj batches_refused batches)" "1 4"

# ioshim health prints them; /metrics says the same.
"$IOSHIM" health --socket "$S" >"$T/h.txt"
grep -q '^ *import:' "$T/h.txt" || fail "ioshim health: no import section"
grep -q '^ *records: 12$' "$T/h.txt" || fail "ioshim health: no records: 12"
eq "/metrics: stored" "$(metric 'ioshim_imported_records_total{result="stored"}')" 12
eq "/metrics: known" "$(metric 'ioshim_imported_records_total{result="known"}')" 3
eq "/metrics: bad" "$(metric 'ioshim_imported_records_total{result="bad"}')" 1
eq "/metrics: batches stored" "$(metric 'ioshim_import_batches_total{result="stored"}')" 4
eq "/metrics: batches refused" "$(metric 'ioshim_import_batches_total{result="refused"}')" 1
eq "/metrics: files tracked" "$(metric ioshim_import_files_tracked)" 3
eq "/metrics: last" "$(metric ioshim_import_last_timestamp_seconds)" "$(hj last)"
stop_d
exit 0
