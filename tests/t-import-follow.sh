#!/bin/sh
# t-import-follow.sh - `ioshim import --follow` keeps reading a report file
# as it grows and across a rotation (tail -F): lines appended, the file
# renamed away and appended to, a new file at the name; every record is
# stored once, and SIGTERM ends it with status 0.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
export LC_ALL=C
PY=/usr/bin/python3
R=$T/r.jsonl
want() { $PY "$TOP/tests/import_sums.py" file "$@"; }
got() { sq "$($PY "$TOP/tests/import_sums.py" sql)"; }
images() { sq "SELECT count(*) FROM images WHERE host IS NOT NULL"; }
gen() { $PY "$TOP/tests/import_sums.py" gen "$T/tmpl" "$@"; }
# wait_images N: until N images are stored (up to 60 s, no timing asserted)
wait_images() {
	_i=0
	while [ "$(images)" != "$1" ] && [ $_i -lt 600 ]; do sleep 0.1; _i=$((_i + 1)); done
	eq "$2" "$(images)" "$1"
}

IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
start_d
q health >/dev/null	# the database is open
gen 5 1000 >"$R"
cp "$R" "$T/all"
"$IOSHIM" import --follow --socket "$S" "$R" >"$T/o" 2>"$T/e" &
F=$!
trap 'kill $F 2>/dev/null; [ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
wait_images 5 "the file as it was"
gen 3 2000 | tee -a "$T/all" >>"$R"
wait_images 8 "lines appended"
mv "$R" "$R.1"
gen 2 3000 | tee -a "$T/all" >>"$R.1"
gen 4 4000 | tee -a "$T/all" >"$R"
wait_images 14 "rotated: the old file's last lines and the new file"
gen 2 5000 | tee -a "$T/all" >>"$R"
wait_images 16 "the new file appended to"
kill -TERM $F
wait $F || fail "import --follow exited with status $?: $(cat "$T/e")"
cat "$T/o" "$T/e"
eq "totals: every record once" "$(got)" "$(want "$T/all")"
eq "positions kept: a later import adds nothing" \
    "$("$IOSHIM" import --socket "$S" "$R.1" "$R")" \
    "imported 0 records (0 known already, 0 older than the retention, 0 lines skipped)"
stop_d
exit 0
