#!/bin/sh
# t-count-tar.sh - tar creating and extracting an archive of many files
# (read/write): bytes and calls per class equal strace's count of the same
# run, and per file for every file; the archive's size equals the report's
# bytes written to it; the extracted files' sizes sum to the bytes written.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

mkdir -p "$T/src/sub"
i=0
while [ $i -lt 40 ]; do
	head -c $((i * 997 + 1)) /dev/urandom >"$T/src/f$i"
	i=$((i + 1))
done
seq 1 30000 >"$T/src/sub/numbers"

traced --no-coalesce -- tar -cf "$T/a.tar" -C "$T" src
eq "tar -c status" "$rc" 0
check_truth --calls disk,pipe,other --files "^$T/"
eq "archive size = report write_bytes" "$(q "row(rec('tar'), '$T/a.tar')['write_bytes']")" "$(size "$T/a.tar")"
eq "sources read = their sizes" "$(q "sum(f['read_bytes'] for f in rec('tar')['files'] if f['path'].startswith('$T/src/'))")" \
    "$(cat "$T"/src/f* "$T/src/sub/numbers" | wc -c)"

mkdir "$T/dst"
traced --no-coalesce -- tar -xf "$T/a.tar" -C "$T/dst"
eq "tar -x status" "$rc" 0
check_truth --calls disk,pipe,other
diff -r "$T/src" "$T/dst/src" || fail "extracted tree differs"
eq "extracted bytes = disk write_bytes" "$(q "cls(rec('tar'), 'disk', 'write_bytes')")" \
    "$(cat "$T"/dst/src/f* "$T/dst/src/sub/numbers" | wc -c)"
eq "archive read = its size" "$(q "cls(rec('tar'), 'disk', 'read_bytes')")" "$(size "$T/a.tar")"
