#!/bin/sh
# t-count-sort.sh - sort reads and writes through stdio (fread/fwrite):
# bytes per class equal strace's count of the same run (stdio bytes are
# counted as they leave or enter the FILE buffer); call counts are the
# program's stdio calls, so only bytes are compared with the kernel.  The
# input size equals the bytes read and the output size the bytes written,
# with coalescing off and on.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

$PY -c '
import random
random.seed(7)
with open("'"$T/words"'", "w") as f:
    for i in range(40000):
        f.write("%08x line %d\n" % (random.getrandbits(32), i))
'
for mode in --no-coalesce ""; do
	note "sort $mode -o FILE"
	rm -f "$T/sorted"
	traced $mode -- sort -o "$T/sorted" "$T/words"
	eq "sort status" "$rc" 0
	check_truth --files "^$T/"
	sort "$T/words" | cmp - "$T/sorted" || fail "sort output differs"
	eq "output size = report write_bytes" "$(q "row(rec('sort'), '$T/sorted')['write_bytes']")" "$(size "$T/sorted")"
	eq "input size = report read_bytes" "$(q "row(rec('sort'), '$T/words')['read_bytes']")" "$(size "$T/words")"
done

note "sort < FILE > FILE (inherited fds)"
traced --no-coalesce -- sort -r <"$T/words" >"$T/rsorted"
eq "sort status" "$rc" 0
check_truth
eq "stdout size = disk write_bytes" "$(q "cls(rec('sort'), 'disk', 'write_bytes')")" "$(size "$T/rsorted")"
eq "stdin size = disk read_bytes" "$(q "cls(rec('sort'), 'disk', 'read_bytes')")" "$(size "$T/words")"
