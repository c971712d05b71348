#!/bin/sh
# t-count-stdioseek.sh - stdio reads with seeks between them
# (tests/progs/stdio_seek.c: small freads with seeks backward and forward
# beyond the buffer and within it, an fread larger than the buffer, getc,
# fgets, fgetpos/fsetpos, SEEK_END/ftell/rewind, a short file sought to
# its end, a "w+" file read back): each file's read_bytes is what the
# kernel delivered into the FILE's buffer (and straight into the
# program's for the large fread), as strace counts the reads of that fd,
# and all three together are the process's rchar (/proc/self/io) over
# the same span.  glibc's fseek reads the block around its target: the
# old count saw only what the program took of it.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog stdio_seek)
$PY -c '
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("".join("%06d %s\n" % (i, "x" * random.randint(0, 60)) for i in range(9000)))
with open(sys.argv[2], "w") as f:
    f.write("s" * 1000)
' "$T/big" "$T/small"
for mode in --no-coalesce ""; do
	note "stdio_seek $mode"
	traced $mode -- "$P" "$T/big" "$T/small" "$T/out" >"$T/stdout"
	eq "status" "$rc" 0
	# the program reads /proc/self/io with raw system calls (the rchar look)
	check_truth --files "^$T/" --exclude "^/proc/[0-9]+/io$"	# rows = strace's
	eq "rchar over the reads = the rows' sum" "$(sed -n 's/^rchar //p' "$T/stdout")" \
	    "$(q "sum(row(rec('stdio_seek'), '$T/' + f)['read_bytes'] for f in ('big', 'small', 'out'))")"
	note "read_bytes: $(q "', '.join('%s %d' % (f, row(rec('stdio_seek'), '$T/' + f)['read_bytes']) for f in ('big', 'small', 'out'))")"
done
