#!/bin/sh
# t-shim-resolve.sh - shim/resolve.c finds every real function where
# dlsym(RTLD_NEXT) does (the constructor uses it instead of 212 dlsym
# calls): the same address for each name, most found without dlsym,
# preloaded alone and beside another library that defines some of the
# same names (before it and after it: RTLD_NEXT from a preloaded library
# searches its own dependencies, libc, not the other preloads).  The
# shim itself: its DT_NEEDED is libc alone, so the fast road is taken.
. "$(dirname "$0")/lib.sh"
CFLAGS="-D_GNU_SOURCE -I$TOP/common -I$TOP/shim -O2 -fPIC -fvisibility=hidden -ftls-model=initial-exec"
cc $CFLAGS -shared -o "$T/check.so" "$TOP/tests/progs/resolve_check.c" \
    "$TOP/shim/resolve.c" "$TOP/shim/lazy.c" -Wl,-z,now -Wl,--no-undefined ||
	fail "resolve_check.so does not build"
printf '#include <unistd.h>\nssize_t write(int fd, const void *b, size_t n) { return n; }\nint fsync(int fd) { return 0; }\n' >"$T/other.c"
cc -O2 -fPIC -shared -o "$T/other.so" "$T/other.c" || fail "other.so"
for pre in "$T/check.so" "$T/check.so $T/other.so" "$T/other.so $T/check.so"; do
	LD_PRELOAD="$pre" /bin/true 2>"$T/err" || fail "/bin/true under $pre failed"
	cat "$T/err"
	set -- $(tail -n 1 "$T/err")
	[ "$1" = names ] || fail "no result under $pre"
	eq "differences from dlsym ($pre)" "$6" 0
	[ "$4" -ge $(( $2 * 9 / 10 )) ] || fail "only $4 of $2 names found without dlsym ($pre)"
done
echo "ok: $2 names, $4 without dlsym, each where dlsym finds it"
