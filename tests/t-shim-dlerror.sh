#!/bin/sh
# t-shim-dlerror.sh - a program's dlerror() message survives the shim: a
# failed dlopen's message printed by the process's first fprintf, and one
# left pending across a first fflush, read as without the shim (resolving
# the real functions at their first call, with dlsym, freed and cleared
# it: tried and taken back).
. "$(dirname "$0")/lib.sh"
P=$(prog dl_error)
"$P" >"$T/plain.out" 2>"$T/plain.err" || fail "unshimmed run failed"
LD_PRELOAD="$SHIM" "$P" >"$T/shim.out" 2>"$T/shim.err" || fail "shimmed run failed"
grep -q "cannot load plugin: libioshim-test-absent.so" "$T/plain.err" ||
	fail "unexpected unshimmed message: $(cat "$T/plain.err")"
eq "stderr (the message printed by the first fprintf)" "$(cat "$T/shim.err")" "$(cat "$T/plain.err")"
eq "stdout (the message pending across the first fflush)" "$(cat "$T/shim.out")" "$(cat "$T/plain.out")"
