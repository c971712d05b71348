#!/bin/sh
# t-coalesce-exitrace.sh - 4 threads append without pause while the main
# thread ends the process by exit(), _exit() or a SIGTERM it raises.
# Without the shim each thread's lines in the log are a gapless prefix of
# what it wrote (the last ones may be missing, none in the middle); under
# the shim too, and the exit status is the same.  20 runs per way, as the
# race is narrow (before the fix, about 1 run in 6 lost lines).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
X=$(prog co_exitrace)
for m in exit:3 _exit:4 signal:143; do
	mode=${m%:*} want=${m#*:}
	rm -f "$T/b.log"
	"$X" "$T/b.log" $mode 4 10 2>/dev/null
	eq "$mode: unshimmed status" $? $want
	prefix_check "$T/b.log" || fail "$mode: the unshimmed log has gaps (checker broken?)"
	i=0
	while [ $i -lt 20 ]; do
		rm -f "$T/s.log"
		timeout -s KILL 30 env LD_PRELOAD="$SHIM" "$X" "$T/s.log" $mode 4 10 2>/dev/null
		st=$?
		[ $st = $want ] || fail "$mode: status $st under the shim, want $want"
		prefix_check "$T/s.log" || fail "$mode: run $i: lines lost at the end of the process"
		i=$((i + 1))
	done
	echo "ok: $mode: 20 runs, every thread's lines gapless, status $want"
done
