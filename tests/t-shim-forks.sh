#!/bin/sh
# t-shim-forks.sh - processes made where the shim could trip over itself
# (tests/progs/sig_fork.c): fork() from a signal handler that interrupts
# the program inside the coalescer, 300 times, must not hang (the worker
# thread is stopped before fork only when that cannot wait for the lock
# the handler's thread holds) and must lose no line; a vfork child that
# vforks again, and a fork after a vfork, leave one report record per
# real image (the vfork children are their parent's image; the forked
# child is its own).
. "$(dirname "$0")/lib.sh"
P=$(prog sig_fork)
D=$(mktemp -d /var/tmp/ioshim-forks.XXXXXX)	# on a disk: coalesced
trap 'rm -rf "$T" "$D"' EXIT
for ms in 1 1000; do
	rm -f "$D/h.log"
	out=$(IOSHIM_FLUSH_MS=$ms timeout -s KILL 60 env LD_PRELOAD="$SHIM" "$P" handler "$D/h.log") ||
		fail "fork from a handler (IOSHIM_FLUSH_MS=$ms): rc $? (137: hung)"
	echo "$out"
	n=$(wc -l <"$D/h.log")
	[ "$(grep -c -v '^a line of the log$' "$D/h.log")" = 0 ] || fail "a torn or foreign line"
	echo "ok: IOSHIM_FLUSH_MS=$ms: no hang, $n whole lines"
done
IOSHIM_REPORT="$T/n.jsonl" LD_PRELOAD=$SHIM "$P" vforknest "$D/n.log" >/dev/null || fail "vforknest"
eq "nested vfork: records" "$(json "$T/n.jsonl" "len(r)")" 1
IOSHIM_REPORT="$T/f.jsonl" LD_PRELOAD=$SHIM "$P" vforkfork "$D/f.log" >"$T/f.out" || fail "vforkfork"
eq "fork after vfork" "$(cat "$T/f.out")" "forked child exit 3"
eq "fork after vfork: records" "$(json "$T/f.jsonl" "sorted(x['exit_code'] for x in r)")" "[0, 3]"
