#!/bin/sh
# t-count-dd.sh - dd (read/write calls) under the shim: per class bytes AND
# calls equal strace's count of the same run; the output file's size
# equals the bytes the report says were written to it.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

head -c 1048576 /dev/urandom >"$T/in"
head -c 1234 /dev/urandom >>"$T/in"	# a short last block

note "dd disk -> disk, 4 KiB blocks"
traced --no-coalesce -- dd if="$T/in" of="$T/out" bs=4096 status=none
eq "dd status" "$rc" 0
check_truth --calls --files "^$T/"
cmp "$T/in" "$T/out" || fail "dd copied wrong bytes"
eq "out size = report's bytes written to it" "$(q "row(rec('dd'), '$T/out')['write_bytes']")" "$(size "$T/out")"
eq "in size = report's bytes read from it" "$(q "row(rec('dd'), '$T/in')['read_bytes']")" "$(size "$T/in")"
eq "dd write calls (257 blocks)" "$(q "cls(rec('dd'), 'disk', 'writes')")" 257

note "dd /dev/zero -> pipe"
rm -f "$R" "$TR"
n=$(strace -f -yy -qq -e trace="$STRACE_SET" -o "$TR" "$IOSHIM" run --report "$R" --no-coalesce -- \
    dd if=/dev/zero bs=1000 count=300 status=none | wc -c)
eq "bytes through the pipe" "$n" 300000
check_truth --calls
eq "dd pipe write_bytes" "$(q "cls(rec('dd'), 'pipe', 'write_bytes')")" 300000
eq "dd other (/dev/zero) read_bytes" "$(q "cls(rec('dd'), 'other', 'read_bytes')")" 300000

note "dd disk -> /dev/shm (memfs), odd block size"
traced --no-coalesce -- dd if="$T/in" of=/dev/shm/ioshim-t-dd.$$ bs=7777 status=none
eq "dd status" "$rc" 0
check_truth --calls --files "^/dev/shm/ioshim-t-dd"
eq "memfs write_bytes = file size" "$(q "cls(rec('dd'), 'memfs', 'write_bytes')")" "$(size /dev/shm/ioshim-t-dd.$$)"
rm -f /dev/shm/ioshim-t-dd.$$
