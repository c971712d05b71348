#!/bin/sh
# t-count-kernelown.sh - the kernel's storage figures of a process are its
# own: a shell that ran `dd ... conv=fsync` does not show dd's bytes
# (/proc/PID/io adds reaped children's), dd does: in the exit report
# ("kernel") and in the collector's kernel_write_bytes.  A thread's bytes
# stay the process's after the thread ended.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
case $(stat -f -c %T "$T") in
tmpfs|ramfs) skip "$T is on $(stat -f -c %T "$T"): no storage writes to count";;
esac
MB=1048576
start_d
IOSHIM_SOCKET=$S "$IOSHIM" run --report "$T/r.jsonl" -- sh -c \
    'dd if=/dev/zero of="$1/F" bs=1M count=20 conv=fsync 2>/dev/null; cat "$1/F" >/dev/null; true' sh "$T" ||
	fail "the run failed"
cat "$T/r.jsonl" | cut -c 1-300
# the exit report: one record per image (sh, its fork child that became
# dd, cat's); sh's own writes are a few KiB at most
eq "dd's kernel write_bytes >= 20 MiB" "$(json "$T/r.jsonl" "[x['kernel']['write_bytes'] >= 20 * $MB for x in r if x['comm'] == 'dd']")" "[True]"
eq "sh's kernel write_bytes < 1 MiB" "$(json "$T/r.jsonl" "[x['kernel']['write_bytes'] < $MB for x in r if x['comm'] == 'sh']")" "[True]"
eq "cat's kernel write_bytes < 1 MiB" "$(json "$T/r.jsonl" "[x['kernel']['write_bytes'] < $MB for x in r if x['comm'] == 'cat']")" "[True]"
# a thread's writes count after it ended (the process's own, not a child's)
"$IOSHIM" run --report "$T/t.jsonl" -- /usr/bin/python3 -c '
import os, sys, threading
def w():
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"x" * (8 << 20)); os.fsync(fd); os.close(fd)
t = threading.Thread(target=w); t.start(); t.join()' "$T/G" || fail "python failed"
eq "an ended thread's kernel write_bytes counted" "$(json "$T/t.jsonl" "[x['kernel']['write_bytes'] >= 8 * $MB for x in r]")" "[True]"
q flush >/dev/null || fail "flush failed"
stop_d
kw() { sq "SELECT coalesce(sum(m.kernel_write_bytes), 0) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/$1'"; }
sq "SELECT i.pid, i.exe, sum(m.kernel_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image GROUP BY i.id"
[ "$(kw dd)" -ge $((20 * MB)) ] || fail "collector: dd's kernel_write_bytes $(kw dd) < 20 MiB"
echo "ok: collector: dd's kernel_write_bytes $(kw dd)"
[ "$(kw dash)" -lt $MB ] || fail "collector: sh's kernel_write_bytes $(kw dash) >= 1 MiB: dd's counted as the shell's"
echo "ok: collector: sh's kernel_write_bytes $(kw dash)"
exit 0
