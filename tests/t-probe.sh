#!/bin/sh
# t-probe.sh - what a program can observe of the wrapped calls is the
# same with the shim as without it (tests/progs/probe.c): return values,
# errno, file contents seen by an outside reader after each call, and
# timestamps the program set.  Appends are held (a long IOSHIM_FLUSH_MS),
# so every call that can change or observe a held file is exercised.
. "$(dirname "$0")/lib.sh"
probe=$(prog probe)
mkdir "$T/plain" "$T/shim" "$T/nocoal"
"$probe" "$T/plain" >"$T/plain.out" 2>&1 || fail "probe without the shim: rc $?"
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM "$probe" "$T/shim" >"$T/shim.out" 2>&1 ||
	{ cat "$T/shim.out"; fail "probe under the shim: rc $?"; }
IOSHIM_COALESCE=0 LD_PRELOAD=$SHIM "$probe" "$T/nocoal" >"$T/nocoal.out" 2>&1 ||
	{ cat "$T/nocoal.out"; fail "probe under the shim, no coalescing: rc $?"; }
cat "$T/plain.out"
diff -u "$T/plain.out" "$T/shim.out" || fail "the shim (coalescing) is visible"
diff -u "$T/plain.out" "$T/nocoal.out" || fail "the shim (no coalescing) is visible"
echo "ok: $(grep -c '=' "$T/plain.out") results identical in both modes"
