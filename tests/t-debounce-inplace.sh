#!/bin/sh
# t-debounce-inplace.sh - issue 19: a C program rewriting its state file
# in place (open O_TRUNC, two writes, close) 1000 times, 2 ms apart, under
# IOSHIM_DEBOUNCE with a 200 ms window.  Against the same program
# unshimmed: the final file is the same byte for byte, the same inode and
# mode; the rewrites of the file that reach the kernel (its O_TRUNC opens,
# strace -f) are at most one per window plus the creating one, the leading
# one and the one at exit, and are the report's saves_written; no hidden
# pending file is left.  Reading the file back after each save sees that
# save.  With each save fsynced: every save is written and synced on the
# file itself (strace); with ",nosync": debounced.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
S=$(prog db_inplace)
N=1000
mkdir "$T/u" "$T/d"
"$S" "$T/u/s.json" $N 2000 || fail "unshimmed run failed"

# run OPTS [MODE]: db_inplace under the shim and strace on a fresh file;
# $got O_TRUNC opens of it reached the kernel, $syncs fsyncs of it, $most
# the bound for one per window
run() {
	rm -f "$T/d/s.json" "$T/r.rep"
	: >"$T/d/s.json"; chmod 640 "$T/d/s.json"
	ino=$(stat -c %i "$T/d/s.json")
	t0=$(date +%s.%N)
	strace -f -qq -yy -o "$T/st" -e trace=openat,fsync \
	    -E IOSHIM_REPORT="$T/r.rep" -E IOSHIM_DEBOUNCE="$T/d/*.json$1" -E LD_PRELOAD="$SHIM" \
	    "$S" "$T/d/s.json" $N 2000 ${2:-} || fail "$1 ${2:-}: db_inplace failed"
	t1=$(date +%s.%N)
	# (a call the worker made while another was traced may be split
	# over two lines: "<unfinished ...>", "<... openat resumed>")
	got=$(grep "openat([^,]*, \"$T/d/s.json\", O_WRONLY|[A-Z_|]*O_TRUNC" "$T/st" | grep -vc "= -1")
	syncs=$(grep -c "fsync([0-9]*<$T/d/s.json>) = 0" "$T/st")
	most=$($PY -c "import math; print(math.ceil(($t1 - $t0) / 0.2) + 3)")
	cmp "$T/u/s.json" "$T/d/s.json" || fail "$1 ${2:-}: final state differs"
	eq "$1 ${2:-}: same inode" "$(stat -c %i "$T/d/s.json")" "$ino"
	eq "$1 ${2:-}: mode" "$(stat -c %a "$T/d/s.json")" 640
	eq "$1 ${2:-}: files left" "$(ls -A "$T/d")" s.json
}

run =200
note "in place: $got rewrites reached the file for $N saves (at most $most)"
[ "$got" -le "$most" ] || fail "$got rewrites reached the file, want at most $most"
echo "ok: rewrites reaching the file: $got <= $most"
eq "report saves_written = strace's rewrites" "$(dbsum "$T/r.rep" saves_written)" "$got"
eq "report saves_absorbed + saves_written" \
    "$(( $(dbsum "$T/r.rep" saves_absorbed) + $(dbsum "$T/r.rep" saves_written) ))" $N

run =60000 readback
echo "ok: each save read back at once as saved (60 s window)"

run =200 fsync
eq "fsync: fsyncs of the file itself (every save durable)" "$syncs" $N

run =200,nosync fsync
note "fsync=200,nosync: $got rewrites reached the file (at most $most)"
[ "$got" -le "$most" ] || fail "nosync: $got rewrites, want at most $most (debounced)"
echo "ok: fsync with nosync: debounced"
