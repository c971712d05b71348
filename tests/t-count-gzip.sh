#!/bin/sh
# t-count-gzip.sh - gzip and gunzip (read/write): bytes and calls per class
# equal strace's count of the same run; file sizes equal the report's
# per-file bytes; the round trip gives the original back.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

{ seq 1 200000; head -c 200000 /dev/urandom; } >"$T/data"

traced --no-coalesce -- gzip -k -6 "$T/data"
eq "gzip status" "$rc" 0
check_truth --calls --files "^$T/"
eq "data.gz size = report write_bytes" "$(q "row(rec('gzip'), '$T/data.gz')['write_bytes']")" "$(size "$T/data.gz")"
eq "data size = report read_bytes" "$(q "row(rec('gzip'), '$T/data')['read_bytes']")" "$(size "$T/data")"

traced --no-coalesce -- gzip -dc "$T/data.gz" >"$T/back"
eq "gunzip status" "$rc" 0
check_truth --calls
cmp "$T/data" "$T/back" || fail "round trip differs"
eq "stdout size = disk write_bytes" "$(q "cls(rec('gzip'), 'disk', 'write_bytes')")" "$(size "$T/back")"
eq "gz size = disk read_bytes" "$(q "cls(rec('gzip'), 'disk', 'read_bytes')")" "$(size "$T/data.gz")"
