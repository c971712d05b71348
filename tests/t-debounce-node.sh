#!/bin/sh
# t-debounce-node.sh - issue 19: node fs.writeFileSync to a temporary
# file + fs.renameSync, 1000 saves 1 ms apart, under IOSHIM_DEBOUNCE with
# a 200 ms window.  Against the same program unshimmed: the final file is
# the same byte for byte; the renames onto the state file that reach the
# kernel (strace -f) are at most one per window, plus the leading save
# and the one at exit, and are the report's saves_written.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
command -v node >/dev/null || skip "node not installed"
SAVER=$TOP/tests/progs/db_saver.js
mkdir "$T/a" "$T/b"
node "$SAVER" "$T/a/state.json" 1000 || fail "unshimmed saver failed"
t0=$(date +%s.%N)
strace -f -qq -o "$T/st" -e trace=rename,renameat,renameat2 \
    -E IOSHIM_REPORT="$T/r.rep" -E IOSHIM_DEBOUNCE="$T/b/*.json=200" \
    -E LD_PRELOAD="$SHIM" node "$SAVER" "$T/b/state.json" 1000 ||
	fail "shimmed saver failed"
t1=$(date +%s.%N)
cmp "$T/a/state.json" "$T/b/state.json" || fail "final state differs from the unshimmed run's"
echo "ok: final state byte-identical to the unshimmed run's"
got=$(renames "$T/st" "$T/b/state.json")
most=$($PY -c "import math; print(math.ceil(($t1 - $t0) / 0.2) + 2)")
note "renames onto the state file: $got for 1000 saves (at most $most)"
[ "$got" -ge 2 ] && [ "$got" -le "$most" ] || fail "$got renames reached the kernel, want 2..$most"
echo "ok: renames reaching the kernel: $got <= $most (one per window)"
eq "report saves_written = strace's renames" "$(dbsum "$T/r.rep" saves_written)" "$got"
eq "report saves_absorbed + saves_written" \
    "$(( $(dbsum "$T/r.rep" saves_absorbed) + $(dbsum "$T/r.rep" saves_written) ))" 1000
eq "files left in the directory" "$(ls -A "$T/b")" "state.json"
