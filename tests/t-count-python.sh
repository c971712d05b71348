#!/bin/sh
# t-count-python.sh - /usr/bin/python3 (unmodified) doing file, tmpfs,
# TCP socket and pipe I/O, threads, and a /bin/cat child through
# subprocess: per process and class, bytes and calls equal strace's count
# of the same run (python and cat use read/write/send/recv directly);
# the files' sizes equal the report's per-file bytes; what the script
# itself says it moved is within the report's totals.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
[ -x "$PY" ] || skip "no $PY"

traced --no-coalesce -- $PY -S -B "$TOP/tests/count_py_workload.py" "$T"
eq "python status" "$rc" 0
check_truth --calls --min-procs 2 --files "^$T/py\."
cat "$T/py.moved"
val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/py.moved"; }
py="[x for x in r if x['exe'].startswith('/usr/bin/python3') and x['end_reason'] == 'exit']"
eq "one python record" "$(q "len($py)")" 1
eq "socket write_bytes = what the script sent" "$(q "cls($py[0], 'socket', 'write_bytes')")" "$(val sock_w)"
eq "socket read_bytes = what the script received" "$(q "cls($py[0], 'socket', 'read_bytes')")" "$(val sock_r)"
eq "pipe write_bytes = what the script wrote to pipes" "$(q "cls($py[0], 'pipe', 'write_bytes')")" "$(val pipe_w)"
eq "pipe read_bytes = what the script read from pipes" "$(q "cls($py[0], 'pipe', 'read_bytes')")" "$(val pipe_r)"
eq "cat: pipe in = pipe out" "$(q "cls(rec('cat'), 'pipe', 'read_bytes')")" 70000
eq "cat: pipe out" "$(q "cls(rec('cat'), 'pipe', 'write_bytes')")" 70000
eq "memfs write_bytes (/dev/shm)" "$(q "cls($py[0], 'memfs', 'write_bytes')")" "$(val shm_w)"
b=$(size "$T/py.bin") t=$(size "$T/py.txt") m=$(size "$T/py.moved")
eq "py.bin size = its row's write_bytes" "$(q "row($py[0], '$T/py.bin')['write_bytes']")" "$b"
eq "py.txt size = its row's write_bytes" "$(q "row($py[0], '$T/py.txt')['write_bytes']")" "$t"
eq "py.moved size = its row's write_bytes" "$(q "row($py[0], '$T/py.moved')['write_bytes']")" "$m"
eq "files read back = their sizes" "$(q "row($py[0], '$T/py.bin')['read_bytes'] + row($py[0], '$T/py.txt')['read_bytes']")" "$((b + t))"
