#!/bin/sh
# t-coalesce-exit.sh - every way a program can end: return from main,
# exit, _exit, _Exit, quick_exit, exit from a non-main thread,
# pthread_exit of main, exec (and a failed exec), fork (child exits via
# exit, _exit, or dies of SIGTERM), system(), SIGTERM/SIGINT/SIGHUP/SIGQUIT/
# SIGUSR1/SIGPIPE raised by the program itself, abort, SIGSEGV, SIGFPE,
# SIGTERM/SIGINT/SIGHUP/SIGKILL(*) sent by another process, and EFBIG under
# ulimit -f.  For each: the log is byte-identical to an unshimmed run and
# the shell sees the same exit status (128+signal for a signal death).
# The shimmed run must really have coalesced (writes absorbed > 0), with
# IOSHIM_FLUSH_MS=60000 so no age flush hides a lost path.
# (*) SIGKILL cannot be caught: only the status is compared there.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
X=$(prog co_exit)
ulimit -c 0
export IOSHIM_FLUSH_MS=60000

# one MODE: run it without and with the shim, compare.
one() {
	mode=$1
	rm -f "$T/b.log" "$T/s.log" "$T/s.rep"
	LOGF=$T/b.log timeout -s KILL 30 "$X" "$T/b.log" "$mode" 2>/dev/null; bst=$?
	LOGF=$T/s.log timeout -s KILL 30 env IOSHIM_REPORT="$T/s.rep" LD_PRELOAD="$SHIM" \
	    "$X" "$T/s.log" "$mode" 2>/dev/null; sst=$?
	[ "$bst" = "$sst" ] || fail "$mode: exit status $sst under the shim, $bst without"
	cmp -s "$T/b.log" "$T/s.log" || { diff "$T/b.log" "$T/s.log" | head >&2; fail "$mode: log differs"; }
	a=$(csum "$T/s.rep" writes_absorbed)
	[ "$a" -gt 0 ] || fail "$mode: nothing was coalesced"
	echo "ok: $mode: status $sst, $(wc -l <"$T/s.log") lines identical, $a writes absorbed"
}
for m in return exit _exit _Exit quick_exit thread-exit pthread_exit exec \
    exec-fail fork fork-_exit fork-signal system SIGTERM SIGINT SIGHUP \
    SIGQUIT SIGUSR1 SIGPIPE thread-SIGTERM abort segv fpe; do
	one $m
done

# signals from another process
killed() {
	sig=$1 pre=$2
	rm -f "$T/$pre.log" "$T/$pre.ready" "$T/$pre.rep"
	if [ "$pre" = s ]; then
		env IOSHIM_REPORT="$T/s.rep" LD_PRELOAD="$SHIM" "$X" "$T/s.log" wait "$T/s.ready" &
	else
		"$X" "$T/b.log" wait "$T/b.ready" &
	fi
	pid=$!
	# up to 30 s: under load the start alone may take seconds
	i=0; while [ ! -e "$T/$pre.ready" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
	[ -e "$T/$pre.ready" ] || fail "kill $sig: program did not start"
	kill -s "$sig" $pid
	wait $pid
}
for sig in TERM INT HUP USR2 ALRM; do
	killed $sig b; bst=$?
	killed $sig s; sst=$?
	[ "$bst" = "$sst" ] || fail "kill -$sig: exit status $sst under the shim, $bst without"
	same_file "kill -$sig from another process (status $sst)" "$T/b.log" "$T/s.log"
done
killed KILL s; sst=$?
eq "kill -KILL: status" "$sst" 137

# EFBIG: a file size limit turns coalescing off (by design); the program
# must still die of SIGXFSZ with the same bytes in the file.
rm -f "$T/b.log" "$T/s.log" "$T/s.rep"
(ulimit -f 64; exec "$X" "$T/b.log" efbig); bst=$?
(ulimit -f 64; exec env IOSHIM_REPORT="$T/s.rep" LD_PRELOAD="$SHIM" "$X" "$T/s.log" efbig); sst=$?
eq "efbig: status (SIGXFSZ)" "$sst" "$bst"
[ "$bst" -eq $((128 + 25)) ] || fail "efbig: the unshimmed run did not die of SIGXFSZ ($bst)"
same_file "efbig" "$T/b.log" "$T/s.log"
