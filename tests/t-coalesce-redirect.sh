#!/bin/sh
# t-coalesce-redirect.sh - programs whose stdout is `>>`-redirected to the
# log: a shell loop (echo, one write per line) and a C program (write(1)
# per line) and stdio on stdout; byte-identical logs, >= 90% fewer write
# calls, report's coalesce.syscalls equal to strace's count.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
L=$(prog co_lines)
N=10000
prove "sh loop >>" $N 'sh -c '\''i=0; while [ $i -lt '$N' ]; do echo "line $i of the loop"; i=$((i+1)); done'\'' >>"$LOG"'
prove "C write(1) >>" $N '"$L" - c $N write >>"$LOG"'
# the first fprintf reaches stdout before its fd is classified: N-1 absorbed
prove "C stdio stdout >>" $((N - 1)) '"$L" - o $N stdio >>"$LOG"'
# stderr too (dash's per-command `>&2` dup2s onto fd 1 and back each
# time, and dup2 onto a coalesced fd is a flush: redirect once with exec)
prove "sh exec >&2, 2>>" $N 'sh -c '\''exec >&2; i=0; while [ $i -lt '$N' ]; do echo "err $i"; i=$((i+1)); done'\'' 2>>"$LOG"'
