#!/bin/sh
# t-count-errno.sh - errno exactly as without the shim: a program
# (tests/progs/count_errno.c) makes ~75 failing and succeeding I/O calls
# (bad fds, wrong fd types, missing paths, read-only FILEs, ...) and
# prints each return value and errno (set to 4242 before each call, so
# a success that touches errno shows).  Its output is the same without
# the shim, under the shim, and under the shim with coalescing off.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog count_errno)

mkdir "$T/a" "$T/b" "$T/c"
"$P" "$T/a" >"$T/plain" || fail "program failed without the shim"
"$IOSHIM" run --report "$R" -- "$P" "$T/b" >"$T/shim" || fail "program failed under the shim"
"$IOSHIM" run --no-coalesce -- "$P" "$T/c" >"$T/nocoal" || fail "program failed under the shim (no coalescing)"
n=$(grep -c 'errno=' "$T/plain")
note "$n calls compared"
[ "$n" -gt 60 ] || fail "too few lines: $n"
[ "$(grep -c 'errno=9$' "$T/plain")" -gt 10 ] || fail "expected many EBADF lines"
[ "$(grep -c 'errno=4242$' "$T/plain")" -gt 20 ] || fail "expected many untouched errnos"
diff "$T/plain" "$T/shim" || fail "errno or results differ under the shim"
echo "ok: same output under the shim"
diff "$T/plain" "$T/nocoal" || fail "errno or results differ under the shim (no coalescing)"
echo "ok: same output under the shim with coalescing off"
cmp "$T/a/errno.file" "$T/b/errno.file" || fail "the file written differs"
eq "one record" "$(q "len(r)")" 1
