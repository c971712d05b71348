#!/bin/sh
# t-count-exec.sh - exec: one record per image that ended
# (tests/progs/count_exec.c 4 execs itself down to 1; the even images
# first try to exec a program that does not exist).  Same pid in every
# record; the last ends with exit 7, the images before with exec; each
# record counts the bytes its image wrote with write() (n * 10), and the
# stdio bytes an exec dropped are counted nowhere; the sum equals the
# output's size and strace's count of the same run.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_exec)

traced --no-coalesce -- "$P" 4 >"$T/out"
eq "status" "$rc" 7
# bytes only: each image's fputs is a write call whose bytes an exec drops
check_truth
eq "stdio write calls counted, their bytes not" "$(q "sum(cls(x, 'disk', 'writes') for x in r)")" 8
eq "one pid" "$(q "len(set(x['pid'] for x in r))")" 1
eq "images that exec'd successfully" "$(q "len([x for x in r if x['end_reason'] == 'exec' and cls(x, 'disk', 'write_bytes')])")" 3
eq "last record" "$(q "(r[-1]['end_reason'], r[-1]['exit_code'])")" "('exit', 7)"
eq "bytes per image, in order" "$(q "[cls(x, 'disk', 'write_bytes') for x in r if cls(x, 'disk', 'writes')]")" "[40, 30, 20, 10]"
eq "output size = sum of the records" "$(q "total('disk', 'write_bytes')")" "$(size "$T/out")"
eq "output size" "$(size "$T/out")" 100
note "records: $(q "[(x['end_reason'], cls(x, 'disk', 'write_bytes')) for x in r]")"

note "sh -c running two programs: one record per image"
traced --no-coalesce -- /bin/sh -c "exec /bin/echo hello" >"$T/out2"
eq "status" "$rc" 0
eq "records: sh (exec) then echo" "$(q "[(x['comm'], x['end_reason']) for x in r]")" "[('sh', 'exec'), ('echo', 'exit')]"
check_truth --calls
