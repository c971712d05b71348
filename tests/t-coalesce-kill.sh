#!/bin/sh
# t-coalesce-kill.sh - held log lines survive SIGKILL (issue 16): a
# logger (tests/progs/kill_logger.c) appends numbered lines from threads
# and a forked child and notes, outside the shim, how many of its write()
# calls returned; it is killed with SIGKILL at a random moment, with
# varied buffer sizes and IOSHIM_FLUSH_MS (kills land in appends, in
# flushes and inside their write), then `ioshim salvage` writes what the
# dead logger held.  After each round the log must hold, for every
# writer, its lines 0..n-1 in order, each once, n at least the count of
# writes that returned.  Then with no operator: the next shimmed process
# (a restarted service) salvages at its first held byte.  A stopped
# writer's spill is never salvaged.
. "$(dirname "$0")/lib.sh"
L=$(prog kill_logger)
PY=/usr/bin/python3
# the log on a disk (/tmp may be tmpfs, where nothing is coalesced)
D=$(mktemp -d /var/tmp/ioshim-kill.XXXXXX)
dirs="/run/ioshim/$(id -u) /dev/shm/ioshim-$(id -u)"
# at the end, what a failed round left is salvaged (or set aside) before
# its log goes, so no later test's process finds it
trap '"$IOSHIM" salvage $dirs >/dev/null 2>&1; rm -rf "$T" "$D"' EXIT
ROUNDS=${IOSHIM_KILL_ROUNDS:-60}
dirs="/run/ioshim/$(id -u) /dev/shm/ioshim-$(id -u)"
check() {	# check ROUND: the log against the counters
	$PY - "$D/log" "$T/ctr" "$1" <<'PY'
import struct, sys
log, ctr, rnd = sys.argv[1], sys.argv[2], sys.argv[3]
c = struct.unpack("10Q", open(ctr, "rb").read(80))
seen = {}
for n, l in enumerate(open(log, "rb").read().split(b"\n")[:-1]):
    if l == b"next":
        continue
    w, s = l.split(b" ")[:2]
    w = int(w[1:]); s = int(s)
    want = seen.get(w, 0)
    if s != want:
        sys.exit("round %s: writer %d line %d: seq %d, want %d (%s)" % (
            rnd, w, n, s, want, "duplicate" if s < want else "gap"))
    seen[w] = s + 1
for w in range(10):
    if seen.get(w, 0) < c[w]:
        sys.exit("round %s: writer %d: %d lines in the log, %d writes returned" %
                 (rnd, w, seen.get(w, 0), c[w]))
print(sum(c), sum(seen.values()))
PY
}
r=0 tot=0 held=0 half=0
while [ $r -lt $ROUNDS ]; do
	rm -f "$D/log"
	head -c 4096 /dev/zero >"$T/ctr"
	case $((r % 4)) in 0) kb=4 ms=1;; 1) kb=64 ms=1000;; 2) kb=16 ms=50;; 3) kb=1 ms=5;; esac
	case $((r % 3)) in 0) th=1 fk=;; 1) th=3 fk=;; 2) th=2 fk=fork;; esac
	IOSHIM_BUFFER_KB=$kb IOSHIM_FLUSH_MS=$ms LD_PRELOAD=$SHIM setsid "$L" "$D/log" "$T/ctr" $th $fk &
	pid=$!
	sleep "0.0$(( (r * 37) % 9 + 1 ))"
	kill -KILL -$pid 2>/dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
	i=0	# until the forked child is gone too
	while kill -0 -$pid 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
	[ -f "$D/log" ] || : >"$D/log"	# killed before it opened it
	before=$(wc -c <"$D/log")
	"$IOSHIM" salvage $dirs >"$T/salv.out" 2>&1
	after=$(wc -c <"$D/log")
	out=$(check $r 2>&1) || { cat "$T/salv.out"; fail "$out"; }
	tot=$((tot + 1)); held=$((held + after - before))
	half=$((half + $(grep -c 'half done' "$T/salv.out")))
	r=$((r + 1))
done
echo "ok: $tot kills: every returned line in its log once, in order; $held bytes came from salvage; $half kills landed inside a flush's write"
[ $held -gt 0 ] || fail "nothing was ever salvaged: the test proves nothing"

# no operator: the next shimmed process of the user that holds a byte
# (a restarted service) salvages the killed one's lines before its own
r=0 auto=0
while [ $r -lt 10 ]; do
	rm -f "$D/log"; head -c 4096 /dev/zero >"$T/ctr"
	IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM setsid "$L" "$D/log" "$T/ctr" 2 &
	pid=$!
	sleep 0.1
	kill -KILL -$pid 2>/dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
	[ -f "$D/log" ] || : >"$D/log"
	before=$(wc -c <"$D/log")
	LD_PRELOAD=$SHIM IOSHIM_REPORT="$T/next.jsonl" sh -c "echo next >>'$D/log'" ||
		fail "the next process failed"
	# another salvager (any shimmed process of this user) may have
	# claimed the spill first and still be writing: a bounded wait
	i=0
	while ! check auto$r >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	out=$(check auto$r 2>&1) || fail "$out"
	grep -qx next "$D/log" || fail "round $r: the next process's line is missing"
	auto=$((auto + $(wc -c <"$D/log") - before - 5))
	r=$((r + 1))
done
[ $auto -gt 0 ] || fail "the next processes salvaged nothing"
# the next processes' reports count what they salvaged: most of it (any
# shimmed process of the user may claim a spill first, at its first held
# byte, and the reports of the ones that did say so)
rb=$(json "$T/next.jsonl" "sum(x['coalesce']['salvaged_bytes'] for x in r)")
[ "$rb" -gt 0 ] && [ "$rb" -le "$auto" ] ||
	fail "salvaged bytes in the reports: $rb, bytes the logs gained: $auto"
echo "ok: salvaged bytes in the reports: $rb of $auto"
echo "ok: 10 kills, each salvaged by the next process ($auto bytes)"

# a stopped writer keeps its bytes (it is alive)
rm -f "$D/log"; head -c 4096 /dev/zero >"$T/ctr"
IOSHIM_FLUSH_MS=600000 LD_PRELOAD=$SHIM "$L" "$D/log" "$T/ctr" 1 &
pid=$!
sleep 0.2
kill -STOP $pid
"$IOSHIM" salvage $dirs >"$T/salv.out" 2>&1
cat "$T/salv.out"
grep -q "writer $pid lives" "$T/salv.out" || { kill -KILL $pid; fail "the stopped writer's spill was not left alone"; }
kill -KILL $pid; kill -CONT $pid 2>/dev/null; wait $pid 2>/dev/null
"$IOSHIM" salvage $dirs >/dev/null 2>&1
check stopped >/dev/null || fail "after the stopped writer was killed: $(check stopped)"
echo "ok: a stopped writer is alive; killed, its lines were salvaged"
