#!/bin/sh
# t-count-procio.sh - /proc/PID/io as the truth: a forked child
# (tests/progs/count_procio.c) does known I/O through write, writev,
# pwrite, read and a pipe, then waits; the test reads the child's
# /proc/PID/io and kills it with SIGTERM.  With coalescing off every
# write call of the program is one write system call, and the shim
# reads and writes nothing of its own before the end (with no collector
# it has no socket, and so does not read /proc/self/stat either), so the
# report's bytes and calls (all classes) equal the kernel's rchar, wchar,
# syscr and syscw exactly.  The child's record says it died by signal 15.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog count_procio)

rm -f "$R"
"$IOSHIM" run --report "$R" --no-coalesce -- "$P" "$T/f" >"$T/out" &
RPID=$!
i=0	# up to 30 s: under load the start alone may take seconds
while ! grep -q '^[0-9][0-9]*$' "$T/out" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
cpid=$(head -n 1 "$T/out")
[ -n "$cpid" ] || fail "the child did not start"
sleep 0.1
cat "/proc/$cpid/io" >"$T/io" || fail "cannot read /proc/$cpid/io"
kill -TERM "$cpid"
wait $RPID
eq "ioshim run status" "$?" 0
cat "$T/io"
io() { sed -n "s/^$1: //p" "$T/io"; }
eq "parent saw" "$(tail -n 1 "$T/out")" "child_signal=15"
x="[y for y in r if y['pid'] == $cpid][0]"
eq "child end_reason" "$(q "$x['end_reason']")" signal
eq "child signal" "$(q "$x['signal']")" 15
eq "report write_bytes (all classes) = wchar" "$(q "sum(cls($x, c, 'write_bytes') for c in $x['classes'])")" "$(io wchar)"
eq "report writes (all classes) = syscw" "$(q "sum(cls($x, c, 'writes') for c in $x['classes'])")" "$(io syscw)"
eq "report reads = syscr" "$(q "sum(cls($x, c, 'reads') for c in $x['classes'])")" "$(io syscr)"
eq "report read_bytes = rchar" "$(q "sum(cls($x, c, 'read_bytes') for c in $x['classes'])")" "$(io rchar)"
eq "file size = report's bytes written to it" "$(q "row($x, '$T/f')['write_bytes'] - 77")" "$(size "$T/f")"
