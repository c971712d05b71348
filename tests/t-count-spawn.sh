#!/bin/sh
# t-count-spawn.sh - vfork+exec, posix_spawn, system() and popen() under
# the shim (tests/progs/count_spawn.c; each child is /bin/sh running
# head | tr into a file, or head into popen's pipe): every child's exit
# status comes through, the files are right, every process of the tree
# has a record, and per process and class the bytes and calls equal
# strace's count of the same run; the bytes the tr children wrote equal
# the files' sizes, what popen's child sent equals what the parent read.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_spawn)

traced --no-coalesce -- "$P" "$T" >"$T/out"
eq "status" "$rc" 0
cat "$T/out"
eq "program's verdict" "$(cut -d' ' -f1 "$T/out")" ok
eq "vfork.out" "$(size "$T/vfork.out")" 1000
eq "spawn.out" "$(size "$T/spawn.out")" 2000
eq "system.out" "$(size "$T/system.out")" 3000
check_truth --calls disk,pipe,other --min-procs 8 --files "^$T/(vfork|spawn|system)\.out$"
eq "tr children wrote the files' sizes" "$(q "sum(cls(x, 'disk', 'write_bytes') for x in recs('tr'))")" 6000
eq "popen: child's pipe writes = parent's pipe reads" \
    "$(q "sum(cls(x, 'pipe', 'write_bytes') for x in recs('head') if x['ppid'] in [y['pid'] for y in r if y['ppid'] == rec('count_spawn')['pid'] and not any(z['comm'] == 'tr' and z['ppid'] == y['pid'] for z in r)])")" \
    "$(q "cls(rec('count_spawn'), 'pipe', 'read_bytes')")"
eq "exit codes of the sh children" "$(q "sorted(x['exit_code'] for x in r if x['comm'] == 'sh' and x['end_reason'] == 'exit')")" "[0, 3, 4, 5]"
