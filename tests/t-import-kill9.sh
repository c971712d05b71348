#!/bin/sh
# t-import-kill9.sh - ioshimd killed with SIGKILL in the middle of an
# `ioshim import` (batches of 10 records: many commits) and started again:
# the import fails, the database passes quick_check, and after the next
# import every record is stored exactly once (the parse position is
# committed with the records it covers).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
export LC_ALL=C
PY=/usr/bin/python3
R=$T/r.jsonl
N=20000
want() { $PY "$TOP/tests/import_sums.py" file "$@"; }
got() { sq "$($PY "$TOP/tests/import_sums.py" sql)"; }
images() { n=$(sq "SELECT count(*) FROM images WHERE host IS NOT NULL" 2>/dev/null); echo "${n:-0}"; }

IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
$PY "$TOP/tests/import_sums.py" gen "$T/tmpl" $N 100000 >"$R"
start_d
q health >/dev/null	# answered once the database is open (the socket is there before)
"$IOSHIM" import --batch 10 --socket "$S" "$R" >"$T/o" 2>"$T/e" &
I=$!
_i=0
while [ "$(images)" -lt 100 ] && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done
kill -9 $DPID
wait $DPID 2>/dev/null
DPID=
at=$(images)
note "killed with $at of $N records stored"
[ "$at" -gt 0 ] && [ "$at" -lt $N ] || fail "not killed during the import ($at stored)"
wait $I && fail "the import did not notice the collector going away"
grep -q "went away" "$T/e" || fail "no message: $(cat "$T/e")"
eq "quick_check after kill -9" "$(sq 'PRAGMA quick_check')" ok
eq "the position covers exactly the stored records" \
    "$(sq 'SELECT records FROM import_pos')" "$at"
start_d
"$IOSHIM" import --socket "$S" "$R" >"$T/o2" || fail "import after the restart failed"
cat "$T/o2"
eq "rest imported" "$(cat "$T/o2")" "imported $((N - at)) records (0 known already, 0 older than the retention, 0 lines skipped)"
eq "every record once" "$(sq 'SELECT count(*), count(DISTINCT pid) FROM images')" "$N|$N"
eq "totals" "$(got)" "$(want "$R")"
stop_d
exit 0
