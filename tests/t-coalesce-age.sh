#!/bin/sh
# t-coalesce-age.sh - the age flush, line after line: a program writes one
# line to its log, then waits without a call the shim sees until the line
# is in the file (co_age.c).  With IOSHIM_FLUSH_MS=1, 2,000 lines: each
# must arrive by the worker's age flush (reasons.age counts every one),
# none may wait for the program's end.  Before the appender counted its
# bytes ahead of waking the worker, a worker woken first found nothing
# held and slept with no timeout: 3 runs of 3 lost a line (at lines 0,
# 19, 54) on a loaded machine.  Then the lines are checked as written.
# Last, a credential call after each line (the worker is stopped around
# it, wrap_cred.c): before the worker was started again after it, the
# first line stayed held until the program's end.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
A=$(prog co_age)
N=2000
for i in 1 2 3; do
	rm -f "$T/age.log" "$T/age.rep"
	spec=$(IOSHIM_FLUSH_MS=1 timeout -s KILL 120 env IOSHIM_REPORT="$T/age.rep" \
	    LD_PRELOAD="$SHIM" "$A" "$T/age.log" $N) ||
		fail "run $i: co_age failed (status $?: a line held, see above)"
	lines_check "$T/age.log" $spec
	eq "run $i: age flushes" "$(csum "$T/age.rep" reasons.age)" $N
done
rm -f "$T/age.log" "$T/age.rep"
spec=$(IOSHIM_FLUSH_MS=1 timeout -s KILL 120 env IOSHIM_REPORT="$T/age.rep" \
    LD_PRELOAD="$SHIM" "$A" "$T/age.log" 50 cred) ||
	fail "cred: co_age failed (status $?: a line held past a setegid)"
lines_check "$T/age.log" $spec
eq "cred: age flushes" "$(csum "$T/age.rep" reasons.age)" 50
