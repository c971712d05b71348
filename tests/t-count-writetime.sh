#!/bin/sh
# t-count-writetime.sh - write_ns against the program's own clock.  The
# shim times writes to files with the CPU's counter (x86 TSC, arm64
# virtual count) and converts at report time (shim/clock.c); a program
# that times each of its own calls with CLOCK_MONOTONIC around it
# (tests/progs/write_time.c) must find the report's write_ns inside its
# own sum: no more (a wrong tick rate, or raw ticks, would exceed it) and
# not much less (blocks of 1 MiB: the kernel's copy dominates every call).
# write, fwrite and pwrite; with a 1.2 s pause, so the rate used at exit
# is the one frozen after a second, and without.  fsync_ns the same way:
# 20 fsyncs, each after a 256 KiB write, timed by the program.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog write_time)

# timed HOW N SIZE PAUSE TIME_KEY CALLS_KEY: run write_time, then the
# report's TIME_KEY for the file must lie inside the program's own sum
# (10 us for the clocks' pairing) and hold most of it (a run preempted
# between the two clocks loses some); CALLS_KEY must be N.
timed() {
	note "$1, $2 x $3 B, pause $4 ms"
	untraced --no-coalesce -- "$P" $1 "$T/out" $2 $3 $4 >"$T/sum"
	eq "program status" "$rc" 0
	sum=$(sed -n 's/^sum_ns=//p' "$T/sum")
	got=$(q "row(rec('write_time'), '$T/out')['$5']")
	eq "$6" "$(q "row(rec('write_time'), '$T/out')['$6']")" $2
	note "program's sum $sum ns, report's $5 $got ns"
	[ "$got" -le $((sum + 10000)) ] ||
	    fail "$1: $5 $got > the program's own sum $sum"
	[ "$got" -ge $((sum / 2)) ] ||
	    fail "$1: $5 $got < half the program's own sum $sum"
}

for pause in 0 1200; do
	for how in write fwrite pwrite; do
		timed $how 40 1048576 $pause write_ns writes
	done
	timed fsync 20 262144 $pause fsync_ns fsyncs
done
