#!/bin/sh
# t-count-stdiocancel.sh - a thread cancelled inside fflush (a write is a
# cancellation point) leaves its stream usable, as without the shim: the
# shim's accounting held the stream's lock across the real call, and a
# cancelled thread kept it, so the next call on the stream waited for
# ever.  Output and the file's bytes against the unshimmed run; each run
# under a 30 s timeout.
. "$(dirname "$0")/lib.sh"
P=$(prog stdio_cancel)
timeout 30 "$P" "$T/plain.log" >"$T/plain.out" || fail "unshimmed run failed"
grep -q "thread cancelled" "$T/plain.out" || fail "unshimmed: $(cat "$T/plain.out")"
for co in 0 1; do
	rm -f "$T/shim.log"
	IOSHIM_COALESCE=$co LD_PRELOAD="$SHIM" timeout 30 "$P" "$T/shim.log" >"$T/shim.out"
	rc=$?
	[ $rc = 124 ] && fail "coalesce=$co: the program hung after the cancel"
	eq "coalesce=$co: exit status" $rc 0
	eq "coalesce=$co: output" "$(cat "$T/shim.out")" "$(cat "$T/plain.out")"
	cmp "$T/plain.log" "$T/shim.log" || fail "coalesce=$co: the stream's file differs"
done
