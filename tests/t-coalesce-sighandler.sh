#!/bin/sh
# t-coalesce-sighandler.sh - signal handlers (SIGALRM from a 50us interval
# timer, SIGUSR1 from another thread) write() to the coalesced log while
# the main thread and another thread append to it: no deadlock (timeout
# 60), every line of every writer present once, intact, in order.  Run
# with the default buffer and with a 4 KiB one (flushes inside the
# interrupted appends), and without the shim as the reference.  The
# "slow" runs have the main thread append alone most of the time, with the
# other thread's occasional line and the worker's 1 ms age flushes taking
# the lock between its appends.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
S=$(prog co_sig)
N=50000
SLOW=
run() {	# run NAME [env...]
	name=$1; shift
	rm -f "$T/$name.log"
	spec=$(timeout -s KILL 60 env "$@" "$S" "$T/$name.log" $N $SLOW) ||
		fail "$name: exit status $? (137: deadlocked, killed after 60 s)"
	echo "# $name: $spec"
	case $spec in *" a:0 "*|*" u:0") fail "$name: a handler never ran ($spec)";; esac
	lines_check "$T/$name.log" $spec
}
run plain
run shim IOSHIM_REPORT="$T/s.rep" LD_PRELOAD="$SHIM"
# many small flushes: signals land inside flushes and appends.  (Before
# flush_buf blocked signals ahead of reading the buffer state, 5 runs of
# 6 duplicated lines here.)
N=300000
for i in 1 2 3; do
	run shim-4k IOSHIM_BUFFER_KB=4 IOSHIM_REPORT="$T/s4.rep" LD_PRELOAD="$SHIM"
done
run shim-4k-mem IOSHIM_BUFFER_KB=4 IOSHIM_MEM_KB=8 IOSHIM_FLUSH_MS=1 LD_PRELOAD="$SHIM"
SLOW=slow
for i in 1 2 3; do
	run shim-slow IOSHIM_FLUSH_MS=1 LD_PRELOAD="$SHIM"
	run shim-slow-4k IOSHIM_BUFFER_KB=4 IOSHIM_FLUSH_MS=1 LD_PRELOAD="$SHIM"
done
SLOW=
N=50000
a=$(csum "$T/s.rep" writes_absorbed)
[ "$a" -gt "$N" ] || fail "shim: only $a writes absorbed"
echo "ok: $a writes absorbed; signal-path flushes: $(csum "$T/s.rep" reasons.signal) / $(csum "$T/s4.rep" reasons.signal)"
