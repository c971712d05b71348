#!/bin/sh
# t-salvage-exact.sh - a salvage writes every held byte exactly once from
# every state a kill can leave a spill in (common/spill.h): the writer
# killed while holding, inside a flush's write (nothing, some, fewer than
# 64 bytes or all of it in the file), while moving the rest to the front;
# a salvager killed after a write it had not yet recorded, and after one
# it had; with lines that repeat (where looking for bytes in the file
# could find the wrong ones).  The spills are made by tests/progs/mkspill
# as the kill would have left them; `ioshim salvage` must leave the log
# as the writer meant it.  And a writer whose first thread has left
# (pthread_exit: /proc shows a zombie) while another thread runs is alive.
. "$(dirname "$0")/lib.sh"
MK=$(prog mkspill)
LT=$(prog lone_thread)
PY=/usr/bin/python3
SD="$T/spills"
mkdir -m 700 "$SD"
# the log on a disk, as a real log would be (tmpfs works the same here)
D=$(mktemp -d /var/tmp/ioshim-sx.XXXXXX)
trap 'rm -rf "$T" "$D"' EXIT

# lines of varied length, and lines that repeat
$PY - "$T/O" "$T/P" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(160):
        f.write("line %03d %s\n" % (i, "x" * (i * 7 % 71)))
with open(sys.argv[2], "w") as f:
    f.write("ping\n" * 1300)
PY
printf 'before\n' >"$T/B"
B=$(wc -c <"$T/B")
N=$(wc -c <"$T/O")
[ "$N" -gt 5000 ] || fail "the data should span two 4 KiB pieces: $N bytes"

# slice FILE FROM TO: bytes [FROM, TO) of FILE
slice() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2)); }

# case NAME DATA LOGFILE BUFFER KEY=VALUE...: the log holds LOGFILE's
# bytes, the spill holds BUFFER; after the salvage the log must be
# before + DATA, exactly
n=0
case_() {
	name=$1 data=$2 logc=$3 buf=$4; shift 4
	n=$((n + 1))
	cp "$logc" "$D/log"
	"$MK" "$SD/s.1.$n" "$D/log" "$buf" "$@" || fail "$name: mkspill"
	"$IOSHIM" salvage "$SD" >"$T/out" 2>&1
	cat "$T/B" "$data" >"$T/want"
	cmp -s "$D/log" "$T/want" || {
		cat "$T/out"
		fail "$name: the log is $(wc -c <"$D/log") bytes, want $(wc -c <"$T/want") (before + the data, once)"
	}
	[ ! -e "$SD/s.1.$n" ] || fail "$name: the spill is still there"
	echo "ok: $name: $(cat "$T/out" | head -n 1)"
}

# logs as the kill left them
cat "$T/B" >"$T/L0"
for k in 40 3000; do { cat "$T/B"; slice "$T/O" 0 $k; } >"$T/L$k"; done
cat "$T/B" "$T/O" >"$T/Lall"

case_ "held (idle)" "$T/O" "$T/L0" "$T/O"
case_ "killed in a flush's write: none written" "$T/O" "$T/L0" "$T/O" \
	phase=writing flush_pre=$B flush_n=$N
case_ "killed in a flush's write: 40 bytes written" "$T/O" "$T/L40" "$T/O" \
	phase=writing flush_pre=$B flush_n=$N
case_ "killed in a flush's write: 3000 bytes written" "$T/O" "$T/L3000" "$T/O" \
	phase=writing flush_pre=$B flush_n=$N
case_ "killed in a flush's write: all written" "$T/O" "$T/Lall" "$T/O" \
	phase=writing flush_pre=$B flush_n=$N
case_ "killed in a flush's write of repeated lines: all written" "$T/P" \
	"$(cat "$T/B" "$T/P" >"$T/LPall"; echo "$T/LPall")" "$T/P" \
	phase=writing flush_pre=$B flush_n=$(wc -c <"$T/P")

# moving: 1000 written, 500 of the rest moved to the front so far
{ slice "$T/O" 1000 1500; slice "$T/O" 500 1000; slice "$T/O" 1000 $N; } >"$T/MV"
{ cat "$T/B"; slice "$T/O" 0 1000; } >"$T/L1000"
case_ "killed while moving the rest to the front" "$T/O" "$T/L1000" "$T/MV" \
	phase=moving len=$N done=1000 moved=500

# a salvager killed: its first 4 KiB recorded, then 1000 bytes of the
# next write in the file but not recorded
{ cat "$T/B"; slice "$T/O" 0 5096; } >"$T/LS"
case_ "a salvager killed after a write it had not recorded" "$T/O" "$T/LS" "$T/O" \
	claim=dead salvaged=4096 salv_at=4096 salv_pre=$((B + 4096 + 1))
# ... after a write it had recorded (nothing of the next one written):
# with repeated lines, looking for the next piece in the file would find
# the recorded one's and skip bytes never written
PN=$(wc -c <"$T/P")
{ cat "$T/B"; slice "$T/P" 0 4096; } >"$T/LR"
case_ "a salvager killed after a write it had recorded (repeated lines)" "$T/P" "$T/LR" "$T/P" \
	claim=dead salvaged=4096 salv_at=0 salv_pre=$((B + 1))
# the writer died in a flush (2000 bytes of it written), the salvager
# after writing the next 4 KiB without recording them
{ cat "$T/B"; slice "$T/O" 0 6096; } >"$T/LF"
case_ "a flush cut short, then a salvager killed after a write it had not recorded" "$T/O" "$T/LF" "$T/O" \
	phase=writing flush_pre=$B flush_n=$N claim=dead salvaged=2000 \
	salv_at=2000 salv_pre=$((B + 2000 + 1))
[ "$PN" -gt 4096 ] || fail "repeated lines should span two pieces"

# a salvager killed 30 bytes into its write of A's line, and B's spill
# beside it: A's line is completed before B's bytes go after it
printf 'line of A, long enough to be cut after thirty bytes\n' >"$T/A"
printf 'line of B\n' >"$T/Bd"
{ cat "$T/B"; head -c 30 "$T/A"; } >"$D/log"
"$MK" "$SD/s.3.2" "$D/log" "$T/Bd" || fail "mkspill"
"$MK" "$SD/s.3.1" "$D/log" "$T/A" claim=dead salv_at=0 salv_pre=$((B + 1)) || fail "mkspill"
"$IOSHIM" salvage "$SD" >"$T/out" 2>&1
cat "$T/B" "$T/A" "$T/Bd" >"$T/want"
cmp -s "$D/log" "$T/want" || { cat "$T/out" "$D/log"; fail "a cut salvage beside another spill: the log is not before + A + B"; }
echo "ok: a killed salvager's cut line is completed before another spill's bytes"

# a writer whose first thread has left lives: its bytes wait
"$LT" 30 >"$T/lt.pid" &
i=0; while [ ! -s "$T/lt.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
lp=$(cat "$T/lt.pid")
i=0; while ! grep -q '^State:.*Z' "/proc/$lp/status" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q '^State:.*Z' "/proc/$lp/status" || fail "lone_thread's first thread did not leave"
st=$($PY -c "import sys; print(open('/proc/%s/stat' % sys.argv[1]).read().rsplit(')', 1)[1].split()[19])" "$lp")
cp "$T/L0" "$D/log"
"$MK" "$SD/s.2.1" "$D/log" "$T/O" pid="$lp" start="$st" || fail "mkspill"
"$IOSHIM" salvage "$SD" >"$T/out" 2>&1
kill "$lp" 2>/dev/null
grep -q "writer $lp lives" "$T/out" || { cat "$T/out"; fail "a writer with a thread left was judged gone"; }
cmp -s "$D/log" "$T/L0" || fail "a live writer's bytes were written"
echo "ok: a writer whose first thread left, with a thread running, is alive"
