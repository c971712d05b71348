#!/bin/sh
# t-import-bound.sh - imported records count against the importing uid's
# hourly row bound (--uid-rows, ubound.c), the one its live rows use: uid
# 65534 importing more than its rows stops at a refused batch with a
# clear error (the rows it needed, the rows left: health's count); what
# it stored fits the bound; its position stays at the last batch stored; root's rows
# (imported beside it) are untouched; after the bound frees (here: a
# restart with a larger bound) the next run goes on from the position and
# every record is stored exactly once (sqlite3 sums = the files' sums).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody
export LC_ALL=C
PY=/usr/bin/python3
gen() { $PY "$TOP/tests/import_sums.py" gen "$T/tmpl" "$@"; }
want() { $PY "$TOP/tests/import_sums.py" file "$@"; }
got() { sq "$($PY "$TOP/tests/import_sums.py" sql)"; }
# uid 65534's rows in the database: images, process, file and exe rows
nrows() { sq "SELECT (SELECT count(*) FROM images WHERE uid = 65534) + (SELECT count(*) FROM proc_min WHERE uid = 65534) + (SELECT count(*) FROM proc_hour WHERE uid = 65534) + (SELECT count(*) FROM file_min WHERE uid = 65534) + (SELECT count(*) FROM file_hour WHERE uid = 65534) + (SELECT count(*) FROM exe_min WHERE uid = 65534) + (SELECT count(*) FROM exe_hour WHERE uid = 65534)"; }
nimg() { sq "SELECT count(*) FROM images WHERE uid = $1 AND host IS NOT NULL"; }

# uid 65534's import in one clock hour: each batch is charged against the
# row bound of the clock hour it is stored in, so a new hour during the
# import lets 60 more rows in (over the bound, stored records not "some")
in_hour 0 60
IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
gen 40 1000 >"$T/n.jsonl"
gen 10 5000 >"$T/r.jsonl"
chown 65534:65534 "$T/n.jsonl"
chmod 644 "$T/tmpl" "$T"/*.jsonl
start_d --shared --uid-rows 60 --max-procs-per-uid 1000

"$IOSHIM" import --socket "$S" "$T/r.jsonl" >/dev/null || fail "root's import failed"
root0=$(sq "SELECT sum(disk_write_bytes), sum(opens), count(*) FROM proc_min WHERE uid = 0")
$AS "$IOSHIM" import --socket "$S" --batch 5 "$T/n.jsonl" >"$T/o1" 2>"$T/e1" && fail "over the row bound: exit status 0"
cat "$T/e1"
grep -q 'import bound: the batch needs [0-9]* rows' "$T/e1" || fail "no clear error: $(cat "$T/e1")"
k=$(nimg 65534)
[ "$k" -gt 0 ] && [ "$k" -lt 40 ] || fail "uid 65534 stored $k of 40 records (some, not all)"
eq "stored in whole batches" "$((k % 5))" 0
r=$(nrows)
[ "$r" -le 60 ] || fail "uid 65534 has $r rows, over its bound of 60"
eq "position: the last batch stored" "$(sq "SELECT line FROM import_pos WHERE uid = 65534")" "$k"
eq "position: its offset" "$(sq "SELECT off FROM import_pos WHERE uid = 65534")" "$(head -n "$k" "$T/n.jsonl" | wc -c)"
eq "root's rows untouched" "$(sq "SELECT sum(disk_write_bytes), sum(opens), count(*) FROM proc_min WHERE uid = 0")" "$root0"
eq "root's records" "$(nimg 0)" 10
# rows written (an executable's row of a window updated by a later batch
# counts again, as a live window's upserts do): at least the rows there
q health >"$T/h.json" || fail "health failed"
used=$(json "$T/h.json" '[x["rows_this_hour"] for x in r[0]["bounds"]["uids"] if x["uid"] == 65534][0]')
[ "$used" -ge "$r" ] && [ "$used" -le 60 ] || fail "health: $used rows this hour, $r in the database, bound 60"
need=$(sed -n 's/.*the batch needs \([0-9]*\) rows.*/\1/p' "$T/e1")
left=$(sed -n 's/.*uid 65534 has \([0-9]*\) and.*/\1/p' "$T/e1")
eq "the error: rows left" "$left" "$((60 - used))"
[ "$need" -gt "$left" ] || fail "refused a batch of $need rows with $left left"
eq "health: the refusal counted" \
    "$(json "$T/h.json" '[x["imports_refused"] for x in r[0]["bounds"]["uids"] if x["uid"] == 65534][0]')" 1
# root is not bounded: its larger import goes in whole
gen 30 7000 >"$T/r2.jsonl"
"$IOSHIM" import --socket "$S" --batch 5 "$T/r2.jsonl" >/dev/null || fail "root's second import failed"
eq "root's records after its second import" "$(nimg 0)" 40
stop_d

# The bound frees: the next run continues where the position is.
start_d --shared --uid-rows 100000 --max-procs-per-uid 1000
$AS "$IOSHIM" import --socket "$S" --batch 5 "$T/n.jsonl" >"$T/o2" 2>&1 || fail "import after the bound freed: $(cat "$T/o2")"
eq "the rest" "$(cat "$T/o2")" "imported $((40 - k)) records (0 known already, 0 older than the retention, 0 lines skipped)"
eq "every record of uid 65534 once" "$(nimg 65534)" 40
eq "totals: both files exactly" "$(got)" "$(want "$T/r.jsonl" "$T/r2.jsonl" "$T/n.jsonl")"
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
exit 0
