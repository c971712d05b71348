#!/bin/sh
# t-import-uid.sh - an imported record is a claim of the importing uid:
# with --shared, uid 65534's import is stored under 65534 (socket
# credentials), host as given, marked imported; it may not name another
# uid (uid= is root's), its rows never reach root's rows (top over a
# range, exe_min), and its records count against its bound (budget:
# --max-procs-per-uid x 60 records an hour; over it the batch is
# refused and nothing of it stored).  root importing a file of 65534
# keeps the file's uid.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody
export LC_ALL=C
PY=/usr/bin/python3
gen() { $PY "$TOP/tests/import_sums.py" gen "$T/tmpl" "$@"; }

# From the workload to the last import, one clock hour: the records must
# lie in the hour the collector starts in (the hours before it count as
# rolled up, their imported windows go to hourly rows only: no exe_min rows,
# not in top from=-1h), and the import budget is per clock hour (a new
# hour before the last import lets 60 more records in, not 40)
in_hour 0 60
IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
gen 20 1000 >"$T/n.jsonl"
gen 5 2000 >"$T/r.jsonl"
gen 3 3000 >"$T/o.jsonl"
gen 100 4000 >"$T/big.jsonl"
chown 65534:65534 "$T/n.jsonl" "$T/o.jsonl" "$T/big.jsonl"
chmod 644 "$T/tmpl" "$T"/*.jsonl
start_d --shared --max-procs-per-uid 1

$AS "$IOSHIM" import --socket "$S" --host ci-42 "$T/n.jsonl" >"$T/o1" 2>&1 || fail "nobody's import failed: $(cat "$T/o1")"
eq "nobody's records: uid, host" "$(sq "SELECT count(*), uid, host FROM images WHERE host IS NOT NULL GROUP BY uid")" "20|65534|ci-42"
"$IOSHIM" import --socket "$S" --host ci-42 "$T/r.jsonl" >/dev/null || fail "root's import failed"
eq "root's own file: uid 0" "$(sq "SELECT count(*) FROM images WHERE uid = 0")" 5
eq "exe_min per uid" "$(sq "SELECT uid, sum(disk_write_bytes) FROM exe_min GROUP BY uid ORDER BY uid")" \
    "0|153600
65534|614400"

# uid= is root's.
dev=$(stat -c %d "$T/o.jsonl") ino=$(stat -c %i "$T/o.jsonl")
$AS "$IOSHIM" query --socket "$S" "import dev=$dev ino=$ino from=0 to=1 line=0 size=1 head=0 tail=0 uid=0 gid=0" >"$T/o2"
grep -q 'permission denied' "$T/o2" || fail "nobody named uid 0: $(cat "$T/o2")"

# nobody sees only its own history; root's rows are root's.
$AS "$IOSHIM" query --socket "$S" top from=-1h limit=100 >"$T/n.json" || fail "nobody: top failed"
eq "nobody's top: its rows only" "$(json "$T/n.json" 'sorted(set(x["uid"] for x in r[0]["rows"]))')" "[65534]"
q top from=-1h limit=100 >"$T/r.json" || fail "root: top failed"
eq "root's top: both" "$(json "$T/r.json" 'len(r[0]["rows"])')" 25

# root importing 65534's file keeps the file's uid.
"$IOSHIM" import --socket "$S" "$T/o.jsonl" >/dev/null || fail "root's import of nobody's file failed"
eq "file's uid kept" "$(sq "SELECT count(*) FROM images WHERE uid = 65534 AND host = 'unknown'")" 3

# The bound: 60 records an hour for uid 65534 (20 used).
$AS "$IOSHIM" import --socket "$S" "$T/big.jsonl" >"$T/o3" 2>&1 && fail "over the bound: status 0"
grep -q 'import bound' "$T/o3" || fail "no bound message: $(cat "$T/o3")"
eq "nothing of the refused batch" "$(sq "SELECT count(*) FROM images WHERE pid >= 4000")" 0
$AS "$IOSHIM" import --socket "$S" --batch 10 "$T/big.jsonl" >"$T/o4" 2>&1 && fail "over the bound in small batches: status 0"
eq "up to the bound" "$(sq "SELECT count(*) FROM images WHERE pid >= 4000")" 40
eq "root unbounded" "$(sq "SELECT count(*) FROM images WHERE uid = 0")" 5
stop_d
exit 0
