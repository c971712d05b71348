#!/bin/sh
# t-readme-path.sh - the README's newcomer path ("The first hour", between
# the newcomer-path markers) works as written: mk/readme-path.sh, what
# `make demo` runs, runs each command as it is, in order, as a user who is
# not root (uid 65534 when this runs as root) with only HOME and
# XDG_RUNTIME_DIR set, from a directory laid out as the tree; the path
# starts and stops the collector, the report shows the kernel's WRITES
# beside the programs' CALLS, and nothing is left behind.
. "$(dirname "$0")/lib.sh"
[ -x "$TOP/collector/ioshimd" ] || skip "collector/ioshimd not built"
sh "$TOP/mk/readme-path.sh" "$T"
rc=$?
[ $rc -eq 77 ] && skip "mk/readme-path.sh cannot run here"
[ $rc -eq 0 ] || fail "the README's path failed (status $rc)"
grep -q '^collector/ioshimd' "$T/path" || fail "the path does not start the collector"
grep -q '^tools/ioshim run ' "$T/path" || fail "the path runs nothing under the shim"
grep -q '^tools/ioshim top' "$T/path" || fail "the path does not show top"
grep -q '^kill ' "$T/path" || fail "the path does not stop the collector"
n=$(grep -n 'ioshim top' "$T/path" | head -n 1 | cut -d: -f1)
grep -q 'DISK WRITE' "$T/out.$n" || fail "top printed no header"
n=$(grep -n 'ioshim report' "$T/path" | head -n 1 | cut -d: -f1)
rep=$T/out.$n
grep -q 'WRITES' "$rep" || fail "the report has no WRITES column"
awk '/ sh \(/ && $3 == 5000 { f = 1; exit !($2 > 0 && $2 < 100) } END { exit !f }' "$rep" ||
	fail "the report: the shell's WRITES (the kernel's) should be a few, CALLS 5000"
awk '/ sort \(/ { exit !($2 > 0 && $2 < 100 && $3 == 5000) }' "$rep" ||
	fail "the report: sort's WRITES (the kernel's) should be a few, CALLS 5000"
eq "files left in the tree" "$(ls "$T/tree" | tr '\n' ' ')" "collector shim tools "
eq "the collector's pid" "$(kill -0 "$(cat "$T/dpid")" 2>/dev/null && echo alive || echo gone)" gone
