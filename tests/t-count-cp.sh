#!/bin/sh
# t-count-cp.sh - cp, which copies with copy_file_range: the shim counts one
# read call on the source and one write call on the destination per
# copy_file_range, bytes as returned.  Bytes and calls equal strace's
# count of the same run (calls: disk; cp reads /proc/filesystems through
# stdio, whose calls are the program's); file sizes equal the report's per-file bytes.
# Then cp onto /dev/shm (tmpfs: memfs class; across filesystems).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

head -c 3000000 /dev/urandom >"$T/big"
head -c 777 /dev/urandom >"$T/small"

traced --no-coalesce -- cp "$T/big" "$T/big.copy"
eq "cp status" "$rc" 0
grep -q 'copy_file_range(' "$TR" || note "cp did not use copy_file_range here"
grep -c 'copy_file_range(' "$TR" | sed 's/^/# copy_file_range calls seen by strace: /'
check_truth --calls disk,pipe,other --files "^$T/"
cmp "$T/big" "$T/big.copy" || fail "cp copied wrong bytes"
eq "big.copy size = report write_bytes" "$(q "row(rec('cp'), '$T/big.copy')['write_bytes']")" "$(size "$T/big.copy")"
eq "big size = report read_bytes" "$(q "row(rec('cp'), '$T/big')['read_bytes']")" "$(size "$T/big")"

D=/dev/shm/ioshim-t-cp.$$
mkdir -p "$D"
traced --no-coalesce -- cp "$T/big" "$T/small" "$D/"
eq "cp status" "$rc" 0
check_truth --calls disk,pipe,other --files "^($T|$D)/"
eq "memfs write_bytes = sizes on /dev/shm" "$(q "cls(rec('cp'), 'memfs', 'write_bytes')")" \
    "$(( $(size "$D/big") + $(size "$D/small") ))"
eq "disk read_bytes = sizes read" "$(q "cls(rec('cp'), 'disk', 'read_bytes')")" \
    "$(( $(size "$T/big") + $(size "$T/small") ))"
rm -rf "$D"
