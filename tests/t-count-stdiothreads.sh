#!/bin/sh
# t-count-stdiothreads.sh - four threads write one FILE at once through
# fputs, fwrite, fprintf, putc/fputc and lines longer than its buffer:
# the report's disk write_bytes and the file's row equal the file's size
# exactly, and strace agrees.  (The shim reads the FILE's buffer
# pointers before and after each call; without holding the FILE's lock
# meanwhile, another thread's bytes were counted twice: ~0.04 % too many.)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_stdio_threads)
for i in 1 2 3; do
	traced -- "$P" "$T/out" 4 20000
	eq "run $i: exit status" "$rc" 0
	n=$(size "$T/out")
	eq "run $i: disk write_bytes = file size" "$(q "cls(r[0], 'disk', 'write_bytes')")" "$n"
	eq "run $i: the file's row" "$(q "row(r[0], '$T/out')['write_bytes']")" "$n"
	check_truth
done
