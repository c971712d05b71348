#!/bin/sh
# t-count-cat.sh - cat two files to a file (copy_file_range) and to a pipe
# (read/write): bytes and calls per class equal strace's count of the same
# run; the sizes agree.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

head -c 500000 /dev/urandom >"$T/a"
seq 1 50000 >"$T/b"

traced --no-coalesce -- cat "$T/a" "$T/b" >"$T/out"
eq "cat status" "$rc" 0
check_truth --calls --files "^$T/"
eq "out size = report disk write_bytes" "$(q "cls(rec('cat'), 'disk', 'write_bytes')")" "$(size "$T/out")"
eq "out row write_bytes" "$(q "row(rec('cat'), '$T/out')['write_bytes']")" "$(size "$T/out")"
eq "out row opens (inherited fd)" "$(q "row(rec('cat'), '$T/out')['opens']")" 0

rm -f "$R" "$TR"
n=$(strace -f -yy -qq -e trace="$STRACE_SET" -o "$TR" "$IOSHIM" run --report "$R" --no-coalesce -- \
    cat "$T/a" "$T/b" - <"$T/b" | wc -c)
eq "bytes through the pipe" "$n" "$(( $(size "$T/a") + 2 * $(size "$T/b") ))"
check_truth --calls --files "^$T/"
eq "pipe write_bytes" "$(q "cls(rec('cat'), 'pipe', 'write_bytes')")" "$n"
eq "disk read_bytes (stdin is a file too)" "$(q "cls(rec('cat'), 'disk', 'read_bytes')")" "$n"
