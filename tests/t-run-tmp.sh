#!/bin/sh
# t-run-tmp.sh - tests/run says where it is as it goes ("[1/1] t-probe
# ok") and leaves nothing in $TMPDIR: two runs at once with one TMPDIR
# both pass, and the directory is empty after them.
. "$(dirname "$0")/lib.sh"
mkdir "$T/tmp"
TMPDIR=$T/tmp sh "$TOP/tests/run" tests/t-probe.sh >"$T/a.out" 2>&1 & A=$!
TMPDIR=$T/tmp sh "$TOP/tests/run" tests/t-probe.sh >"$T/b.out" 2>&1 & B=$!
wait $A; ra=$?
wait $B; rb=$?
cat "$T/a.out" "$T/b.out"
eq "first run's status" $ra 0
eq "second run's status" $rb 0
for f in a b; do
	grep -q '^\[1/1\] t-probe ok' "$T/$f.out" || fail "$f: no progress line '[1/1] t-probe ok'"
	grep -q '^1 passed, 0 failed, 0 skipped$' "$T/$f.out" || fail "$f: no closing line"
done
left=$(ls -A "$T/tmp")
eq "left in TMPDIR" "$left" ""
