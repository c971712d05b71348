#!/bin/sh
# t-debounce-fsync.sh - issue 19: fsync keeps its meaning under debounce.
# A C program saving by temporary file + rename 300 times: with the
# temporary file fsynced, opened O_SYNC, or the directory fsynced after
# the rename, every save's state is on the target (the kernel's rename
# onto it, strace) before the program's next call returns, as unshimmed;
# with the directory fsynced, the rename precedes that fsync.  The same
# pattern with ",nosync": debounced (at most one rename per window), as
# is a program that syncs nothing.  The final state equals the unshimmed
# run's each time.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
S=$(prog db_save)
N=300
mkdir "$T/u" "$T/d"
"$S" "$T/u/s.json" $N plain || fail "unshimmed run failed"

# run MODE OPTS: db_save under the shim and strace; $got renames onto
# the target, $secs the run's length
run() {
	rm -f "$T/d/s.json"
	t0=$(date +%s.%N)
	strace -f -qq -o "$T/st" -e trace=rename,renameat,renameat2,fsync \
	    -E IOSHIM_DEBOUNCE="$T/d/*.json$2" -E LD_PRELOAD="$SHIM" \
	    "$S" "$T/d/s.json" $N "$1" || fail "$1$2: db_save failed"
	t1=$(date +%s.%N)
	secs=$($PY -c "print(round($t1 - $t0, 1))")
	got=$(renames "$T/st" "$T/d/s.json")
	most=$($PY -c "import math; print(math.ceil(($t1 - $t0) / 0.2) + 2)")
	cmp "$T/u/s.json" "$T/d/s.json" || fail "$1$2: final state differs"
	[ "$(ls -A "$T/d")" = s.json ] || fail "$1$2: left $(ls -A "$T/d")"
}
for m in fsync osync dirsync; do
	run $m =200
	eq "$m: renames onto the target (every save durable)" "$got" $N
done
# dirsync: each fsync of the directory comes after a rename onto the target
$PY - "$T/st" "$T/d/s.json" $N <<'PY' || fail "dirsync: an fsync of the directory without a rename onto the target before it"
import re, sys
onto = re.compile(r'renameat2?\(\w+, "[^"]*", \w+, "' + re.escape(sys.argv[2]) + r'"(, 0)?\) = 0|rename\("[^"]*", "' + re.escape(sys.argv[2]) + r'"\) = 0')
renamed, dirsyncs = False, 0
for l in open(sys.argv[1]):
    if onto.search(l):
        renamed = True
    elif re.search(r'fsync\(3\)\s*= 0', l):
        dirsyncs += 1
        if not renamed:
            sys.exit(1)
        renamed = False
if dirsyncs != int(sys.argv[3]):
    sys.exit("%d fsyncs of the directory" % dirsyncs)
print("ok: dirsync: each of %d fsyncs of the directory follows a rename onto the target" % dirsyncs)
PY
for m in fsync dirsync plain; do
	[ $m = plain ] && o==200 || o==200,nosync
	run $m $o
	note "$m$o: $got renames onto the target in $secs s"
	[ "$got" -le "$most" ] || fail "$m$o: $got renames, want at most $most (debounced)"
	echo "ok: $m$o: debounced ($got renames <= $most)"
done
