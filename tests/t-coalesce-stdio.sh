#!/bin/sh
# t-coalesce-stdio.sh - a C logger doing fopen("a") + fprintf + fflush per
# line, and the same lines through write(), writev() and dprintf(): the log
# is byte-identical to an unshimmed run, strace sees >= 90% fewer write
# calls on it, and the report's coalesce.syscalls is exactly strace's count.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
L=$(prog co_lines)
N=10000
prove "stdio fprintf+fflush" $N '"$L" "$LOG" s $N stdio'
prove "write() per line" $N '"$L" "$LOG" w $N write'
prove "writev() per line" $N '"$L" "$LOG" v $N writev'
prove "dprintf() per line" 1 '"$L" "$LOG" d $N dprintf'
