#!/bin/sh
# t-count-rlimit.sh - programs with a huge RLIMIT_NOFILE work under the
# shim (its fd table grows with the fds in use, never sized from the
# limit): with the soft and hard limit at 1G if permitted, else
# /proc/sys/fs/nr_open, else (without CAP_SYS_RESOURCE) the hard limit,
# cat, python3 (writing through the highest fd the limit allows, then
# closing a range) and sh + dd run, and the report counts their bytes
# (the timing is printed, not asserted).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
command -v prlimit >/dev/null || skip "no prlimit"
lim=1000000000
prlimit --nofile=$lim:$lim true 2>/dev/null || lim=$(cat /proc/sys/fs/nr_open)
# without CAP_SYS_RESOURCE: the hard limit is as high as it goes
prlimit --nofile=$lim:$lim true 2>/dev/null || lim=$(ulimit -Hn)
[ "$lim" = unlimited ] && lim=$(cat /proc/sys/fs/nr_open)
prlimit --nofile=$lim:$lim true 2>/dev/null || skip "cannot set RLIMIT_NOFILE to $lim here"
note "RLIMIT_NOFILE = $lim"
seq 1 100000 >"$T/in"

s=$(date +%s%N)
prlimit --nofile=$lim:$lim "$IOSHIM" run --report "$R" --no-coalesce -- cat "$T/in" >"$T/out" ||
	fail "cat failed"
note "cat took $(( ($(date +%s%N) - s) / 1000000 )) ms"
cmp "$T/in" "$T/out" || fail "cat output differs"
eq "cat: report's disk write_bytes = size" "$(q "cls(rec('cat'), 'disk', 'write_bytes')")" "$(size "$T/out")"

rm -f "$R"
s=$(date +%s%N)
prlimit --nofile=$lim:$lim "$IOSHIM" run --report "$R" --no-coalesce -- $PY -S -c '
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
top = soft - 1
os.dup2(1, top)
n = os.write(top, b"written at the top fd\n")
os.close(top)
os.closerange(3, 100000)
sys.stdout.write("limit %d, top fd %d\n" % (soft, top))
' >"$T/py.out" || fail "python failed"
note "python took $(( ($(date +%s%N) - s) / 1000000 )) ms"
cat "$T/py.out"
grep -q "^written at the top fd$" "$T/py.out" || fail "write at the top fd lost"
eq "python: report's disk write_bytes = size" \
    "$(q "cls([x for x in r if x['exe'].startswith('/usr/bin/python3')][0], 'disk', 'write_bytes')")" "$(size "$T/py.out")"

rm -f "$R"
prlimit --nofile=$lim:$lim "$IOSHIM" run --report "$R" --no-coalesce -- sh -c \
    'exec 3>"$1"; echo via-fd-3 >&3; exec 3>&-; dd if="$2" of="$1" bs=64k status=none conv=notrunc oflag=append' \
    sh "$T/sh.out" "$T/in" || fail "sh failed"
eq "sh + dd: bytes = size" "$(q "total('disk', 'write_bytes')")" "$(size "$T/sh.out")"
