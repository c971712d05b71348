#!/bin/sh
# t-count-exit.sh - every way a program ends gives one record with the
# right end and the right bytes (tests/progs/count_exit.c writes 100
# bytes with write() and 50 with stdio, then ends):
#   return N, exit(N): end_reason exit, exit_code N, 150 bytes;
#   _exit(N), _Exit(N): exit, N, 100 bytes (the stdio bytes never left
#     the FILE buffer, so they are not counted);
#   raise(SIGTERM): end_reason signal, signal 15, the shell sees 143;
#   killed by SIGTERM from outside, through "ioshim run" (which forwards
#     it) and directly: signal 15, status 143.
# In every case the report's bytes equal the output file's size, and
# ioshim run's exit status is the program's.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog count_exit)

one() {	# MODE CODE WANT_STATUS WANT_REASON WANT_BYTES
	untraced -- "$P" "$1" "$2" >"$T/out"
	eq "$1: status seen by the shell" "$rc" "$3"
	eq "$1: records" "$(q "len(r)")" 1
	eq "$1: end_reason" "$(q "r[0]['end_reason']")" "$4"
	if [ "$4" = exit ]; then
		eq "$1: exit_code" "$(q "r[0]['exit_code']")" "$2"
	else
		eq "$1: signal" "$(q "r[0]['signal']")" 15
	fi
	eq "$1: file size" "$(size "$T/out")" "$5"
	eq "$1: report's disk write_bytes = file size" "$(q "cls(r[0], 'disk', 'write_bytes')")" "$5"
}
one return 3 3 exit 150
one return 0 0 exit 150
one exit 42 42 exit 150
one _exit 5 5 exit 100
one _Exit 6 6 exit 100
one raise 0 143 signal 100

for how in forwarded direct; do
	# the last round's output goes first: the background shell may not
	# have truncated it yet when the loop below looks (seen under load:
	# 150 bytes at once, and no child yet to kill)
	rm -f "$R" "$T/out"
	"$IOSHIM" run --report "$R" -- "$P" pause 0 >"$T/out" &
	RPID=$!
	i=0	# up to 30 s: under load the start alone may take seconds
	while [ "$(size "$T/out" 2>/dev/null || echo 0)" -lt 150 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(size "$T/out" 2>/dev/null || echo 0)" -ge 150 ] || fail "killed ($how): the program did not write its 150 bytes"
	if [ $how = forwarded ]; then
		kill -TERM $RPID
	else
		pkill -TERM -P $RPID -x count_exit || fail "no child to kill"
	fi
	wait $RPID
	eq "killed ($how): status seen by the shell" "$?" 143
	eq "killed ($how): end_reason" "$(q "r[0]['end_reason']")" signal
	eq "killed ($how): signal" "$(q "r[0]['signal']")" 15
	eq "killed ($how): report's bytes = file size" "$(q "cls(r[0], 'disk', 'write_bytes')")" "$(size "$T/out")"
done
