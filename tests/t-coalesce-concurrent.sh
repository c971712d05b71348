#!/bin/sh
# t-coalesce-concurrent.sh - 8 threads, then 4 forked processes, appending
# to one log (half through a shared fd, half through their own): the same
# lines as an unshimmed run, each line intact and present once, each
# writer's lines in its order; >= 90% fewer write calls on the log, and the
# report's coalesce.syscalls equal to strace's count.  Also 4 independent
# processes started by the shell, each with its own open of the log.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
C=$(prog co_conc)
L=$(prog co_lines)
N=2000
conc() {	# conc threads|procs
	mode=$1
	spec="m:20"
	for k in $(seq 0 $(( ${2} - 1 ))); do spec="$spec $(echo $mode | cut -c1)$k:$N"; done
	rm -rf "$T/b" "$T/s" "$T/s.rep"; mkdir -p "$T/b" "$T/s"
	traced "$T/b.st" "$C" "$T/b/app.log" $mode $2 $N || fail "$mode: unshimmed run failed"
	traced "$T/s.st" env IOSHIM_REPORT="$T/s.rep" LD_PRELOAD="$SHIM" \
	    "$C" "$T/s/app.log" $mode $2 $N || fail "$mode: shimmed run failed"
	lines_check "$T/b/app.log" $spec
	lines_check "$T/s/app.log" $spec
	eq "$mode: same multiset of lines" "$(sort "$T/s/app.log" | md5sum)" "$(sort "$T/b/app.log" | md5sum)"
	b=$(wcount "$T/b.st" "$T/b/app.log"); s=$(wcount "$T/s.st" "$T/s/app.log")
	dropped "$mode x$2" "$b" "$s"
	eq "$mode: report coalesce.syscalls (strace saw $s)" "$(csum "$T/s.rep" syscalls)" "$s"
	eq "$mode: report coalesce.bytes" "$(csum "$T/s.rep" bytes)" "$(wc -c <"$T/s/app.log")"
}
conc threads 8
conc procs 4

# independent processes, each opening the log itself, small buffers so
# size flushes (cut at a newline) interleave with the other writers
rm -f "$T/i.log"
for k in 0 1 2 3; do
	IOSHIM_BUFFER_KB=4 shimmed "$T/i.rep" "$L" "$T/i.log" i$k 5000 &
done
wait
lines_check "$T/i.log" i0:5000 i1:5000 i2:5000 i3:5000
s=$(csum "$T/i.rep" 'reasons.size')
[ "$s" -gt 0 ] || fail "independent writers: no size flushes"
echo "ok: independent writers: $s size flushes"
