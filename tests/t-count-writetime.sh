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

for how in write fwrite pwrite; do
	for pause in 0 1200; do
		note "$how, 40 x 1 MiB, pause $pause ms"
		untraced --no-coalesce -- "$P" $how "$T/out" 40 1048576 $pause >"$T/sum"
		eq "program status" "$rc" 0
		sum=$(sed -n 's/^sum_ns=//p' "$T/sum")
		got=$(q "row(rec('write_time'), '$T/out')['write_ns']")
		eq "write calls" "$(q "row(rec('write_time'), '$T/out')['writes']")" 40
		note "program's sum $sum ns, report's write_ns $got ns"
		# inside the program's sum (10 us for the clocks' pairing)
		[ "$got" -le $((sum + 10000)) ] ||
		    fail "$how: write_ns $got > the program's own sum $sum"
		# and most of it (a run preempted between the two clocks loses some)
		[ "$got" -ge $((sum / 2)) ] ||
		    fail "$how: write_ns $got < half the program's own sum $sum"
	done
done

for pause in 0 1200; do
	note "fsync, 20 x (256 KiB write, fsync), pause $pause ms"
	untraced --no-coalesce -- "$P" fsync "$T/out" 20 262144 $pause >"$T/sum"
	eq "program status" "$rc" 0
	sum=$(sed -n 's/^sum_ns=//p' "$T/sum")
	got=$(q "row(rec('write_time'), '$T/out')['fsync_ns']")
	eq "fsync calls" "$(q "row(rec('write_time'), '$T/out')['fsyncs']")" 20
	note "program's sum $sum ns, report's fsync_ns $got ns"
	[ "$got" -le $((sum + 10000)) ] ||
	    fail "fsync: fsync_ns $got > the program's own sum $sum"
	[ "$got" -ge $((sum / 2)) ] ||
	    fail "fsync: fsync_ns $got < half the program's own sum $sum"
done
